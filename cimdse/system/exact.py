"""The exact placement: the best stages and macro counts
(:meth:`~.placement.Placement.objective`), by search over the slowest-stage time.

Every stage time a placement can have is the time of a group of
consecutive layers on some number of macros, and a group's time never
rises with more macros. So the best slowest stage ``tau`` is the smallest
of those times for which the fewest macros keeping every stage within
``tau`` (each group given its fewest such macros, the best cut found by a
dynamic programme) fit in the system: a binary search over the tabulated
times. Within ``tau`` a group takes either its fewest macros or, if more,
the macros that hold its weights at once (fewer re-written weights); a
second programme over (cut, macros spent so far) picks the placement with
the fewest re-written weights, then macros, then the smallest sum of stage
times. Every group's time on 1..n_macros macros is tabulated, so the work
grows with layers^2 x macros; past :data:`MAX_TABLE` entries the strategy
refuses and names the greedy balancer.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .demand import LayerDemand, stage_reloads, stage_time_s
from .placement import Placement, PlacementError, PlacementStrategy, Stage, register_placement

#: Stage times the exact search tabulates at most (groups x macro counts).
MAX_TABLE = 20_000_000


@register_placement
class ExactPlacement(PlacementStrategy):
    """Exact: the best placement (binary search on the slowest stage, dynamic programmes over the cuts)."""

    name = "exact"
    exact = True

    def place(self, demands: Sequence[LayerDemand], n_macros: int) -> Placement:
        n = len(demands)
        groups = [(i, j) for i in range(n) for j in range(i, n)]
        if len(groups) * n_macros > MAX_TABLE:
            raise PlacementError(
                f"exact placement of {n} layers over {n_macros} macros would tabulate "
                f"{len(groups) * n_macros:,} stage times (at most {MAX_TABLE:,}); use "
                "PLACEMENT=greedy")
        k = np.arange(1, n_macros + 1)
        table = {(i, j): _times(demands[i:j + 1], k) for i, j in groups}
        values = np.unique(np.concatenate(list(table.values())))
        lo, hi = 0, len(values) - 1
        if _fewest_macros(table, n, float(values[hi])) > n_macros:
            raise PlacementError(f"no placement of {n} layers fits {n_macros} macros")
        while lo < hi:
            mid = (lo + hi) // 2
            if _fewest_macros(table, n, float(values[mid])) <= n_macros:
                hi = mid
            else:
                lo = mid + 1
        return _best(demands, table, n_macros, float(values[lo]))


def _times(stage: Sequence[LayerDemand], k: np.ndarray) -> np.ndarray:
    """Stage time of ``stage`` on each of ``k`` macros (as :func:`stage_time_s`,
    operation for operation, so the values are the same floats)."""
    if len(stage) == 1:
        d = stage[0]
        passes = -(-d.macros // k)
        replicas = np.minimum(k // d.macros, d.positions)
        per = -(-d.positions // np.maximum(replicas, 1))
        return np.where(k < d.macros, passes * (d.tile_s + d.write_s),
                        d.tile_s * (per / d.positions) + d.operand_write_s)
    shared = np.zeros(len(k))
    resident = 0.0
    for d in stage:
        shared = shared + (-(-d.macros // k)) * (d.tile_s + d.write_s)
        resident = resident + (d.tile_s + d.operand_write_s)
    return np.where(k >= sum(d.macros for d in stage), resident, shared)


def _fewest(times: np.ndarray, tau: float) -> int | None:
    """Fewest macros keeping a group within ``tau`` (times never rise with macros)."""
    over = int(np.count_nonzero(times > tau))
    return over + 1 if over < len(times) else None


def _fewest_macros(table: dict, n: int, tau: float) -> float:
    """Fewest macros of any cut with every stage within ``tau`` (inf: none)."""
    best = [0.0] + [np.inf] * n
    for j in range(n):
        for i in range(j + 1):
            k = _fewest(table[(i, j)], tau)
            if k is not None and best[i] + k < best[j + 1]:
                best[j + 1] = best[i] + k
    return best[n]


def _best(demands: Sequence[LayerDemand], table: dict, n_macros: int, tau: float) -> Placement:
    """The placement with every stage within ``tau`` and the fewest re-written
    weights, then macros, then the smallest sum of stage times."""
    n = len(demands)
    big = np.iinfo(np.int64).max // 4
    reload = np.full((n + 1, n_macros + 1), big, dtype=np.int64)   # [layers placed, macros spent]
    total = np.full((n + 1, n_macros + 1), np.inf)
    came_from = np.zeros((n + 1, n_macros + 1), dtype=np.int64)    # first layer of the last stage
    last_macros = np.zeros((n + 1, n_macros + 1), dtype=np.int64)  # macros of the last stage
    reload[0, 0], total[0, 0] = 0, 0.0
    for j in range(n):
        for i in range(j, -1, -1):            # shorter last stages first: they win ties
            stage = list(demands[i:j + 1])
            fewest = _fewest(table[(i, j)], tau)
            if fewest is None:
                continue
            for k in sorted({fewest, max(fewest, sum(d.macros for d in stage))}):
                if k > n_macros:
                    continue
                r, t = stage_reloads(stage, k), stage_time_s(stage, k)
                reached = reload[i, :n_macros + 1 - k] < big
                new_r = np.where(reached, reload[i, :n_macros + 1 - k] + r, big)
                new_t = total[i, :n_macros + 1 - k] + t
                old_r, old_t = reload[j + 1, k:], total[j + 1, k:]
                better = reached & ((new_r < old_r) | ((new_r == old_r) & (new_t < old_t)))
                reload[j + 1, k:] = np.where(better, new_r, old_r)
                total[j + 1, k:] = np.where(better, new_t, old_t)
                came_from[j + 1, k:] = np.where(better, i, came_from[j + 1, k:])
                last_macros[j + 1, k:] = np.where(better, k, last_macros[j + 1, k:])
    spent = min((m for m in range(n_macros + 1) if reload[n, m] < big),
                key=lambda m: (int(reload[n, m]), m, float(total[n, m])))
    stages, j, m = [], n, spent
    while j > 0:
        i, k = int(came_from[j, m]), int(last_macros[j, m])
        stages.append(Stage(tuple(range(i, j)), k))
        j, m = i, m - k
    return Placement(tuple(reversed(stages)))
