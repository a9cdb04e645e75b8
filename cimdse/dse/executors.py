"""Executors: run chunks of designs and stream the results back.

Both executors expose ``cpus`` and ``map_chunks(chunks)``, which yields
``(chunk_index, results)`` in *completion* order; the runner puts them back
in trial order. :class:`RayExecutor` is the default: it starts a local Ray
(this machine's CPUs, no dashboard) unless Ray is already initialised or an
``address`` is given (``"auto"`` joins a running cluster). Chunks go out as
plain dicts in Ray tasks with ``max_retries`` (a task whose worker dies is
re-run), at most ``2 x CPUs`` in flight, streamed back with ``ray.wait``.
:class:`SerialExecutor` runs in-process (debugging, platforms without Ray).
:func:`make_executor` builds the one a sweep asks for, under its per-design
limits; :class:`Dispatcher` cuts the designs of a batch into chunks.
"""

from __future__ import annotations

import logging
import math
import os
import time
from typing import Any, Callable, Iterable, Iterator

from .errors import SweepError
from .evaluation import SKIPPED, EvaluatePoint, evaluate_chunk
from .limits import Limits
from .schema import Sweep
from .space import seed_of

log = logging.getLogger(__name__)

#: Ray's setting of the workers' scheduling priority (an environment variable wins).
WORKER_NICENESS_ENV = "RAY_worker_niceness"


def failed_chunk(chunk: list[dict], err: BaseException | str) -> list[dict]:
    """Error results for every design of a chunk whose task could not finish."""
    from datetime import datetime, timezone
    text = err if isinstance(err, str) else \
        f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    now = datetime.now(timezone.utc)
    return [{"design_id": item["design_id"], "status": "error", "error": text, "record": {},
             "layers": [], "eval_s": 0.0, "worker": "", "started_at": now} for item in chunk]


class SerialExecutor:
    """Evaluate chunks one after the other in this process."""

    name = "serial"

    def __init__(self, spec_path: str, workloads: list[dict],
                 evaluate_point: EvaluatePoint | None = None, limits: Limits | None = None,
                 stop_after: float | None = None):
        self.args = (spec_path, workloads, evaluate_point, limits, stop_after)
        self.cpus = 1

    def map_chunks(self, chunks: Iterable[list[dict]]) -> Iterator[tuple[int, list[dict]]]:
        for i, chunk in enumerate(chunks):
            yield i, evaluate_chunk(chunk, *self.args)

    def close(self) -> None:
        pass


class RayExecutor:
    """Evaluate chunks as Ray tasks (local cluster by default, or ``address``)."""

    name = "ray"

    def __init__(self, spec_path: str, workloads: list[dict],
                 evaluate_point: EvaluatePoint | None = None, address: str | None = None,
                 num_cpus: int | None = None, max_retries: int = 3, in_flight_per_cpu: int = 2,
                 limits: Limits | None = None, stop_after: float | None = None):
        import ray
        self.ray = ray
        self.started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False,
                                          logging_level="ERROR", configure_logging=False)
            target = address or os.environ.get("RAY_ADDRESS")
            if target:
                log.info("connecting to Ray cluster at %s", target)
                ray.init(address=target, **kwargs)
            else:
                cpus = num_cpus or os.cpu_count() or 1
                log.info("starting a local Ray with %d CPUs", cpus)
                if WORKER_NICENESS_ENV not in os.environ:
                    # Ray starts workers at nice 15, so on a shared machine they yield to
                    # every other process and evaluate designs slower than cimdse.evaluate
                    # run directly; the workers of our own local Ray do all the work.
                    kwargs["_system_config"] = {"worker_niceness": 0}
                ray.init(address="local", num_cpus=cpus, **kwargs)
            self.started = True
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.max_in_flight = max(1, in_flight_per_cpu * self.cpus)
        self.task = ray.remote(max_retries=max_retries)(evaluate_chunk)
        # Constants go to the object store once, not with every chunk.
        self.args = (ray.put(spec_path), ray.put(workloads), ray.put(evaluate_point),
                     ray.put(limits), ray.put(stop_after))
        self.limit_s = limits.seconds if limits is not None else None
        self.overdue_once: set[str] = set()     # designs whose task was killed once
        self.pending: dict[Any, tuple[int, list[dict], float]] = {}

    def map_chunks(self, chunks: Iterable[list[dict]]) -> Iterator[tuple[int, list[dict]]]:
        queue = list(enumerate(chunks))
        queue.reverse()                           # pop() takes them in order
        try:
            while queue or self.pending:
                while queue and len(self.pending) < self.max_in_flight:
                    index, chunk = queue.pop()
                    ref = self.task.remote(chunk, *self.args)
                    self.pending[ref] = (index, chunk, time.monotonic())
                done, _ = self.ray.wait(list(self.pending), num_returns=1,
                                        timeout=self._poll_s())
                if not done:
                    resend, failed = self._kill_overdue()
                    queue.extend(reversed(resend))
                    yield from failed
                    continue
                ref = done[0]
                index, chunk, _ = self.pending.pop(ref)
                try:
                    results = self.ray.get(ref)
                except self.ray.exceptions.RayError as err:  # worker died after all retries
                    log.warning("chunk %d failed: %s", index, err)
                    results = failed_chunk(chunk, err)
                yield index, results
        finally:
            self.cancel()

    def _poll_s(self) -> float | None:
        return None if self.limit_s is None else min(5.0, max(0.5, self.limit_s / 10))

    #: Seconds a task may overrun its designs' limits before its worker is killed.
    backstop_grace_s = 60.0

    def _backstop_s(self, n_designs: int) -> float:
        """How long a task may take before its worker is killed: every design at its
        limit, twice over (a task may first wait for a busy CPU), plus the grace."""
        return 2 * n_designs * self.limit_s + self.backstop_grace_s

    def _kill_overdue(self) -> tuple[list, list]:
        """Kill tasks far past their designs' time limit (a hang the in-worker timer
        could not interrupt, e.g. inside a C call). The designs of a killed task are
        sent again one per task, with a fresh clock (they may only have waited behind
        a hung task); a design overdue alone twice is an error."""
        resend: list[tuple[int, list[dict]]] = []
        failed: list[tuple[int, list[dict]]] = []
        if self.limit_s is None:
            return resend, failed
        now = time.monotonic()
        for ref, (index, chunk, submitted) in list(self.pending.items()):
            if now - submitted < self._backstop_s(len(chunk)):
                continue
            self.pending.pop(ref)
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - best effort
                pass
            for item in chunk:
                did = item["design_id"]
                if len(chunk) > 1 or did not in self.overdue_once:
                    self.overdue_once.add(did)
                    resend.append((index, [item]))
                    continue
                log.warning("design %s: worker killed after %.0f s", did, now - submitted)
                failed.append((index, failed_chunk(
                    [item], f"DesignTimeout: the worker did not return within "
                            f"{now - submitted:.0f} s (time limit {self.limit_s:g} s) and was "
                            "killed")))
        return resend, failed

    def cancel(self) -> None:
        """Cancel whatever is still in flight (Ctrl-C, stop)."""
        for ref in list(self.pending):
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 - best effort
                pass
        self.pending.clear()

    def close(self) -> None:
        self.cancel()
        if self.started:
            self.ray.shutdown()


# ----------------------------------------------------------------- a sweep's executor

def make_executor(choice: str | Any, sweep: Sweep, evaluate_point: EvaluatePoint | None = None,
                  *, address: str | None = None, num_cpus: int | None = None,
                  stop_after: float | None = None):
    """The executor ``choice`` names (``"ray"`` or ``"serial"``; ``address="serial"``
    also means serial), or ``choice`` itself when it is an executor object."""
    if not isinstance(choice, str):
        return choice
    args = (str(sweep.spec_path), [w.as_dict() for w in sweep.workloads], evaluate_point)
    limits = dict(limits=sweep_limits(sweep), stop_after=stop_after)
    if choice == "serial" or address == "serial":
        return SerialExecutor(*args, **limits)
    if choice == "ray":
        return RayExecutor(*args, address=address, num_cpus=num_cpus,
                           max_retries=sweep.execution.max_retries, **limits)
    raise SweepError(f"unknown executor {choice!r}; use 'ray' or 'serial'")


def sweep_limits(sweep: Sweep) -> Limits:
    """Each design's limits: ``execution.timeout`` (capped by ``budget.wall_time``)
    and ``execution.memory_limit``."""
    ex = sweep.execution
    seconds = ex.timeout if sweep.wall_time_s is None else min(ex.timeout, sweep.wall_time_s)
    return Limits(seconds=seconds, memory_bytes=ex.memory_limit)


class Dispatcher:
    """Sends designs to an executor in chunks and collects their results. With
    ``chunk=None`` the chunk size follows the measured evaluation time, so a
    task runs about 0.1 s. ``on_result(n)`` is called as the n-th result
    arrives."""

    #: Seconds of evaluation one task aims at when the chunk size adapts.
    task_s = 0.1

    def __init__(self, executor, chunk: int | None = None,
                 on_result: Callable[[int], None] | None = None):
        self.executor = executor
        self.adaptive = chunk is None
        self.chunk = chunk or 1
        self.on_result = on_result
        self.results_seen = 0

    def evaluate(self, todo: dict[str, dict], progress) -> dict[str, dict]:
        """Results of the designs in ``todo`` (design_id -> overrides), by design_id;
        ``progress.update(n)`` counts the designs evaluated."""
        items = [{"design_id": did, "overrides": ov, "seed": seed_of(did)}
                 for did, ov in todo.items()]
        per_task = min(self.chunk, max(1, math.ceil(len(items) / max(1, self.executor.cpus))))
        chunks = [items[i:i + per_task] for i in range(0, len(items), per_task)]
        results: dict[str, dict] = {}
        for _, res in self.executor.map_chunks(chunks):
            for r in res:
                results[r["design_id"]] = r
                self.results_seen += 1
                if self.on_result is not None:
                    self.on_result(self.results_seen)
            progress.update(sum(1 for r in res if r["status"] != SKIPPED))
        self._adapt([r for r in results.values() if r["status"] != SKIPPED])
        return results

    def _adapt(self, done: list[dict]) -> None:
        if self.adaptive and done:
            mean = sum(r["eval_s"] for r in done) / len(done)
            self.chunk = max(1, min(500, math.ceil(self.task_s / max(mean, 1e-6))))
