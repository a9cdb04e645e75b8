"""Residual (imperfect) spatial factors: the real share of a count, residual
factor tables, their bounds, the mapping checks and the spec option."""

from __future__ import annotations

import itertools
import math
import random
import time

import numpy as np
import pytest

import cimdse
from cimdse.mapping import MappingError
from cimdse.mapping.arch import build_arch
from cimdse.mapping.evaluate_layer import settings_from_design
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.mapspace import (MapspaceTooLargeError, allowed_factors,
                                     count_residual_factorizations, factor_tables)
from cimdse.mapping.problem import DIMS, Problem
from cimdse.mapping.residual import (FREE, NONZERO, ZERO, digit_sizes, real_count,
                                     real_count_batch, residual_error, scale, scale_batch)
from cimdse.spec import SpecError

from .helpers import make_design, node

ALL = ("Inputs", "Weights", "Outputs")


def _enumerated(radices, bound, classes):
    weights = [math.prod(radices[s + 1:]) for s in range(len(radices))]
    ranges = [range(lo, lo + n) for lo, n in (digit_sizes(f, c) for f, c in zip(radices, classes))]
    points = list(itertools.product(*ranges))
    real = sum(sum(j * w for j, w in zip(p, weights)) < bound for p in points)
    return real, len(points)


@pytest.mark.parametrize("seed", range(40))
def test_real_count_matches_an_enumeration(seed):
    rng = random.Random(seed)
    for _ in range(50):
        radices = [rng.randint(1, 5) for _ in range(rng.randint(1, 5))]
        if math.prod(radices) < 2:
            continue
        bound = rng.randint(1, math.prod(radices) - 1)
        classes = [rng.choice([FREE, ZERO, NONZERO]) for _ in radices]
        assert real_count(radices, bound, classes) == _enumerated(radices, bound, classes)
        weights = [math.prod(radices[s + 1:]) for s in range(len(radices))]
        digits = np.array([[(bound // w) % f for w, f in zip(weights, radices)]])
        cls = np.array([[classes, classes]])  # a K axis of 2
        real, part = real_count_batch(np.array([radices]), digits, cls)
        assert (int(real[0, 1]), int(part[0, 1])) == real_count(radices, bound, classes)


def test_the_real_share_of_a_partial_pass():
    # S = 7 over 6 rows: 2 passes of the backing store's loop, the row digit inside
    assert real_count([2, 6], 7, [FREE, FREE]) == (7, 12)    # rows driven: 6 + 1
    assert real_count([2, 6], 7, [FREE, ZERO]) == (2, 2)     # one sum per column per pass
    assert real_count([2, 6], 7, [NONZERO, FREE]) == (1, 6)  # the second pass: 1 real row


def test_scale_is_exact_when_the_share_divides_and_agrees_with_the_batch():
    assert scale(12 * 5, 7, 12) == 35
    cases = [(60, 7, 12), (61, 7, 12), (13, 5, 7), (0, 3, 4), (0, 0, 0), (10 ** 15 + 3, 3, 7)]
    for value, real, part in cases:
        got = scale_batch(np.array([value]), np.array([real]), np.array([part]))
        assert int(got[0]) == scale(value, real, part)


@pytest.mark.parametrize("factors, spatial, bound, ok", [
    ((2, 6), (False, True), 7, True),          # 7 = 6 + 1: two passes
    ((1, 7), (False, True), 7, True),          # perfect
    ((3, 3), (False, True), 7, True),          # 3 + 3 + 1
    ((2, 4, 2), (False, True, False), 14, True),  # 2 inner, 7 = 4 + 3 spatial, 2 passes
    ((2, 3), (False, False), 7, False),        # a temporal factor must divide
    ((1, 8), (False, True), 7, False),         # a spatial factor may not exceed what is left
    ((3, 6), (False, True), 7, False),         # the outer loop must run exactly ceil(7 / 6)
])
def test_residual_factorisations_are_read_inner_to_outer(factors, spatial, bound, ok):
    assert (residual_error(factors, spatial, bound) is None) == ok


def _design(mesh=4, pe_constraints=None):
    return make_design([
        node("buf", keep=ALL, attrs={"size": 10 ** 6}),
        node("pe", kind="container", mesh=mesh, constraints=pe_constraints),
        node("reg", keep=ALL),
    ])


def test_residual_tables_extend_the_perfect_ones():
    arch = build_arch(_design(mesh=4))
    problem = Problem.from_dims({"C": 7, "M": 6, "P": 5})
    perfect = factor_tables(arch, problem, allowed_factors(arch, problem))
    allowed = allowed_factors(arch, problem, residual=True)
    residual = factor_tables(arch, problem, allowed)
    spatial = [s.is_spatial for s in arch.slots]
    for d, (p, r) in enumerate(zip(perfect, residual)):
        assert (r[:len(p)] == p).all()  # the perfect rows first, in the same order
        rows = {tuple(x) for x in r}
        assert len(rows) == len(r)
        assert all(residual_error(x, spatial, problem.bounds[d]) is None for x in rows)
        assert all(math.prod(x) > problem.bounds[d] for x in r[len(p):])
        if problem.bounds[d] > 1:
            assert count_residual_factorizations(arch, problem, allowed, d) == len(r)
    C = DIMS.index("C")
    pe = next(i for i, s in enumerate(arch.slots) if s.node == "pe")
    # C = 7 on a 4-PE fanout: 2, 3 or 4 PEs in 4, 3 or 2 passes, besides 1 and 7 = 1 x 7
    assert sorted({int(x[pe]) for x in residual[C]}) == [1, 2, 3, 4]


def test_constraints_bound_the_residual_factors():
    from cimdse.spec.model import Constraints, FactorConstraint, LoopConstraints
    pe = Constraints(spatial=LoopConstraints(factors=(FactorConstraint("C", "<=", 3),)))
    arch = build_arch(_design(mesh=4, pe_constraints=pe))
    problem = Problem.from_dims({"C": 7})
    table = factor_tables(arch, problem, allowed_factors(arch, problem, residual=True))
    slot = next(i for i, s in enumerate(arch.slots) if s.node == "pe")
    assert sorted({int(x[slot]) for x in table[DIMS.index("C")]}) == [1, 2, 3]


def test_counting_residual_factorisations_is_bounded():
    arch = build_arch(_design(mesh=2 ** 20))
    problem = Problem.from_dims({"C": 2 ** 40 - 1}, name="huge")
    allowed = allowed_factors(arch, problem, residual=True)
    start = time.perf_counter()
    with pytest.raises(MapspaceTooLargeError) as info:
        factor_tables(arch, problem, allowed)
    assert time.perf_counter() - start < 10.0
    assert "imperfect_spatial: false" in str(info.value) and "'huge'" in str(info.value)


def test_mappings_check_and_show_their_remainders():
    arch = build_arch(_design(mesh=4))
    problem = Problem.from_dims({"C": 7})
    C = DIMS.index("C")
    factors = [[1] * len(DIMS) for _ in arch.slots]
    pe = next(i for i, s in enumerate(arch.slots) if s.node == "pe")
    factors[0][C], factors[pe][C] = 2, 4
    m = Mapping.build(factors)
    m.validate(arch, problem)
    assert m.padded_bounds()[C] == 8
    assert "pe [spatial]: C=4 (last 3)" in m.describe(arch, problem)
    factors[0][C] = 3
    with pytest.raises(MappingError, match="dim C"):
        Mapping.build(factors).validate(arch, problem)


def test_the_spec_option_reaches_the_search(tmp_path):
    spec = tmp_path / "spec.yaml"
    body = ("arch:\n  nodes:\n  - !Component\n    name: reg\n    class: constant\n"
            "    attributes: {compute_energy: 1.0}\n    temporal_reuse: [Weights]\n")
    spec.write_text(body)
    assert settings_from_design(cimdse.load(spec)).imperfect_spatial is True
    spec.write_text(body + "mapper:\n  imperfect_spatial: false\n")
    assert settings_from_design(cimdse.load(spec)).imperfect_spatial is False
    assert cimdse.load(spec, overrides={"mapper.imperfect_spatial": True}).mapper.imperfect_spatial
    spec.write_text(body + "mapper:\n  imperfect_spatial: 1\n")
    with pytest.raises(SpecError, match="imperfect_spatial.*true or false") as info:
        cimdse.load(spec)
    assert f"{spec}:" in str(info.value)
