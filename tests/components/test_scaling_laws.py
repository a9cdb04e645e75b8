"""Each voltage / precision law of cimdse.components.scaling against a case
computed by hand (numbers in the comments)."""

import math

import pytest

from cimdse.components.registry import get_model
from cimdse.components.scaling import (dynamic_energy_factor, gate_delay_factor,
                                       leakage_current_factor, leakage_power_factor,
                                       threshold_voltage_v)


def model(cls, **attrs):
    return get_model(cls)(attrs)


def test_dynamic_energy_is_cv2_at_two_voltages():
    # (0.6 / 0.8)^2 = 0.5625
    assert dynamic_energy_factor(0.6, 0.8) == pytest.approx(0.5625)
    # 1-bit adder: 0.21/32 pJ at 40 nm, 0.9 V; 0.6 V / 0.9 V -> (2/3)^2 = 0.4444
    lo = model("adder", width=1, technology=40, voltage=0.6).energy_pj("read")
    hi = model("adder", width=1, technology=40, voltage=0.9).energy_pj("read")
    assert hi == pytest.approx(0.21 / 32)
    assert lo / hi == pytest.approx(4 / 9)


def test_leakage_current_and_power_follow_dibl():
    # exp(0.1 x 0.1 / (1.5 x 0.02585)) = exp(0.257898) = 1.294207; x 0.9/0.8 = 1.455983
    assert leakage_current_factor(0.9, 0.8) == pytest.approx(1.294207, rel=1e-6)
    assert leakage_power_factor(0.9, 0.8) == pytest.approx(1.455983, rel=1e-6)
    # an SRAM cell's leakage (given at the 0.8 V nominal) at 0.9 V
    at = lambda v: model("sram_cell", cell_file="sram_example.cell", technology=65,  # noqa: E731
                         voltage=v, nominal_voltage=0.8).leak_power_w()
    assert at(0.9) / at(0.8) == pytest.approx(1.455983, rel=1e-6)
    # no nominal given: the parameters hold at the operating supply
    plain = model("sram_cell", cell_file="sram_example.cell", technology=65, voltage=0.8)
    assert plain.leak_power_w() == pytest.approx(at(0.8), rel=1e-12)


def test_alpha_power_delay_at_two_voltages():
    # 65 nm: V_th = 0.423 V (PTM vth0), alpha = 1.3
    # 0.7 / 0.277^1.3 = 0.7 / 0.188461 = 3.71430 ; 0.8 / 0.377^1.3 = 0.8 / 0.281362 = 2.84331
    assert threshold_voltage_v(65) == pytest.approx(0.423)
    assert gate_delay_factor(0.7, 0.8, 65) == pytest.approx(3.71430 / 2.84331, rel=1e-4)
    assert gate_delay_factor(0.8, 0.8, 65) == 1.0
    with pytest.raises(ValueError):
        gate_delay_factor(0.4, 0.8, 65)


def test_digital_leak_moves_with_the_leakage_law_not_the_clock():
    # leak = 1 % x E_op(nominal) / nominal cycle, x the DIBL power factor
    kw = dict(width=8, technology=40, leak_fraction=0.01)
    nominal = model("adder", voltage=0.8, cycle_seconds=1e-9, **kw)
    cycle_09 = 1e-9 * gate_delay_factor(0.9, 0.8, 40)
    off = model("adder", voltage=0.9, nominal_voltage=0.8, cycle_seconds=cycle_09, **kw)
    assert off.leak_power_w() / nominal.leak_power_w() == pytest.approx(
        leakage_power_factor(0.9, 0.8), rel=1e-9)


def test_adder_shift_add_and_tree_energy_scale_with_bit_width():
    e = lambda cls, **a: model(cls, technology=40, voltage=0.9, **a).energy_pj("read")  # noqa: E731
    per_bit = 0.21 / 32
    assert e("adder", width=16) == pytest.approx(16 * per_bit)
    assert e("adder", width=16) == pytest.approx(2 * e("adder", width=8))
    # 4-input tree of 8-bit operands: 2 adders of 8 b + 1 of 9 b = 25 adder bits
    assert e("adder_tree", width=8, n_inputs=4) == pytest.approx(25 * per_bit)
    # shift-add: adder + register bit (0.009 pJ at 45 nm) per bit: linear in width
    assert e("shift_add", width=24) == pytest.approx(3 * e("shift_add", width=8))
    assert e("register", width=12) == pytest.approx(12 / 4 * e("register", width=4))
    assert math.isfinite(e("register", width=1))
