"""The sweep runner end to end with the fake evaluator (serial and local Ray)."""

from __future__ import annotations

import functools
import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from cimdse.dse import read_layers, read_results, run_sweep
from cimdse.dse.fake import crash_once_evaluate_point, fake_evaluate_point
from cimdse.dse.errors import SweepError
from cimdse.dse.store import ResultStore

from dse_helpers import BASIC, REPO

VOLATILE = ["eval_s", "worker", "started_at"]


def _trials(out):
    return ResultStore(out).read_frame("trials")


def _check_consistent(out, total):
    designs, trials = read_results(out), _trials(out)
    assert designs["design_id"].is_unique
    assert list(trials["trial"]) == list(range(total))
    assert set(trials["design_id"]) == set(designs["design_id"])
    return designs, trials


def test_end_to_end_on_ray(ray_local, write_sweep, tmp_path):
    out = tmp_path / "out"
    summary = run_sweep(write_sweep(BASIC), out, evaluate_point=fake_evaluate_point)
    assert summary.trials == 12 and summary.stopped == "budget" and summary.executor == "ray"
    designs, trials = _check_consistent(out, 12)
    assert summary.evaluated == len(designs) and summary.cached == 12 - len(designs)
    for col in ["design_id", "trial", "status", "error", "p.ROWS", "p.COLS", "p.BITS_PER_CELL",
                "p.DAC_BITS", "energy_pj", "macs", "energy_per_mac_fj", "cycles", "latency_s",
                "tops", "tops_per_w", "area_mm2", "tops_per_mm2", "utilization", "e.adc",
                "eval_s", "worker", "started_at"]:
        assert col in designs.columns, col
    assert set(designs["status"]) <= {"ok", "infeasible"}
    assert designs["worker"].str.contains(":").all()
    node = ray_local.get_runtime_context().get_node_id()
    assert (designs["worker"].str.rpartition("@")[2] == node).all()    # host:pid@node_id
    layers = read_layers(out)
    assert len(layers) == len(designs) and set(layers["design_id"]) == set(designs["design_id"])
    assert (out / "sweep.yaml").read_text().startswith("name: t")
    assert (out / "study.journal").stat().st_size > 0 and not (out / "study.pkl").exists()
    assert "energy_pj" in summary.best and "results:" in str(summary)


def test_serial_and_ray_give_identical_rows(ray_local, write_sweep, tmp_path):
    path = write_sweep(BASIC.replace("{name: random}", "{name: tpe, n_startup_trials: 4}"))
    run_sweep(path, tmp_path / "ray", evaluate_point=fake_evaluate_point)
    run_sweep(path, tmp_path / "serial", evaluate_point=fake_evaluate_point, executor="serial")
    a = read_results(tmp_path / "ray").drop(columns=VOLATILE)
    b = read_results(tmp_path / "serial").drop(columns=VOLATILE)
    pd.testing.assert_frame_equal(a, b)


def test_worker_death_is_retried(ray_local, write_sweep, tmp_path):
    evaluate = functools.partial(crash_once_evaluate_point, str(tmp_path / "marker"))
    summary = run_sweep(write_sweep(BASIC.replace("trials: 12", "trials: 4")), tmp_path / "out",
                        evaluate_point=evaluate)
    assert (tmp_path / "marker").exists()
    designs = read_results(tmp_path / "out")
    assert summary.trials == 4 and (designs["status"] != "error").all()


STATUS = BASIC.replace("choices: [64, 128, 256, 512]", "choices: [7, 13, 64, 512]").replace(
    '"area_mm2 <= 2"', '"area_mm2 <= 0.5"').replace("trials: 12", "trials: 40")


def test_infeasible_and_error_rows(write_sweep, tmp_path):
    out = tmp_path / "out"
    summary = run_sweep(write_sweep(STATUS), out, evaluate_point=fake_evaluate_point,
                        executor="serial")
    designs, trials = _check_consistent(out, 40)
    by = designs.set_index("design_id")
    state = dict(zip(trials["design_id"], trials["state"]))
    for did, row in by.iterrows():
        if row["p.ROWS"] == 7:
            assert row["status"] == "infeasible" and "NoValidMappingError" in row["error"]
            assert state[did] == "FAIL"
        elif row["p.ROWS"] == 13:
            assert row["status"] == "error" and "fake evaluator failure" in row["error"]
            assert state[did] == "FAIL"
        elif row["area_mm2"] > 0.5:
            assert row["status"] == "infeasible" and "constraint violated" in row["error"]
            assert state[did] == "COMPLETE"
            attrs = json.loads(trials.drop_duplicates("design_id").set_index("design_id")
                               .loc[did, "system_attrs"])
            assert attrs["constraints:c0"] > 0
        else:
            assert row["status"] == "ok" and pd.isna(row["error"])
    assert set(designs["status"]) == {"ok", "infeasible", "error"}
    assert sum(summary.counts.values()) == len(designs)
    # the best-so-far only looks at feasible designs
    ok = designs[designs["status"] == "ok"]
    assert summary.best["energy_pj"]["value"] == pytest.approx(ok["energy_pj"].min())


def test_repeats_served_from_store(write_sweep, tmp_path):
    body = BASIC.replace("choices: [64, 128, 256, 512]", "choices: [64, 128]").replace(
        "{type: int, low: 64, high: 256, step: 64}", "[64]").replace(
        "{type: int, low: 1, high: 4}", "[2]").replace("[1, 2, 4]", "[1]")
    calls = []
    summary = run_sweep(write_sweep(body), tmp_path / "out", executor="serial",
                        evaluate_point=fake_evaluate_point, on_result=calls.append)
    designs, trials = _check_consistent(tmp_path / "out", 12)
    assert len(designs) == 2 and len(calls) == 2
    assert summary.evaluated == 2 and summary.cached == 10


def test_existing_results_need_resume(write_sweep, tmp_path):
    path = write_sweep(BASIC.replace("trials: 12", "trials: 4"))
    run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point)
    with pytest.raises(SweepError, match="--resume"):
        run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point)
    # resuming a finished sweep evaluates nothing; a bigger budget continues it
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True)
    assert s.trials == 4 and s.evaluated == 0
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True, trials=10)
    assert s.trials == 10
    _check_consistent(tmp_path / "out", 10)


class Stop(Exception):
    pass


def _stopper(after, exc):
    def hook(n):
        if n >= after:
            raise exc
    return hook


RESUME = BASIC.replace("{name: random}", "{name: nsga2, population_size: 4}").replace(
    "trials: 12", "trials: 24")


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), Stop("simulated crash")])
def test_resume_after_interrupt_is_exact(write_sweep, tmp_path, exc):
    path = write_sweep(RESUME)
    ref = tmp_path / "ref"
    run_sweep(path, ref, executor="serial", evaluate_point=fake_evaluate_point)
    out = tmp_path / "out"
    if isinstance(exc, KeyboardInterrupt):
        s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point,
                      on_result=_stopper(10, exc))
        assert s.stopped == "interrupted"
    else:
        with pytest.raises(Stop):
            run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point,
                      on_result=_stopper(10, exc))
    partial = _trials(out)
    assert 0 < len(partial) < 24 and len(partial) % 4 == 0       # whole batches only
    s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, resume=True)
    assert s.trials == 24
    designs, trials = _check_consistent(out, 24)
    ref_trials = _trials(ref)
    # same designs, same order as the uninterrupted run (optimizer snapshot restored)
    assert list(trials["design_id"]) == list(ref_trials["design_id"])
    pd.testing.assert_frame_equal(designs.drop(columns=VOLATILE),
                                  read_results(ref).drop(columns=VOLATILE))


KILL_SCRIPT = textwrap.dedent("""
    import functools, sys
    from cimdse.dse import run_sweep
    from cimdse.dse.fake import fake_evaluate_point
    run_sweep(sys.argv[1], sys.argv[2], executor="serial",
              evaluate_point=functools.partial(fake_evaluate_point, cost_s=0.02))
""")


def test_resume_after_sigkill(write_sweep, tmp_path):
    path = write_sweep(RESUME.replace("trials: 24", "trials: 200"))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path), str(out)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(ResultStore(out).parts("trials")) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    done = len(_trials(out))
    assert 0 < done < 200
    s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True, trials=done + 20)
    assert s.trials == done + 20
    _check_consistent(out, done + 20)


def test_grid_sampler_stops_when_exhausted(write_sweep, tmp_path):
    body = BASIC.replace("{name: random}", "{name: grid}").replace(
        "choices: [64, 128, 256, 512]", "choices: [64, 128]").replace(
        "{type: int, low: 64, high: 256, step: 64}", "[64]").replace(
        "{type: int, low: 1, high: 4}", "[2, 4]").replace("[1, 2, 4]", "[1]").replace(
        "batch: 4", "batch: 3")
    s = run_sweep(write_sweep(body), tmp_path / "out", executor="serial",
                  evaluate_point=fake_evaluate_point)
    assert s.stopped == "exhausted"
    designs, _ = _check_consistent(tmp_path / "out", s.trials)
    assert len(designs) == 4


def test_wall_time_budget(write_sweep, tmp_path):
    body = BASIC.replace("budget: {trials: 12}", "budget: {trials: 1000, wall_time: 1}")
    s = run_sweep(write_sweep(body), tmp_path / "out", executor="serial",
                  evaluate_point=functools.partial(fake_evaluate_point, cost_s=0.05))
    assert s.stopped == "wall_time" and 0 < s.trials < 1000
    _check_consistent(tmp_path / "out", s.trials)


def test_cli_pareto_and_sweep(write_sweep, tmp_path, capsys):
    from cimdse.cli import main
    out = tmp_path / "out"
    run_sweep(write_sweep(BASIC), out, executor="serial", evaluate_point=fake_evaluate_point)
    assert main(["pareto", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Pareto-optimal" in text and "hypervolume" in text and "energy_pj (minimize)" in text
    assert main(["pareto", str(out), "--objectives", "energy_pj,tops_per_w", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["objectives"] == {"energy_pj": "minimize", "tops_per_w": "maximize"}
    assert main(["pareto", str(out), "--objectives", "energy_pjj"]) == 2
    assert "energy_pjj" in capsys.readouterr().err
    assert main(["sweep", str(write_sweep(BASIC.replace("sed", "x").replace("seed", "sed"), "bad.yaml"))]) == 2
    assert "did you mean 'seed'" in capsys.readouterr().err


def test_quickstart_with_real_evaluator(tmp_path):
    s = run_sweep(REPO / "configs" / "sweeps" / "quickstart.yaml", tmp_path / "q", trials=2,
                  executor="serial")
    assert s.trials == 2
    designs = read_results(tmp_path / "q")
    assert (designs["status"] != "error").all(), designs["error"].tolist()
    assert {"energy_pj", "latency_s", "area_mm2", "e.adc"} <= set(designs.columns)
    layers = read_layers(tmp_path / "q")
    assert set(layers["design_id"]) <= set(designs["design_id"]) and len(layers) >= 1


def test_interrupt_and_resume_on_ray(ray_local, write_sweep, tmp_path):
    path = write_sweep(RESUME)
    out = tmp_path / "out"
    s = run_sweep(path, out, evaluate_point=functools.partial(fake_evaluate_point, cost_s=0.01),
                  on_result=_stopper(10, KeyboardInterrupt()))
    assert s.stopped == "interrupted" and ray_local.is_initialized()
    s = run_sweep(path, out, evaluate_point=fake_evaluate_point, resume=True)
    assert s.trials == 24
    _check_consistent(out, 24)


SAMPLER_SWEEP = """
name: samplers
spec: fig5_macro.yaml
workloads: [resnet18]
parameters:
  weight_code: {choices: [twos_complement, offset], bind: WEIGHT_ENCODING}
  rram_bits: {type: int, low: 1, high: 4, bind: BITS_PER_CELL, when: "weight_code == 'offset'"}
  ROWS: [64, 128, 256]
  VOLTAGE: {type: float, low: 0.7, high: 1.1, step: 0.1}
  CYCLE_SECONDS: {type: float, low: 1.0e-8, high: 1.0e-6, log: true}
objectives: {energy_pj: minimize, latency_s: minimize}
constraints: ["area_mm2 <= 2"]
sampler: SAMPLER
budget: {trials: 12}
execution: {batch: 4}
"""


@pytest.mark.parametrize("sampler", ["tpe", "{name: nsga2, population_size: 4}",
                                     "{name: nsga3, population_size: 4}", "random", "qmc",
                                     "bruteforce"])
def test_every_sampler_runs(write_sweep, tmp_path, sampler):
    body = SAMPLER_SWEEP.replace("SAMPLER", sampler)
    if sampler == "bruteforce":
        body = body.replace("  CYCLE_SECONDS: {type: float, low: 1.0e-8, high: 1.0e-6, log: true}\n", "")
    s = run_sweep(write_sweep(body), tmp_path / "out", executor="serial",
                  evaluate_point=fake_evaluate_point)
    designs, trials = _check_consistent(tmp_path / "out", s.trials)
    assert s.trials == 12
    rram = designs[designs["p.weight_code"] == "offset"]
    assert rram["p.rram_bits"].notna().all()
    assert designs[designs["p.weight_code"] == "twos_complement"]["p.rram_bits"].isna().all()


def test_gp_without_torch_is_a_clear_error(write_sweep, tmp_path):
    pytest.importorskip("scipy")
    try:
        import torch  # noqa: F401
        pytest.skip("torch installed")
    except ImportError:
        pass
    with pytest.raises(SweepError, match="torch"):
        run_sweep(write_sweep(SAMPLER_SWEEP.replace("SAMPLER", "gp")), tmp_path / "out",
                  executor="serial", evaluate_point=fake_evaluate_point)


class _StubResult:
    def __init__(self, design, network):
        self.design, self.network = design, network

    def record(self):
        rows = self.design.variables["ROWS"]
        macs = float(self.network.macs)
        return {"energy_pj": macs / rows, "macs": macs, "latency_s": 1.0 / rows,
                "area_mm2": rows / 1000, "e.adc": 1.0, "cycles": 10.0, "utilization": 0.5}

    def layer_records(self):
        return [{"layer": layer.name, "macs": float(layer.macs)} for layer in self.network.layers]


def test_default_evaluator_plumbing(write_sweep, tmp_path, monkeypatch):
    """The default evaluate_point: cimdse.load with the overrides, the workload with its
    layer filter, record() and layer_records() (cimdse.evaluate stubbed)."""
    from cimdse.mapping.errors import NoValidMappingError
    seen = []

    def stub_evaluate(design, network):
        seen.append((design.variables["ROWS"], design.variables["DAC_BITS"],
                     [layer.name for layer in network.layers]))
        if design.variables["ROWS"] == 64:
            raise NoValidMappingError("nothing fits", reason="test")
        return _StubResult(design, network)
    # the evaluator imports cimdse.evaluate (the module), not the facade's function
    monkeypatch.setattr(importlib.import_module("cimdse.evaluate"), "evaluate", stub_evaluate)
    body = BASIC.replace("layers: [layer1.0.conv1]", "layers: [0, layer1.0.conv2]")
    s = run_sweep(write_sweep(body), tmp_path / "out", executor="serial")
    designs, _ = _check_consistent(tmp_path / "out", 12)
    assert all(names == ["conv1", "layer1.0.conv2"] for _, _, names in seen)
    assert set(designs["p.ROWS"]) == {rows for rows, _, _ in seen}
    assert (designs.loc[designs["p.ROWS"] == 64, "status"] == "infeasible").all()
    assert (designs.loc[designs["p.ROWS"] != 64, "status"] == "ok").all()
    layers = read_layers(tmp_path / "out")
    ok_ids = set(designs.loc[designs["status"] == "ok", "design_id"])
    assert set(layers["design_id"]) == ok_ids
    assert set(layers["layer"]) == {"conv1", "layer1.0.conv2"}
    assert set(layers["workload"]) == {"resnet18[0,layer1.0.conv2]"}
    assert s.counts.get("error", 0) == 0


def test_resume_with_another_sampler_needs_a_new_study(write_sweep, tmp_path):
    path = write_sweep(RESUME.replace("trials: 24", "trials: 8"))
    run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point)
    path = write_sweep(RESUME.replace("{name: nsga2, population_size: 4}", "random"))
    with pytest.raises(SweepError, match=r"sampler: .*nsga2.* -> .*random.*--new-study"):
        run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True, trials=16)
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  new_study=True, trials=16)
    assert s.trials == 16 and s.cached > 0          # the first study's designs are reused
    trials = _trials(tmp_path / "out")
    assert trials.groupby("study")["trial"].count().to_dict() == {"t": 8, "t@2": 16}


def test_local_ray_workers_run_at_normal_priority(monkeypatch):
    """Ray starts workers at nice 15; the local Ray of a sweep asks for 0 (unless
    RAY_worker_niceness is set), so designs evaluate as fast as cimdse.evaluate."""
    import ray
    from cimdse.dse.executors import RayExecutor
    seen = {}

    def fake_init(**kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop here")
    monkeypatch.delenv("RAY_worker_niceness", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", fake_init)
    with pytest.raises(RuntimeError, match="stop here"):
        RayExecutor("spec.yaml", [], num_cpus=1)
    assert seen["address"] == "local" and seen["_system_config"] == {"worker_niceness": 0}
    seen.clear()
    monkeypatch.setenv("RAY_worker_niceness", "10")
    with pytest.raises(RuntimeError, match="stop here"):
        RayExecutor("spec.yaml", [], num_cpus=1)
    assert "_system_config" not in seen
