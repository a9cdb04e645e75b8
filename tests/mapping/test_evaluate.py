"""ActionTable builder and whole-network evaluate() on the Fig. 5 macro."""

import dataclasses
import json
from pathlib import Path

import pytest

import cimdse
from cimdse.mapping import NoValidMappingError, SearchSettings, build_action_table, evaluate
from cimdse.mapping.arch import build_arch

from .helpers import make_design, node

FIG5 = Path(__file__).resolve().parents[2] / "configs" / "examples" / "fig5_macro.yaml"


def test_action_table_applies_scales():
    design = make_design([node("buf", keep=("Inputs",),
                               attrs={"read_energy": 2.0, "area": 5.0, "leak_power": 1e-3}),
                          node("mac", mesh=3, attrs={"compute_energy": 1.0})])
    nodes = list(design.nodes)
    nodes[0] = dataclasses.replace(nodes[0], energy_scale=3.0, area_scale=2.0)
    design = dataclasses.replace(design, nodes=tuple(nodes))
    t = build_action_table(design)
    assert t.pj("buf", "read") == 6.0 and t.area["buf"] == 10.0
    assert t.pj("buf", "leak") == pytest.approx(3.0 * 1e-3 * 1e-9 * 1e12)
    assert t.instances["mac"] == 3 and t.pj("mac", "compute") == 1.0
    # copies share the actions, but each has its area and leaks
    nodes[0] = dataclasses.replace(nodes[0], copies=4.0)
    t = build_action_table(dataclasses.replace(design, nodes=tuple(nodes)))
    assert t.pj("buf", "read") == 6.0 and t.area["buf"] == 40.0
    assert t.pj("buf", "leak") == pytest.approx(4 * 3.0 * 1e-3 * 1e-9 * 1e12)


@pytest.fixture(scope="module")
def fig5_result():
    design = cimdse.load(FIG5)
    settings = SearchSettings(algorithm="random", max_evaluations=40_000, progress=False)
    return design, evaluate(design, "resnet18", layer=1, settings=settings)


def test_fig5_result_has_the_contract_fields(fig5_result):
    _design, r = fig5_result
    d = r.to_dict()
    for key in ("energy_pj", "macs", "energy_per_mac_fj", "cycles", "latency_s", "tops",
                "tops_per_w", "area_mm2", "tops_per_mm2", "utilization"):
        assert isinstance(d[key], float | int) and d[key] > 0, key
    assert set(d["breakdown"]["energy_pj"]) == {"buffer", "adder", "dac_bank", "adc", "cell"}
    assert sum(d["breakdown"]["energy_pj"].values()) == pytest.approx(d["energy_pj"])
    json.dumps(d)


def test_fig5_counts_obey_compulsory_traffic(fig5_result):
    design, r = fig5_result
    x, y = design.variables["N_INPUT_SLICES"], design.variables["N_WEIGHT_SLICES"]
    assert r.macs == 64 * 64 * 56 * 56 * 9
    a = r.actions
    assert a["cell"]["compute"] == r.macs * x * y
    weights = 64 * 64 * 9 * y
    inputs = 64 * 58 * 58 * x
    outputs = 64 * 56 * 56
    assert a["cell"]["write"] >= weights  # every weight slice reaches a cell
    assert a["buffer"]["write"] >= inputs  # inputs fill the buffer at least once
    assert a["buffer"]["update"] >= outputs
    assert a["dac_bank"]["read"] >= inputs
    assert a["adc"]["read"] >= outputs
    assert r.utilization <= 1.0
    assert r.latency_s == pytest.approx(r.cycles * build_arch(design).cycle_seconds)


def test_too_small_buffer_in_a_spec_fails_fast_naming_it():
    design = cimdse.load(FIG5, overrides={"buffer.depth": 1, "buffer.width": 8})
    with pytest.raises(NoValidMappingError, match=r"layer 'conv1': buffer 'buffer' is too "
                                                  r"small for any tile"):
        evaluate(design, "resnet18")


def test_record_and_rows_are_consistent(fig5_result):
    _design, r = fig5_result
    rec = r.record()
    assert rec["energy_pj"] == r.energy_pj and "e.adc" in rec and "area.cell" in rec
    assert all(not isinstance(v, (dict, list)) for v in rec.values())
    rows = r.rows()
    assert sum(row["energy_pj"] for row in rows) == pytest.approx(r.energy_pj)


def test_summary_mentions_every_component(fig5_result):
    _design, r = fig5_result
    text = r.summary()
    assert all(c in text for c in ("buffer", "adder", "dac_bank", "adc", "cell"))


def test_energy_is_actions_times_table_plus_leak():
    from cimdse.mapping import Problem
    design = make_design([
        node("buf", keep=("Inputs", "Weights", "Outputs"),
             attrs={"read_energy": 1.0, "write_energy": 2.0, "update_energy": 3.0,
                    "leak_power": 1e-3}),
        node("pe", mesh=2, reuse=("Inputs", "Outputs"), keep=("Weights",),
             attrs={"compute_energy": 0.5, "leak_power": 2e-3}),
    ])
    r = evaluate(design, [Problem.from_dims({"M": 2, "C": 2, "P": 4}, name="tiny")],
                 settings=SearchSettings(progress=False))
    a = r.actions
    dynamic = (a["buf"]["read"] * 1.0 + a["buf"]["write"] * 2.0 + a["buf"]["update"] * 3.0
               + a["pe"]["compute"] * 0.5)
    leak = r.cycles * (1 * 1.0 + 2 * 2.0)  # pJ/cycle/instance x instances
    assert r.energy_pj == pytest.approx(dynamic + leak)
    assert r.energy_breakdown["pe"] == pytest.approx(a["pe"]["compute"] * 0.5 + r.cycles * 4.0)
    assert r.macs == 16 and r.tops_per_w == pytest.approx(2 * 16 / (r.energy_pj * 1e-12) / 1e12)
