"""Sweeps that nothing wedges or corrupts: the study journal, determinism across
machines, per-design limits, the directory lock, changed spaces, damaged parts,
full disks and planted pickles."""

from __future__ import annotations

import errno
import functools
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cimdse.dse import read_results, run_sweep
from cimdse.dse.errors import SweepError
from cimdse.dse.executors import SerialExecutor
from cimdse.dse.fake import fake_evaluate_point, misbehaving_evaluate_point
from cimdse.dse.parser import load_sweep
from cimdse.dse.samplers import trial_seed
from cimdse.dse.store import ResultStore, StoreError
from cimdse.dse.study import default_batch_size, journal_path

from dse_helpers import BASIC

NSGA = BASIC.replace("{name: random}", "{name: nsga2, population_size: 6}").replace(
    "trials: 12", "trials: 30").replace("execution: {batch: 4, chunk: 2, flush_seconds: 0}",
                                        "execution: {chunk: 2, flush_seconds: 0}")


def _trial_ids(out) -> list[str]:
    trials = ResultStore(out).read_frame("trials").sort_values("trial")
    return list(trials["design_id"])


class _WideSerial(SerialExecutor):
    """The serial executor claiming many CPUs: what a seeded sweep asks must not change."""

    def __init__(self, spec_path, workloads, cpus):
        super().__init__(spec_path, workloads, fake_evaluate_point)
        self.cpus = cpus


def test_trial_seeds_are_a_pure_function():
    assert trial_seed(0, 5) == trial_seed(0, 5)
    assert len({trial_seed(s, n) for s in range(3) for n in range(50)}) == 150
    assert all(0 <= trial_seed(7, n) < 2**32 for n in range(20))


def test_default_batch_does_not_depend_on_the_machine(write_sweep):
    sweep = load_sweep(write_sweep(BASIC.replace("execution: {batch: 4, chunk: 2, "
                                                 "flush_seconds: 0}", "")))
    assert default_batch_size(sweep, 16) == 8           # at least 8
    assert default_batch_size(sweep, 1000) == 100       # a tenth of the budget
    assert default_batch_size(sweep, 10**6) == 256      # at most 256
    nsga = load_sweep(write_sweep(NSGA))
    assert default_batch_size(nsga, 30) == 6            # the NSGA population


@pytest.mark.parametrize("sampler", ["{name: tpe, n_startup_trials: 4}",
                                     "{name: nsga2, population_size: 6}"])
def test_same_designs_on_one_and_many_cpus(write_sweep, tmp_path, sampler):
    path = write_sweep(NSGA.replace("{name: nsga2, population_size: 6}", sampler))
    run_sweep(path, tmp_path / "one", executor="serial", evaluate_point=fake_evaluate_point)
    sweep = load_sweep(path)
    wide = _WideSerial(str(sweep.spec_path), [w.as_dict() for w in sweep.workloads], cpus=16)
    run_sweep(path, tmp_path / "many", executor=wide)
    assert _trial_ids(tmp_path / "one") == _trial_ids(tmp_path / "many")
    assert len(set(_trial_ids(tmp_path / "one"))) > 10


def test_nsga2_sweep_resumes_from_the_journal_after_an_interrupt(write_sweep, tmp_path):
    path = write_sweep(NSGA)
    run_sweep(path, tmp_path / "ref", executor="serial", evaluate_point=fake_evaluate_point)

    def stop(n):
        if n == 9:
            raise KeyboardInterrupt
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  on_result=stop)
    assert s.stopped == "interrupted" and s.trials < 30
    assert journal_path(tmp_path / "out").stat().st_size > 0
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True)
    assert s.trials == 30
    assert _trial_ids(tmp_path / "out") == _trial_ids(tmp_path / "ref")
    designs = read_results(tmp_path / "out")
    assert designs["design_id"].is_unique
    assert set(designs["design_id"]) == set(_trial_ids(tmp_path / "out"))


KILL_SCRIPT = textwrap.dedent("""
    import functools, sys
    from cimdse.dse import run_sweep
    from cimdse.dse.fake import fake_evaluate_point
    run_sweep(sys.argv[1], sys.argv[2], executor="serial",
              evaluate_point=functools.partial(fake_evaluate_point, cost_s=0.03))
""")


def test_sigkill_then_resume_gives_the_uninterrupted_designs(write_sweep, tmp_path):
    path = write_sweep(NSGA.replace("trials: 30", "trials: 60").replace(
        "flush_seconds: 0", "flush_seconds: 600"))   # rows buffered: a kill loses them all
    run_sweep(path, tmp_path / "ref", executor="serial", evaluate_point=fake_evaluate_point)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path), str(out)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read().decode()
            journal = journal_path(out)
            if journal.exists() and journal.read_bytes().count(b'"state":1') >= 20:
                break                                 # about 20 trials told
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert ResultStore(out).read_table("designs") is None   # nothing had been flushed
    s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, resume=True)
    assert s.trials == 60
    assert _trial_ids(out) == _trial_ids(tmp_path / "ref")
    ref = read_results(tmp_path / "ref").set_index("design_id").sort_index()
    got = read_results(out).set_index("design_id").sort_index()
    assert list(got.index) == list(ref.index)
    assert (got["energy_pj"].fillna(-1) == ref["energy_pj"].fillna(-1)).all()


def test_a_cut_journal_record_is_dropped_on_resume(write_sweep, tmp_path):
    path = write_sweep(BASIC)
    run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
              trials=8)
    journal = journal_path(tmp_path / "out")
    journal.write_bytes(journal.read_bytes() + b'{"op_code": 5, "worker_id": "x", "tri')
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True)
    assert s.trials == 12 and journal.read_bytes().endswith(b"\n")


def _timed_sweep(path, out, within_s: float, **kwargs):
    """Run a sweep that must end within ``within_s``; returns (summary, designs)."""
    t0 = time.monotonic()
    summary = run_sweep(path, out, **kwargs)
    assert time.monotonic() - t0 < within_s
    return summary, read_results(out)


def test_a_hanging_design_becomes_an_error_row_within_the_wall_time(write_sweep, tmp_path):
    body = BASIC.replace("budget: {trials: 12}", "budget: {trials: 12, wall_time: 3s}")
    hang = functools.partial(misbehaving_evaluate_point, hang_rows=256)
    s, designs = _timed_sweep(write_sweep(body), tmp_path / "out", 60, executor="serial",
                              evaluate_point=hang)
    hung = designs[designs["p.ROWS"] == 256]
    assert len(hung) >= 1 and (hung["status"] == "error").all()
    assert hung["error"].str.contains("time limit of 3 s").all()
    assert (designs.loc[designs["p.ROWS"] != 256, "status"] != "error").all()
    assert s.stopped in ("wall_time", "budget")


def test_a_design_past_its_memory_limit_is_an_error_row(write_sweep, tmp_path):
    body = BASIC.replace("flush_seconds: 0}", "flush_seconds: 0, memory_limit: 256MiB}")
    hog = functools.partial(misbehaving_evaluate_point, hog_rows=128, hog_bytes=2**31)
    run_sweep(write_sweep(body), tmp_path / "out", executor="serial", evaluate_point=hog)
    designs = read_results(tmp_path / "out")
    hogs = designs[designs["p.ROWS"] == 128]
    assert len(hogs) >= 1 and (hogs["status"] == "error").all()
    assert hogs["error"].str.contains("memory limit of 256 MiB").all()
    assert (designs.loc[designs["p.ROWS"] != 128, "status"] != "error").all()
    assert len(designs[designs["status"] == "ok"]) >= 1       # the sweep went on


def test_wall_time_stops_a_batch_in_flight_and_resume_finishes_it(write_sweep, tmp_path):
    body = BASIC.replace("budget: {trials: 12}", "budget: {trials: 12, wall_time: 1s}").replace(
        "batch: 4", "batch: 12")
    slow = functools.partial(fake_evaluate_point, cost_s=0.3)
    t0 = time.monotonic()
    s = run_sweep(write_sweep(body), tmp_path / "out", executor="serial", evaluate_point=slow)
    assert time.monotonic() - t0 < 30 and s.stopped == "wall_time" and s.trials < 12
    open_trials = 12 - s.trials
    assert open_trials > 0
    path = write_sweep(body.replace("wall_time: 1s", "wall_time: 1h"))   # the budget may change
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True)
    assert s.trials == 12 and s.stopped == "budget"
    ref = tmp_path / "ref"
    run_sweep(path, ref, executor="serial", evaluate_point=fake_evaluate_point)
    assert _trial_ids(tmp_path / "out") == _trial_ids(ref)


def test_a_second_sweep_on_the_same_directory_is_refused(write_sweep, tmp_path):
    path = write_sweep(BASIC)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from cimdse.dse.store import ResultStore
        with ResultStore({str(tmp_path / 'out')!r}).lock():
            print("locked", flush=True)
            time.sleep(60)
    """)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        with pytest.raises(StoreError, match=r"in use by another sweep \(pid \d+"):
            run_sweep(path, tmp_path / "out", executor="serial",
                      evaluate_point=fake_evaluate_point, resume=True)
    finally:
        holder.kill()
        holder.wait(10)
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True)                                # the lock died with its holder
    assert s.trials == 12


def test_resume_with_a_changed_range_is_refused(write_sweep, tmp_path):
    run_sweep(write_sweep(BASIC), tmp_path / "out", executor="serial",
              evaluate_point=fake_evaluate_point, trials=8)
    changed = write_sweep(BASIC.replace("high: 256, step: 64", "high: 512, step: 64"), "b.yaml")
    with pytest.raises(SweepError, match=r"parameter COLS\.high: 256 -> 512.*--new-study"):
        run_sweep(changed, tmp_path / "out", executor="serial",
                  evaluate_point=fake_evaluate_point, resume=True)
    assert len(_trial_ids(tmp_path / "out")) == 8                 # nothing was written


def test_cli_resume_with_a_changed_objective_is_one_line(write_sweep, tmp_path, capsys):
    from cimdse.cli import main
    out = tmp_path / "out"
    args = ["--out", str(out), "--address", "serial", "--no-progress",
            "--evaluator", "cimdse.dse.fake:fake_evaluate_point"]
    assert main(["sweep", str(write_sweep(BASIC)), *args]) == 0
    changed = write_sweep(BASIC.replace("latency_s: minimize", "latency_s: maximize"), "b.yaml")
    capsys.readouterr()
    assert main(["sweep", str(changed), "--resume", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "objectives:" in err and "Traceback" not in err


def test_a_planted_pickle_is_never_loaded(write_sweep, tmp_path):
    path = write_sweep(BASIC)
    out = tmp_path / "out"
    run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, trials=8)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    (out / "study.pkl").write_bytes(pickle.dumps(Payload()))
    s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, resume=True)
    assert s.trials == 12 and not marker.exists()
    read_results(out)
    assert not marker.exists()


def test_a_truncated_part_is_named_with_how_to_set_it_aside(write_sweep, tmp_path, capsys):
    from cimdse.cli import main
    path = write_sweep(BASIC)
    out = tmp_path / "out"
    run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point)
    part = ResultStore(out).parts("designs")[1]
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    with pytest.raises(StoreError, match=rf"{part.name}: damaged Parquet part.*_damaged"):
        read_results(out)
    assert main(["pareto", str(out)]) == 2
    err = capsys.readouterr().err
    assert part.name in err and "Traceback" not in err
    with pytest.raises(StoreError, match=part.name):
        run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, resume=True)
    (out / "_damaged").mkdir()
    part.rename(out / "_damaged" / part.name)              # as the message says
    s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, resume=True)
    assert s.trials == 12 and s.evaluated >= 1               # its designs evaluated again
    designs = read_results(out)
    assert designs["design_id"].is_unique
    assert set(designs["design_id"]) == set(_trial_ids(out))


def test_a_full_disk_is_one_clear_error_and_the_sweep_resumes(write_sweep, tmp_path,
                                                              monkeypatch):
    import pyarrow.parquet as pq
    path = write_sweep(BASIC)
    out = tmp_path / "out"
    real = pq.write_table
    calls = []

    def fill_up(table, where, **kw):
        calls.append(where)
        if len(calls) > 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(table, where, **kw)
    monkeypatch.setattr(pq, "write_table", fill_up)
    with pytest.raises(StoreError, match="No space left on device.*free some space.*--resume"):
        run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point)
    monkeypatch.setattr(pq, "write_table", real)
    read_results(out)                                      # still readable
    s = run_sweep(path, out, executor="serial", evaluate_point=fake_evaluate_point, resume=True)
    assert s.trials == 12
    designs = read_results(out)
    assert designs["design_id"].is_unique and set(designs["design_id"]) == set(_trial_ids(out))


def test_wall_time_zero_is_a_located_error(write_sweep):
    from cimdse.spec.errors import SpecError
    with pytest.raises(SpecError, match=r"sweep.yaml:\d+:\d+: budget.wall_time"):
        load_sweep(write_sweep(BASIC.replace("budget: {trials: 12}",
                                             "budget: {trials: 12, wall_time: 0}")))


def test_on_ray_a_hanging_design_is_stopped_in_its_worker(ray_local, write_sweep, tmp_path):
    body = BASIC.replace("budget: {trials: 12}", "budget: {trials: 12, wall_time: 4s}")
    hang = functools.partial(misbehaving_evaluate_point, hang_rows=256)
    _, designs = _timed_sweep(write_sweep(body), tmp_path / "out", 60, evaluate_point=hang)
    hung = designs[designs["p.ROWS"] == 256]
    assert len(hung) >= 1 and hung["error"].str.contains("time limit of 4 s").all()


def test_on_ray_a_worker_deaf_to_its_timer_is_killed(ray_local, write_sweep, tmp_path,
                                                     monkeypatch):
    from cimdse.dse.executors import RayExecutor
    monkeypatch.setattr(RayExecutor, "backstop_grace_s", 1.0)
    body = BASIC.replace("execution: {batch: 4, chunk: 2, flush_seconds: 0}",
                         "execution: {batch: 4, chunk: 2, flush_seconds: 0, timeout: 1s}")
    deaf = functools.partial(misbehaving_evaluate_point, deaf_rows=256)
    _, designs = _timed_sweep(write_sweep(body), tmp_path / "out", 120, evaluate_point=deaf)
    deafs = designs[designs["p.ROWS"] == 256]
    assert len(deafs) >= 1 and deafs["error"].str.contains("was killed").all()
    others = designs[designs["p.ROWS"] != 256]       # a chunk-mate was sent again alone
    assert len(others) >= 1 and (others["status"] != "error").all()


@pytest.mark.parametrize("sampler", ["{name: nsga2, population_size: 6}",
                                     "{name: tpe, n_startup_trials: 30}"])
def test_a_trial_cut_off_while_being_asked_is_replayed(write_sweep, tmp_path, monkeypatch,
                                                       sampler):
    """Interrupted between two suggestions of trial 24 (2 of its 4 parameters stored):
    the resumed sweep completes it as the uninterrupted ask did."""
    from cimdse.dse import space
    path = write_sweep(NSGA.replace("{name: nsga2, population_size: 6}", sampler))
    run_sweep(path, tmp_path / "ref", executor="serial", evaluate_point=fake_evaluate_point)
    real, calls = space.suggest, []

    def cut(trial, p):
        calls.append(p.name)
        if len(calls) == 24 * 4 + 3:
            raise KeyboardInterrupt
        return real(trial, p)
    monkeypatch.setattr(space, "suggest", cut)
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point)
    monkeypatch.setattr(space, "suggest", real)
    assert s.stopped == "interrupted"
    s = run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
                  resume=True)
    assert s.trials == 30
    assert _trial_ids(tmp_path / "out") == _trial_ids(tmp_path / "ref")


@pytest.mark.parametrize("cut_trial", [12, 13])
def test_a_trial_cut_off_before_its_first_suggestion_keeps_its_generation(
        write_sweep, tmp_path, monkeypatch, cut_trial):
    """NSGA-II writes a trial's generation at its first suggestion, and the first
    trial of a generation caches the parent population in the study; a trial cut off
    before its first suggestion gets both from the replayed ask, so the rest of the
    sweep goes as in the uninterrupted run (trial 12 opens generation 2)."""
    from cimdse.dse import space
    path = write_sweep(NSGA)
    run_sweep(path, tmp_path / "ref", executor="serial", evaluate_point=fake_evaluate_point)
    real, calls = space.suggest, []

    def cut(trial, p):
        calls.append(p.name)
        if len(calls) == cut_trial * 4 + 1:      # before the trial's first suggestion
            raise KeyboardInterrupt
        return real(trial, p)
    monkeypatch.setattr(space, "suggest", cut)
    run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point)
    monkeypatch.setattr(space, "suggest", real)
    run_sweep(path, tmp_path / "out", executor="serial", evaluate_point=fake_evaluate_point,
              resume=True)
    assert _trial_ids(tmp_path / "out") == _trial_ids(tmp_path / "ref")
