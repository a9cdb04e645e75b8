"""The shipped macro-count sweep through `cimdse sweep`: the pipeline
columns as objectives and constraint, and the macros table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cimdse.cli import main
from cimdse.dse import load_sweep, read_macros, read_results
from cimdse.dse.evaluation import combine_records

SWEEP = Path(__file__).resolve().parents[2] / "configs" / "sweeps" / "pipeline_macros.yaml"


def test_pipeline_columns_are_objectives_of_the_shipped_sweep():
    sweep = load_sweep(SWEEP)
    assert [(o.column, o.direction) for o in sweep.objectives] == \
        [("throughput_inferences_per_s", "maximize"), ("n_macros_used", "minimize")]


def test_macro_count_sweep_runs_and_stores_macros(tmp_path, capsys):
    out = tmp_path / "pm"
    assert main(["sweep", str(SWEEP), "--trials", "2", "--address", "serial", "--out", str(out),
                 "--no-progress"]) == 0
    assert "Pareto front (" in capsys.readouterr().out
    designs = pd.read_parquet(out / "designs")
    assert (designs["status"] == "ok").all(), designs["error"].tolist()
    assert (designs["throughput_inferences_per_s"] > 0).all()
    assert (designs["pipeline_latency_s"] < designs["sequential_latency_s"]).all()
    assert (designs["n_macros_used"] <= 2 * designs["p.N_MACROS"]).all()
    macros = read_macros(out)
    per_design = macros.groupby("design_id").size()
    want = (2 * designs.set_index("design_id")["p.N_MACROS"]).rename(None)
    assert per_design.sort_index().tolist() == want.sort_index().tolist()
    assert {"macro", "stage", "layers", "fill", "utilization", "idle_s"} <= set(macros.columns)
    assert read_results(out, macros=True).shape == macros.shape


def test_several_workloads_add_pipeline_periods():
    a = {"throughput_inferences_per_s": 100.0, "pipeline_latency_s": 1.0, "n_macros_used": 3}
    b = {"throughput_inferences_per_s": 400.0, "pipeline_latency_s": 2.0, "n_macros_used": 5}
    both = combine_records([a, b])
    assert both["throughput_inferences_per_s"] == 1 / (1 / 100 + 1 / 400)
    assert both["pipeline_latency_s"] == 3.0 and both["n_macros_used"] == 5
