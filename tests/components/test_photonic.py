"""Formulas of the photonic component models against hand-computed cases."""

from __future__ import annotations

import math

import pytest

from cimdse.components import ComponentAttributeError, get_model
from cimdse.components.photonic import ELECTRON_CHARGE, shot_noise_energy_j


def make(name, **attrs):
    return get_model(name)(attrs)


def test_shot_noise_detector_energy_is_q_4_to_the_bits_over_responsivity():
    assert shot_noise_energy_j(8, 1.0) == pytest.approx(1.602176634e-19 * 65536)
    # one more bit needs 4x the photo-electrons; half the responsivity 2x the light
    assert shot_noise_energy_j(9, 1.0) == pytest.approx(4 * shot_noise_energy_j(8, 1.0))
    assert shot_noise_energy_j(8, 0.5) == pytest.approx(2 * shot_noise_energy_j(8, 1.0))


def test_laser_link_budget_hand_case():
    laser = make("laser", loss_db=10.0, lanes_per_detector=9, cycle_seconds=0.2e-9)
    e_det = ELECTRON_CHARGE * 4 ** 8                     # 1.0500e-14 J
    p_opt = e_det / 9 / 0.2e-9 * 10.0                    # 5.833e-5 W
    assert laser.optical_power_w() == pytest.approx(p_opt)
    assert laser.leak_power_w() == pytest.approx(p_opt / 0.2)          # 2.917e-4 W
    assert laser.energy_pj("leak") == pytest.approx(p_opt / 0.2 * 0.2e-9 * 1e12)
    assert laser.energy_pj("read") == 0.0                # continuous: all static


def test_laser_power_follows_loss_efficiency_and_rate():
    base = make("laser", loss_db=3.0, cycle_seconds=1e-9)
    assert make("laser", loss_db=13.0, cycle_seconds=1e-9).leak_power_w() == \
        pytest.approx(10 * base.leak_power_w())          # +10 dB -> 10x
    assert make("laser", loss_db=3.0, cycle_seconds=1e-9, wall_plug_efficiency=0.1) \
        .leak_power_w() == pytest.approx(2 * base.leak_power_w())
    # fixed energy per sample at the detector: power ~ sample rate
    assert make("laser", loss_db=3.0, cycle_seconds=0.5e-9).leak_power_w() == \
        pytest.approx(2 * base.leak_power_w())


def test_laser_per_sample_charges_reads_not_leak():
    laser = make("laser", detector_energy=8e-18, operation="per_sample", cycle_seconds=1e-11)
    assert laser.energy_pj("read") == pytest.approx(8e-18 / 0.2 * 1e12)   # 4e-5 pJ
    assert laser.energy_pj("leak") == 0.0
    with pytest.raises(ComponentAttributeError, match="operation"):
        make("laser", operation="pulsed")


@pytest.mark.parametrize("name", ["mzm", "mrr"])
def test_modulator_symbol_energy_and_thermal_tuning(name):
    mod = make(name, capacitance=100e-15, drive_voltage=2.0, heater_power_pi=20e-3,
               tuning_phase=0.5, cycle_seconds=0.2e-9)
    assert mod.energy_pj("read") == pytest.approx(100e-15 * 4.0 / 4 * 1e12)   # 0.1 pJ
    assert mod.leak_power_w() == pytest.approx(10e-3)
    assert mod.energy_pj("leak") == pytest.approx(10e-3 * 0.2e-9 * 1e12)       # 2 pJ
    assert mod.energy_pj("write") == 0.0


def test_mzm_defaults_to_quadrature_bias():
    assert make("mzm", heater_power_pi=20e-3).leak_power_w() == pytest.approx(10e-3)
    assert make("mrr", heater_power_pi=20e-3).leak_power_w() == pytest.approx(2e-3)


def test_photodetector_bias_energy_hand_case():
    pd = make("photodetector", cycle_seconds=0.2e-9)
    expected = 1.0 * (ELECTRON_CHARGE * 65536 + 10e-9 * 0.2e-9) * 1e12
    assert pd.energy_pj("read") == pytest.approx(expected)     # 0.010502 pJ
    assert pd.energy_pj("update") == pytest.approx(expected)
    assert make("photodetector", detector_energy=1e-15, bias_voltage=2.0, dark_current=0.0) \
        .energy_pj("read") == pytest.approx(2e-3)


def test_tia_energy_per_sample_hand_case():
    tia = make("tia", technology=7, voltage=0.8)
    assert tia.energy_pj("read") == pytest.approx(math.pi / 2 * 10 * 20e-15 * 0.15 * 0.8 * 1e12)
    assert tia.energy_pj("read") == pytest.approx(0.03770, rel=1e-3)
    # E ~ gain x C_in: doubling both quadruples it
    assert make("tia", technology=7, voltage=0.8, gain=20, input_capacitance=40e-15) \
        .energy_pj("read") == pytest.approx(4 * tia.energy_pj("read"))


def test_passive_couplers_areas_and_no_energy():
    star = make("star_coupler", ports=7, port_pitch=73.2)
    assert star.area_um2() == pytest.approx((7 * 73.2) ** 2)
    assert make("awg", ports=7, port_pitch=73.2).area_um2() == pytest.approx(4 * star.area_um2())
    assert all(star.energy_pj(a) == 0.0 for a in ("read", "write", "update", "leak"))
    assert star.splitting_loss_db() == pytest.approx(10 * math.log10(7))
