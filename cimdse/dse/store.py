"""The results store of a sweep: a directory of Parquet parts.

Layout of ``DIR``::

    sweep.yaml                  copy of the sweep file as written
    designs/part-*.parquet      one row per evaluated design
    layers/part-*.parquet       one row per design x layer
    trials/part-*.parquet       the Optuna trial log (params, distributions,
                                values, constraints) used to rebuild the study
    study.pkl                   sampler + study snapshot at the last flush (resume)
    _staging/                   temp files (ignored by readers)

Every part is written to ``_staging/.<name>.tmp``, fsynced, then renamed
into place with ``os.replace``: readers see a complete file or nothing, and
a part is never rewritten. Schemas are unified across parts when reading
(columns that appear in later parts are kept; missing ones read as null).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

KINDS = ("designs", "layers", "trials")
STATE_FILE = "study.pkl"
SWEEP_FILE = "sweep.yaml"
STAGING = "_staging"

#: Declared types of the fixed design columns; metrics default to float64.
DESIGN_TYPES: dict[str, pa.DataType] = {
    "design_id": pa.string(), "trial": pa.int64(), "status": pa.string(), "error": pa.string(),
    "eval_s": pa.float64(), "worker": pa.string(), "started_at": pa.timestamp("us", tz="UTC"),
}
LAYER_TYPES: dict[str, pa.DataType] = {
    "design_id": pa.string(), "workload": pa.string(), "layer_index": pa.int64(),
}
TRIAL_TYPES: dict[str, pa.DataType] = {
    "trial": pa.int64(), "design_id": pa.string(), "state": pa.string(), "values": pa.string(),
    "params": pa.string(), "distributions": pa.string(), "system_attrs": pa.string(),
    "user_attrs": pa.string(),
}


def _infer(values: list) -> pa.DataType:
    present = [v for v in values if v is not None]
    if not present:
        return pa.float64()
    if all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.float64()
    if all(isinstance(v, datetime) for v in present):
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def _convert(value: Any, typ: pa.DataType) -> Any:
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes, list, dict)):
        value = value.item()
    if pa.types.is_string(typ):
        if isinstance(value, str):
            return value
        return json.dumps(value, default=str) if isinstance(value, (list, dict, tuple)) else str(value)
    if pa.types.is_floating(typ):
        return float(value)
    if pa.types.is_integer(typ):
        return int(value)
    if pa.types.is_boolean(typ):
        return bool(value)
    return value


def to_table(rows: list[dict], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Rows -> Arrow table with declared types where given, else
    numbers as float64, bools as bool, datetimes as UTC timestamps, the rest as text."""
    types = types or {}
    columns: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    fields, arrays = [], []
    for col in columns:
        values = [row.get(col) for row in rows]
        typ = types.get(col) or _infer(values)
        fields.append(pa.field(col, typ))
        try:   # fast path: values already of the right kind
            if pa.types.is_string(typ) and not all(v is None or isinstance(v, str) for v in values):
                raise TypeError
            arrays.append(pa.array(values, type=typ))
        except (TypeError, ValueError, pa.ArrowException):
            arrays.append(pa.array([_convert(v, typ) for v in values], type=typ))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - not supported (e.g. Windows)
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, staging: Path) -> None:
    """Write ``data`` to ``path`` via a temp file in ``staging`` + fsync + rename."""
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class ResultStore:
    """Write and read the Parquet parts of one results directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.staging = self.root / STAGING

    # ------------------------------------------------------------- writing
    def create(self) -> None:
        for kind in KINDS:
            (self.root / kind).mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)

    def exists(self) -> bool:
        return any((self.root / kind).is_dir() and any((self.root / kind).glob("part-*.parquet"))
                   for kind in KINDS) or (self.root / STATE_FILE).exists()

    def write_part(self, kind: str, table: pa.Table) -> Path | None:
        """Write one immutable part atomically; returns its path (None if empty)."""
        if kind not in KINDS:
            raise ValueError(f"unknown part kind {kind!r}")
        if table.num_rows == 0:
            return None
        self.create()
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        tmp = self.staging / f".{kind}-{name}.tmp"
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        target = self.root / kind / name
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        return target

    def write_rows(self, kind: str, rows: list[dict], types: dict[str, pa.DataType] | None = None):
        if not rows:
            return None
        base = {"designs": DESIGN_TYPES, "layers": LAYER_TYPES, "trials": TRIAL_TYPES}[kind]
        return self.write_part(kind, to_table(rows, {**base, **(types or {})}))

    def write_sweep_copy(self, text: str) -> None:
        self.create()
        atomic_write_bytes(self.root / SWEEP_FILE, text.encode(), self.staging)

    def save_state(self, state: Any) -> None:
        atomic_write_bytes(self.root / STATE_FILE, pickle.dumps(state), self.staging)

    def load_state(self) -> Any | None:
        path = self.root / STATE_FILE
        if not path.exists():
            return None
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except Exception as err:  # noqa: BLE001 - a stale snapshot only costs exactness
            log.warning("ignoring unreadable %s: %s", path, err)
            return None

    def clean_staging(self) -> None:
        """Remove temp files left by a crash (never complete parts)."""
        if self.staging.is_dir():
            for tmp in self.staging.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------- reading
    def parts(self, kind: str) -> list[Path]:
        d = self.root / kind
        return sorted(d.glob("part-*.parquet")) if d.is_dir() else []

    def read_table(self, kind: str, columns: Iterable[str] | None = None) -> pa.Table | None:
        """All parts of ``kind`` as one table with the unified schema, or None."""
        files = self.parts(kind)
        if not files:
            return None
        schemas = [pq.read_schema(f) for f in files]
        schema = pa.unify_schemas(schemas, promote_options="permissive")
        tables = []
        for f in files:
            t = pq.read_table(f)
            for field in schema:
                if field.name not in t.column_names:
                    t = t.append_column(field.name, pa.nulls(t.num_rows, type=field.type))
            tables.append(t.select(schema.names).cast(schema))
        table = pa.concat_tables(tables)
        if columns is not None:
            table = table.select([c for c in columns if c in table.column_names])
        return table

    def read_frame(self, kind: str, columns: Iterable[str] | None = None):
        import pandas as pd
        table = self.read_table(kind, columns)
        if table is None:
            return pd.DataFrame()
        df = table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
        if "trial" in df.columns:
            df = df.sort_values("trial", kind="stable").reset_index(drop=True)
        return df


def read_results(root: str | Path, columns: Iterable[str] | None = None):
    """The designs of a sweep directory as a pandas DataFrame (one row per design)."""
    return ResultStore(root).read_frame("designs", columns)


def read_layers(root: str | Path, columns: Iterable[str] | None = None):
    """The per-layer rows (design x layer) of a sweep directory."""
    return ResultStore(root).read_frame("layers", columns)
