"""The mapper's view of one layer: dim bounds and tensor projections.

A :class:`Problem` is a plain einsum: bounds over :data:`DIMS` (the spec's
``PROBLEM_DIMS``: N, G, C, M, R, S, P, Q, X, Y) and, per tensor, its ranks,
each a tuple of ``(dim index, integer coefficient)`` terms. A rank's extent
for a tile with per-dim bounds ``t`` is ``1 + sum(coef * (t[d] - 1))``.

Projections follow :mod:`cimdse.workload.problem` (CiMLoop's
``problem_base.yaml``)::

    Weights[G][M][C][R][S][Y]
    Inputs [N][G][C][P*Wstride + R*Wdilation][Q*Hstride + S*Hdilation][X]
    Outputs[N][G][M][P][Q]

with ``stride = (Hstride, Wstride)`` and ``dilation = (Hdilation,
Wdilation)``. :func:`problem_from_layer` accepts any object with ``dims``,
``stride`` and ``dilation`` (a workload ``Layer``), so the mapper does not
depend on the workload package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from cimdse.spec.model import PROBLEM_DIMS, TENSORS

from .errors import MappingError

DIMS: tuple[str, ...] = PROBLEM_DIMS
DIM_INDEX: dict[str, int] = {d: i for i, d in enumerate(DIMS)}

Rank = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Problem:
    """Bounds per dim (in :data:`DIMS` order) and tensor ranks."""

    bounds: tuple[int, ...]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    name: str = "layer"

    def __post_init__(self) -> None:
        if len(self.bounds) != len(DIMS) or any(int(b) < 1 for b in self.bounds):
            raise MappingError(f"problem {self.name!r}: bounds must be {len(DIMS)} "
                               f"positive ints over {DIMS}, got {self.bounds!r}")

    @classmethod
    def from_dims(cls, dims: Mapping[str, int], stride: Any = 1, dilation: Any = 1,
                  name: str = "layer") -> "Problem":
        unknown = set(dims) - set(DIMS)
        if unknown:
            raise MappingError(f"problem {name!r}: unknown dims {sorted(unknown)}")
        return cls(tuple(int(dims.get(d, 1)) for d in DIMS), _pair(stride),
                   _pair(dilation), name)

    @property
    def dims(self) -> dict[str, int]:
        return dict(zip(DIMS, self.bounds))

    @property
    def operations(self) -> int:
        """Iteration points: MACs x X x Y (one compute action each)."""
        return math.prod(self.bounds)

    @property
    def macs(self) -> int:
        return math.prod(b for d, b in zip(DIMS, self.bounds) if d not in ("X", "Y"))

    def ranks(self, tensor: str) -> tuple[Rank, ...]:
        hs, ws = self.stride
        hd, wd = self.dilation
        i = DIM_INDEX
        if tensor == "Weights":
            return tuple(((i[d], 1),) for d in ("G", "M", "C", "R", "S", "Y"))
        if tensor == "Outputs":
            return tuple(((i[d], 1),) for d in ("N", "G", "M", "P", "Q"))
        if tensor == "Inputs":
            return (((i["N"], 1),), ((i["G"], 1),), ((i["C"], 1),),
                    ((i["P"], ws), (i["R"], wd)), ((i["Q"], hs), (i["S"], hd)),
                    ((i["X"], 1),))
        raise MappingError(f"unknown tensor {tensor!r}; expected one of {TENSORS}")

    def relevant(self, tensor: str) -> frozenset[int]:
        return frozenset(d for rank in self.ranks(tensor) for d, _ in rank)

    def footprint(self, tensor: str, tile: tuple[int, ...] | None = None) -> int:
        t = self.bounds if tile is None else tile
        return math.prod(1 + sum(c * (t[d] - 1) for d, c in rank)
                         for rank in self.ranks(tensor))

    def shape_key(self) -> tuple:
        return (self.bounds, self.stride, self.dilation)


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return (int(value[0]), int(value[1]))
    return (int(value), int(value))


def problem_from_layer(layer: Any) -> Problem:
    """A :class:`Problem` from a workload ``Layer`` (or a Problem, returned as is)."""
    if isinstance(layer, Problem):
        return layer
    try:
        dims = dict(layer.dims)
    except AttributeError:
        raise MappingError(f"cannot map {layer!r}: expected a Layer or Problem") from None
    return Problem.from_dims(dims, getattr(layer, "stride", 1), getattr(layer, "dilation", 1),
                             getattr(layer, "name", "layer"))
