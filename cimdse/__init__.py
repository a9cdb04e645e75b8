"""cimdse: model and explore compute-in-memory DNN accelerators.

Public API: :func:`load` a YAML spec into a :class:`Design`; workloads in
:mod:`cimdse.workload`; component models in :mod:`cimdse.components`.
"""

from __future__ import annotations

import logging

from ._version import __version__
from .errors import CimdseError
from .evaluate import NetworkResult, evaluate
from .spec import Design, SpecError, load

__all__ = ["load", "evaluate", "read_results", "Design", "NetworkResult", "SpecError",
           "CimdseError", "__version__"]


def read_results(directory, columns=None, *, layers=False, macros=False):
    """A sweep's results as a pandas DataFrame: one row per design, or one
    per design x layer with ``layers=True``, or one per design x macro of a
    placed pipeline with ``macros=True``; ``columns`` selects columns."""
    from .dse.store import read_results as _read  # pyarrow only when asked for
    return _read(directory, columns, layers=layers, macros=macros)

logging.getLogger(__name__).addHandler(logging.NullHandler())
