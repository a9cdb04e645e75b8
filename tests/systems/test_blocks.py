"""The building blocks of configs/systems: each resolves with a macro and
evaluates; DRAM traffic is compulsory; macros sized from the workload."""

from __future__ import annotations

from pathlib import Path

import pytest

import cimdse
from cimdse.spec import SpecError
from cimdse.workload import linear

REPO = Path(__file__).resolve().parents[2]
WANG = REPO / "configs" / "macros" / "wang_vlsi_2022.yaml"
SYSTEMS = REPO / "configs" / "systems"
FIG15 = REPO / "configs" / "sweeps" / "fig15_full_system.yaml"
#: 64 inputs x 32 outputs over 16 tokens: 2048 weights fit one Wang macro (8192).
C, M, TOKENS = 64, 32, 16
LAYER = linear("fc", C, M, tokens=TOKENS)
ENERGY = {"mapper.metric": "energy"}


def _blocks(level: str) -> list[str]:
    return sorted(p.stem for p in (SYSTEMS / level).glob("*.yaml"))


def _dram_counts(system: str) -> dict[str, float]:
    design = cimdse.load(WANG, ENERGY, system=system, chip="glb", tile="io_buffers")
    frame = cimdse.evaluate(design, LAYER).breakdown()
    rows = frame[frame.component == "dram"]
    return rows.groupby("action")["count"].sum().to_dict()


@pytest.mark.parametrize("level,name", [(lvl, n) for lvl in ("system", "chip", "tile")
                                        for n in _blocks(lvl)])
def test_each_block_resolves_and_evaluates(level, name):
    design = cimdse.load(WANG, ENERGY, **{level: name})
    result = cimdse.evaluate(design, LAYER)
    assert result.macs == C * M * TOKENS
    assert result.energy_pj > 0 and result.area_mm2 > 0


@pytest.mark.parametrize("path", sorted((SYSTEMS / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_load(path):
    design = cimdse.load(path, workload="resnet18")
    assert design.node("macro").instances >= 8


def test_fetch_all_reads_every_tensor_once():
    counts = _dram_counts("fetch_all_lpddr4")
    assert counts["read"] == C * M + C * TOKENS       # weights + inputs, once each
    assert counts["update"] == M * TOKENS             # outputs written back once
    assert counts.get("write", 0) == C * M + C * TOKENS   # placement fills: priced 0


def test_fetch_weights_reads_weights_once_and_keeps_activations_on_chip():
    counts = _dram_counts("fetch_weights_lpddr4")
    assert counts["read"] == C * M
    assert counts.get("update", 0) == 0


def test_weight_stationary_has_no_dram():
    design = cimdse.load(WANG, ENERGY, system="weight_stationary", chip="glb")
    assert "dram" not in [n.name for n in design.nodes]
    assert design.node("glb").attributes["top_level"] is True


def test_dram_energy_is_compulsory_traffic_times_pj_per_bit():
    design = cimdse.load(WANG, ENERGY, system="fetch_all_lpddr4", chip="glb")
    frame = cimdse.evaluate(design, LAYER).breakdown()
    dram = frame[frame.component == "dram"]["energy_pj"].sum()
    elements = C * M + C * TOKENS + M * TOKENS
    assert dram == pytest.approx(elements * 8 * 8.0)     # 8-bit elements x LPDDR4 8 pJ/bit


def test_macros_sized_from_the_workload():
    design = cimdse.load(WANG, {"MACROS_FROM_WORKLOAD": True}, workload="resnet18",
                         chip="glb_routers", tile="io_buffers")
    # ResNet-18's largest layer: 512 x 512 x 3 x 3 weights / 8192 per Wang macro
    assert design.variables["N_MACROS"] == 288
    assert design.node("macro").instances == 288
    assert design.node("router").instances == 9


def test_sizing_expression_by_override_and_whole_network():
    design = cimdse.load(WANG, {"N_MACROS": "ceil(WORKLOAD_WEIGHTS / MACRO_WEIGHTS)"},
                         workload="resnet18", chip="glb", tile="io_buffers")
    weights = sum(l.tensor_size("Weights") for l in cimdse.workload.load_workload("resnet18").layers)
    assert design.variables["N_MACROS"] == -(-weights // 8192)


def test_sizing_without_workload_is_a_located_error():
    with pytest.raises(SpecError, match="derived from the workload") as info:
        cimdse.load(WANG, {"MACROS_FROM_WORKLOAD": True}, chip="glb")
    assert info.value.file.endswith("glb.yaml") and info.value.path == "variables.N_MACROS"
    # without sizing, no workload is needed
    assert cimdse.load(WANG, chip="glb", tile="io_buffers").variables["N_MACROS"] == 128


def test_workload_variables_are_computed_only_when_named(monkeypatch):
    import cimdse.spec.compose as compose
    calls = []
    real = compose.workload_variables
    monkeypatch.setattr(compose, "workload_variables", lambda w: calls.append(w) or real(w))
    # the peak workload is fine for a design that does not size from the network
    assert cimdse.load(WANG, chip="glb", workload="max_utilization").variables["N_MACROS"] == 16
    cimdse.load(WANG, workload="resnet18")
    assert calls == []
    cimdse.load(WANG, {"MACROS_FROM_WORKLOAD": True}, chip="glb", workload="resnet18")
    assert calls == ["resnet18"]
    with pytest.raises(SpecError, match="needs a real network") as info:
        cimdse.load(WANG, {"MACROS_FROM_WORKLOAD": True}, chip="glb", workload="max_utilization")
    assert info.value.path == "variables.N_MACROS"


def test_sizing_workload_as_override_key():
    design = cimdse.load(WANG, {"MACROS_FROM_WORKLOAD": True, "compose.workload": "resnet18",
                                "compose.chip": "glb"})
    assert design.variables["N_MACROS"] == 288


def test_top_level_stores_do_not_price_fills():
    from cimdse.components import get_model
    dram = get_model("dram")({"type": "LPDDR4", "width": 8, "top_level": True})
    assert dram.energy_pj("write") == 0 and dram.energy_pj("read") == 64
    assert dram.energy_pj("update") == 64
    router = get_model("router")({"width": 256, "technology": 32, "voltage": 1.0})
    assert router.energy_pj("update") == pytest.approx(router.energy_pj("read"))


def test_fig15_sweep_file_loads():
    from cimdse.dse.checks import check_bindings, check_workloads
    from cimdse.dse.parser import load_sweep
    sweep = load_sweep(FIG15)
    assert sweep.sampler.name == "grid" and sweep.trials == 3
    assert sweep.parameter("system").bind == "compose.system"
    assert set(sweep.parameter("system").choices) == {
        "fetch_all_lpddr4", "fetch_weights_lpddr4", "weight_stationary"}
    check_bindings(sweep)
    check_workloads(sweep)


@pytest.mark.parametrize("macro", sorted((REPO / "configs" / "macros").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_every_published_macro_composes(macro):
    # ISAAC and RAELLA model their tile's buffers in the macro file: no tile buffers again
    own = {n.name for n in cimdse.load(macro).nodes}
    tile = "none" if "input_buffer" in own else "io_buffers"
    design = cimdse.load(macro, {"MACROS_FROM_WORKLOAD": True}, workload="resnet18",
                         system="fetch_all_lpddr4", chip="glb_routers", tile=tile)
    assert design.node("dram").instances == 1
    per_tile = design.variables["MACROS_PER_TILE"]
    assert design.node("macro_in_tile").instances == design.variables["N_TILES"] * per_tile
    assert design.variables["N_TILES"] * per_tile >= design.variables["N_MACROS"]
