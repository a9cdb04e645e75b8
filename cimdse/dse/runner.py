"""The sweep driver: Optuna ask/tell in this process, designs evaluated on Ray.

The study lives in Optuna's journal storage in the results directory
(:mod:`.study`); the designs in the Parquet store (:mod:`.store`). One loop,
batch by batch, on a fixed grid of trial numbers (``batch`` trials each,
fixed when the study is created; it never depends on the CPU count):

1. ask the rest of the current batch, each trial ``n`` with a sampler seeded
   from ``(sweep seed, n)``; resolve it into spec overrides and a stable
   ``design_id`` (a trial user attribute);
2. designs already in the store (or earlier in the batch) are served from
   it; the others go to the executor in chunks, under a per-design time and
   memory limit;
3. results are told to Optuna in trial order (constraints with
   ``trial.set_constraint``; no-mapping designs and errors as FAIL);
4. rows are buffered and flushed as immutable Parquet parts (designs,
   layers, then the trial log, which commits the flush).

Resume is ``optuna.load_study`` plus the store. Trials asked but never told
(the run was killed or stopped mid-batch) are completed first, with the
parameters they were asked with; told trials whose rows never reached the
store are evaluated again (evaluation is deterministic). So a killed sweep
resumed with ``--resume`` ends with the same trials and design ids as an
uninterrupted run of the same sweep file and seed. Only the driver touches
Optuna and writes files, holding the directory's lock.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa

from .checks import check_bindings, check_workloads
from .errors import StudyError, SweepError
from .evaluation import SKIPPED, EvaluatePoint
from .executors import RayExecutor, SerialExecutor
from .limits import Limits
from .parser import load_sweep
from .samplers import FixedValuesSampler, sampler_for_trial
from .schema import Sweep
from .space import design_id as make_design_id, sample, seed_of
from .store import LEGACY_STATE_FILE, METRIC_COLUMNS, ResultStore, StoreError, write_error
from .study import (DESIGN_ATTR, batch_size, create_study, default_batch_size, has_journal,
                    load_latest_study, open_storage, replay_ask, study_names)

log = logging.getLogger(__name__)

__all__ = ["Runner", "SweepSummary", "run_sweep"]


@dataclass
class SweepSummary:
    """What a sweep did; ``str()`` is the CLI's summary."""

    name: str
    out_dir: Path
    trials: int                        # Optuna trials in the study (incl. resumed ones)
    counts: dict[str, int]             # design rows by status (whole store)
    best: dict[str, dict]              # objective -> {value, design_id, trial, params}
    evaluated: int = 0                 # designs evaluated by this run
    cached: int = 0                    # trials of this run served from the store
    elapsed_s: float = 0.0
    stopped: str = "budget"            # budget | wall_time | interrupted | exhausted
    executor: str = ""
    cpus: int = 1
    #: Pareto front of the objectives over the feasible designs (whole store), sorted by
    #: the first objective: {design_id, trial, <objective>..., params}.
    front: list[dict] = field(default_factory=list)
    objectives: dict[str, str] = field(default_factory=dict)   # column -> direction
    max_front_rows: int = 30                                   # rows str() prints

    @property
    def designs_per_s(self) -> float:
        return self.evaluated / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def __str__(self) -> str:
        c = self.counts
        lines = [f"sweep {self.name}: {self.trials} trials, {sum(c.values())} designs "
                 f"(ok {c.get('ok', 0)}, infeasible {c.get('infeasible', 0)}, "
                 f"error {c.get('error', 0)}); stopped: {self.stopped}",
                 f"this run: {self.evaluated} designs evaluated, {self.cached} served from the "
                 f"store, {self.elapsed_s:.1f} s on {self.executor} ({self.cpus} CPUs), "
                 f"{self.designs_per_s:.2f} designs/s"]
        for obj, b in self.best.items():
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in b["params"].items())
            lines.append(f"best {obj} ({b['direction']}): {_fmt(b['value'])}  "
                         f"[design {b['design_id']}, trial {b['trial']}: {params}]")
        if not self.best:
            lines.append("no feasible design yet")
        if self.front:
            lines.append(f"Pareto front ({len(self.front)} of {c.get('ok', 0)} feasible designs; "
                         + ", ".join(f"{k} ({v})" for k, v in self.objectives.items()) + "):")
            lines.extend(_front_table(self.front, list(self.objectives), self.max_front_rows))
        lines.append(f"results: {self.out_dir}/  (designs/*.parquet, layers/*.parquet; "
                     f"cimdse.read_results('{self.out_dir}'), cimdse pareto {self.out_dir})")
        return "\n".join(lines)


def _front_table(front: list[dict], objectives: list[str], max_rows: int) -> list[str]:
    """Aligned text table of front rows: design, trial, objectives, parameters."""
    params = list(dict.fromkeys(k for r in front for k in r["params"]))
    header = ["design_id", "trial", *objectives, *params]
    shown = front[:max_rows]
    cells = [[str(r["design_id"]), str(r["trial"]), *(_fmt(r[o]) for o in objectives),
              *(_fmt(r["params"].get(k, "")) for k in params)] for r in shown]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    out = ["  " + "  ".join(h.rjust(w) for h, w in zip(header, widths))]
    out += ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    if len(front) > len(shown):
        out.append(f"  ... {len(front) - len(shown)} more (cimdse pareto DIR prints them all)")
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


# ----------------------------------------------------------------- batches

@dataclass
class _Pending:
    """One trial of the current batch: asked, not yet told."""

    trial: Any                      # optuna.trial.Trial
    params: dict
    overrides: dict
    design_id: str

    @property
    def number(self) -> int:
        return self.trial.number


def _trial_row(study_name: str, ft, did: str | None) -> dict:
    import json
    from optuna.distributions import distribution_to_json
    return {"study": study_name, "trial": ft.number, "design_id": did, "state": ft.state.name,
            "values": json.dumps(ft.values),
            "params": json.dumps(ft.params),
            "distributions": json.dumps({k: distribution_to_json(v)
                                         for k, v in ft.distributions.items()}),
            "system_attrs": json.dumps(ft.system_attrs, default=str),
            "user_attrs": json.dumps(ft.user_attrs, default=str)}


# ----------------------------------------------------------------- the runner

class Runner:
    """Runs one sweep into one results directory (see module docstring).

    ``sweep``: a :class:`Sweep` or a sweep-file path. ``out_dir``: default
    ``results/<name>``. ``trials``: overrides ``budget.trials`` (with ``resume``, the
    total to reach). ``resume``: continue the study in ``out_dir`` (refused when the
    sweep file's search space changed); ``new_study``: continue in ``out_dir`` with a
    new study for a changed space (evaluated designs are still served from the store).
    ``executor``: ``"ray"`` (local Ray with ``num_cpus`` or all CPUs;
    ``address="auto"``/``RAY_ADDRESS`` joins a cluster), ``"serial"``, or an object with
    ``cpus`` and ``map_chunks``. ``evaluate_point``: the per-design evaluator (default
    ``cimdse.load`` + ``cimdse.evaluate``). ``progress``: show a tqdm bar.
    ``on_result(n)``: called after each design result arrives (tests use it to
    interrupt). ``check``: load the spec with every binding first.
    """

    def __init__(self, sweep: Sweep | str | Path, out_dir: str | Path | None = None, *,
                 trials: int | None = None, address: str | None = None, resume: bool = False,
                 new_study: bool = False, executor: str | Any = "ray",
                 evaluate_point: EvaluatePoint | None = None, num_cpus: int | None = None,
                 progress: bool = False, on_result: Callable[[int], None] | None = None,
                 check: bool = True):
        self.sweep = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
        self.out = Path(out_dir) if out_dir is not None else Path("results") / self.sweep.name
        self.total = int(trials if trials is not None else self.sweep.trials)
        self.address, self.num_cpus = address, num_cpus
        self.resume, self.new_study = resume or new_study, new_study
        self.executor_choice = executor
        self.evaluate_point = evaluate_point
        self.progress = progress
        self.on_result = on_result
        self.check = check
        self.store = ResultStore(self.out)
        self.spec_hash = self.sweep.spec_hash
        self.workloads = [w.as_dict() for w in self.sweep.workloads]
        self.cache: dict[str, dict] = {}          # design_id -> design row
        self.buffer: dict[str, list[dict]] = {"designs": [], "layers": [], "trials": []}
        self.param_types = self._param_types()
        self.best: dict[str, dict] = {}
        self.flush_name: str | None = None
        self.last_flush = time.monotonic()
        self.evaluated = self.cached_hits = self.results_seen = 0
        self.batch = 1
        self.study_name = self.sweep.name
        self.chunk = self.sweep.execution.chunk or 1
        self.t_start = time.monotonic()
        self.stop_at_epoch: float | None = None
        self.journal = None                       # the study journal's backend (sync/close)
        self.storage = None                       # the study's Optuna storage

    # ------------------------------------------------------------- setup
    def _param_types(self) -> dict[str, pa.DataType]:
        types = {}
        for p in self.sweep.parameters:
            if p.type == "int":
                types[p.column] = pa.int64()
            elif p.type == "float":
                types[p.column] = pa.float64()
            else:
                vals = [c for c in p.choices if c is not None]
                if vals and all(isinstance(c, bool) for c in vals):
                    types[p.column] = pa.bool_()
                elif vals and all(isinstance(c, int) and not isinstance(c, bool) for c in vals):
                    types[p.column] = pa.int64()
                elif vals and all(isinstance(c, (int, float)) and not isinstance(c, bool)
                                  for c in vals):
                    types[p.column] = pa.float64()
                else:
                    types[p.column] = pa.string()
        return types

    def _prepare_dir(self) -> None:
        exists = self.store.exists()
        if exists and not self.resume:
            raise SweepError(f"{self.out} already holds sweep results; pass --resume to "
                             "continue it, or choose another --out")
        if exists and not has_journal(self.out):
            raise SweepError(f"{self.out} was written by an older cimdse without a study "
                             "journal; its results stay readable (cimdse.read_results, "
                             "cimdse pareto), but continue the sweep in another --out")
        if (self.out / LEGACY_STATE_FILE).exists():
            log.warning("ignoring %s: cimdse never loads pickles from a results directory",
                        self.out / LEGACY_STATE_FILE)
        self.store.create()
        self.store.clean_staging()
        if self.resume:
            self.store.rollback_uncommitted()

    def _open_study(self):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            storage, self.journal = open_storage(self.out)
            self.storage = storage
            names = study_names(storage)
            if names and not self.new_study:
                study = load_latest_study(storage, self.sweep, names)
            else:
                study = create_study(storage, self.sweep,
                                     default_batch_size(self.sweep, self.total), names)
                self.store.write_sweep_copy(self.sweep.text)
        except StudyError as err:
            raise SweepError(str(err)) from None
        self.study_name = study.study_name
        self.batch = batch_size(study, self.sweep, self.total)
        return study

    def _load_cache(self) -> None:
        designs = self.store.read_table("designs")
        if designs is not None:
            for row in designs.to_pylist():
                self.cache.setdefault(row["design_id"], row)
        for row in self.cache.values():
            self._update_best(row)

    def _logged_trials(self) -> set[int]:
        trials = self.store.read_table("trials", ["study", "trial"])
        if trials is None:
            return set()
        return {r["trial"] for r in trials.to_pylist() if r.get("study") == self.study_name}

    def _limits(self) -> Limits:
        ex = self.sweep.execution
        seconds = ex.timeout if self.sweep.wall_time_s is None else \
            min(ex.timeout, self.sweep.wall_time_s)
        return Limits(seconds=seconds, memory_bytes=ex.memory_limit)

    def _make_executor(self):
        choice = self.executor_choice
        if not isinstance(choice, str):
            return choice
        args = (str(self.sweep.spec_path), self.workloads, self.evaluate_point)
        limits = dict(limits=self._limits(), stop_after=self.stop_at_epoch)
        if choice == "serial" or self.address == "serial":
            return SerialExecutor(*args, **limits)
        if choice == "ray":
            return RayExecutor(*args, address=self.address, num_cpus=self.num_cpus,
                               max_retries=self.sweep.execution.max_retries, **limits)
        raise SweepError(f"unknown executor {choice!r}; use 'ray' or 'serial'")

    def _preflight(self) -> None:
        if self.check:
            check_bindings(self.sweep)
            check_workloads(self.sweep)

    # ------------------------------------------------------------- rows
    def _design_row(self, trial: int, params: dict, result: dict) -> dict:
        row = {"design_id": result["design_id"], "trial": trial, "status": result["status"],
               "error": result["error"], "study": self.study_name}
        for p in self.sweep.parameters:
            row[p.column] = params.get(p.name)
        record = result["record"] or {}
        for k in METRIC_COLUMNS:                 # always present (null for failed designs)
            row[k] = record.get(k)
        for k, v in record.items():
            if k not in row:
                row[k] = v
        if row["status"] == "ok":
            self._judge(row, record)
        row.update(eval_s=result["eval_s"], worker=result["worker"],
                   started_at=result["started_at"])
        return row

    def _judge(self, row: dict, record: dict) -> None:
        """Mark an ``ok`` row ``error`` (objectives missing or not finite, a
        constraint that cannot be computed) or ``infeasible`` (a constraint violated)."""
        missing = [o.column for o in self.sweep.objectives if not _finite(record.get(o.column))]
        if missing:
            row["status"] = "error"
            row["error"] = "objective(s) missing or not finite: " + ", ".join(
                f"{m}={record.get(m)!r}" for m in missing)
            return
        violated = []
        for c in self.sweep.constraints:
            try:
                value = c.value(record)
            except Exception as err:  # noqa: BLE001 - e.g. column missing
                row["status"], row["error"] = "error", f"constraint {c.text!r}: {err}"
                return
            if not _finite(value):
                row["status"], row["error"] = "error", f"constraint {c.text!r} is {value!r}"
                return
            if not c.satisfied(record):
                violated.append(c.text)
        if violated:
            row["status"] = "infeasible"
            row["error"] = "constraint violated: " + "; ".join(violated)

    def _tell(self, study, trial, row: dict) -> bool:
        """Tell one result; returns False when the sampler says the space is exhausted."""
        import optuna
        try:
            if row["status"] == "error" or (row["status"] == "infeasible"
                                            and not _finite(row.get(self.sweep.objectives[0].column))):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                return True
            with warnings.catch_warnings():
                # a trial left open after its constraints were set is told again on resume
                warnings.filterwarnings("ignore", message=".*constraint.*already set")
                for i, c in enumerate(self.sweep.constraints):
                    trial.set_constraint(f"c{i}", c.value(row))
            study.tell(trial, [float(row[o.column]) for o in self.sweep.objectives])
        except RuntimeError as err:   # grid/bruteforce call study.stop() outside optimize()
            if "stop" in str(err).lower() or "optimize" in str(err).lower():
                return False
            raise
        return True

    def _update_best(self, row: dict) -> None:
        if row.get("status") != "ok":
            return
        for o in self.sweep.objectives:
            v = row.get(o.column)
            if not _finite(v):
                continue
            cur = self.best.get(o.column)
            better = cur is None or (v < cur["value"] if o.direction == "minimize"
                                     else v > cur["value"])
            if better:
                self.best[o.column] = {
                    "value": float(v), "direction": o.direction, "design_id": row["design_id"],
                    "trial": row.get("trial"),
                    "params": {p.name: row.get(p.column) for p in self.sweep.parameters
                               if row.get(p.column) is not None}}

    # ------------------------------------------------------------- flushing
    def _flush(self) -> None:
        """Write the buffered batches: designs, layers, then the trial log (the commit
        record). Each kind is cleared once written, so a flush that is interrupted
        and retried never writes a part twice."""
        b = self.buffer
        wrote = bool(b["trials"] or b["designs"])
        if wrote and self.flush_name is None:
            # One name for the flush's parts; the trials part (written last) commits it.
            self.flush_name = self.store.new_part_name()
        for kind in ("designs", "layers", "trials"):
            if b[kind]:
                self.store.write_rows(kind, b[kind], self.param_types if kind == "designs" else None,
                                      name=self.flush_name)
                b[kind] = []
        self.flush_name = None
        self.last_flush = time.monotonic()

    def _flush_due(self) -> bool:
        ex = self.sweep.execution
        return (len(self.buffer["designs"]) + len(self.buffer["trials"]) >= ex.flush_rows
                or time.monotonic() - self.last_flush >= ex.flush_seconds)

    # ------------------------------------------------------------- evaluation
    def _evaluate(self, executor, todo: dict[str, dict], bar) -> dict[str, dict]:
        """Results of the designs in ``todo`` (design_id -> overrides), by design_id."""
        items = [{"design_id": did, "overrides": ov, "seed": seed_of(did)}
                 for did, ov in todo.items()]
        per_task = min(self.chunk, max(1, math.ceil(len(items) / max(1, executor.cpus))))
        chunks = [items[i:i + per_task] for i in range(0, len(items), per_task)]
        results: dict[str, dict] = {}
        for _, res in executor.map_chunks(chunks):
            for r in res:
                results[r["design_id"]] = r
                self.results_seen += 1
                if self.on_result is not None:
                    self.on_result(self.results_seen)
            bar.update(sum(1 for r in res if r["status"] != SKIPPED))
        done = [r for r in results.values() if r["status"] != SKIPPED]
        if self.sweep.execution.chunk is None and done:
            mean = sum(r["eval_s"] for r in done) / len(done)
            self.chunk = max(1, min(500, math.ceil(0.1 / max(mean, 1e-6))))
        return results

    def _resolve(self, study, ft) -> _Pending:
        """A trial left open by an earlier run, with the parameters it was asked with.
        A trial cut off while being asked gets the parameters it lacks from a replay of
        its ask (:func:`.study.replay_ask`), so it ends as the uninterrupted ask would."""
        import optuna
        from optuna.trial import FixedTrial
        try:
            sample(self.sweep, FixedTrial(ft.params))
            study.sampler = sampler_for_trial(self.sweep, ft.number)
        except ValueError:                 # a parameter missing: replay the ask
            params, attrs = replay_ask(self.sweep, self.storage, study.study_name,
                                       study.get_trials(deepcopy=False)[:ft.number])
            for key, value in attrs.items():   # e.g. the NSGA generation later asks count
                if key not in ft.system_attrs:
                    self.storage.set_trial_system_attr(ft._trial_id, key, value)
            study.sampler = FixedValuesSampler(params)
        trial = optuna.trial.Trial(study, ft._trial_id)
        params, overrides = sample(self.sweep, trial)
        did = ft.user_attrs.get(DESIGN_ATTR) or make_design_id(overrides, self.spec_hash,
                                                               self.workloads)
        if DESIGN_ATTR not in ft.user_attrs:
            trial.set_user_attr(DESIGN_ATTR, did)
        return _Pending(trial, params, overrides, did)

    def _ask(self, study, number: int) -> _Pending:
        study.sampler = sampler_for_trial(self.sweep, number)
        trial = study.ask()
        if trial.number != number:
            raise SweepError(f"another process wrote to {self.out}/study.journal (asked trial "
                             f"{number}, got {trial.number}); the directory is not usable")
        params, overrides = sample(self.sweep, trial)
        did = make_design_id(overrides, self.spec_hash, self.workloads)
        trial.set_user_attr(DESIGN_ATTR, did)
        return _Pending(trial, params, overrides, did)

    # ------------------------------------------------------------- recovery
    def _recover(self, study, executor, bar) -> None:
        """Rows for finished trials that never reached the store (a run killed
        between telling and flushing, or a damaged part set aside)."""
        from optuna.trial import FixedTrial
        logged = self._logged_trials()
        lost = [ft for ft in study.get_trials(deepcopy=False)
                if ft.state.is_finished() and (ft.number not in logged or
                                               ft.user_attrs.get(DESIGN_ATTR) not in self.cache)]
        if not lost:
            return
        log.info("%d finished trials have no row in the store; evaluating them again", len(lost))
        points: dict[int, tuple[dict, dict, str | None]] = {}
        for ft in lost:
            try:
                params, ov = sample(self.sweep, FixedTrial(ft.params))
            except ValueError:    # a parameter missing: the trial never got a design
                points[ft.number] = ({}, {}, None)
                continue
            points[ft.number] = (params, ov, ft.user_attrs.get(DESIGN_ATTR) or
                                 make_design_id(ov, self.spec_hash, self.workloads))
        todo = {did: ov for _, ov, did in points.values() if did and did not in self.cache}
        results = self._evaluate(executor, todo, bar)
        for ft in lost:
            params, _, did = points[ft.number]
            if did in results and did not in self.cache and results[did]["status"] != SKIPPED:
                row = self._design_row(ft.number, params, results[did])
                self.cache[did] = row
                self.evaluated += 1
                self.buffer["designs"].append(row)
                self.buffer["layers"].extend({"design_id": did, **lr}
                                             for lr in results[did]["layers"])
                self._update_best(row)
            if ft.number not in logged:
                self.buffer["trials"].append(_trial_row(self.study_name, ft, did))
        self._flush()

    # ------------------------------------------------------------- the loop
    def run(self) -> SweepSummary:
        self.t_start = time.monotonic()
        if self.sweep.wall_time_s is not None:
            self.stop_at_epoch = time.time() + self.sweep.wall_time_s
        self._preflight()
        with self.store.lock():
            return self._run_locked()

    def _run_locked(self) -> SweepSummary:
        self._prepare_dir()
        study = self._open_study()
        try:
            self._load_cache()
            executor = self._make_executor()
            try:
                stopped = self._drive(study, executor)
            finally:
                if isinstance(self.executor_choice, str):
                    executor.close()
        finally:
            self.journal.close()
        return self._summary(study, stopped, time.monotonic() - self.t_start, executor)

    def _drive(self, study, executor) -> str:
        """Recover, then loop; whatever happens, completed batches end up in the store."""
        bar = self._bar(sum(1 for t in study.get_trials(deepcopy=False) if t.state.is_finished()))
        try:
            self._recover(study, executor, bar)
            return self._loop(study, executor, bar)
        except KeyboardInterrupt:
            log.warning("interrupted: flushing the completed batches (trials in flight stay "
                        "open and are evaluated on --resume)")
            return "interrupted"
        except OSError as err:
            raise write_error(self.out, err) from None
        finally:
            if hasattr(executor, "cancel"):
                executor.cancel()
            bar.close()
            self._flush()

    def _wall_time_over(self) -> bool:
        return self.stop_at_epoch is not None and time.time() >= self.stop_at_epoch

    def _loop(self, study, executor, bar) -> str:
        from optuna.trial import TrialState
        while True:
            if self._wall_time_over():
                return "wall_time"
            trials = study.get_trials(deepcopy=False)
            open_ = [ft for ft in trials if ft.state == TrialState.RUNNING]
            n = len(trials)
            if not open_:
                if n >= self.total:
                    return "budget"
                study.sampler = sampler_for_trial(self.sweep, n)
                if self._exhausted(study):
                    return "exhausted"
            first = open_[0].number if open_ else n
            end = max(n, min(self.total, (first // self.batch + 1) * self.batch))
            batch = [self._resolve(study, ft) for ft in open_]
            batch += [self._ask(study, number) for number in range(n, end)]
            outcome = self._run_batch(study, executor, batch, bar)
            if outcome:
                return outcome

    def _run_batch(self, study, executor, batch: list[_Pending], bar) -> str | None:
        """Evaluate and tell one batch; returns why the sweep stops, or None."""
        todo: dict[str, dict] = {}
        for p in batch:
            if p.design_id not in self.cache and p.design_id not in todo:
                todo[p.design_id] = p.overrides
        results = self._evaluate(executor, todo, bar)
        fresh: dict[str, dict] = {}
        for p in batch:            # a new design's row comes from its first trial
            r = results.get(p.design_id)
            if r is not None and r["status"] != SKIPPED and p.design_id not in fresh:
                fresh[p.design_id] = self._design_row(p.number, p.params, r)
        exhausted, told = False, []
        for p in batch:
            row = fresh.get(p.design_id) or self.cache.get(p.design_id)
            if row is None:        # not started before the wall time: stays open
                continue
            if not self._tell(study, p.trial, row):
                exhausted = True
            told.append(p)
            if row["trial"] != p.number or row.get("study") != self.study_name:
                self.cached_hits += 1
                bar.update(1)
        frozen = study.get_trials(deepcopy=False)
        self.cache.update(fresh)
        self.buffer["designs"].extend(sorted(fresh.values(), key=lambda r: r["trial"]))
        self.buffer["layers"].extend({"design_id": did, **lr}
                                     for did in fresh for lr in results[did]["layers"])
        self.buffer["trials"].extend(_trial_row(self.study_name, frozen[p.number], p.design_id)
                                     for p in told)
        self.evaluated += len(fresh)
        for row in fresh.values():
            self._update_best(row)
        self._set_postfix(bar)
        self.journal.sync()
        if self._flush_due():
            self._flush()
        if len(told) < len(batch):
            return "wall_time"
        return "exhausted" if exhausted else None

    def _exhausted(self, study) -> bool:
        sampler = study.sampler
        if sampler.__class__.__name__ == "GridSampler":
            return sampler.is_exhausted(study)
        return False

    def _bar(self, initial: int):
        from tqdm import tqdm
        return tqdm(total=self.total, initial=min(initial, self.total), unit="trial",
                    disable=not self.progress, desc=self.sweep.name, dynamic_ncols=True,
                    leave=True)

    def _set_postfix(self, bar) -> None:
        if self.progress and self.best:
            bar.set_postfix_str(" ".join(f"{k}={_fmt(v['value'])}" for k, v in self.best.items()),
                                refresh=False)

    def _summary(self, study, stopped: str, elapsed: float, executor) -> SweepSummary:
        counts: dict[str, int] = {}
        for row in self.cache.values():
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        finished = sum(1 for t in study.get_trials(deepcopy=False) if t.state.is_finished())
        return SweepSummary(self.sweep.name, self.out, finished, counts, dict(self.best),
                            self.evaluated, self.cached_hits, elapsed, stopped,
                            getattr(executor, "name", type(executor).__name__),
                            getattr(executor, "cpus", 1), self._front(),
                            {o.column: o.direction for o in self.sweep.objectives})

    def _front(self) -> list[dict]:
        """The Pareto front of the sweep's objectives over the feasible designs."""
        import numpy as np
        from .pareto import is_nondominated
        rows = [r for r in self.cache.values() if r.get("status") == "ok"]
        if not rows:
            return []
        objs = self.sweep.objectives
        points = np.array([[r.get(o.column) if _finite(r.get(o.column)) else np.nan
                            for o in objs] for r in rows], dtype=float)
        mask = is_nondominated(points, [o.direction == "maximize" for o in objs])
        front = [{"design_id": r["design_id"], "trial": r.get("trial"),
                  **{o.column: r.get(o.column) for o in objs},
                  "params": {p.name: r.get(p.column) for p in self.sweep.parameters
                             if r.get(p.column) is not None}}
                 for r, keep in zip(rows, mask) if keep]
        first = objs[0]
        front.sort(key=lambda r: (r[first.column] if first.direction == "minimize"
                                  else -r[first.column], r["trial"] or 0))
        return front


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def run_sweep(sweep: Sweep | str | Path, out_dir: str | Path | None = None, **kwargs) -> SweepSummary:
    """Run (or with ``resume=True`` continue) a sweep; see :class:`Runner` for options.

    ``executor``: ``"ray"`` (default; local Ray with this machine's CPUs, or
    ``address="auto"`` / ``RAY_ADDRESS`` to join a cluster), ``"serial"``, or an
    executor object. ``resume`` / ``new_study``: see :class:`Runner`. ``evaluate_point``: the per-design evaluator (default:
    ``cimdse.load`` + ``cimdse.evaluate``).
    """
    return Runner(sweep, out_dir, **kwargs).run()
