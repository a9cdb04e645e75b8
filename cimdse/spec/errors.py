"""The one exception type for bad specs, and how its messages are worded.

Every problem found in a spec file (YAML syntax, unknown key, wrong type,
bad expression, undefined variable, cycle, duplicate name, ...) is raised as
:class:`SpecError` carrying the file, line, column and field path where it
happened, plus a suggestion when one is known. The CLI prints ``str(err)``
and exits 2.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from ..errors import CimdseError
from .model import Location


class SpecError(CimdseError, ValueError):
    """A spec (or sweep) file is wrong. ``str()`` is the full user message."""

    def __init__(self, message: str, location: Location | None = None,
                 suggestion: str | None = None):
        self.message = message
        self.location = location or Location()
        self.suggestion = suggestion
        super().__init__(self._render())

    @property
    def file(self) -> str | None:
        return self.location.file

    @property
    def line(self) -> int | None:
        return self.location.line

    @property
    def column(self) -> int | None:
        return self.location.column

    @property
    def path(self) -> str:
        return self.location.path

    def _render(self) -> str:
        head = str(self.location)
        if self.location.path:
            head += f": {self.location.path}"
        text = f"{head}: {self.message}"
        if self.suggestion:
            text += f" (did you mean '{self.suggestion}'?)"
        return text


def nearest(name: str, options: Iterable[str]) -> str | None:
    """The closest option to ``name`` (case-insensitive first), or None."""
    options = list(options)
    lowered = {o.lower(): o for o in options}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None
