"""Published macro specs (configs/macros): shared variables, fast peak runs,
scaling from the circuit models, and the `cimdse macros` listing."""

from __future__ import annotations

import json

import pytest

import cimdse
from cimdse.cli import main
from cimdse.validation import list_macros, macro_info, macro_path, macros_dir

from macro_helpers import MACROS, SHARED

IMPLEMENTED = ("jia_jssc_2020", "sinangil_jssc_2021", "wan_nature_2022", "wang_vlsi_2022",
               "colonnade_jssc_2021")
#: every shipped macro spec, so a new one is checked without being listed here
SHIPPED = tuple(sorted(p.stem for p in MACROS.glob("*.yaml")))


@pytest.mark.parametrize("name", SHIPPED)
def test_macro_has_shared_variables_header_and_description(name):
    path = MACROS / f"{name}.yaml"
    design = cimdse.load(path)
    missing = [v for v in SHARED if v not in design.variables]
    assert not missing, f"{name} lacks {missing}"
    text = path.read_text()
    assert text.startswith("# paper:")
    info = macro_info(path)
    assert info.paper and info.description and info.name == name


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_voltage_override_scales_energy_and_speed(name, peak):
    nominal = peak(name)
    v0 = cimdse.load(MACROS / f"{name}.yaml").variables["VOLTAGE"]
    low = peak(name, VOLTAGE=round(0.9 * v0, 4))
    # a full array (Colonnade: 8 weights x 15 bits fill 120 of 128 columns)
    assert nominal.utilization >= 120 / 128
    assert nominal.macs == low.macs > 0
    # lower supply: less energy per MAC, slower cycle (circuit models, not a constant)
    assert low.energy_pj < nominal.energy_pj
    assert low.tops < nominal.tops
    assert low.area_mm2 == pytest.approx(nominal.area_mm2, rel=0.05)


def test_throughput_follows_cycle_model(peak):
    # Wang: 64 x 16 8b MACs per R-2R settling cycle, 6.9 ns (0.7/V)^1.1 (CiMLoop)
    r = peak("wang_vlsi_2022")
    assert r.tops == pytest.approx(2 * 64 * 16 / (6.9e-9 * 0.7 ** 1.1) / 1e12, rel=1e-6)
    # Wan: more input bits -> more integration / ADC steps -> slower
    assert peak("wan_nature_2022", INPUT_BITS=4, OUTPUT_BITS=6).tops < \
        peak("wan_nature_2022", INPUT_BITS=2, OUTPUT_BITS=4).tops


def test_bits_scale_jia_bit_serial(peak):
    one = peak("jia_jssc_2020", INPUT_BITS=1, WEIGHT_BITS=1, OUTPUT_BITS=1)
    eight = peak("jia_jssc_2020")
    # bit-serial inputs: 8 cycles; bit-sliced weights: 8x fewer weights per array
    assert eight.cycles == 8 * one.cycles
    assert eight.macs * 8 == one.macs
    assert eight.energy_per_mac_fj > 8 * one.energy_per_mac_fj


def test_macros_command_lists_every_macro(capsys):
    assert main(["macros"]) == 0
    out = capsys.readouterr().out
    for name in IMPLEMENTED:
        assert name in out
    assert "768x768" in out and "65 nm" in out
    assert main(["macros", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(IMPLEMENTED) <= set(rows)
    wang = rows["wang_vlsi_2022"]
    assert (wang["array_rows"], wang["array_cols"], wang["technology_nm"]) == (512, 128, 22)
    assert wang["paper"].startswith("Wang et al.")
    assert "C-2C" in wang["description"]


def test_macros_dir_found_from_elsewhere(tmp_path, monkeypatch):
    monkeypatch.delenv("CIMDSE_MACROS", raising=False)
    monkeypatch.chdir(tmp_path)          # no configs/ here: falls back next to the package
    assert macros_dir() == MACROS
    assert macro_path("wang_vlsi_2022") == MACROS / "wang_vlsi_2022.yaml"
    own = tmp_path / "configs" / "macros"
    own.mkdir(parents=True)
    (own / "x.yaml").write_text((MACROS / "sinangil_jssc_2021.yaml").read_text())
    assert macros_dir() == own           # the current directory's configs win
    assert [m.name for m in list_macros()] == ["sinangil_jssc_2021"]
