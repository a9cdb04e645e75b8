"""How much of a layer's real tensors a profile keeps, under a byte cap.

The cap holds per layer, for the quantised codes of all three tensors
together (int8 up to 8 bits, int16 above). What is kept is a prefix, so the
values keep their correlations: the first ``columns`` of the layer's M
output channels in every group (their weights and outputs), and the inputs
and outputs of the first ``runs`` inferences (and their weights when the
weights are activations). Columns shrink first, so even a tight cap keeps
one whole inference; a cap below one inference's inputs keeps nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping

from .errors import ProfileError

#: Largest cap accepted (per layer).
MAX_KEEP_BYTES = 1 << 40

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str | int) -> int:
    """Bytes of a size such as ``65536``, ``64K``, ``1M``, ``2GiB`` (powers of 1024)."""
    if isinstance(text, int) and not isinstance(text, bool):
        size = text
    else:
        match = _SIZE.match(str(text))
        if not match:
            raise ProfileError(f"size {text!r}: expected bytes with an optional K, M or G "
                               f"suffix (powers of 1024), e.g. 512K or 4M")
        size = int(match.group(1)) * _UNIT[match.group(2).lower()]
    if not 0 <= size <= MAX_KEEP_BYTES:
        raise ProfileError(f"size {text!r}: must be from 0 to {MAX_KEEP_BYTES} bytes")
    return size


@dataclass(frozen=True)
class KeepPlan:
    """Keep the first ``runs`` inferences and ``columns`` of M per group."""

    runs: int
    columns: int
    total_runs: int
    total_columns: int

    def describe(self) -> str:
        if self.runs == 0:
            return "nothing kept"
        parts = [f"{self.runs} of {self.total_runs} inferences"]
        if self.columns < self.total_columns:
            parts.append(f"{self.columns} of {self.total_columns} output channels")
        return ", ".join(parts)


def plan(shapes: Mapping[str, tuple[int, ...]], columns: int, weights_per_run: bool,
         runs: int, itemsize: int, cap: int) -> KeepPlan:
    """The largest prefix of one layer's tensors within ``cap`` bytes.

    ``shapes`` are one run's einsum operand shapes; M (``columns``) is the
    axis the weights and outputs are cut along.
    """
    inputs = math.prod(shapes["Inputs"]) * itemsize
    per_column = {t: math.prod(shapes[t]) * itemsize // columns for t in ("Weights", "Outputs")}
    run_fixed = inputs
    run_per_column = per_column["Outputs"] + (per_column["Weights"] if weights_per_run else 0)
    once_per_column = 0 if weights_per_run else per_column["Weights"]
    if cap < run_fixed + run_per_column + once_per_column:
        return KeepPlan(0, 0, runs, columns)
    kept_columns = min(columns, (cap - run_fixed) // (run_per_column + once_per_column))
    per_run = run_fixed + run_per_column * kept_columns
    kept_runs = min(runs, (cap - once_per_column * kept_columns) // per_run)
    return KeepPlan(int(kept_runs), int(kept_columns), runs, columns)
