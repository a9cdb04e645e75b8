"""Search: exhaustive optimality, determinism, constraints, clear failures."""

import itertools
import math

import numpy as np
import pytest

from cimdse.pricing import ActionTable
from cimdse.mapping.arch import build_arch
from cimdse.mapping.batch import BatchContext, evaluate_batch
from cimdse.mapping.errors import NoValidMappingError
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.mapspace import (allowed_factors, factor_tables, loop_orders,
                                     max_utilization_layer)
from cimdse.mapping.nest import analyze
from cimdse.mapping.problem import DIM_INDEX, Problem
from cimdse.mapping.search import SearchSettings, search
from cimdse.spec.model import Constraints, FactorConstraint, LoopConstraints

from .helpers import make_design, node

ALL = ("Inputs", "Weights", "Outputs")
TABLE = ActionTable({("buf", "read"): 1.0, ("buf", "write"): 2.0, ("buf", "update"): 1.5,
                     ("reg", "read"): 0.1, ("reg", "write"): 0.2, ("reg", "update"): 0.1,
                     ("reg", "compute"): 1.0, ("reg", "leak"): 0.01},
                    {"buf": 10.0, "reg": 1.0}, {"buf": 1, "reg": 4})


def _design(buf_size=64, reg_size=4, reg_constraints=None, pe_constraints=None):
    return make_design([
        node("buf", keep=ALL, attrs={"size": buf_size, "read_bandwidth": 2}),
        node("pe", kind="container", mesh=4, reuse=("Inputs", "Outputs"),
             constraints=pe_constraints),
        node("reg", keep=ALL, attrs={"size": reg_size}, constraints=reg_constraints),
    ])


PROBLEM = Problem.from_dims({"C": 4, "M": 2, "P": 6, "R": 2})


def _score(arch, problem, m):
    res = analyze(arch, problem, m)
    if not res.valid:
        return math.inf
    e = sum(n * TABLE.pj(c, a) for (c, a), n in res.counts.items())
    e += TABLE.leak_per_cycle() * res.cycles
    return e * res.cycles


def test_exhaustive_finds_the_optimum_of_the_enumerated_space():
    arch = build_arch(_design())
    problem = Problem.from_dims({"C": 2, "M": 2, "P": 3, "R": 2})
    found = search(arch, problem, TABLE, SearchSettings(max_evaluations=10 ** 6,
                                                        progress=False))
    allowed = allowed_factors(arch, problem)
    tables = factor_tables(arch, problem, allowed)
    orders = loop_orders(arch, problem, allowed)
    cands = [(np.stack(rows, axis=1), o) for rows in itertools.product(*tables)
             for o in itertools.product(*orders)]
    res = evaluate_batch(BatchContext(arch, problem), np.array([o for _, o in cands]),
                         np.array([f for f, _ in cands]))
    energy = res.counts @ TABLE.vector(res.keys) + TABLE.leak_per_cycle() * res.cycles
    best = np.min(np.where(res.valid, energy * res.cycles, np.inf))
    # spot-check the vectorised scores with the scalar reference
    for i in range(0, len(cands), 997):
        ref = _score(arch, problem, Mapping.build(*cands[i]))
        assert (ref == math.inf) == (not res.valid[i])
        if res.valid[i]:
            assert ref == pytest.approx(energy[i] * res.cycles[i], rel=1e-12)
    got = _score(arch, problem, found.mapping)
    assert got == pytest.approx(best, rel=1e-12)
    assert found.energy_pj * found.cycles == pytest.approx(best, rel=1e-9)


def test_random_search_is_deterministic_for_a_seed():
    arch = build_arch(_design())
    s = SearchSettings(algorithm="random", max_evaluations=20_000, seed=3, progress=False,
                       batch_size=2048)
    a, b = search(arch, PROBLEM, TABLE, s), search(arch, PROBLEM, TABLE, s)
    assert a.mapping == b.mapping and a.evaluated == b.evaluated


def test_constraints_are_honoured():
    reg = Constraints(temporal=LoopConstraints(factors_only=("C", "R"),
                                               loop_order=("R", "C")))
    pe = Constraints(spatial=LoopConstraints(factors=(FactorConstraint("M", "=", 2),)))
    arch = build_arch(_design(reg_constraints=reg, pe_constraints=pe))
    found = search(arch, PROBLEM, TABLE, SearchSettings(progress=False))
    f = found.mapping.factors
    pe_slot = next(i for i, s in enumerate(arch.slots) if s.node == "pe")
    reg_slot = next(i for i, s in enumerate(arch.slots) if s.node == "reg")
    assert f[pe_slot][DIM_INDEX["M"]] == 2
    assert all(f[reg_slot][DIM_INDEX[d]] == 1 for d in ("M", "P"))
    order = found.mapping.orders[reg_slot]
    assert order[-2:] == (DIM_INDEX["R"], DIM_INDEX["C"])


def test_buffer_too_small_fails_fast_naming_it():
    arch = build_arch(_design(buf_size=2, reg_size=4))
    with pytest.raises(NoValidMappingError, match="buffer 'buf' is too small"):
        search(arch, PROBLEM, TABLE, SearchSettings(progress=False))


def test_impossible_factor_constraint_names_the_constraint():
    pe = Constraints(spatial=LoopConstraints(factors=(FactorConstraint("C", "=", 8),)))
    arch = build_arch(_design(pe_constraints=pe))
    with pytest.raises(NoValidMappingError,
                       match=r"dim C=4 .*factor C=8 at spatial loops of 'pe'"):
        search(arch, PROBLEM, TABLE, SearchSettings(progress=False))


def test_capacity_rejecting_everything_is_named():
    # each tile alone fits, but the reg must hold 3 tensors of >=1 element: capacity 2
    arch = build_arch(_design(reg_size=2))
    with pytest.raises(NoValidMappingError, match="capacity of 'reg'|buffer 'reg'"):
        search(arch, PROBLEM, TABLE, SearchSettings(progress=False))


def test_max_utilization_layer_multiplies_factors():
    design = make_design([node("buf", keep=ALL),
                          node("col", kind="container", mesh=4,
                               constraints=Constraints(max_utilization={"M": 4})),
                          node("cell", keep=("Weights",),
                               constraints=Constraints(max_utilization={"C": 8}))])
    layer = max_utilization_layer(design, Problem.from_dims({"C": 2}))
    assert layer.dims["M"] == 4 and layer.dims["C"] == 16


def test_no_valid_mapping_names_the_most_rejecting_check():
    # perfect factors of 3 x 3 cannot fill the 4 PEs
    pe = Constraints(min_utilization=1.0)
    arch = build_arch(_design(pe_constraints=pe))
    problem = Problem.from_dims({"P": 3, "R": 3})
    with pytest.raises(NoValidMappingError, match="most by min_utilization of 'pe'"):
        search(arch, problem, TABLE, SearchSettings(progress=False, imperfect_spatial=False))


def test_imperfect_spatial_factors_fill_the_fanout_perfect_ones_cannot():
    pe = Constraints(min_utilization=1.0)
    arch = build_arch(_design(pe_constraints=pe))
    problem = Problem.from_dims({"P": 3, "R": 3})
    found = search(arch, problem, TABLE, SearchSettings(progress=False))
    pe_slot = next(i for i, s in enumerate(arch.slots) if s.node == "pe")
    assert math.prod(found.mapping.factors[pe_slot]) == 4  # P=2 and R=2, each 2 + 1
    assert "(last 1)" in found.mapping.describe(arch, problem)
    assert analyze(arch, problem, found.mapping).valid


def test_pareto_metric_returns_a_non_dominated_front():
    arch = build_arch(_design())
    found = search(arch, PROBLEM, TABLE, SearchSettings(metric="pareto", progress=False))
    front = found.pareto
    assert front and all(a[0] <= b[0] and a[1] > b[1] for a, b in zip(front, front[1:]))
    for e, c, m in front:
        res = analyze(arch, PROBLEM, m)
        assert res.valid and res.cycles == c


def test_forced_spatial_factors_beyond_the_fanout_fail_fast():
    pe = Constraints(spatial=LoopConstraints(factors=(FactorConstraint("M", ">=", 2),
                                                      FactorConstraint("C", ">=", 4))))
    arch = build_arch(_design(pe_constraints=pe))
    with pytest.raises(NoValidMappingError, match=r"force C=4 x M=2 = 8 spatial instances "
                                                  r"at 'pe', which has 4"):
        search(arch, PROBLEM, TABLE, SearchSettings(progress=False))
