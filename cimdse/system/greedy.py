"""The greedy balancer: give the slowest stages more macros until none are left.

Stages: one per layer when there are at least as many macros as layers,
else the layers cut into at most ``n_macros`` consecutive groups with the
smallest slowest group on one macro each (binary search over the group
times with left-to-right packing, exact for that cut). Then, from a start,
every stage as slow as the slowest grows to the fewest macros that make it
faster, until they do not all fit (growing only some of them buys
nothing). Two starts are tried: one macro per stage, and, when every
layer's weights fit, one copy of its weights per layer (weight-stationary);
the spare macros of each then make re-loading stages hold their weights
(most re-written weights first), and the better of the two
(:meth:`~.placement.Placement.objective`) is kept. Sharing macros between
layers can beat it (:mod:`.exact`).
"""

from __future__ import annotations

from typing import Sequence

from .demand import LayerDemand, fits, stage_reloads, stage_time_s
from .placement import Placement, PlacementStrategy, Stage, register_placement


@register_placement
class GreedyPlacement(PlacementStrategy):
    """Greedy balancer: replicate or widen the slowest stages while macros remain."""

    name = "greedy"

    def place(self, demands: Sequence[LayerDemand], n_macros: int) -> Placement:
        groups = ([[i] for i in range(len(demands))] if n_macros >= len(demands)
                  else _cut(demands, n_macros))
        stages = [[demands[i] for i in g] for g in groups]
        starts = [[1] * len(groups)]
        if len(stages) == len(demands) and fits(demands, n_macros):
            starts.append([s[0].macros for s in stages])
        best = None
        for start in starts:
            macros = _settle(stages, _balance(stages, start, n_macros), n_macros)
            placement = Placement(tuple(Stage(tuple(g), k) for g, k in zip(groups, macros)))
            if best is None or placement.objective(demands) < best.objective(demands):
                best = placement
        return best


def _balance(stages: list[list[LayerDemand]], start: list[int], n_macros: int) -> list[int]:
    """Grow the slowest stages from ``start`` while the macros last."""
    macros = list(start)
    times = [stage_time_s(s, k) for s, k in zip(stages, macros)]
    spare = n_macros - sum(macros)
    while True:
        slowest = max(times)
        if slowest <= 0:
            break
        tied = [g for g, t in enumerate(times) if t == slowest]
        grown, left = {}, spare
        for g in tied:
            k = _next_faster(stages[g], macros[g], macros[g] + left)
            if k is None:
                break
            grown[g] = k
            left -= k - macros[g]
        if len(grown) < len(tied):
            break
        spare = left
        for g, k in grown.items():
            macros[g] = k
            times[g] = stage_time_s(stages[g], k)
    return macros


def _settle(stages: list[list[LayerDemand]], macros: list[int], n_macros: int) -> list[int]:
    """Spend the spare macros on holding the weights of re-loading stages."""
    macros = list(macros)
    spare = n_macros - sum(macros)
    order = sorted(range(len(stages)), key=lambda g: -stage_reloads(stages[g], macros[g]))
    for g in order:
        need = sum(d.macros for d in stages[g]) - macros[g]
        if 0 < need <= spare and stage_reloads(stages[g], macros[g] + need) < \
                stage_reloads(stages[g], macros[g]):
            macros[g] += need
            spare -= need
    return macros


def _next_faster(stage: list[LayerDemand], k: int, most: int) -> int | None:
    """The fewest macros in (k, most] that make ``stage`` faster, or None."""
    if len(stage) == 1:
        grown = stage[0].next_faster(k)
        return grown if grown is not None and grown <= most else None
    now = stage_time_s(stage, k)
    for grown in range(k + 1, most + 1):
        if stage_time_s(stage, grown) < now:
            return grown
    return None


def _cut(demands: Sequence[LayerDemand], groups: int) -> list[list[int]]:
    """Consecutive groups (at most ``groups``) minimising the slowest group's
    time on one macro."""
    n = len(demands)
    times = sorted({stage_time_s(demands[i:j], 1) for i in range(n) for j in range(i + 1, n + 1)})
    lo, hi = 0, len(times) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_pack(demands, times[mid])) <= groups:
            hi = mid
        else:
            lo = mid + 1
    return _pack(demands, times[lo])


def _pack(demands: Sequence[LayerDemand], limit: float) -> list[list[int]]:
    out: list[list[int]] = []
    for i in range(len(demands)):
        if out and stage_time_s([demands[j] for j in out[-1]] + [demands[i]], 1) <= limit:
            out[-1].append(i)
        else:
            out.append([i])
    return out
