"""Technology and voltage scaling functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimdse.components.scaling import (NODES_NM, alpha_power_delay_factor, feature_area_um2,
                                       node_area, node_energy, scale_energy, tech_area_factor,
                                       tech_energy_factor, voltage_energy_factor)


def test_tabulated_points():
    # Stillmaker & Baas 2017 area table, 45 nm row
    assert tech_area_factor(45, 32) == pytest.approx(0.46)
    assert tech_area_factor(45, 7) == pytest.approx(0.059)
    assert tech_area_factor(45, 130) == pytest.approx(6.4)
    # energy fit at 0.8 V: 65 nm a V^2 + b V + c = 3.755*0.64 - 4.398*0.8 + 1.975
    e65 = 3.755 * 0.64 - 4.398 * 0.8 + 1.975
    e45 = 1.103 * 0.64 - 0.362 * 0.8 + 0.2767
    assert tech_energy_factor(65, 45) == pytest.approx(e45 / e65)
    assert tech_energy_factor(22, 22) == 1.0 and tech_area_factor(90, 90) == 1.0


def test_monotone_and_interpolated():
    nodes = sorted(NODES_NM)
    assert np.all(np.diff([node_area(n) for n in nodes]) > 0)
    assert np.all(np.diff([node_energy(n) for n in nodes]) > 0)
    # 22 nm lies strictly between 20 and 32 nm
    assert node_area(20) < node_area(22) < node_area(32)
    assert node_energy(20) < node_energy(22) < node_energy(32)


@settings(max_examples=50, deadline=None)
@given(st.floats(7, 180), st.floats(7, 180), st.floats(7, 180))
def test_factors_are_transitive(a, b, c):
    assert tech_area_factor(a, b) * tech_area_factor(b, c) == pytest.approx(tech_area_factor(a, c))
    assert tech_energy_factor(a, b) * tech_energy_factor(b, c) == \
        pytest.approx(tech_energy_factor(a, c))


def test_range_is_checked():
    for bad in (5, 200, float("nan")):
        with pytest.raises(ValueError, match="7-180 nm"):
            tech_area_factor(45, bad)


def test_voltage_and_delay():
    assert voltage_energy_factor(0.5, 1.0) == pytest.approx(0.25)
    assert voltage_energy_factor(0.5, 1.0, exponent=1.7) == pytest.approx(0.5 ** 1.7)
    assert alpha_power_delay_factor(1.0, 1.0) == 1.0
    slow = alpha_power_delay_factor(0.6, 0.9, v_th=0.3, alpha=1.3)
    assert slow == pytest.approx((0.6 / 0.3 ** 1.3) / (0.9 / 0.6 ** 1.3))
    assert slow > 1
    with pytest.raises(ValueError):
        alpha_power_delay_factor(0.25, 0.9)
    with pytest.raises(ValueError):
        voltage_energy_factor(0.0, 1.0)
    assert scale_energy(1.0, from_nm=65, to_nm=65, from_v=1.2, to_v=0.6) == pytest.approx(0.25)


def test_feature_area():
    assert feature_area_um2(100, 10) == pytest.approx(0.01)
