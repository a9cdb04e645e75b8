"""Per-design resource limits: a time limit and a memory limit for one evaluation.

:func:`design_limits` bounds the code it wraps in the process it runs in (a
Ray worker or the serial driver):

- **time**: ``SIGALRM`` from an interval timer raises :class:`DesignTimeout`
  at the next Python bytecode. It needs the main thread (Ray runs tasks
  there); elsewhere the time limit is left to the executor's backstop, which
  kills a worker that overruns.
- **memory**: the process's data-segment limit (``RLIMIT_DATA``: heap and
  private mappings, which is where numpy allocates) is lowered to the current
  use plus the limit, so an oversized allocation fails with ``MemoryError``
  at once instead of swapping or waking the OOM killer. It is restored on
  exit.

Both are best effort on platforms without ``signal.setitimer`` or
``resource`` (then only the executor's backstop applies).
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import threading
from dataclasses import dataclass
from typing import Iterator

from ..errors import CimdseError

log = logging.getLogger(__name__)


class DesignTimeout(CimdseError):
    """An evaluation ran past its time limit."""


class DesignMemoryLimit(CimdseError):
    """An evaluation tried to allocate past its memory limit."""


class _Expired(BaseException):
    """Raised by the timer; a BaseException so that no ``except Exception`` in the
    evaluated code can swallow it on its way out."""


@dataclass(frozen=True)
class Limits:
    """Limits of one design's evaluation: ``seconds`` of wall time and
    ``memory_bytes`` of additional memory (None = unlimited)."""

    seconds: float | None = None
    memory_bytes: int | None = None

    def describe(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"{self.seconds:g} s")
        if self.memory_bytes is not None:
            parts.append(f"{self.memory_bytes / 2**20:.0f} MiB")
        return " and ".join(parts) or "none"


def _data_segment_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@contextlib.contextmanager
def _memory_limit(extra_bytes: int | None) -> Iterator[None]:
    try:
        import resource
    except ImportError:                       # pragma: no cover - not POSIX
        yield
        return
    used = _data_segment_bytes()
    if extra_bytes is None or used is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    target = used + extra_bytes
    if hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (target, hard))
    try:
        yield
    except MemoryError:
        raise DesignMemoryLimit(f"the evaluation needed more than its memory limit of "
                                f"{extra_bytes / 2**20:.0f} MiB (execution.memory_limit)") from None
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    usable = (seconds is not None and math.isfinite(seconds) and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    armed = [True]

    def expire(signum, frame):
        if armed[0]:
            raise _Expired

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    except _Expired:
        raise DesignTimeout(f"the evaluation ran past its time limit of {seconds:g} s "
                            "(execution.timeout, at most the sweep's wall_time)") from None
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def design_limits(limits: Limits | None) -> Iterator[None]:
    """Run the body under ``limits`` (see the module docstring)."""
    if limits is None:
        yield
        return
    with _memory_limit(limits.memory_bytes), _time_limit(limits.seconds):
        yield
