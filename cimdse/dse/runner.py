"""The sweep driver: Optuna ask/tell in this process, designs evaluated on Ray.

The study lives in Optuna's journal storage in the results directory
(:mod:`.study`); the designs in the Parquet store (:mod:`.store`). One loop,
batch by batch, on a fixed grid of trial numbers (``batch`` trials each,
fixed when the study is created; it never depends on the CPU count):

1. ask the rest of the current batch, each trial ``n`` with a sampler seeded
   from ``(sweep seed, n)``; resolve it into spec overrides and a stable
   ``design_id`` (a trial user attribute; :mod:`.trials`);
2. designs already in the store (or earlier in the batch) are served from
   it; the others go to the executor in chunks, under a per-design time and
   memory limit (:mod:`.executors`);
3. each new design's row is built and judged against the objectives and
   constraints (:mod:`.rows`), and told to Optuna in trial order
   (constraints with ``trial.set_constraint``; no-mapping designs and
   errors as FAIL);
4. rows are buffered and flushed as immutable Parquet parts (designs,
   layers, then the trial log, which commits the flush; :mod:`.buffer`),
   and the best designs and the front are reported (:mod:`.report`).

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
import time
from pathlib import Path
from typing import Any, Callable

from .buffer import RowBuffer
from .checks import check_bindings, check_workloads
from .errors import StudyError, SweepError
from .evaluation import SKIPPED, EvaluatePoint
from .executors import Dispatcher, make_executor
from .parser import load_sweep
from .report import BestDesigns, Progress, SweepSummary, pareto_rows, status_counts
from .rows import (cache_columns, cached_row, design_row, layer_rows, macro_rows,
                   parameter_types, trial_row)
from .schema import Sweep
from .store import COMPACT_AFTER_PARTS, LEGACY_STATE_FILE, ResultStore, StoreError, write_error
from .study import (DESIGN_ATTR, batch_size, create_study, default_batch_size, has_journal,
                    load_latest_study, open_storage, study_names)
from .trials import Pending, Trials

log = logging.getLogger(__name__)

__all__ = ["Runner", "run_sweep"]


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
        self.cache: dict[str, dict] = {}          # design_id -> its cached_row
        self.cache_columns = cache_columns(self.sweep)
        ex = self.sweep.execution
        self.rows = RowBuffer(self.store, parameter_types(self.sweep), ex.flush_rows,
                              ex.flush_seconds)
        self.best = BestDesigns(self.sweep)
        self.evaluated = self.cached_hits = 0
        self.batch = 1
        self.study_name = self.sweep.name
        self.t_start = time.monotonic()
        self.stop_at_epoch: float | None = None
        self.journal = None                       # the study journal's backend (sync/close)
        self.trials: Trials | None = None         # the study's trials, once it is open
        self.dispatch: Dispatcher | None = None   # designs -> the executor, once it runs

    # ------------------------------------------------------------- setup
    def _preflight(self) -> None:
        if self.check:
            check_bindings(self.sweep)
            check_workloads(self.sweep)

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
        self.store.finish_compactions()
        if self.resume:
            self.store.rollback_uncommitted()

    def _open_study(self):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            storage, self.journal = open_storage(self.out)
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
        self.trials = Trials(study, storage, self.sweep, self.out, self.spec_hash,
                             [w.as_dict() for w in self.sweep.workloads])
        return study

    def _load_cache(self) -> None:
        designs = self.store.read_table("designs")
        if designs is not None:
            for row in designs.select([c for c in designs.column_names
                                       if c in self.cache_columns]).to_pylist():
                self.cache.setdefault(row["design_id"], row)
        for row in self.cache.values():
            self.best.add(row)

    def _logged_trials(self) -> set[int]:
        trials = self.store.read_table("trials", ["study", "trial"])
        if trials is None:
            return set()
        return {r["trial"] for r in trials.to_pylist() if r.get("study") == self.study_name}

    def _keep(self, row: dict, result: dict) -> None:
        """A design evaluated by this run: cached, buffered for the store, counted."""
        self.cache[row["design_id"]] = cached_row(row, self.cache_columns)
        self.rows.add("designs", [row])
        self.rows.add("layers", layer_rows(result))
        self.rows.add("macros", macro_rows(result))
        self.evaluated += 1
        self.best.add(row)

    # ------------------------------------------------------------- recovery
    def _recover(self, study, progress: Progress) -> None:
        """Rows for finished trials that never reached the store (a run killed
        between telling and flushing, or a damaged part set aside)."""
        logged = self._logged_trials()
        lost = [ft for ft in study.get_trials(deepcopy=False)
                if ft.state.is_finished() and (ft.number not in logged or
                                               ft.user_attrs.get(DESIGN_ATTR) not in self.cache)]
        if not lost:
            return
        log.info("%d finished trials have no row in the store; evaluating them again", len(lost))
        asked = {ft.number: self.trials.asked_design(ft) for ft in lost}
        todo = {did: ov for _, ov, did in asked.values() if did and did not in self.cache}
        results = self.dispatch.evaluate(todo, progress)
        for ft in lost:
            params, _, did = asked[ft.number]
            result = results.get(did)
            if result is not None and did not in self.cache and result["status"] != SKIPPED:
                self._keep(design_row(self.sweep, self.study_name, ft.number, params, result),
                           result)
            if ft.number not in logged:
                self.rows.add("trials", [trial_row(self.study_name, ft, did)])
        self.rows.flush()

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
            executor = make_executor(self.executor_choice, self.sweep, self.evaluate_point,
                                     address=self.address, num_cpus=self.num_cpus,
                                     stop_after=self.stop_at_epoch)
            self.dispatch = Dispatcher(executor, self.sweep.execution.chunk, self.on_result)
            try:
                stopped = self._drive(study, executor)
            finally:
                if isinstance(self.executor_choice, str):
                    executor.close()
            self._compact()
        finally:
            self.journal.close()
        return self._summary(study, stopped, time.monotonic() - self.t_start, executor)

    def _compact(self) -> None:
        """Merge the flushes into one part once there are many (reads of a
        directory cost per part); a failure leaves the parts as they were."""
        if len(self.store.parts("trials")) < COMPACT_AFTER_PARTS:
            return
        try:
            self.store.compact()
        except StoreError as err:
            log.warning("results left uncompacted: %s", err)

    def _drive(self, study, executor) -> str:
        """Recover, then loop; whatever happens, completed batches end up in the store."""
        done = sum(1 for t in study.get_trials(deepcopy=False) if t.state.is_finished())
        progress = Progress(self.sweep.name, self.total, done, self.progress)
        try:
            self._recover(study, progress)
            return self._loop(study, progress)
        except KeyboardInterrupt:
            log.warning("interrupted: flushing the completed batches (trials in flight stay "
                        "open and are evaluated on --resume)")
            return "interrupted"
        except OSError as err:
            raise write_error(self.out, err) from None
        finally:
            if hasattr(executor, "cancel"):
                executor.cancel()
            progress.close()
            self.rows.flush()

    def _wall_time_over(self) -> bool:
        return self.stop_at_epoch is not None and time.time() >= self.stop_at_epoch

    def _loop(self, study, progress: Progress) -> str:
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
                if self.trials.exhausted(n):
                    return "exhausted"
            first = open_[0].number if open_ else n
            end = max(n, min(self.total, (first // self.batch + 1) * self.batch))
            batch = [self.trials.reopen(ft) for ft in open_]
            batch += [self.trials.ask(number) for number in range(n, end)]
            outcome = self._run_batch(study, batch, progress)
            if outcome:
                return outcome

    def _run_batch(self, study, batch: list[Pending], progress: Progress) -> str | None:
        """Evaluate and tell one batch; returns why the sweep stops, or None."""
        todo: dict[str, dict] = {}
        for p in batch:
            if p.design_id not in self.cache and p.design_id not in todo:
                todo[p.design_id] = p.overrides
        results = self.dispatch.evaluate(todo, progress)
        fresh = self._fresh_rows(batch, results)
        exhausted, told = False, []
        for p in batch:
            row = fresh.get(p.design_id) or self.cache.get(p.design_id)
            if row is None:        # not started before the wall time: stays open
                continue
            if not self.trials.tell(p.trial, row):
                exhausted = True
            told.append(p)
            if row["trial"] != p.number or row.get("study") != self.study_name:
                self.cached_hits += 1
                progress.update(1)
        frozen = study.get_trials(deepcopy=False)
        for row in sorted(fresh.values(), key=lambda r: r["trial"]):
            self._keep(row, results[row["design_id"]])
        self.rows.add("trials", (trial_row(self.study_name, frozen[p.number], p.design_id)
                                 for p in told))
        progress.show_best(self.best.by_objective)
        self.journal.sync()
        if self.rows.due():
            self.rows.flush()
        if len(told) < len(batch):
            return "wall_time"
        return "exhausted" if exhausted else None

    def _fresh_rows(self, batch: list[Pending], results: dict[str, dict]) -> dict[str, dict]:
        """Rows of the designs the batch evaluated; a new design's row comes from
        its first trial."""
        fresh: dict[str, dict] = {}
        for p in batch:
            r = results.get(p.design_id)
            if r is not None and r["status"] != SKIPPED and p.design_id not in fresh:
                fresh[p.design_id] = design_row(self.sweep, self.study_name, p.number,
                                                p.params, r)
        return fresh

    def _summary(self, study, stopped: str, elapsed: float, executor) -> SweepSummary:
        finished = sum(1 for t in study.get_trials(deepcopy=False) if t.state.is_finished())
        rows = self.cache.values()
        return SweepSummary(self.sweep.name, self.out, finished, status_counts(rows),
                            dict(self.best.by_objective), self.evaluated, self.cached_hits,
                            elapsed, stopped, getattr(executor, "name", type(executor).__name__),
                            getattr(executor, "cpus", 1), pareto_rows(self.sweep, rows),
                            {o.column: o.direction for o in self.sweep.objectives})


def run_sweep(sweep: Sweep | str | Path, out_dir: str | Path | None = None, **kwargs) -> SweepSummary:
    """Run (or with ``resume=True`` continue) a sweep; see :class:`Runner` for options.

    ``executor``: ``"ray"`` (default; local Ray with this machine's CPUs, or
    ``address="auto"`` / ``RAY_ADDRESS`` to join a cluster), ``"serial"``, or an
    executor object. ``resume`` / ``new_study``: see :class:`Runner`.
    ``evaluate_point``: the per-design evaluator (default: ``cimdse.load`` +
    ``cimdse.evaluate``).
    """
    return Runner(sweep, out_dir, **kwargs).run()
