"""Acceptance checks of the DSE issue: the results contract read by plain pandas, the
CLI's Pareto output against brute force, the plot, a two-node Ray cluster on one
machine, and kill -9 + --resume through the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from cimdse.dse.pareto import _cull, _dominated3, is_nondominated
from cimdse.dse.store import ResultStore, read_results

from dse_helpers import BASIC, REPO

CONTRACT = ["design_id", "trial", "status", "error", "energy_pj", "macs", "energy_per_mac_fj",
            "cycles", "latency_s", "tops", "tops_per_w", "area_mm2", "tops_per_mm2",
            "utilization", "eval_s", "worker", "started_at"]


def _cli(argv):
    from cimdse.cli import main
    return main([str(a) for a in argv])


def _brute_front(points: np.ndarray) -> np.ndarray:
    le = np.all(points[:, None, :] <= points[None, :, :], axis=2)     # le[j, i]: j <= i
    lt = np.any(points[:, None, :] < points[None, :, :], axis=2)
    return ~np.any(le & lt, axis=0)


def test_quickstart_cli_contract_with_real_evaluator(tmp_path, capsys):
    out = tmp_path / "q"
    assert _cli(["sweep", REPO / "configs" / "sweeps" / "quickstart.yaml", "--trials", 3,
                 "--address", "serial", "--out", out, "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "Pareto front (" in text and f"results: {out}" in text
    designs = pd.read_parquet(out / "designs")                 # plain pandas, no cimdse reader
    assert len(designs) >= 1 and (designs["status"] != "error").all(), designs["error"].tolist()
    missing = [c for c in CONTRACT if c not in designs.columns]
    assert not missing, missing
    for name in ("ROWS", "COLS", "BITS_PER_CELL", "DAC_BITS"):
        assert f"p.{name}" in designs.columns
    assert [c for c in designs.columns if c.startswith("e.")], "no e.<component> column"
    cols = list(designs.columns)                                # contract order
    assert cols[:4] == ["design_id", "trial", "status", "error"]
    first_e = min(cols.index(c) for c in cols if c.startswith("e."))
    assert cols.index("p.ROWS") < cols.index("energy_pj") < cols.index("utilization") \
        < first_e < cols.index("eval_s") < cols.index("worker") < cols.index("started_at")
    layers = read_results(out, layers=True)
    assert len(layers) >= len(designs) and set(layers["design_id"]) == set(designs["design_id"])
    assert {"workload", "layer_index", "energy_pj"} <= set(layers.columns)


FRONT_SWEEP = BASIC.replace("choices: [64, 128, 256, 512]", "choices: [7, 64, 128, 256, 512]") \
    .replace("trials: 12", "trials: 60").replace('"area_mm2 <= 2"', '"area_mm2 <= 0.9"')


@pytest.mark.parametrize("objectives", [None, "energy_pj,latency_s,area_mm2",
                                        "energy_pj,tops_per_w:max,area_mm2"])
def test_cli_pareto_json_is_the_brute_force_front(write_sweep, tmp_path, capsys, objectives):
    out = tmp_path / "out"
    assert _cli(["sweep", write_sweep(FRONT_SWEEP), "--out", out, "--address", "serial",
                 "--evaluator", "cimdse.dse.fake:fake_evaluate_point", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "Pareto front (" in text
    argv = ["pareto", out, "--json"] + (["--objectives", objectives] if objectives else [])
    assert _cli(argv) == 0
    data = json.loads(capsys.readouterr().out)
    df = read_results(out)
    assert {"ok", "infeasible"} <= set(df["status"])
    ok = df[df["status"] == "ok"]
    cols = list(data["objectives"])
    pts = ok[cols].to_numpy(dtype=float, copy=True)
    pts[:, [d == "maximize" for d in data["objectives"].values()]] *= -1
    expected = set(ok["design_id"][_brute_front(pts)])
    got = [r["design_id"] for r in data["front"]]
    assert len(got) == len(set(got)) and set(got) == expected
    assert data["feasible"] == len(ok) and data["designs"] == len(df)


def test_three_objective_sort_matches_cull_on_large_fronts():
    rng = np.random.default_rng(7)
    x = rng.random((3000, 3))
    simplex = np.round(x / x.sum(axis=1, keepdims=True), 2)       # big front with many ties
    for pts in (simplex, rng.integers(0, 40, size=(3000, 3)).astype(float), x):
        uniq = np.unique(pts, axis=0)
        assert (~_dominated3(uniq) == _cull(uniq)).all()
    small = simplex[:400]
    assert (is_nondominated(small) == _brute_front(small)).all()


def test_plot_png(write_sweep, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from cimdse.dse.pareto import plot_pareto
    out = tmp_path / "out"
    assert _cli(["sweep", write_sweep(FRONT_SWEEP), "--out", out, "--address", "serial",
                 "--evaluator", "cimdse.dse.fake:fake_evaluate_point", "--no-progress"]) == 0
    png = tmp_path / "front.png"
    assert _cli(["pareto", out, "--plot", png]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    df = read_results(out)
    fig = plot_pareto(df, ["energy_pj", "latency_s"])
    ax = fig.axes[0]
    assert "(pJ)" in ax.get_xlabel() and "(s)" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("Pareto front") for t in labels)
    assert any(t.startswith("feasible") for t in labels)
    assert any(t.startswith("infeasible") for t in labels)      # constraint-violating designs
    import matplotlib.pyplot as plt
    plt.close(fig)


TWO_NODE_SCRIPT = textwrap.dedent("""
    import functools, json, sys
    import ray
    from ray.cluster_utils import Cluster
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False, logging_level="ERROR")
    try:
        from cimdse.dse import read_results, run_sweep
        from cimdse.dse.fake import fake_evaluate_point
        s = run_sweep(sys.argv[1], sys.argv[2],
                      evaluate_point=functools.partial(fake_evaluate_point, cost_s=0.05))
        nodes = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])
        df = read_results(sys.argv[2])
        print(json.dumps({"nodes": nodes, "workers": df["worker"].tolist(),
                          "trials": s.trials, "cpus": s.cpus, "designs": len(df)}))
    finally:
        ray.shutdown()
        cluster.shutdown()
""")

TWO_NODE_SWEEP = BASIC.replace("trials: 12", "trials: 16").replace(
    "  DAC_BITS: [1, 2, 4]\n", "  DAC_BITS: [1, 2, 4]\n  VOLTAGE: {type: float, low: 0.6, high: 1.1}\n"
).replace("batch: 4, chunk: 2", "batch: 8, chunk: 1")


def test_two_node_cluster_on_one_machine(write_sweep, tmp_path):
    """Head (1 CPU) + a second node (1 CPU) via ray.cluster_utils.Cluster, in a
    subprocess so it does not meet the session's Ray: tasks land on both nodes and
    the worker column names the node."""
    pytest.importorskip("ray.cluster_utils")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", TWO_NODE_SCRIPT, str(write_sweep(TWO_NODE_SWEEP)),
                           str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(info["nodes"]) == 2 and info["cpus"] == 2 and info["trials"] == 16
    used = {w.rpartition("@")[2] for w in info["workers"]}
    assert used == set(info["nodes"]), (used, info["nodes"])


# random sampler + a continuous parameter: no design repeats, so designs == trials
KILL_SWEEP = BASIC.replace(
    "trials: 12", "trials: 120").replace(
    "  DAC_BITS: [1, 2, 4]\n", "  DAC_BITS: [1, 2, 4]\n  VOLTAGE: {type: float, low: 0.6, high: 1.1}\n")


def test_kill_9_then_resume_via_cli(write_sweep, tmp_path, capsys):
    """kill -9 of a running `cimdse sweep`, then `cimdse sweep --resume` completes it:
    exactly the requested trials, unique design_ids and unique trial numbers."""
    path = write_sweep(KILL_SWEEP)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "tests" / "dse"), str(REPO), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "cimdse.cli", "sweep", str(path), "--out",
                             str(out), "--address", "serial", "--no-progress",
                             "--evaluator", "dse_helpers:slow_point"],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(ResultStore(out).parts("trials")) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    before = len(ResultStore(out).read_frame("trials"))
    assert 0 < before < 120
    assert _cli(["sweep", path, "--out", out, "--resume", "--address", "serial", "--no-progress",
                 "--evaluator", "dse_helpers:fast_point"]) == 0
    assert "120 trials" in capsys.readouterr().out
    designs = pd.read_parquet(out / "designs")
    assert len(designs) == 120
    assert designs["design_id"].is_unique and designs["trial"].is_unique
    assert sorted(designs["trial"]) == list(range(120))
    trials = ResultStore(out).read_frame("trials")
    assert list(trials["trial"]) == list(range(120))
    assert list(trials["design_id"]) == list(designs.sort_values("trial")["design_id"])
