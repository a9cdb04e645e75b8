"""ISAAC, RAELLA and the digital baseline (configs/macros): they run a
full-array layer, scale with the shared variables, and their MAC count
and throughput equal the hand-computed array parallelism x clock."""

from __future__ import annotations

import json

import pytest

import cimdse
from cimdse.cli import main

from macro_helpers import MACROS

NEW = ("isaac_isca_2016", "raella_isca_2023", "digital_baseline")


@pytest.mark.parametrize("name", NEW)
def test_max_utilization_fills_the_array(name):
    result = cimdse.evaluate(MACROS / f"{name}.yaml")
    # RAELLA: 170 weights x 3 slices fill 510 of 512 columns
    assert result.utilization >= 510 / 512
    assert result.energy_pj > 0 and result.area_mm2 > 0


@pytest.mark.parametrize("name", NEW)
def test_lower_voltage_less_energy_slower(name, peak):
    nominal, low = peak(name), peak(name, VOLTAGE=0.9)
    assert low.macs == nominal.macs
    assert low.energy_pj < nominal.energy_pj
    assert low.tops < nominal.tops
    assert low.area_mm2 == pytest.approx(nominal.area_mm2, rel=0.1)


@pytest.mark.parametrize("name", NEW)
def test_smaller_node_less_energy_and_area(name, peak):
    nominal, small = peak(name), peak(name, TECHNOLOGY=7)
    assert small.energy_pj < nominal.energy_pj
    assert small.area_mm2 < nominal.area_mm2
    assert small.macs == nominal.macs


@pytest.mark.parametrize("name, bits", [("isaac_isca_2016", (4, 8, 16)),
                                        ("raella_isca_2023", (2, 4, 8)),
                                        ("digital_baseline", (4, 8))])
def test_energy_per_mac_grows_with_input_bits(name, bits, peak):
    per_mac = [peak(name, INPUT_BITS=b).energy_per_mac_fj for b in bits]
    assert per_mac == sorted(per_mac) and len(set(per_mac)) == len(per_mac)


def test_isaac_parallelism_and_clock(peak):
    r = peak("isaac_isca_2016")
    # 8 crossbars x 128 rows x (128 columns / 8 two-bit slices of a 16b weight)
    assert r.macs == 8 * 128 * 16
    # one 1b input slice per crossbar read: 16 reads of 128 / 1.28 GS/s = 100 ns
    assert r.cycles == 16
    assert r.latency_s == pytest.approx(16 * 100e-9)
    assert r.tops == pytest.approx(2 * 8 * 128 * 16 / 16 / 100e-9 / 1e12)
    # one ADC conversion per column and read: 8 x 128 x 16
    assert r.layers[0].actions["adc"]["read"] == 8 * 128 * 16


def test_raella_parallelism_clock_and_speculation(peak):
    spec, plain = peak("raella_isca_2023"), peak("raella_isca_2023", SPECULATION_ENABLED=0)
    # 4 crossbars x 512 rows x (512 columns // 3 three-bit slices of an 8b weight)
    assert spec.macs == plain.macs == 4 * 512 * (512 // 3)
    # 8 one-bit input slices, one 100 ns activation each; speculation: 11/8 of it
    assert plain.latency_s == pytest.approx(8 * 100e-9)
    assert spec.latency_s == pytest.approx(8 * 100e-9 * 11 / 8)
    assert plain.tops == pytest.approx(2 * 4 * 512 * 170 / 800e-9 / 1e12)
    # speculation: ADC energy x 0.42, cell energy x 2.5 (CiMLoop raella_isca_2023)
    adc = lambda r: r.layers[0].energy_breakdown["adc"]  # noqa: E731
    cell = lambda r: r.layers[0].energy_breakdown["cell"]  # noqa: E731
    assert adc(spec) == pytest.approx(0.42 * adc(plain))
    assert cell(spec) == pytest.approx(2.5 * cell(plain))


def test_raella_signed_inputs_take_two_activations(peak):
    plain, signed = peak("raella_isca_2023"), peak("raella_isca_2023", SIGNED_INPUTS=1)
    adc = lambda r: r.layers[0].energy_breakdown["adc"]  # noqa: E731
    assert adc(signed) == pytest.approx(2 * adc(plain))


def test_digital_baseline_parallelism_and_clock(peak):
    r = peak("digital_baseline")
    assert r.macs == 12 * 14 and r.cycles == 1
    assert r.tops == pytest.approx(2 * 12 * 14 * 200e6 / 1e12)      # 168 MACs at 200 MHz
    assert r.layers[0].actions["mac"]["compute"] == 168
    # --set on the shared names resizes the PE array
    bigger = peak("digital_baseline", ARRAY_ROWS=16, ARRAY_COLS=16)
    assert bigger.macs == 256 and bigger.tops == pytest.approx(2 * 256 * 200e6 / 1e12)


def test_macros_command_lists_new_macros(capsys):
    assert main(["macros", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(NEW) <= set(rows)
    assert (rows["isaac_isca_2016"]["array_rows"], rows["isaac_isca_2016"]["technology_nm"]) \
        == (128, 32)
    assert rows["raella_isca_2023"]["array_cols"] == 512
    assert rows["digital_baseline"]["paper"].startswith("Chen et al.")


@pytest.mark.slow
@pytest.mark.parametrize("name", NEW)
def test_resnet18_runs(name):
    result = cimdse.evaluate(MACROS / f"{name}.yaml", workload="resnet18")
    assert result.macs == 1_814_073_344
    assert 0 < result.utilization <= 1 and result.tops_per_w > 0
