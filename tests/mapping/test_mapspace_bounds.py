"""The mapper's bounds: fast divisors, counted factor tables, clear 'too large' errors
and finite results."""

from __future__ import annotations

import math
import time

import pytest

from cimdse.components import ComponentModel, register
from cimdse.evaluate import check_finite
from cimdse.mapping import MappingError
from cimdse.pricing import PricingError, build_action_table
from cimdse.mapping.evaluate_layer import NetworkResult
from cimdse.mapping.mapspace import (MAX_DIM_BOUND, MapspaceTooLargeError, _factorize,
                                     check_problem_size, count_factorizations, divisors,
                                     factor_tables, allowed_factors, prime_factors,
                                     smallest_prime_factor)
from cimdse.mapping.problem import Problem
from cimdse.spec import Design, Location, Node
from cimdse.spec.model import Constraints


@pytest.mark.parametrize("n", [1, 2, 12, 97, 360, 1024, 7 * 11 * 13 * 4])
def test_divisors_match_a_scan(n):
    assert divisors(n) == [k for k in range(1, n + 1) if n % k == 0]


def test_divisors_of_a_huge_bound_are_fast():
    start = time.perf_counter()
    big = 2 ** 20 * 5 ** 9            # 1.25e8 x 8: what ARRAY_ROWS = 1e9 would ask for
    assert len(divisors(big)) == 21 * 10
    assert prime_factors(2 ** 31 - 1) == ((2 ** 31 - 1, 1),)
    assert time.perf_counter() - start < 1.0


def test_smallest_prime_factor_of_a_divisor():
    assert smallest_prime_factor(1, 360) == 1
    assert smallest_prime_factor(45, 360) == 3
    assert smallest_prime_factor(8, 360) == 2


@pytest.mark.parametrize("bound, per_slot", [
    (12, [[1, 2, 3, 4, 6, 12]] * 3),
    (64, [[1, 2, 4], [1, 2, 4, 8, 16, 32, 64], [1, 64]]),
    (30, [[1], [1, 2, 3, 5, 6, 10, 15, 30], [1, 2, 3, 5, 6, 10, 15, 30]]),
    (7, [[1], [1]]),
])
def test_count_matches_the_enumeration(bound, per_slot):
    rows: list = []
    _factorize(bound, 0, len(per_slot), per_slot, (), rows, 10 ** 6)
    assert count_factorizations(bound, per_slot) == len(rows)


def _problem(**dims) -> Problem:
    return Problem.from_dims(dims, name="big")


def test_a_dim_beyond_the_maximum_is_rejected_up_front():
    with pytest.raises(MapspaceTooLargeError, match="2\\*\\*40"):
        check_problem_size(_problem(C=MAX_DIM_BOUND * 2))
    check_problem_size(_problem(C=MAX_DIM_BOUND))


def test_too_many_factorisations_is_a_clear_error_before_building(deep_arch):
    problem = _problem(C=2 ** 16, M=2 ** 16)
    allowed = allowed_factors(deep_arch, problem)
    start = time.perf_counter()
    with pytest.raises(MapspaceTooLargeError) as info:
        factor_tables(deep_arch, problem, allowed, max_rows=1000)
    assert time.perf_counter() - start < 5.0
    text = str(info.value)
    assert "mapspace too large" in text and "limit 1,000" in text and "factors_only" in text


@pytest.fixture
def deep_arch():
    """Five storage levels, each keeping every tensor: many loop slots, no constraints."""
    from cimdse.mapping.arch import build_arch
    from .helpers import make_design, node
    levels = [node(f"l{i}", keep=("Inputs", "Weights", "Outputs")) for i in range(5)]
    return build_arch(make_design(levels))


class _Overflowing(ComponentModel):
    """A model whose energy overflows, standing in for any out-of-range formula."""

    name = "test_overflowing_model"
    source = "test"

    def energy_pj(self, action, stats=None):
        return math.inf if action == "read" else 0.0

    def area_um2(self):
        return math.nan


register(_Overflowing)


def _design_with(cls: str) -> Design:
    node = Node(name="broken", kind="component", cls=cls, attributes={}, mesh_x=1, mesh_y=1,
                temporal_reuse=frozenset({"Weights"}), coalesce=frozenset(),
                no_coalesce=frozenset(), spatial_reuse=frozenset(), constraints=Constraints(),
                instances=1, parents=(), location=Location("x.yaml", 3, 1, "arch.nodes[0]"))
    return Design(name="d", variables={}, nodes=(node,))


def test_non_finite_model_output_names_the_component():
    with pytest.raises(PricingError, match="component 'broken'.*energy per read"):
        build_action_table(_design_with(_Overflowing.name))


def test_non_finite_totals_name_the_component():
    result = NetworkResult("d", "w", [], {"adc": math.inf, "cell": 1.0}, 1, 0)
    with pytest.raises(MappingError, match="area .*component 'adc'"):
        check_finite(result)
    fine = NetworkResult("d", "w", [], {"adc": 2.0}, 1, 0)
    check_finite(fine)
