"""Named operand distributions a reference row may be evaluated with: the
operand values its source was measured or modelled with."""

from __future__ import annotations

from typing import Any, Callable

from .errors import ValidationError


def _uniform() -> dict[str, Any]:
    from ..workload.distributions import Histogram
    flat = Histogram(tuple([1.0] * 255))     # every 8-bit value equally likely
    return {"Inputs": flat, "Weights": flat}


def _two_point(mean: float) -> dict[str, Any]:
    from ..workload.distributions import Histogram
    p = [0.0] * 255
    p[127] = 1.0 - mean                       # value 0
    p[254] = mean                             # full scale: every magnitude bit 1
    flat = Histogram(tuple(p))
    return {"Inputs": flat, "Weights": flat}


def _cimloop_jia() -> dict[str, Any]:
    # CiMLoop's defaults for Macro A (the CiMLoop artifact (mit-emze/cimloop),
    # arch/1_macro/jia_jssc_2020/variables_iso.yaml): INPUTS_HIST
    # [0, 0, 0, 8, 4, 2, 1] (non-negative, mostly small) and a flat 15-bin
    # WEIGHTS_HIST; its Table I / II tests run with them.
    from ..workload.distributions import Histogram
    return {"Inputs": Histogram((0.0, 0.0, 0.0, 8.0, 4.0, 2.0, 1.0)),
            "Weights": Histogram(tuple([1.0] * 15))}


#: Named operand distributions a reference row may ask for (plus ``mean=M``).
DISTRIBUTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "uniform": _uniform, "cimloop_jia": _cimloop_jia}


def distributions_for(name: str) -> dict[str, Any]:
    """Inputs / Weights histograms of a reference row's ``distributions``."""
    if name in DISTRIBUTIONS:
        return DISTRIBUTIONS[name]()
    if name.startswith("mean="):
        try:
            mean = float(name[5:])
        except ValueError:
            mean = -1.0
        if 0.0 <= mean <= 1.0:
            return _two_point(mean)
    raise ValidationError(f"unknown distributions {name!r} (known: "
                          f"{', '.join(DISTRIBUTIONS)}, mean=M with 0 <= M <= 1)")
