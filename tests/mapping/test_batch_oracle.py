"""Vectorised evaluator vs the scalar reference (and the brute force)."""

import random

import numpy as np
import pytest

from cimdse.mapping.arch import build_arch
from cimdse.mapping.batch import BatchContext, Template, evaluate_batch
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.nest import analyze
from cimdse.mapping.problem import DIMS, Problem

from .brute import simulate
from .helpers import (make_design, node, random_case, random_mapping, random_residual_case,
                      random_residual_mapping)


def _check_batch(arch, problem, mappings, template):
    ctx = BatchContext(arch, problem)
    F = np.array([m.factors for m in mappings])
    res = evaluate_batch(ctx, template, F, detail=True)
    for b, m in enumerate(mappings):
        ref = analyze(arch, problem, Mapping(m.factors, template.orders))
        got = {k: int(v[b]) for k, v in res.tensor_counts.items()}
        assert got == ref.tensor_counts
        assert {k: int(res.counts[b, i]) for i, k in enumerate(res.keys)
                if res.counts[b, i] or k in ref.counts} == \
            {k: v for k, v in ref.counts.items()}
        assert res.steps[b] == ref.steps
        assert res.cycles[b] == ref.cycles
        assert res.utilization[b] == ref.utilization
        assert bool(res.valid[b]) == ref.valid
    return res


@pytest.mark.parametrize("seed", range(200))
def test_batch_matches_scalar(seed):
    arch, problem, first = random_case(seed)
    rng = random.Random(seed + 10_000)
    template = Template(first.orders)
    mappings = [first] + [random_mapping(rng, arch, problem) for _ in range(15)]
    _check_batch(arch, problem, mappings, template)


@pytest.mark.parametrize("seed", range(300, 360))
def test_batch_matches_brute_force(seed):
    arch, problem, m = random_case(seed)
    res = evaluate_batch(BatchContext(arch, problem), Template(m.orders),
                         np.array([m.factors]), detail=True)
    counts, _ = simulate(arch, problem, m)
    assert {k: int(v[0]) for k, v in res.tensor_counts.items()} == counts


@pytest.mark.parametrize("seed", range(400, 440))
def test_per_mapping_orders_match_scalar(seed):
    arch, problem, first = random_case(seed)
    rng = random.Random(seed)
    mappings = [first] + [random_mapping(rng, arch, problem) for _ in range(7)]
    res = evaluate_batch(BatchContext(arch, problem), np.array([m.orders for m in mappings]),
                         np.array([m.factors for m in mappings]), detail=True)
    for b, m in enumerate(mappings):
        ref = analyze(arch, problem, m)
        assert {k: int(v[b]) for k, v in res.tensor_counts.items()} == ref.tensor_counts
        assert res.cycles[b] == ref.cycles


@pytest.mark.parametrize("seed", range(500, 520))
def test_int64_coordinate_path_matches(seed):
    arch, problem, m = random_case(seed)
    ctx = BatchContext(arch, problem)
    ctx.cdtype = np.int64
    ctx.coef32 = {t: c.astype(np.int64) for t, c in ctx.coef32.items()}
    res = evaluate_batch(ctx, Template(m.orders), np.array([m.factors]), detail=True)
    ref = analyze(arch, problem, m)
    assert {k: int(v[0]) for k, v in res.tensor_counts.items()} == ref.tensor_counts


def _residual_batch(seed, n=8):
    arch, problem, first = random_residual_case(seed)
    rng = random.Random(seed + 20_000)
    others = [random_residual_mapping(rng, arch, problem) if rng.random() < 0.7
              else random_mapping(rng, arch, problem) for _ in range(n - 1)]
    return arch, problem, [first] + others


def _check_against_scalar(arch, problem, mappings, res):
    for b, m in enumerate(mappings):
        ref = analyze(arch, problem, m)
        assert {k: int(v[b]) for k, v in res.tensor_counts.items()} == ref.tensor_counts, \
            m.describe(arch, problem)
        assert {k: int(res.counts[b, i]) for i, k in enumerate(res.keys)
                if res.counts[b, i] or k in ref.counts} == ref.counts
        assert res.steps[b] == ref.steps
        assert res.cycles[b] == ref.cycles
        assert res.utilization[b] == ref.utilization
        assert bool(res.valid[b]) == ref.valid


@pytest.mark.parametrize("seed", range(600, 800))
def test_residual_batch_matches_scalar(seed):
    """Mixed batches of residual and perfect factorisations, per-mapping orders."""
    arch, problem, mappings = _residual_batch(seed)
    res = evaluate_batch(BatchContext(arch, problem), np.array([m.orders for m in mappings]),
                         np.array([m.factors for m in mappings]), detail=True)
    _check_against_scalar(arch, problem, mappings, res)


@pytest.mark.parametrize("seed", range(800, 860))
def test_residual_batch_matches_scalar_under_one_template(seed):
    arch, problem, mappings = _residual_batch(seed)
    template = Template(mappings[0].orders)
    mappings = [Mapping(m.factors, template.orders) for m in mappings]
    res = evaluate_batch(BatchContext(arch, problem), template,
                         np.array([m.factors for m in mappings]), detail=True)
    _check_against_scalar(arch, problem, mappings, res)


@pytest.mark.parametrize("seed", range(860, 880))
def test_residual_int64_coordinate_path_matches(seed):
    arch, problem, mappings = _residual_batch(seed)
    ctx = BatchContext(arch, problem)
    ctx.cdtype = np.int64
    ctx.coef32 = {t: c.astype(np.int64) for t, c in ctx.coef32.items()}
    res = evaluate_batch(ctx, np.array([m.orders for m in mappings]),
                         np.array([m.factors for m in mappings]), detail=True)
    _check_against_scalar(arch, problem, mappings, res)


def test_residual_bandwidth_bound_cycles_follow_the_busiest_instance():
    """P=4 over a 3-PE fanout (3 + 1), the backing store's loops P (the 2
    passes) outside C=2; every level keeps every tensor.

    Buffer (one instance; read and write bandwidth 1 per cycle): reads
    Inputs 8 (each real input once) + Weights 8 (one per real MAC: each PE
    requests its weight at every C step) + Outputs 0 (no partial sum comes
    back) = 16; writes Inputs 8 + Weights 4 (a weight per C step, in both
    passes) = 12, updates 4 (one per real output): 16. PE registers (read
    bandwidth 0.5): the busiest, PE 0, real in both passes, reads Inputs 4 +
    Weights 4 + Outputs 2 (4 updates into its 2 outputs) = 10, i.e. 20
    cycles (an average register, 20 reads over 3, would take 13.3).
    Cycles = max(4 steps, 16, 16, 20) = 20."""
    design = make_design([
        node("buf", keep=("Inputs", "Weights", "Outputs"),
             attrs={"read_bandwidth": 1, "write_bandwidth": 1}),
        node("pe", kind="container", mesh=3, reuse=()),
        node("reg", keep=("Inputs", "Weights", "Outputs"), attrs={"read_bandwidth": 0.5}),
    ])
    arch = build_arch(design)
    problem = Problem.from_dims({"P": 4, "C": 2})
    P, C = DIMS.index("P"), DIMS.index("C")
    factors = [[1] * len(DIMS) for _ in arch.slots]
    factors[0][P], factors[0][C] = 2, 2
    factors[2][P] = 3
    order = [P, C] + [d for d in range(len(DIMS)) if d not in (P, C)]
    m = Mapping.build(factors, [order] * len(arch.slots))
    ref = analyze(arch, problem, m)
    assert ref.counts[("buf", "read")] == 16
    assert ref.counts[("buf", "write")] == 12 and ref.counts[("buf", "update")] == 4
    assert ref.counts[("reg", "read")] == 20  # over the PEs: 10 + 5 + 5
    assert ref.steps == 4 and ref.cycles == 20.0
    assert ref.tensor_counts == simulate(arch, problem, m)[0]
    res = evaluate_batch(BatchContext(arch, problem), Template(m.orders),
                         np.array([m.factors]), detail=True)
    _check_against_scalar(arch, problem, [m], res)
