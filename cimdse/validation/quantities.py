"""The model quantity a reference row names, read off an evaluation result."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .errors import ValidationError


def _subset(values: Mapping[str, float], components: Sequence[str], what: str,
            case: str) -> float:
    if not components:
        return float(sum(values.values()))
    missing = [c for c in components if c not in values]
    if missing:
        raise ValidationError(f"{case}: no component {', '.join(map(repr, missing))} in the "
                              f"{what} breakdown (has: {', '.join(values)})")
    return float(sum(values[c] for c in components))


def model_quantity(result: Any, quantity: str, components: Sequence[str] = (),
                   variables: Mapping[str, Any] | None = None, case: str = "") -> float:
    """``quantity`` of an evaluation ``result`` (a NetworkResult or its
    ``to_dict()``), energies and areas summed over ``components``.

    ``*_1b`` metrics are the 1-bit-equivalent ones (x INPUT_BITS x
    WEIGHT_BITS, CiMLoop MacroOutputStats); TOPS/W and TOPS/mm^2 over a
    component subset use that subset's energy / area.
    """
    d = result if isinstance(result, Mapping) else result.to_dict()
    energy = _subset(d["breakdown"]["energy_pj"], components, "energy", case)
    area = _subset(d["breakdown"]["area_um2"], components, "area", case)
    macs, latency = d["macs"], d["latency_s"]
    base = quantity[:-3] if quantity.endswith("_1b") else quantity
    if base == "tops":
        value = 2 * macs / latency / 1e12 if latency else 0.0
    elif base == "tops_per_w":
        value = 2 * macs / (energy * 1e-12) / 1e12 if energy else 0.0
    elif base == "tops_per_mm2":
        tops = 2 * macs / latency / 1e12 if latency else 0.0
        value = tops / (area / 1e6) if area else 0.0
    elif base == "energy_pj":
        value = energy
    elif base == "area_um2":
        value = area
    elif base == "area_mm2":
        value = area / 1e6
    elif base == "latency_s":
        value = latency
    else:
        raise ValidationError(f"unknown quantity {quantity!r}")
    if quantity.endswith("_1b"):
        v = variables or {}
        value *= float(v.get("INPUT_BITS", 1)) * float(v.get("WEIGHT_BITS", 1))
    return float(value)
