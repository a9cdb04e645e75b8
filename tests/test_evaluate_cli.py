"""`cimdse evaluate` end to end: the JSON contract and compulsory traffic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cimdse
from cimdse.cli import main
from cimdse.workload import get_network

REPO = Path(__file__).resolve().parents[1]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"
CONTRACT = ("energy_pj", "macs", "energy_per_mac_fj", "cycles", "latency_s", "tops",
            "tops_per_w", "area_mm2", "tops_per_mm2", "utilization")


@pytest.fixture(scope="module")
def resnet18_json():
    import io
    from contextlib import redirect_stdout
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["evaluate", str(FIG5), "--workload", "resnet18", "--json"]) == 0
    return json.loads(out.getvalue())


def test_json_has_contract_fields(resnet18_json):
    for key in CONTRACT:
        assert isinstance(resnet18_json[key], (int, float)), key
    breakdown = resnet18_json["breakdown"]
    assert set(breakdown) >= {"energy_pj", "area_um2", "actions"}
    assert sum(breakdown["energy_pj"].values()) == pytest.approx(resnet18_json["energy_pj"])
    assert sum(breakdown["area_um2"].values()) / 1e6 == pytest.approx(resnet18_json["area_mm2"])
    assert resnet18_json["tops"] == pytest.approx(
        2 * resnet18_json["macs"] / resnet18_json["latency_s"] / 1e12)
    assert len(resnet18_json["layers"]) == 21


def test_compulsory_traffic_bounds(resnet18_json):
    design = cimdse.load(FIG5)
    x, y = design.variables["N_INPUT_SLICES"], design.variables["N_WEIGHT_SLICES"]
    net = get_network("resnet18")
    weights = sum(layer.tensor_size("Weights") for layer in net.layers)
    inputs = sum(layer.tensor_size("Inputs") for layer in net.layers)
    outputs = sum(layer.tensor_size("Outputs") for layer in net.layers)
    actions = resnet18_json["breakdown"]["actions"]
    # every weight slice is written into the cells at least once
    assert actions["cell"]["write"] >= weights * y
    # every input slice enters the buffer at least once; every output leaves it
    assert actions["buffer"]["write"] >= inputs * x
    assert actions["buffer"]["update"] >= outputs
    # one compute per MAC per (input slice, weight slice) pair
    assert actions["cell"]["compute"] == net.macs * x * y
    assert resnet18_json["macs"] == net.macs


def test_max_utilization_default_fills_the_array():
    result = cimdse.evaluate(FIG5)
    design = cimdse.load(FIG5)
    rows, cols, y = (design.variables[k] for k in ("ROWS", "COLS", "N_WEIGHT_SLICES"))
    assert result.macs == rows * (cols // y)
    assert result.utilization == pytest.approx(1.0)


def test_impossible_buffer_fails_fast_naming_it(capsys):
    code = main(["evaluate", str(FIG5), "--workload", "resnet18", "--layer", "0",
                 "--set", "buffer.size=1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "buffer" in err and "Traceback" not in err
