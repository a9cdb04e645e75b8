"""The sweep driver: Optuna ask/tell in this process, designs evaluated on Ray.

One loop, batch by batch:

1. ask a batch of trials (batch sized to the cluster's CPUs x chunk size)
   and resolve each into spec overrides and a stable ``design_id``;
2. designs already in the store (or earlier in the batch) are served from
   it; the others go to the executor as plain dicts in chunks, each task
   seeding the evaluator from the design_id, results streamed back with
   ``ray.wait``;
3. results are told to Optuna in trial order (constraints with
   ``trial.set_constraint``; no-mapping designs and errors as FAIL);
4. rows are buffered and flushed as immutable Parquet parts (designs,
   layers, trial log), followed by a snapshot of the sampler and the
   study's system attributes (``study.pkl``) taken at the same batch
   boundary.

Resume rebuilds the in-memory study from the trial log, restores the
snapshot when it matches, and reloads the design cache from the store, so
a killed sweep continues without losing or duplicating a design.
Only the driver touches Optuna and writes files.
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa

from ..errors import CimdseError
from .evaluation import EvaluatePoint
from .executors import RayExecutor, SerialExecutor
from .space import design_id as make_design_id, sample, seed_of
from .store import METRIC_COLUMNS, ResultStore
from .sweep import Sweep, check_bindings, check_workloads, load_sweep

log = logging.getLogger(__name__)

STATE_VERSION = 1


class SweepError(CimdseError):
    """A sweep cannot start or continue (results dir in use, bad sampler setup, ...)."""


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


# ----------------------------------------------------------------- samplers

def make_sampler(sweep: Sweep, seed: int):
    """The Optuna sampler named in the sweep, seeded (Optuna's 'experimental'
    warnings for QMC, NSGA-III and brute force are silenced)."""
    import optuna
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _make_sampler(sweep, seed)


def _make_sampler(sweep: Sweep, seed: int):
    import optuna
    s = optuna.samplers
    name, opts = sweep.sampler.name, dict(sweep.sampler.options)
    if name == "tpe":
        return s.TPESampler(seed=seed, **opts)
    if name == "nsga2":
        return s.NSGAIISampler(seed=seed, **opts)
    if name == "nsga3":
        return s.NSGAIIISampler(seed=seed, **opts)
    if name == "gp":
        for mod in ("torch", "scipy"):
            try:
                __import__(mod)
            except ImportError:
                raise SweepError(f"sampler gp needs {mod} (pip install {mod}); "
                                 "or use tpe / nsga2") from None
        return s.GPSampler(seed=seed, **opts)
    if name == "random":
        return s.RandomSampler(seed=seed)
    if name == "qmc":
        try:
            import scipy  # noqa: F401
        except ImportError:
            raise SweepError("sampler qmc needs scipy (pip install scipy)") from None
        return s.QMCSampler(seed=seed, **opts)
    if name == "grid":
        return s.GridSampler({p.name: p.grid_values() for p in sweep.parameters}, seed=seed)
    if name == "bruteforce":
        return s.BruteForceSampler(seed=seed, **opts)
    raise SweepError(f"unknown sampler {name!r}")  # pragma: no cover - validated earlier


# ----------------------------------------------------------------- the runner

def _trial_row(ft, did: str) -> dict:
    from optuna.distributions import distribution_to_json
    return {"trial": ft.number, "design_id": did, "state": ft.state.name,
            "values": json.dumps(ft.values),
            "params": json.dumps(ft.params),
            "distributions": json.dumps({k: distribution_to_json(v)
                                         for k, v in ft.distributions.items()}),
            "system_attrs": json.dumps(ft.system_attrs, default=str),
            "user_attrs": json.dumps(ft.user_attrs, default=str)}


def _rebuild_trials(table: pa.Table | None, n_objectives: int) -> list:
    import optuna
    from optuna.distributions import json_to_distribution
    if table is None:
        return []
    rows = sorted(table.to_pylist(), key=lambda r: r["trial"])
    out = []
    for expected, r in enumerate(rows):
        if r["trial"] != expected:
            raise SweepError(f"trial log is not contiguous: expected trial {expected}, "
                             f"found {r['trial']}")
        state = optuna.trial.TrialState[r["state"]]
        values = json.loads(r["values"]) if r["values"] else None
        if state == optuna.trial.TrialState.COMPLETE and len(values or []) != n_objectives:
            raise SweepError(f"the stored trials have {len(values or [])} objective values but "
                             f"the sweep has {n_objectives} objectives; the objectives changed "
                             "since this directory was written -- use another --out")
        out.append(optuna.trial.create_trial(
            state=state, values=values if state == optuna.trial.TrialState.COMPLETE else None,
            params=json.loads(r["params"]),
            distributions={k: json_to_distribution(v)
                           for k, v in json.loads(r["distributions"]).items()},
            system_attrs=json.loads(r["system_attrs"]),
            user_attrs=json.loads(r["user_attrs"] or "{}")))
    return out


class Runner:
    """Runs one sweep into one results directory (see module docstring).

    ``sweep``: a :class:`Sweep` or a sweep-file path. ``out_dir``: default
    ``results/<name>``. ``trials``: overrides ``budget.trials`` (with ``resume``, the
    total to reach). ``executor``: ``"ray"`` (local Ray with ``num_cpus`` or all CPUs;
    ``address="auto"``/``RAY_ADDRESS`` joins a cluster), ``"serial"``, or an object with
    ``cpus`` and ``map_chunks``. ``evaluate_point``: the per-design evaluator (default
    ``cimdse.load`` + ``cimdse.evaluate``). ``progress``: show a tqdm bar.
    ``on_result(n)``: called after each design result arrives (tests use it to
    interrupt). ``check``: load the spec with every binding first.
    """

    def __init__(self, sweep: Sweep | str | Path, out_dir: str | Path | None = None, *,
                 trials: int | None = None, address: str | None = None, resume: bool = False,
                 executor: str | Any = "ray", evaluate_point: EvaluatePoint | None = None,
                 num_cpus: int | None = None, progress: bool = False,
                 on_result: Callable[[int], None] | None = None,
                 check: bool = True):
        self.sweep = sweep if isinstance(sweep, Sweep) else load_sweep(sweep)
        self.out = Path(out_dir) if out_dir is not None else Path("results") / self.sweep.name
        self.total = int(trials if trials is not None else self.sweep.trials)
        self.address, self.resume, self.num_cpus = address, resume, num_cpus
        self.executor_choice = executor
        self.evaluate_point = evaluate_point
        self.progress = progress
        self.on_result = on_result
        self.check = check
        self.store = ResultStore(self.out)
        self.spec_hash = self.sweep.spec_hash
        self.workloads = [w.as_dict() for w in self.sweep.workloads]
        self.cache: dict[str, dict] = {}          # design_id -> design row
        self.trial_design: list[str] = []          # trial number -> design_id
        self.buffer: dict[str, list[dict]] = {"designs": [], "layers": [], "trials": []}
        self.param_types = self._param_types()
        self.best: dict[str, dict] = {}
        self.boundary_state: bytes | None = None
        self.flush_name: str | None = None
        self.last_flush = time.monotonic()
        self.evaluated = self.cached_hits = 0

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
        if self.store.exists() and not self.resume:
            raise SweepError(f"{self.out} already holds sweep results; pass --resume to "
                             "continue it, or choose another --out")
        previous = self.out / "sweep.yaml"
        if self.resume and previous.exists() and previous.read_text() != self.sweep.text:
            log.warning("%s differs from the sweep file being resumed; designs are matched "
                        "by design_id, the optimizer continues from the stored trials", previous)
        self.store.create()
        self.store.clean_staging()
        if self.resume:
            self.store.rollback_uncommitted()
        if not (self.resume and previous.exists()):
            self.store.write_sweep_copy(self.sweep.text)

    def _make_study(self):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(directions=self.sweep.directions,
                                    sampler=make_sampler(self.sweep, self.sweep.seed),
                                    study_name=self.sweep.name)
        designs = self.store.read_table("designs")
        if designs is not None:
            for row in designs.to_pylist():
                self.cache.setdefault(row["design_id"], row)
        trials = self.store.read_table("trials")
        frozen = _rebuild_trials(trials, len(self.sweep.objectives))
        if frozen:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                study.add_trials(frozen)
            self.trial_design = [r["design_id"] for r in
                                 sorted(trials.to_pylist(), key=lambda r: r["trial"])]
        state = self.store.load_state()
        n = len(frozen)
        if n and state and state.get("version") == STATE_VERSION and state.get("n_trials") == n \
                and state.get("sampler_config") == self._sampler_key():
            study.sampler = state["sampler"]
            for k, v in state["study_attrs"].items():   # no public setter in Optuna 5
                study._storage.set_study_system_attr(study._study_id, k, v)
            log.info("resumed %d trials with the optimizer snapshot", n)
        elif n:
            study.sampler = make_sampler(self.sweep, self.sweep.seed + n)
            log.info("resumed %d trials; optimizer snapshot missing or stale, sampler re-seeded", n)
        for row in self.cache.values():
            self._update_best(row)
        return study

    def _sampler_key(self) -> str:
        cfg = self.sweep.sampler
        return json.dumps([cfg.name, cfg.options, self.sweep.seed], sort_keys=True, default=str)

    def _make_executor(self):
        choice = self.executor_choice
        if not isinstance(choice, str):
            return choice
        if choice == "serial" or self.address == "serial":
            return SerialExecutor(str(self.sweep.spec_path), self.workloads, self.evaluate_point)
        if choice == "ray":
            return RayExecutor(str(self.sweep.spec_path), self.workloads, self.evaluate_point,
                               address=self.address, num_cpus=self.num_cpus,
                               max_retries=self.sweep.execution.max_retries)
        raise SweepError(f"unknown executor {choice!r}; use 'ray' or 'serial'")

    def _preflight(self) -> None:
        if self.check:
            check_bindings(self.sweep)
            check_workloads(self.sweep)
        if self.evaluate_point is None:
            from .evaluation import real_evaluate
            if real_evaluate() is None:
                raise SweepError("cimdse.evaluate is not available yet, so designs cannot be "
                                 "evaluated (the sweep file itself is valid)")

    # ------------------------------------------------------------- rows
    def _design_row(self, trial: int, params: dict, result: dict) -> dict:
        row = {"design_id": result["design_id"], "trial": trial, "status": result["status"],
               "error": result["error"]}
        for p in self.sweep.parameters:
            row[p.column] = params.get(p.name)
        record = result["record"] or {}
        for k in METRIC_COLUMNS:                 # always present (null for failed designs)
            row[k] = record.get(k)
        for k, v in record.items():
            if k not in row:
                row[k] = v
        if row["status"] == "ok":
            missing = [o.column for o in self.sweep.objectives
                       if not _finite(record.get(o.column))]
            if missing:
                row["status"] = "error"
                row["error"] = "objective(s) missing or not finite: " + ", ".join(
                    f"{m}={record.get(m)!r}" for m in missing)
            else:
                violated = []
                for c in self.sweep.constraints:
                    try:
                        if not c.satisfied(record):
                            violated.append(c.text)
                    except Exception as err:  # noqa: BLE001 - e.g. column missing
                        row["status"], row["error"] = "error", f"constraint {c.text!r}: {err}"
                        break
                if violated and row["status"] == "ok":
                    row["status"] = "infeasible"
                    row["error"] = "constraint violated: " + "; ".join(violated)
        row.update(eval_s=result["eval_s"], worker=result["worker"],
                   started_at=result["started_at"])
        return row

    def _tell(self, study, trial, row: dict) -> bool:
        """Tell one result; returns False when the sampler says the space is exhausted."""
        import optuna
        try:
            if row["status"] == "error" or (row["status"] == "infeasible"
                                            and not _finite(row.get(self.sweep.objectives[0].column))):
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                return True
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
    def _snapshot(self, study, n_trials: int) -> None:
        self.boundary_state = pickle.dumps({
            "version": STATE_VERSION, "n_trials": n_trials, "sampler": study.sampler,
            "sampler_config": self._sampler_key(),
            "study_attrs": study._storage.get_study_system_attrs(study._study_id)})

    def _flush(self) -> None:
        """Write the buffered batches: designs, layers, then the trial log, then the
        optimizer snapshot. Each kind is cleared once written, so a flush that is
        interrupted and retried never writes a part twice."""
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
        if wrote and self.boundary_state is not None:
            from .store import STATE_FILE, atomic_write_bytes
            atomic_write_bytes(self.out / STATE_FILE, self.boundary_state, self.store.staging)
            log.debug("flushed up to trial %d", len(self.trial_design))
        self.last_flush = time.monotonic()

    def _flush_due(self) -> bool:
        ex = self.sweep.execution
        return (len(self.buffer["designs"]) + len(self.buffer["trials"]) >= ex.flush_rows
                or time.monotonic() - self.last_flush >= ex.flush_seconds)

    # ------------------------------------------------------------- the loop
    def run(self) -> SweepSummary:
        t_start = time.monotonic()
        self._preflight()
        self._prepare_dir()
        study = self._make_study()
        done = len(self.trial_design)
        stopped = "budget"
        executor = self._make_executor()
        bar = self._bar(done)
        ex = self.sweep.execution
        chunk = ex.chunk or 1
        results_seen = 0
        try:
            while done < self.total:
                if self.sweep.wall_time_s is not None and \
                        time.monotonic() - t_start >= self.sweep.wall_time_s:
                    stopped = "wall_time"
                    break
                if self._exhausted(study):
                    stopped = "exhausted"
                    break
                size = min(self._batch_size(executor.cpus, chunk), self.total - done)
                per_task = min(chunk, max(1, math.ceil(size / executor.cpus)))
                asked = [study.ask() for _ in range(size)]
                points = [sample(self.sweep, t) for t in asked]
                ids = [make_design_id(ov, self.spec_hash, self.workloads) for _, ov in points]
                todo: dict[str, dict] = {}
                for did, (_, ov) in zip(ids, points):
                    if did not in self.cache and did not in todo:
                        todo[did] = {"design_id": did, "overrides": ov, "seed": seed_of(did)}
                items = list(todo.values())
                chunks = [items[i:i + per_task] for i in range(0, len(items), per_task)]
                results: dict[str, dict] = {}
                for _, res in executor.map_chunks(chunks):
                    for r in res:
                        results[r["design_id"]] = r
                        results_seen += 1
                        if self.on_result is not None:
                            self.on_result(results_seen)
                    bar.update(len(res))
                # New designs get their row from their first trial; tell in trial order.
                first_trial: dict[str, int] = {}
                for t, did in zip(asked, ids):
                    first_trial.setdefault(did, t.number)
                fresh: dict[str, dict] = {}
                for did, r in results.items():
                    t_num = first_trial[did]
                    fresh[did] = self._design_row(t_num, points[t_num - asked[0].number][0], r)
                hits = len(asked) - len(results)
                bar.update(hits)
                exhausted = False
                for t, did in zip(asked, ids):
                    if not self._tell(study, t, fresh.get(did) or self.cache[did]):
                        exhausted = True
                frozen = study.get_trials(deepcopy=False)
                trial_rows = [_trial_row(frozen[t.number], did) for t, did in zip(asked, ids)]
                # Commit the batch (plain list operations: an interrupt before this point
                # drops the whole batch, which is then asked again on resume).
                self.cache.update(fresh)
                self.buffer["designs"].extend(sorted(fresh.values(), key=lambda r: r["trial"]))
                self.buffer["layers"].extend({"design_id": did, **lr}
                                             for did in fresh for lr in results[did]["layers"])
                self.buffer["trials"].extend(trial_rows)
                self.trial_design.extend(ids)
                done += len(asked)
                self.evaluated += len(results)
                self.cached_hits += hits
                for row in fresh.values():
                    self._update_best(row)
                self._snapshot(study, done)
                self._set_postfix(bar)
                if ex.chunk is None and results:
                    mean = sum(r["eval_s"] for r in results.values()) / len(results)
                    chunk = max(1, min(500, math.ceil(0.1 / max(mean, 1e-6))))
                if self._flush_due():
                    self._flush()
                if exhausted:
                    stopped = "exhausted"
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
            log.warning("interrupted: flushing the completed batches (the batch in flight "
                        "is dropped and will be asked again on --resume)")
        finally:
            # Completed batches are made durable whatever happened; a batch still in
            # flight was never told or buffered, so it is simply asked again on resume.
            try:
                if hasattr(executor, "cancel"):
                    executor.cancel()
                bar.close()
                self._flush()
            finally:
                if isinstance(self.executor_choice, str):
                    executor.close()
        return self._summary(done, stopped, time.monotonic() - t_start, executor)

    def _batch_size(self, cpus: int, chunk: int) -> int:
        """Designs per ask/tell batch: the sweep's ``execution.batch``; else the
        NSGA population; else 2 x CPUs x chunk, kept to about a tenth of the
        budget (at least 2 x CPUs) so the sampler gets feedback, at most 2048."""
        if self.sweep.execution.batch:
            return self.sweep.execution.batch
        population = self.sweep.sampler.options.get("population_size")
        if population:
            return int(population)
        return max(1, min(2 * cpus * chunk, max(2 * cpus, math.ceil(self.total / 10)), 2048))

    def _exhausted(self, study) -> bool:
        sampler = study.sampler
        if sampler.__class__.__name__ == "GridSampler":
            return sampler.is_exhausted(study)
        return False

    def _bar(self, initial: int):
        from tqdm import tqdm
        return tqdm(total=self.total, initial=initial, unit="trial", disable=not self.progress,
                    desc=self.sweep.name, dynamic_ncols=True, leave=True)

    def _set_postfix(self, bar) -> None:
        if self.progress and self.best:
            bar.set_postfix_str(" ".join(f"{k}={_fmt(v['value'])}" for k, v in self.best.items()),
                                refresh=False)

    def _summary(self, done: int, stopped: str, elapsed: float, executor) -> SweepSummary:
        counts: dict[str, int] = {}
        for row in self.cache.values():
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return SweepSummary(self.sweep.name, self.out, done, counts, dict(self.best),
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
    executor object. ``evaluate_point``: the per-design evaluator (default:
    ``cimdse.load`` + ``cimdse.evaluate``).
    """
    return Runner(sweep, out_dir, **kwargs).run()
