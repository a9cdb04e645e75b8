"""A mapping: a loop factor per (slot, dim) and a loop order per temporal slot.

``factors[s][d]`` is the factor of dim ``d`` (index into
:data:`~cimdse.mapping.problem.DIMS`) at slot ``s`` of the
:class:`~cimdse.mapping.arch.Arch`. Each dim's factors are a perfect
factorisation of its bound (their product is the bound) or a residual one:
spatial factors may leave a remainder, the loops above then run the
ceiling and the last pass is partial (:mod:`~cimdse.mapping.residual`).
``orders[s]`` lists the dim indices of temporal slot ``s`` outermost first
(a permutation of all dims; unit-factor loops are harmless). Spatial slots
have no order: counts do not depend on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .arch import Arch
from .errors import MappingError
from .problem import DIMS, Problem
from .residual import residual_error


@dataclass(frozen=True)
class Mapping:
    factors: tuple[tuple[int, ...], ...]
    orders: tuple[tuple[int, ...], ...]

    @classmethod
    def build(cls, factors, orders=None) -> "Mapping":
        f = tuple(tuple(int(x) for x in row) for row in factors)
        if orders is None:
            orders = [tuple(range(len(DIMS)))] * len(f)
        o = tuple(tuple(int(x) for x in row) for row in orders)
        return cls(f, o)

    def validate(self, arch: Arch, problem: Problem) -> None:
        """Raise :class:`MappingError` unless shapes and factorisations are right."""
        if len(self.factors) != len(arch.slots) or len(self.orders) != len(arch.slots):
            raise MappingError(f"mapping has {len(self.factors)} slots, the design "
                               f"{len(arch.slots)}")
        spatial = [s.is_spatial for s in arch.slots]
        for d, bound in enumerate(problem.bounds):
            column = [row[d] for row in self.factors]
            if math.prod(column) == bound:
                continue
            why = residual_error(column, spatial, bound)
            if why is not None:
                raise MappingError(f"factors of dim {DIMS[d]}: {why}")
        for s, slot in enumerate(arch.slots):
            if not slot.is_spatial and sorted(self.orders[s]) != list(range(len(DIMS))):
                raise MappingError(f"order of slot {s} is not a permutation of all dims")

    def padded_bounds(self) -> tuple[int, ...]:
        """Per dim, the product of its factors: the bound for a perfect
        factorisation, above it when a spatial factor leaves a remainder."""
        return tuple(math.prod(row[d] for row in self.factors)
                     for d in range(len(self.factors[0]) if self.factors else 0))

    def describe(self, arch: Arch, problem: Problem | None = None) -> str:
        """A loop-nest listing, outermost first; given the problem, a residual
        spatial factor shows its last pass, e.g. ``S=6 (last 1)`` for 7 = 6 + 1."""
        last = self._last_passes(arch, problem)
        lines = []
        for s, slot in enumerate(arch.slots):
            order = self.orders[s] if not slot.is_spatial else range(len(DIMS))
            loops = [f"{DIMS[d]}={self.factors[s][d]}{last.get((s, d), '')}" for d in order
                     if self.factors[s][d] > 1]
            kind = "spatial" if slot.is_spatial else "temporal"
            lines.append(f"{slot.node} [{kind}]: {' '.join(loops) or '-'}")
        return "\n".join(lines)

    def _last_passes(self, arch: Arch, problem: Problem | None) -> dict[tuple[int, int], str]:
        """``(slot, dim) -> " (last r)"`` for spatial factors leaving a remainder."""
        out: dict[tuple[int, int], str] = {}
        if problem is None:
            return out
        for d, bound in enumerate(problem.bounds):
            rem = bound
            for s in range(len(self.factors) - 1, -1, -1):
                f = self.factors[s][d]
                if arch.slots[s].is_spatial and rem % f:
                    passes = -(-rem // f)
                    out[(s, d)] = f" (last {rem - f * (passes - 1)})"
                    rem = passes
                else:
                    rem //= f
        return out
