"""Vectorised evaluator vs the scalar reference (and the brute force)."""

import random

import numpy as np
import pytest

from cimdse.mapping.batch import BatchContext, Template, evaluate_batch
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.nest import analyze

from .brute import simulate
from .helpers import random_case, random_mapping


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
