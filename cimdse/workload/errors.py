"""The one exception type for bad workloads, and nearest-name suggestions.

Everything wrong with a workload input -- an unknown dimension or network
name, a malformed histogram, a broken CiMLoop layer file -- is raised as
:class:`WorkloadError`. Messages name the file (and the key path inside it)
when the problem comes from a file.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from ..errors import CimdseError


class WorkloadError(CimdseError, ValueError):
    """A workload (layer, network, histogram or workload file) is wrong."""


def suggest(name: str, options: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` suffix for the closest option, or ``""``."""
    options = [str(o) for o in options]
    by_lower = {o.lower(): o for o in options}
    if name.lower() in by_lower:
        return f" (did you mean '{by_lower[name.lower()]}'?)"
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.5)
        close = [by_lower[c] for c in close]
    return f" (did you mean '{close[0]}'?)" if close else ""
