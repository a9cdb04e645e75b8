"""The one exception type for a model that cannot be profiled.

A bad model or sample file, a sample whose shape does not fit the model, an
op that carries MACs cimdse cannot map (named by op and node), a missing
optional dependency: each is a :class:`ProfileError` whose message is one
line, so the CLI prints it and exits with status 2.
"""

from __future__ import annotations

from ..errors import CimdseError


class ProfileError(CimdseError, ValueError):
    """A model, its sample inputs or a profiling option is wrong."""


def first_line(err: BaseException) -> str:
    """The first non-empty line of an exception's message (third-party
    errors can span many lines)."""
    for line in str(err).splitlines():
        if line.strip():
            return line.strip()
    return type(err).__name__
