"""Rows waiting for the store. The driver buffers design, layer, macro and
trial-log rows and flushes them together as one commit (designs, layers,
macros, then the trial log, whose part commits the flush; see :mod:`.store`) once
``execution.flush_rows`` rows or ``flush_seconds`` have gathered."""

from __future__ import annotations

import time
from typing import Iterable

import pyarrow as pa

from .store import KINDS, ResultStore


class RowBuffer:
    """Rows of each kind not yet written to ``store``."""

    def __init__(self, store: ResultStore, parameter_types: dict[str, pa.DataType],
                 flush_rows: int, flush_seconds: float):
        self.store = store
        self.parameter_types = parameter_types
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self.rows: dict[str, list[dict]] = {kind: [] for kind in KINDS}
        self.flush_name: str | None = None
        self.last_flush = time.monotonic()

    def add(self, kind: str, rows: Iterable[dict]) -> None:
        self.rows[kind].extend(rows)

    def due(self) -> bool:
        return (len(self.rows["designs"]) + len(self.rows["trials"]) >= self.flush_rows
                or time.monotonic() - self.last_flush >= self.flush_seconds)

    def flush(self) -> None:
        """Write the buffered rows: designs, layers, macros, then the trial log (the commit
        record). Each kind is cleared once written, so a flush that is interrupted
        and retried never writes a part twice."""
        b = self.rows
        if (b["trials"] or b["designs"]) and self.flush_name is None:
            # One name for the flush's parts; the trials part (written last) commits it.
            self.flush_name = self.store.new_part_name()
        for kind in ("designs", "layers", "macros", "trials"):
            if b[kind]:
                types = self.parameter_types if kind == "designs" else None
                self.store.write_rows(kind, b[kind], types, name=self.flush_name)
                b[kind] = []
        self.flush_name = None
        self.last_flush = time.monotonic()
