"""Worker-side evaluation: statuses, multi-workload records, determinism."""

from __future__ import annotations

import pytest

from cimdse.dse.evaluation import combine_records, evaluate_chunk
from cimdse.dse.fake import fake_evaluate_point
from cimdse.dse.space import seed_of

W = [{"name": "resnet18", "layers": [0], "batch": 1, "seq_len": None}]


def item(**overrides):
    return {"design_id": "00ff", "overrides": overrides, "seed": seed_of("00ff")}


def test_statuses_never_raise():
    ok, infeasible, error = evaluate_chunk(
        [item(ROWS=64), item(ROWS=7), item(ROWS=13)], "spec.yaml", W, fake_evaluate_point)
    assert ok["status"] == "ok" and ok["error"] is None and ok["record"]["energy_pj"] > 0
    assert infeasible["status"] == "infeasible" and "NoValidMappingError" in infeasible["error"]
    assert error["status"] == "error" and "ValueError: fake evaluator failure" in error["error"]
    for r in (ok, infeasible, error):
        assert r["eval_s"] >= 0 and ":" in r["worker"] and r["started_at"].tzinfo is not None
    assert ok["layers"][0]["workload"] == "resnet18[0]"


def test_results_are_a_function_of_the_design():
    a = evaluate_chunk([item(ROWS=128, COLS=64)], "s", W, fake_evaluate_point)[0]
    b = evaluate_chunk([item(ROWS=128, COLS=64)], "s", W, fake_evaluate_point)[0]
    assert a["record"] == b["record"]


def test_combine_records_over_workloads():
    r1 = {"energy_pj": 10.0, "macs": 100.0, "cycles": 10.0, "latency_s": 1e-6, "area_mm2": 1.0,
          "e.adc": 4.0, "utilization": 1.0, "tops_per_w": 0.0}
    r2 = {"energy_pj": 30.0, "macs": 300.0, "cycles": 30.0, "latency_s": 3e-6, "area_mm2": 1.5,
          "e.adc": 6.0, "utilization": 0.5, "tops_per_w": 0.0}
    c = combine_records([r1, r2])
    assert c["energy_pj"] == 40 and c["macs"] == 400 and c["e.adc"] == 10
    assert c["area_mm2"] == 1.5
    assert c["energy_per_mac_fj"] == pytest.approx(100.0)
    assert c["tops_per_w"] == pytest.approx(2 * 400 / 40)
    assert c["tops"] == pytest.approx(2 * 400 / 4e-6 / 1e12)
    assert c["utilization"] == pytest.approx((10 * 1.0 + 30 * 0.5) / 40)
    assert combine_records([r1]) == r1
