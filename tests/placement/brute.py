"""Brute-force placement oracle, written from the stage-time rules of
cimdse/system/demand.py's docstring without importing them: every cut of
the layers into consecutive stages, every macro count of every stage, each
stage simulated by dealing out its weight tiles and output positions."""

from __future__ import annotations

import itertools


def cuts(n):
    """Every way to cut layers 0..n-1 into consecutive stages."""
    for bars in itertools.product((False, True), repeat=n - 1):
        stages, start = [], 0
        for i, bar in enumerate(bars, start=1):
            if bar:
                stages.append(tuple(range(start, i)))
                start = i
        stages.append(tuple(range(start, n)))
        yield stages


def _dealt(items, bins):
    """Most items any bin gets when ``items`` are dealt round-robin into ``bins``."""
    load = [0] * bins
    for i in range(items):
        load[i % bins] += 1
    return max(load)


def layer_time(d, k):
    tile = d.macro_s / d.macros
    if k >= d.macros:
        copies = min(k // d.macros, d.positions)
        extra = 0.0 if d.stationary else d.write_s
        return tile * (_dealt(d.positions, copies) / d.positions) + extra
    return _dealt(d.macros, k) * (tile + d.write_s)


def stage_time(ds, k):
    if len(ds) == 1:
        return layer_time(ds[0], k)
    if sum(d.macros for d in ds) <= k:
        return sum(d.macro_s / d.macros + (0.0 if d.stationary else d.write_s) for d in ds)
    return sum(_dealt(d.macros, k) * (d.macro_s / d.macros + d.write_s) for d in ds)


def stage_reloads(ds, k):
    held = sum(d.macros for d in ds) <= k
    return sum(d.weights for d in ds if not (held and d.stationary))


def objective(demands, stages, macros):
    times = [stage_time([demands[i] for i in s], k) for s, k in zip(stages, macros)]
    reloads = sum(stage_reloads([demands[i] for i in s], k) for s, k in zip(stages, macros))
    return (max(times), reloads, sum(macros), sum(times))


def best(demands, n_macros):
    """(objective, stages, macros) of the best placement."""
    found = None
    for stages in cuts(len(demands)):
        for macros in itertools.product(range(1, n_macros + 1), repeat=len(stages)):
            if sum(macros) > n_macros:
                continue
            o = objective(demands, stages, macros)
            if found is None or o < found[0]:
                found = (o, stages, macros)
    return found
