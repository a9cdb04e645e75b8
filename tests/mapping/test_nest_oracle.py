"""Scalar reference vs the brute-force simulator on random small cases."""

import pytest

from cimdse.mapping.nest import analyze

from .brute import simulate
from .helpers import random_case


@pytest.mark.parametrize("seed", range(300))
def test_scalar_matches_brute_force(seed):
    arch, problem, mapping = random_case(seed)
    res = analyze(arch, problem, mapping)
    counts, tiles = simulate(arch, problem, mapping)
    assert res.tiles == tiles
    assert res.tensor_counts == counts, mapping.describe(arch)


try:
    from hypothesis import given, settings, strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:
    @settings(max_examples=60, deadline=None)
    @given(st.integers(min_value=1000, max_value=10 ** 9))
    def test_scalar_matches_brute_force_hypothesis(seed):
        arch, problem, mapping = random_case(seed)
        assert analyze(arch, problem, mapping).tensor_counts == \
            simulate(arch, problem, mapping)[0]
