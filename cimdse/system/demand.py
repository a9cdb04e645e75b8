"""What one layer asks of the macros, and the time a stage of layers takes.

A :class:`LayerDemand` is the whole cost model a placement strategy sees:

* ``macro_s``: the layer's latency on one macro (the mapper's fastest
  mapping of the layer on the macro alone), i.e. its work in macro-seconds;
* ``macros`` (w): the macros one copy of its weights fills, densely packed
  (weight elements with their slices / weight elements one macro holds);
* ``positions`` (n): the output positions (N x P x Q) replicas can split;
* ``write_s``: the time one macro takes to write its share of a copy of
  the weights (:mod:`.macros`: a row of the array per cycle);
* ``weights``: its weight elements (slices counted), what a re-load writes;
* ``stationary``: False when the "weights" are an activation (attention's
  QK^T, AV), written again for every input wherever they sit.

The work divides evenly over the layer's weight tiles, so one macro's
share is ``tile_s = macro_s / w``. A stage of one layer on ``k`` macros:

* ``k >= w``: weight-stationary, ``r = min(k // w, n)`` replicas each
  holding a copy and computing ``ceil(n / r)`` of the ``n`` positions:
  ``tile_s * ceil(n / r) / n`` (plus ``write_s`` for an activation
  operand, written for every input);
* ``k < w``: the weights do not fit; the ``k`` macros run the ``w`` tiles
  in ``ceil(w / k)`` passes, writing each pass's weights first:
  ``ceil(w / k) * (tile_s + write_s)``.

A stage of several consecutive layers shares its ``k`` macros: when all
their weights fit at once (sum of ``w`` <= k) each layer runs on its own
``w`` macros, one after another: ``sum(tile_s)`` (plus ``write_s`` of the
activation operands); otherwise every layer is re-loaded onto all ``k``
macros in turn: ``sum(ceil(w / k) * (tile_s + write_s))``. Every stage
time falls or stays as macros are added.

Hand-computed: a layer of ``macro_s`` = 8 us filling ``w`` = 4 macros with
``n`` = 10 positions and ``write_s`` = 1 us takes 2 us per tile; on 2
macros 2 passes of 2 + 1 us, 6 us; on 4 macros 2 us; on 9 macros 2
replicas of 5 positions, 2 us x 5/10 = 1 us; on 12 macros 3 replicas,
ceil(10/3) = 4 positions: 0.8 us.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class LayerDemand:
    """One layer as the placement sees it (see the module docstring)."""

    name: str
    macro_s: float
    macros: int
    positions: int = 1
    write_s: float = 0.0
    weights: int = 0
    stationary: bool = True

    def __post_init__(self) -> None:
        if self.macros < 1 or self.positions < 1:
            raise ValueError(f"layer {self.name!r}: macros and positions must be >= 1, "
                             f"got {self.macros} and {self.positions}")
        if not (self.macro_s >= 0 and self.write_s >= 0):
            raise ValueError(f"layer {self.name!r}: macro_s and write_s must be >= 0, got "
                             f"{self.macro_s} and {self.write_s}")

    @property
    def tile_s(self) -> float:
        """Time one macro spends on its share (one weight tile) of the layer."""
        return self.macro_s / self.macros

    def replicas(self, k: int) -> int:
        """Copies of the weights ``k`` macros hold (0: the weights do not fit)."""
        return min(k // self.macros, self.positions) if k >= self.macros else 0

    def time_on(self, k: int) -> float:
        """Stage time of this layer alone on ``k`` macros."""
        if k < 1:
            raise ValueError(f"layer {self.name!r}: a stage needs at least one macro")
        if k < self.macros:
            return ceil_div(self.macros, k) * (self.tile_s + self.write_s)
        n = self.positions
        return self.tile_s * (ceil_div(n, self.replicas(k)) / n) + self.operand_write_s

    @property
    def operand_write_s(self) -> float:
        """Write time every input pays even when the weights fit (activation operands)."""
        return 0.0 if self.stationary else self.write_s

    def next_faster(self, k: int) -> int | None:
        """The fewest macros above ``k`` that make this layer faster (None: none)."""
        if k < self.macros:
            passes = ceil_div(self.macros, k)
            return ceil_div(self.macros, passes - 1)
        per = ceil_div(self.positions, self.replicas(k))
        if per == 1:
            return None
        return ceil_div(self.positions, per - 1) * self.macros


def stage_time_s(demands: Sequence[LayerDemand], k: int) -> float:
    """Time one input spends in a stage holding ``demands`` (consecutive
    layers) on ``k`` macros (module docstring)."""
    if len(demands) == 1:
        return demands[0].time_on(k)
    if k < 1:
        raise ValueError("a stage needs at least one macro")
    if sum(d.macros for d in demands) <= k:
        return sum(d.tile_s + d.operand_write_s for d in demands)
    return sum(ceil_div(d.macros, k) * (d.tile_s + d.write_s) for d in demands)


def stage_is_resident(demands: Sequence[LayerDemand], k: int) -> bool:
    """Whether one copy of the stage's weights fits its ``k`` macros at once."""
    return sum(d.macros for d in demands) <= k


def stage_is_stationary(demands: Sequence[LayerDemand], k: int) -> bool:
    """Whether a stage keeps its weights for the next input (nothing re-written)."""
    return all(d.stationary for d in demands) and stage_is_resident(demands, k)


def stage_reloads(demands: Sequence[LayerDemand], k: int) -> int:
    """Weight elements a stage writes again for every input: all of its
    layers' when they do not fit at once, else its activation operands'."""
    resident = stage_is_resident(demands, k)
    return sum(d.weights for d in demands if not (resident and d.stationary))


def fits(demands: Sequence[LayerDemand], n_macros: int) -> bool:
    """Whether one copy of every layer's weights fits in ``n_macros`` at once."""
    return sum(d.macros for d in demands) <= n_macros
