"""Power gating of idle hardware: which instances leak under a mapping.

A container with ``power_gated: true`` in the spec (CiMLoop's
``has_power_gating`` / ``power_gated_at``) is a **gating point**: each of
its instances (one per point of its own mesh and of every enclosing mesh)
is a domain that can be switched off. A component inside it leaks only in
the domains the mapping uses; a domain is used when the mapping's spatial
loops reach it, and a used domain leaks for every cycle of the layer (it
is busy for the whole layer). Components outside every gating point, and
designs without one, leak in all their instances for all cycles, as
before. Under nested gating points the innermost one applies (the finest
granularity).

Leakage per layer, for a component c whose innermost gating point is g::

    E_leak(c) = leak_pJ(c) x cycles x used(g) x instances(c) / instances(g)

with ``used(g)`` = the product of the mapping's spatial factors in the
slots above g's contents (the domains the mapping spreads over) and
``instances(c) / instances(g)`` = c's hardware instances per domain.

Worked example (tests/mapping/test_power_gating.py): 4 macros in a gated
``macro_in_system`` (meshX 4), each with 8 columns (meshX 8) holding one
ADC each (leak 2 pJ per cycle) and one row driver outside the column mesh
(leak 1 pJ per cycle). A layer that uses 2 macros for 10 cycles leaks
10 x 2 x (8 x 2 + 1) = 340 pJ instead of 10 x 4 x 17 = 680 pJ ungated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cimdse.pricing import ActionTable
from .arch import Arch


@dataclass(frozen=True)
class LeakModel:
    """Leakage per cycle as a function of a mapping's spatial factors.

    ``ungated``: pJ per cycle of every component outside a gating point;
    ``gated``: (gate position, pJ per cycle per used domain) pairs.
    """

    ungated: float
    gated: tuple[tuple[int, float], ...]

    @classmethod
    def of(cls, arch: Arch, table: ActionTable) -> "LeakModel":
        ungated, per_gate = 0.0, {}
        for lv in arch.levels:
            pj = table.pj(lv.name, "leak") * table.instances.get(lv.name, lv.instances)
            if lv.gate_position is None:
                ungated += pj
            else:
                per_gate[lv.gate_position] = (per_gate.get(lv.gate_position, 0.0)
                                              + pj / lv.gate_instances)
        return cls(ungated, tuple(sorted(per_gate.items())))

    def per_cycle(self, arch: Arch, F: np.ndarray) -> np.ndarray:
        """pJ of leakage per cycle of each mapping in ``F[B, slots, dims]``."""
        out = np.full(F.shape[0], self.ungated, dtype=np.float64)
        for position, pj in self.gated:
            out += pj * used_domains(arch, F, position)
        return out


def used_domains(arch: Arch, F: np.ndarray, position: int) -> np.ndarray:
    """Instances reached by the spatial slots above ``position`` per mapping."""
    spatial = [s for s in arch.spatial_slots if s < position]
    if not spatial:
        return np.ones(F.shape[0], dtype=np.float64)
    return np.prod(F[:, spatial, :].astype(np.float64), axis=(1, 2))


def leak_instances(arch: Arch, used_above) -> dict[str, float]:
    """Leaking instances of each level under one mapping; ``used_above(p)``
    gives the instances the mapping reaches above slot position ``p``."""
    out = {}
    for lv in arch.levels:
        if lv.gate_position is None:
            out[lv.name] = float(lv.instances)
        else:
            out[lv.name] = used_above(lv.gate_position) * lv.instances / lv.gate_instances
    return out


__all__ = ["LeakModel", "leak_instances", "used_domains"]
