"""Case studies Fig. 12 (Macro A, outputs reused over adjacent columns) and
Fig. 13 (Macro B, analog-adder width vs weight bits): sweep files, the
findings on reduced grids (fast), and the scripts end to end (slow)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import cimdse
from cimdse.dse import load_sweep, run_sweep
from cimdse.dse.checks import check_bindings, check_workloads

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "configs" / "sweeps"
FIG12, FIG13 = "fig12_jia_column_reuse", "fig13_sinangil_adder_width"


def _script(name: str):
    sys.path.insert(0, str(REPO / "experiments"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


@pytest.mark.parametrize("name, params, workloads", [
    (FIG12, {"N_FOLDED_COLUMNS": list(range(1, 9))}, ["max_utilization", "resnet18"]),
    (FIG13, {"CIM_UNIT_WIDTH_CELLS": [1, 2, 4, 8], "WEIGHT_BITS": list(range(1, 9))},
     ["max_utilization"]),
])
def test_sweep_file_loads(name, params, workloads):
    sweep = load_sweep(SWEEPS / f"{name}.yaml")
    assert sweep.name == name
    assert sweep.sampler.name == "grid"
    assert {p.name: p.grid_values() for p in sweep.parameters} == params
    assert [w.name for w in sweep.workloads] == workloads
    n_grid = 1
    for values in params.values():
        n_grid *= len(values)
    assert sweep.trials == n_grid
    check_bindings(sweep)       # every grid edge loads the macro
    check_workloads(sweep)      # max_utilization is accepted as a sweep workload


def test_macro_parameters_keep_the_published_design():
    jia = cimdse.load(REPO / "configs/macros/jia_jssc_2020.yaml")
    assert jia.variables["N_FOLDED_COLUMNS"] == 3 and jia.variables["N_ADC_COLUMNS"] == 256
    # 4 column groups of 192 columns: a fold never spans two groups
    assert cimdse.load(REPO / "configs/macros/jia_jssc_2020.yaml",
                       overrides={"N_FOLDED_COLUMNS": 5}).variables["N_ADC_COLUMNS"] == 4 * 38
    sin = cimdse.load(REPO / "configs/macros/sinangil_jssc_2021.yaml")
    assert sin.variables["CIM_UNIT_WIDTH_CELLS"] == 4 and sin.variables["N_WEIGHT_SLICES"] == 1
    # an 8b weight in a 4-cell unit takes two columns; a 2b one leaves two cells unused
    wide = cimdse.load(REPO / "configs/macros/sinangil_jssc_2021.yaml",
                       overrides={"WEIGHT_BITS": 8})
    assert wide.variables["N_WEIGHT_SLICES"] == 2


def test_fig13_finding_full_grid(tmp_path):
    """The whole Fig. 13 grid evaluates in seconds in-process."""
    mod = _script(FIG13)
    run_sweep(SWEEPS / f"{FIG13}.yaml", tmp_path / "r", executor="serial")
    designs = cimdse.read_results(tmp_path / "r")
    assert (designs["status"] == "ok").all() and len(designs) == 32
    density = mod.density_table(designs)
    result = mod.finding(density)
    assert result["best_width"] == {1: 1, 2: 2, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 8: 4}
    assert result["tracks_weight_bits"] and not result["widest_ever_best"]
    # a width's density is flat while the weight fits it (unused cells), then
    # falls with the number of columns a weight takes
    for w in (1, 2, 4, 8):
        col = density[w]
        for b in col.index:
            slices = -(-b // w)
            assert col[b] == pytest.approx(col[1] / slices, rel=1e-9)
    areas = mod.area_table(designs)
    assert areas["ADCs (um2)"].is_monotonic_decreasing
    assert areas["binary-weighting capacitors (um2)"].idxmax() == 8


def test_fig12_finding_reduced(tmp_path):
    """Fig. 12 on the max-utilization layer and one ResNet-18 3x3 layer (C = 256):
    output processing per MAC falls and input processing rises with the number of
    columns sharing an output; the 3x3 layer favours three columns (3 x 768 rows
    = 3 x 3 x 256 products per conversion)."""
    mod = _script(FIG12)
    text = (SWEEPS / f"{FIG12}.yaml").read_text()
    text = text.replace("spec: ../macros/", f"spec: {REPO / 'configs' / 'macros'}/")
    text = text.replace("  - resnet18               # the whole network",
                        "  - {name: resnet18, layers: [layer3.1.conv1]}")
    sweep = tmp_path / "fig12_reduced.yaml"
    sweep.write_text(text)
    run_sweep(sweep, tmp_path / "r", executor="serial")
    designs = cimdse.read_results(tmp_path / "r")
    layers = cimdse.read_results(tmp_path / "r", layers=True)
    assert (designs["status"] == "ok").all() and len(designs) == 8
    table = mod.energy_table(designs, layers)
    mu = table.loc["max_utilization"]
    assert mu["Output processing (fJ/MAC)"].is_monotonic_decreasing
    assert mu["Input processing (fJ/MAC)"].is_monotonic_increasing
    assert (mu["utilization"] > 0.95).all()
    res = table.loc["resnet18[layer3.1.conv1]", "energy_per_mac_fj"]
    assert res.idxmin() == 3


def _assert_fig12(result):
    assert result["best_resnet18"] == 3
    assert result["margin_resnet18"] > 0.01          # uniquely best, not a tie
    assert result["max_util_output_processing_falls"]
    assert result["max_util_input_processing_rises"]


@pytest.mark.slow
def test_fig12_end_to_end(tmp_path):
    result = _script(FIG12).main(["--out", str(tmp_path / FIG12), "--num-cpus", "2"])
    _assert_fig12(result)
    assert (tmp_path / FIG12 / f"{FIG12}.png").stat().st_size > 0
    assert any((tmp_path / FIG12 / "layers").glob("part-*.parquet"))


@pytest.mark.slow
def test_fig13_end_to_end(tmp_path):
    result = _script(FIG13).main(["--out", str(tmp_path / FIG13), "--num-cpus", "2"])
    assert result["best_width"] == {1: 1, 2: 2, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 8: 4}
    assert not result["widest_ever_best"]
    assert (tmp_path / FIG13 / f"{FIG13}.png").stat().st_size > 0
