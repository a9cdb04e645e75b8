"""Case studies Fig. 14 (Macro C array size) and Fig. 16 (Macros A, B, D on
common ground): sweep files load and bind; a reduced model check of each
finding runs fast; the end-to-end scripts (marked slow) reproduce them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import cimdse
from cimdse.dse.checks import check_bindings, check_workloads
from cimdse.dse.parser import load_sweep

REPO = Path(__file__).resolve().parents[2]
SWEEPS = REPO / "configs" / "sweeps"
FIG14 = SWEEPS / "fig14_wan_array_size.yaml"
FIG16 = {k: SWEEPS / f"fig16_scaled_macros_{k}.yaml" for k in "abd"}


def _script(name: str):
    path = REPO / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_fig14_sweep_file_loads():
    sweep = load_sweep(FIG14)
    check_bindings(sweep)
    check_workloads(sweep)
    assert sweep.spec_path.name == "wan_nature_2022.yaml"
    assert sweep.sampler.name == "grid"
    assert [w.name for w in sweep.workloads] == ["max_utilization", "vit_b16", "resnet18",
                                                 "mobilenet_v3_large"]
    (param,) = sweep.parameters
    assert param.bind == "ARRAY_ROWS" and param.grid_values() == [64, 128, 256, 512, 1024]
    assert sweep.trials == len(param.grid_values())
    # the array is square: ARRAY_COLS follows ARRAY_ROWS
    design = cimdse.load(sweep.spec_path, {**sweep.overrides, "ARRAY_ROWS": 128})
    assert design.node("cell").instances == 128 * 128


@pytest.mark.parametrize("key", sorted(FIG16))
def test_fig16_sweep_files_load(key):
    sweep = load_sweep(FIG16[key])
    check_bindings(sweep)
    check_workloads(sweep)
    assert sweep.sampler.name == "grid"
    grid = {p.name: p.grid_values() for p in sweep.parameters}
    assert grid == {"INPUT_BITS": list(range(1, 9)), "WEIGHT_BITS": list(range(1, 9))}
    assert sweep.trials == 64


def test_fig16_common_overrides_identical():
    """The three macros differ only in their spec and name, not in what is made common."""
    sweeps = [load_sweep(p) for p in FIG16.values()]
    assert all(s.overrides == sweeps[0].overrides for s in sweeps)
    assert sweeps[0].overrides["TECHNOLOGY"] == 7
    assert sweeps[0].overrides["ADC_RESOLUTION"] == 8
    assert sweeps[0].overrides["CELL"] == "sram_example.cell"


def _fig16_energy(key: str, input_bits: int, weight_bits: int) -> float:
    sweep = load_sweep(FIG16[key])
    design = cimdse.load(sweep.spec_path, {**sweep.overrides, "INPUT_BITS": input_bits,
                                           "WEIGHT_BITS": weight_bits})
    return cimdse.evaluate(design, workload="max_utilization").energy_per_mac_fj


def test_fig16_reduced_finding():
    """Corners of the bit grid: A scales with both bit widths and wins at 1b x 1b;
    B is flat up to its 4b hardware; D's 8b hardware does not grow with bits;
    the best macro changes with precision."""
    e = {(k, b): _fig16_energy(k, b, b) for k in "abd" for b in (1, 4, 8)}
    # Macro A: bit-serial x bit-sliced -> ~ input bits x weight bits
    assert e[("a", 8)] / e[("a", 1)] > 30
    assert e[("a", 4)] / e[("a", 1)] > 8
    # Macro B: one pulse train and one 4-cell unit cover up to 4b
    assert e[("b", 4)] / e[("b", 1)] < 1.2
    assert e[("b", 8)] / e[("b", 4)] > 3
    # Macro D: the same 8b DAC and C-2C ladder at every precision
    assert 0.5 < e[("d", 8)] / e[("d", 1)] < 2
    best = {b: min("abd", key=lambda k: e[(k, b)]) for b in (1, 4, 8)}
    assert best[1] == "a"
    assert best[4] != "a"


def test_fig14_reduced_finding():
    """At maximum utilization a larger Macro C array spends less per MAC."""
    sweep = load_sweep(FIG14)
    energy = []
    for rows in (64, 256):
        design = cimdse.load(sweep.spec_path, {**sweep.overrides, "ARRAY_ROWS": rows})
        energy.append(cimdse.evaluate(design, workload="max_utilization").energy_per_mac_fj)
    assert energy[1] < energy[0] / 2


@pytest.mark.slow
def test_fig14_end_to_end(tmp_path):
    result = _script("fig14_wan_array_size").main(["--out", str(tmp_path / "fig14")])
    assert (tmp_path / "fig14" / "fig14_wan_array_size.png").exists()
    best = result["best_array"]
    # max utilization: the largest array, energy falling monotonically
    assert result["max_util_monotonic"]
    assert best["max_utilization"] == result["largest"]
    # real DNNs: smaller, workload-dependent optima
    assert best["resnet18"] < result["largest"]
    assert best["mobilenet_v3_large"] < best["resnet18"]
    util = result["utilization_at_largest"]
    assert util["mobilenet_v3_large"] < util["resnet18"] <= util["vit_b16"] + 0.05


@pytest.mark.slow
def test_fig16_end_to_end(tmp_path):
    result = _script("fig16_scaled_macros").main(["--out", str(tmp_path / "fig16")])
    assert (tmp_path / "fig16" / "fig16_scaled_macros.png").exists()
    scale = result["scale_8x8_over_1x1"]
    assert scale["a"] > 30                       # ~ input bits x weight bits
    assert scale["a"] > scale["b"] > scale["d"]  # D's 8b hardware is the flattest
    assert result["best_at"]["1w x 1i"] == "a"
    assert result["n_winners"] >= 2              # the best macro depends on precision
