"""cimdse: model and explore compute-in-memory DNN accelerators.

Public API: :func:`load` a YAML spec into a :class:`Design`; workloads in
:mod:`cimdse.workload`; component models in :mod:`cimdse.components`.
"""

from __future__ import annotations

import logging

from .errors import CimdseError
from .evaluate import NetworkResult, evaluate
from .spec import Design, SpecError, load

__version__ = "0.1.0"
__all__ = ["load", "evaluate", "read_results", "Design", "NetworkResult", "SpecError",
           "CimdseError", "__version__"]


def read_results(directory):
    """The designs of a sweep's results directory as a pandas DataFrame."""
    from .dse.store import read_results as _read  # pyarrow only when asked for
    return _read(directory)

logging.getLogger(__name__).addHandler(logging.NullHandler())
