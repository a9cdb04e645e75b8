"""A mapping: a loop factor per (slot, dim) and a loop order per temporal slot.

``factors[s][d]`` is the factor of dim ``d`` (index into
:data:`~cimdse.mapping.problem.DIMS`) at slot ``s`` of the
:class:`~cimdse.mapping.arch.Arch`. The product over slots of each dim's
factors must equal the dim's bound (perfect factorisation).
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
        """Raise :class:`MappingError` unless shapes and products are right."""
        if len(self.factors) != len(arch.slots) or len(self.orders) != len(arch.slots):
            raise MappingError(f"mapping has {len(self.factors)} slots, the design "
                               f"{len(arch.slots)}")
        for d, bound in enumerate(problem.bounds):
            prod = math.prod(row[d] for row in self.factors)
            if prod != bound:
                raise MappingError(f"factors of dim {DIMS[d]} multiply to {prod}, "
                                   f"bound is {bound}")
        for s, slot in enumerate(arch.slots):
            if not slot.is_spatial and sorted(self.orders[s]) != list(range(len(DIMS))):
                raise MappingError(f"order of slot {s} is not a permutation of all dims")

    def describe(self, arch: Arch) -> str:
        """A loop-nest listing, outermost first."""
        lines = []
        for s, slot in enumerate(arch.slots):
            order = self.orders[s] if not slot.is_spatial else range(len(DIMS))
            loops = [f"{DIMS[d]}={self.factors[s][d]}" for d in order
                     if self.factors[s][d] > 1]
            kind = "spatial" if slot.is_spatial else "temporal"
            lines.append(f"{slot.node} [{kind}]: {' '.join(loops) or '-'}")
        return "\n".join(lines)
