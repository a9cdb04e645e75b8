"""The text-valued variables of the encoding convention, checked at load time.

``INPUT_ENCODING`` / ``WEIGHT_ENCODING`` / ``OUTPUT_ENCODING`` must name an
encoding: a built-in, a CiMLoop alias or a plug-in registered from Python or
installed through the ``cimdse.encodings`` entry point (see
:mod:`cimdse.encoding`). The name is only looked up: a ``module:function``
string is refused, never imported. ``VALUE_RESAMPLE`` is one of
:data:`cimdse.encoding.RESAMPLE_MODES` and ``INPUT_POSITION`` one of
:data:`cimdse.workload.POSITIONS`. A boolean, a number or a list there is a
located error, so ``cimdse check`` catches it before any evaluation. The
numeric variables of the convention are checked by :mod:`cimdse.bounds`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..encoding import RESAMPLE_MODES, EncodingError, available_encodings, resolve_encoding
from ..workload.distributions import POSITIONS
from .errors import SpecError, nearest
from .model import Location

ENCODING_VARIABLES: tuple[str, ...] = ("INPUT_ENCODING", "WEIGHT_ENCODING", "OUTPUT_ENCODING")
CHOICE_VARIABLES: dict[str, tuple[str, ...]] = {"VALUE_RESAMPLE": RESAMPLE_MODES,
                                                "INPUT_POSITION": POSITIONS}


def check_conventions(values: Mapping[str, Any], location: Callable[[str], Location]) -> None:
    """Raise a located SpecError for a convention variable of the wrong kind.

    ``location(name)`` is where variable ``name`` was written; a variable
    left unset or null takes its default and is not checked.
    """
    for name in ENCODING_VARIABLES:
        if values.get(name) is not None:
            _check_encoding(name, values[name], location(name))
    for name, choices in CHOICE_VARIABLES.items():
        value = values.get(name)
        if value is not None and value not in choices:
            raise SpecError(f"variable '{name}' must be one of {', '.join(choices)}, got "
                            f"{_shown(value)}", location(name),
                            suggestion=nearest(str(value), choices))


def _check_encoding(name: str, value: Any, where: Location) -> None:
    if not isinstance(value, str):
        raise SpecError(f"variable '{name}' must be an encoding name, got {_shown(value)}; "
                        f"valid: {', '.join(available_encodings())}", where)
    try:
        resolve_encoding(value)
    except EncodingError as err:
        raise SpecError(f"variable '{name}': {err}", where) from None


def _shown(value: Any) -> str:
    text = repr(value)
    kind = "a boolean" if isinstance(value, bool) else type(value).__name__
    return f"{kind} {text if len(text) <= 60 else text[:60] + '...'}"
