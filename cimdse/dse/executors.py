"""Executors: run chunks of designs and stream the results back.

Both executors expose ``cpus`` and ``map_chunks(chunks)``, which yields
``(chunk_index, results)`` in *completion* order; the runner puts them back
in trial order. :class:`RayExecutor` is the default: it starts a local Ray
(this machine's CPUs, no dashboard) unless Ray is already initialised or an
``address`` is given (``"auto"`` joins a running cluster). Chunks go out as
plain dicts in Ray tasks with ``max_retries`` (a task whose worker dies is
re-run), at most ``2 x CPUs`` in flight, streamed back with ``ray.wait``.
:class:`SerialExecutor` runs in-process (debugging, platforms without Ray).
"""

from __future__ import annotations

import logging
import os
from typing import Any, Iterable, Iterator

from .evaluation import EvaluatePoint, evaluate_chunk

log = logging.getLogger(__name__)

#: Ray's setting of the workers' scheduling priority (an environment variable wins).
WORKER_NICENESS_ENV = "RAY_worker_niceness"


def failed_chunk(chunk: list[dict], err: BaseException) -> list[dict]:
    """Error results for every design of a chunk whose task could not finish."""
    from datetime import datetime, timezone
    text = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    now = datetime.now(timezone.utc)
    return [{"design_id": item["design_id"], "status": "error", "error": text, "record": {},
             "layers": [], "eval_s": 0.0, "worker": "", "started_at": now} for item in chunk]


class SerialExecutor:
    """Evaluate chunks one after the other in this process."""

    name = "serial"

    def __init__(self, spec_path: str, workloads: list[dict],
                 evaluate_point: EvaluatePoint | None = None):
        self.args = (spec_path, workloads, evaluate_point)
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
                 num_cpus: int | None = None, max_retries: int = 3, in_flight_per_cpu: int = 2):
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
        self.args = (ray.put(spec_path), ray.put(workloads), ray.put(evaluate_point))
        self.pending: dict[Any, int] = {}

    def map_chunks(self, chunks: Iterable[list[dict]]) -> Iterator[tuple[int, list[dict]]]:
        it = iter(enumerate(chunks))
        try:
            while True:
                while len(self.pending) < self.max_in_flight:
                    nxt = next(it, None)
                    if nxt is None:
                        break
                    index, chunk = nxt
                    self.pending[self.task.remote(chunk, *self.args)] = (index, chunk)
                if not self.pending:
                    return
                done, _ = self.ray.wait(list(self.pending), num_returns=1)
                ref = done[0]
                index, chunk = self.pending.pop(ref)
                try:
                    results = self.ray.get(ref)
                except self.ray.exceptions.RayError as err:  # worker died after all retries
                    log.warning("chunk %d failed: %s", index, err)
                    results = failed_chunk(chunk, err)
                yield index, results
        finally:
            self.cancel()

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
