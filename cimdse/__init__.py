"""cimdse: model and explore compute-in-memory DNN accelerators.

Public API: :func:`load` a YAML spec into a :class:`Design`; workloads in
:mod:`cimdse.workload`; component models in :mod:`cimdse.components`.
"""

from __future__ import annotations

import logging

from .spec import CimdseError, Design, SpecError, load

__version__ = "0.1.0"
__all__ = ["load", "Design", "SpecError", "CimdseError", "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
