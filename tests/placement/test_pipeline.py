"""The pipeline figures by hand, the design's macros and hops, and whole
evaluations: placement reported, throughput = 1 / slowest stage, activation
buffers checked, designs without a placement reported as one stage."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import cimdse
from cimdse.cli import main
from cimdse.spec import SpecError
from cimdse.system import (PipelineInfeasible, Pipeline, PlacementError, StageReport,
                           macros_of)
from cimdse.system.macros import Hop
from cimdse.workload import Network, load_workload

ROOT = Path(__file__).resolve().parents[2]
WANG = ROOT / "configs/macros/wang_vlsi_2022.yaml"
SYSTEM = {"compose.system": "pipelined_chips"}


def _stage(index, time_s):
    return StageReport(index, (f"L{index}",), index, 1, 1, True, time_s, 0, 0.0, 0,
                       held=(((f"L{index}",), 0.0, time_s),))


def test_pipeline_figures_by_hand():
    """pipeline.py's example: stages of 2, 5 and 3 us, 4 inputs."""
    p = Pipeline("greedy", 4, 8, 1, tuple(_stage(i, t) for i, t in enumerate((2e-6, 5e-6, 3e-6))), 3)
    assert p.period_s == 5e-6 and p.fill_s == pytest.approx(10e-6)
    assert p.throughput_inferences_per_s == pytest.approx(200_000)
    assert p.pipeline_latency_s == pytest.approx(25e-6)
    assert p.sequential_latency_s == pytest.approx(40e-6)
    rows = p.macro_records()
    assert [r["macro"] for r in rows] == list(range(8))
    assert rows[0]["utilization"] == pytest.approx(0.4) and rows[1]["idle_s"] == 0
    assert rows[-1]["stage"] is None and rows[-1]["idle_s"] == 5e-6


def test_hop_crossings_by_hand():
    router = Hop("router", macros_per_instance=32, macros_per_port=8)
    assert router.crossings(0, 7) == 0 and router.crossings(0, 8) == 1
    assert router.crossings(0, 32) == 2
    assert router.mean_crossings(0, 4, 4, 4) == 0.0            # one tile
    assert router.mean_crossings(0, 8, 8, 8) == 1.0            # two tiles, one router
    assert router.mean_crossings(0, 8, 32, 8) == 2.0           # two routers
    # 4..11 -> 12..19: 16 of the 64 pairs share tile 1, the rest cross once
    assert router.mean_crossings(4, 8, 12, 8) == pytest.approx(48 / 64)
    # 28..35 -> 36..43: 16 pairs share tile 4, 16 more share router 1, 32 cross routers
    assert router.mean_crossings(28, 8, 36, 8) == pytest.approx((16 + 2 * 32) / 64)


def test_the_pipelined_system_has_its_macros_hops_and_store():
    m = macros_of(cimdse.load(WANG, SYSTEM))
    assert (m.count, m.capacity, m.write_parallel) == (2048, 8192, 16.0)
    assert [(h.name, h.macros_per_instance, h.macros_per_port) for h in m.hops] == \
        [("chip_link", 2048, 1024), ("router", 32, 8)]
    assert (m.store.name, m.store.macros_per_instance, m.store.capacity) == ("glb", 1024, 2 ** 25)
    assert m.alone.nodes[0].name == "macro" and m.alone.nodes[0].instances == 1


def test_a_system_level_that_includes_its_chip_and_tile_composes_alone():
    with pytest.raises(SpecError, match="already includes its chip"):
        cimdse.load(WANG, {**SYSTEM, "compose.chip": "glb"})
    names = [n.name for n in cimdse.load(WANG, SYSTEM).nodes]
    assert names.count("chip") == names.count("tile") == 1


@pytest.fixture(scope="module")
def placed():
    """Four ResNet-18 layers on 2 x 128 macros: every weight fits (142 macros'
    worth), conv1's 12544 positions are worth replicating, and the fully
    connected layer (63 macros' worth, 37 ns of work) is cheaper re-loaded."""
    net = load_workload("resnet18")
    layers = tuple(net.layer(n) for n in ("conv1", "layer1.0.conv1", "layer3.0.conv2", "fc"))
    design = cimdse.load(WANG, {**SYSTEM, "N_MACROS": 128, "PIPELINE_INPUTS": 8})
    return design, cimdse.evaluate(design, Network("four", layers))


def test_placed_pipeline_throughput_is_one_over_the_slowest_stage(placed):
    _, r = placed
    p = r.pipeline
    times = [s.time_s for s in p.stages]
    assert r.to_dict()["throughput_inferences_per_s"] == pytest.approx(1 / max(times))
    assert p.pipeline_latency_s == pytest.approx(sum(times) + 7 * max(times))
    assert p.sequential_latency_s == pytest.approx(8 * sum(times))
    assert [s.layers for s in p.stages] == [("conv1",), ("layer1.0.conv1",),
                                            ("layer3.0.conv2",), ("fc",)]
    assert [s.stationary for s in p.stages] == [True, True, True, False]
    fc = p.stages[-1]
    assert fc.macros < 63 and fc.reload_energy_pj == p.reload_energy_pj > 0
    assert p.replicated.get("conv1", 0) > 1
    assert p.n_macros_used == sum(s.macros for s in p.stages) <= 256


def test_placed_pipeline_reports_macros_traffic_and_record(placed):
    _, r = placed
    d = r.to_dict()
    assert d["placement"]["strategy"] == "greedy" and d["placement"]["macros"] == 256
    record = r.record()
    for key in ("n_macros_used", "pipeline_latency_s", "sequential_latency_s",
                "throughput_inferences_per_s", "interconnect_energy_pj", "reload_energy_pj"):
        assert record[key] == d[key]
    rows = r.macro_records()
    assert len(rows) == 256 and sum(1 for x in rows if x["stage"] is not None) == d["n_macros_used"]
    conv1 = [x for x in rows if x["layers"] == "conv1"]
    assert conv1 and all(x["fill"] == pytest.approx(9408 / 2 / 8192) for x in conv1)
    assert all(0 <= x["utilization"] <= 1 for x in rows)
    sent = r.pipeline.stages[0]
    assert sent.sent == 64 * 112 * 112 and sent.send_energy_pj > 0
    assert d["interconnect_energy_pj"] == pytest.approx(sum(s.send_energy_pj for s in r.pipeline.stages))


def test_too_few_macros_re_load_weights_and_price_the_writes():
    net = load_workload("resnet18")
    layers = (net.layer("layer3.0.conv2"), net.layer("layer3.1.conv1"))   # 72 macros each
    r = cimdse.evaluate(cimdse.load(WANG, {**SYSTEM, "N_MACROS": 32}), Network("two", layers))
    p = r.pipeline
    assert not all(s.stationary for s in p.stages)
    assert p.reload_energy_pj > 0
    assert sum(s.reload_energy_pj for s in p.stages if s.stationary) == 0


def test_activations_that_do_not_fit_make_the_design_infeasible():
    net = load_workload("resnet18")
    layers = (net.layer("conv1"), net.layer("layer1.0.conv1"))
    design = cimdse.load(WANG, {**SYSTEM, "N_MACROS": 32, "GLB_BYTES": 64 * 1024})
    with pytest.raises(PipelineInfeasible, match="activations do not fit.*glb"):
        cimdse.evaluate(design, Network("two", layers))


def test_a_design_without_placement_is_one_stage():
    r = cimdse.evaluate(cimdse.load(WANG), "max_utilization")
    d = r.to_dict()
    assert d["n_macros_used"] == 1
    assert d["throughput_inferences_per_s"] == pytest.approx(1 / d["latency_s"])
    assert d["pipeline_latency_s"] == d["sequential_latency_s"] == d["latency_s"]
    assert d["placement"]["strategy"] == "none" and r.macro_records() == []
    assert d["reload_energy_pj"] > 0 and d["interconnect_energy_pj"] == 0


def test_placement_none_keeps_the_per_layer_model_on_many_macros():
    design = cimdse.load(WANG, {**SYSTEM, "PLACEMENT": "none", "N_MACROS": 32})
    r = cimdse.evaluate(design, "max_utilization")
    p = r.pipeline
    assert p.n_macros == 64 and len(p.stages) == 1 and p.stages[0].macros == 64
    assert 1 < p.n_macros_used == macros_of(design).used_by(r.layers[0].instances) <= 64
    assert r.to_dict()["pipeline_latency_s"] == pytest.approx(16 * r.latency_s)


def test_bad_placement_settings_are_named():
    with pytest.raises(PlacementError, match="unknown placement strategy 'gredy'"):
        cimdse.evaluate(cimdse.load(WANG, {**SYSTEM, "PLACEMENT": "gredy"}), "max_utilization")
    with pytest.raises(SpecError, match="PIPELINE_INPUTS"):
        cimdse.evaluate(cimdse.load(WANG, {**SYSTEM, "PIPELINE_INPUTS": 0}), "max_utilization")


@pytest.mark.slow
def test_cli_reports_the_pipelined_resnet18():
    """The command in the README: placement, pipelined latency, throughput and
    the sequential figure beside them, whole ResNet-18 on 2048 macros."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["evaluate", str(WANG), "--workload", "resnet18", "--system",
                     "pipelined_chips", "--json"]) == 0
    d = json.loads(out.getvalue())
    p = d["placement"]
    assert p["strategy"] == "greedy" and p["macros"] == 2048
    assert d["n_macros_used"] == p["macros_used"] <= 2048 and p["replicated"]
    assert d["throughput_inferences_per_s"] == pytest.approx(1 / p["period_s"])
    assert d["pipeline_latency_s"] < d["sequential_latency_s"]
    assert d["reload_energy_pj"] == 0 and len(p["stages"]) == 21
