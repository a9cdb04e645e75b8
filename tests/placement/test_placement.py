"""Placement strategies against the brute-force oracle, the contract check,
the stage-time rules by hand, and the registry."""

from __future__ import annotations

import random

import pytest

from cimdse.system import (LayerDemand, Placement, PlacementError, PlacementStrategy, Stage,
                           check_placement, placement_strategy, placements,
                           register_placement, stage_time_s)
from cimdse.system import placement as placement_module

from . import brute


def _layer(rng, i):
    w = rng.randint(1, 3)
    return LayerDemand(f"L{i}", macro_s=float(w * rng.randint(1, 5)), macros=w,
                       positions=rng.choice((1, 2, 4, 8)), write_s=float(rng.randint(0, 2)),
                       weights=w * rng.randint(1, 4), stationary=rng.random() > 0.15)


def _cases(count, seed=0):
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(1, 4)
        yield [_layer(rng, i) for i in range(n)], rng.randint(1, 7)


@pytest.mark.parametrize("demands,n_macros", list(_cases(250)))
def test_exact_equals_brute_force(demands, n_macros):
    """Small integer and dyadic numbers keep every time exact, so the
    objectives compare exactly."""
    placed = placement_strategy("exact").place(demands, n_macros)
    check_placement(placed, demands, n_macros, "exact")
    assert placed.objective(demands) == brute.best(demands, n_macros)[0]


@pytest.mark.parametrize("demands,n_macros", list(_cases(250, seed=1)))
def test_greedy_is_valid_and_never_beats_the_optimum(demands, n_macros):
    placed = placement_strategy("greedy").place(demands, n_macros)
    check_placement(placed, demands, n_macros, "greedy")
    stages = [s.layers for s in placed.stages]
    got = placed.objective(demands)
    assert got == brute.objective(demands, stages, [s.macros for s in placed.stages])
    assert got >= brute.best(demands, n_macros)[0]


def test_greedy_is_optimal_when_every_layer_stays_on_its_own_macros():
    """Enough macros for every weight, no activation operand: the greedy
    balancer's stationary start is the best placement."""
    rng = random.Random(7)
    for _ in range(150):
        demands = [LayerDemand(f"L{i}", float(rng.randint(1, 6)), 1, rng.choice((1, 2, 4, 8)),
                               write_s=8.0, weights=1) for i in range(rng.randint(1, 4))]
        n_macros = rng.randint(len(demands), 8)
        got = placement_strategy("greedy").place(demands, n_macros).objective(demands)
        assert got == brute.best(demands, n_macros)[0]


def test_stage_times_by_hand():
    """demand.py's example: 8 us over 4 macros' worth of weights, 10 positions,
    1 us to write a macro's share."""
    d = LayerDemand("conv", macro_s=8e-6, macros=4, positions=10, write_s=1e-6, weights=40)
    assert d.tile_s == pytest.approx(2e-6)
    assert d.time_on(2) == pytest.approx(6e-6)       # 2 passes of (2 + 1) us
    assert d.time_on(3) == pytest.approx(6e-6)       # still 2 passes
    assert d.time_on(4) == pytest.approx(2e-6)       # weight-stationary
    assert d.time_on(9) == pytest.approx(1e-6)       # 2 replicas x 5 positions
    assert d.time_on(12) == pytest.approx(0.8e-6)    # 3 replicas, 4 of 10 positions
    assert d.next_faster(4) == 8 and d.next_faster(2) == 4 and d.next_faster(1) == 2
    other = LayerDemand("fc", macro_s=1e-6, macros=1, write_s=0.5e-6, weights=4)
    assert stage_time_s([d, other], 5) == pytest.approx(3e-6)              # both held
    assert stage_time_s([d, other], 2) == pytest.approx(6e-6 + 1.5e-6)     # both re-loaded


def test_stage_times_never_rise_with_macros():
    rng = random.Random(3)
    for _ in range(100):
        ds = [_layer(rng, i) for i in range(rng.randint(1, 3))]
        times = [stage_time_s(ds, k) for k in range(1, 20)]
        assert all(a >= b for a, b in zip(times, times[1:]))


def test_more_macros_never_make_the_best_pipeline_slower():
    rng = random.Random(5)
    demands = [_layer(rng, i) for i in range(4)]
    slowest = [placement_strategy("exact").place(demands, n).objective(demands)[0]
               for n in range(1, 12)]
    assert all(a >= b for a, b in zip(slowest, slowest[1:]))


def test_weights_stay_when_reloading_buys_no_throughput():
    """Everything fits and replicating the slow layer needs all spare macros:
    nothing is re-written."""
    demands = [LayerDemand("a", 4.0, 2, 4, write_s=1.0, weights=20),
               LayerDemand("b", 1.0, 1, 4, write_s=1.0, weights=10)]
    placed = placement_strategy("exact").place(demands, 5)
    assert placed.objective(demands)[:2] == (1.0, 0)
    assert [(s.layers, s.macros) for s in placed.stages] == [((0,), 4), ((1,), 1)]


def test_check_placement_names_what_is_wrong():
    demands = [LayerDemand("a", 1.0, 1), LayerDemand("b", 1.0, 1)]
    with pytest.raises(PlacementError, match="in order"):
        check_placement(Placement((Stage((1,), 1), Stage((0,), 1))), demands, 4)
    with pytest.raises(PlacementError, match="at least one macro"):
        check_placement(Placement((Stage((0, 1), 0),)), demands, 4)
    with pytest.raises(PlacementError, match="the system has 1"):
        check_placement(Placement((Stage((0,), 1), Stage((1,), 1))), demands, 1)


def test_exact_refuses_what_it_cannot_tabulate(monkeypatch):
    from cimdse.system import exact
    monkeypatch.setattr(exact, "MAX_TABLE", 10)
    with pytest.raises(PlacementError, match="PLACEMENT=greedy"):
        placement_strategy("exact").place([LayerDemand("a", 1.0, 1)] * 3, 8)


def test_registry_lists_and_finds_strategies(monkeypatch):
    listed = placements()
    assert {"none", "greedy", "exact"} <= set(listed)
    assert "balancer" in listed["greedy"]
    with pytest.raises(PlacementError, match="did you mean 'greedy'"):
        placement_strategy("gredy")
    monkeypatch.setattr(placement_module, "_REGISTRY", dict(placement_module._REGISTRY))

    @register_placement
    class OneStage(PlacementStrategy):
        """Everything on every macro."""
        name = "one_stage"

        def place(self, demands, n_macros):
            return Placement((Stage(tuple(range(len(demands))), n_macros),))

    assert placements()["one_stage"] == "Everything on every macro."
    assert isinstance(placement_strategy("one_stage"), OneStage)
    with pytest.raises(TypeError):
        register_placement(type("Bad", (PlacementStrategy,), {"name": "none"}))
