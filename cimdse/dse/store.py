"""The results store of a sweep: a directory of Parquet parts.

Layout of ``DIR``::

    sweep.yaml                  copy of the sweep file as written
    designs/part-*.parquet      one row per evaluated design
    layers/part-*.parquet       one row per design x layer
    macros/part-*.parquet       one row per design x macro of a placed pipeline
                                (cimdse.system; designs without a placement have none)
    trials/part-*.parquet       the trial log (trial -> design_id, params, values,
                                state): the commit record of each flush
    study.journal               the Optuna study (journal storage; see study.py)
    .lock                       held (flock) by the one sweep writing the directory
    _staging/                   temp files (ignored by readers)
    _compacted/                 records of compactions in progress (see below)

Nothing in a results directory is ever unpickled or executed: a directory
someone hands you is data. A ``study.pkl`` written by old versions is ignored.

Every part is written to ``_staging/.<name>.tmp``, fsynced, then renamed
into place with ``os.replace``: readers see a complete file or nothing, and
a part is never rewritten. Schemas are unified across parts when reading
(columns that appear in later parts are kept; missing ones read as null).

Plain Parquet readers (``pandas.read_parquet(DIR / "designs")``) take the
schema of the first file in name order, so each of ``designs/``,
``layers/`` and ``macros/`` also holds a zero-row ``part-00000000000000000000-schema.parquet``
carrying the union schema of all parts; it is atomically replaced whenever a
new column appears (the only file ever replaced, and it holds no rows).

A runner flush writes the parts of one batch under one name (designs,
layers, macros, then trials). The trials part is the commit record: on resume,
designs/layers/macros parts without a trials part of the same name (a crash in the
middle of a flush) are rolled back by :meth:`ResultStore.rollback_uncommitted`.

Reading costs per part, so a sweep that ends with at least
:data:`COMPACT_AFTER_PARTS` flushes merges them into one part per kind
(:meth:`ResultStore.compact`): the merged parts are new files and the replaced
ones are removed only after the merged trials part (the commit record) is in
place; a ``_compacted/<part>.json`` record lets readers and the next writer
tell which set is current at any point of a crash. cimdse's readers never see
a row twice; a plain Parquet reader listing the directory during the
compaction itself may.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import CimdseError
from ..metrics import METRIC_NAMES

log = logging.getLogger(__name__)

KINDS = ("designs", "layers", "macros", "trials")
#: The kinds a flush writes before its trials part (the commit record).
ROW_KINDS = ("designs", "layers", "macros")
LEGACY_STATE_FILE = "study.pkl"      # old versions' pickled sampler: never loaded
LOCK_FILE = ".lock"
SWEEP_FILE = "sweep.yaml"
STAGING = "_staging"
COMPACTED = "_compacted"       # compaction records (see ResultStore.compact)
#: Committed flushes after which a finished sweep merges its parts into one.
COMPACT_AFTER_PARTS = 32
SCHEMA_PART = "part-" + "0" * 20 + "-schema.parquet"

#: Metric columns every design row has (null when the design failed), in contract order.
METRIC_COLUMNS = METRIC_NAMES

#: Declared types of the fixed design columns; metrics default to float64.
DESIGN_TYPES: dict[str, pa.DataType] = {
    "design_id": pa.string(), "study": pa.string(), "trial": pa.int64(),
    "status": pa.string(), "error": pa.string(), "eval_s": pa.float64(), "worker": pa.string(), "started_at": pa.timestamp("us", tz="UTC"),
    **{m: pa.float64() for m in METRIC_COLUMNS},
}
LAYER_TYPES: dict[str, pa.DataType] = {
    "design_id": pa.string(), "workload": pa.string(), "layer_index": pa.int64(),
}
MACRO_TYPES: dict[str, pa.DataType] = {
    "design_id": pa.string(), "workload": pa.string(), "macro": pa.int64(),
    "stage": pa.int64(), "layers": pa.string(), "stationary": pa.bool_(),
    "weights": pa.float64(), "fill": pa.float64(), "busy_s": pa.float64(),
    "utilization": pa.float64(), "idle_s": pa.float64(),
}
TRIAL_TYPES: dict[str, pa.DataType] = {
    "study": pa.string(), "trial": pa.int64(), "design_id": pa.string(), "state": pa.string(), "values": pa.string(),
    "params": pa.string(), "distributions": pa.string(), "system_attrs": pa.string(),
    "user_attrs": pa.string(),
}


class StoreError(CimdseError):
    """A results directory cannot be read, written or locked."""


def write_error(path: Path, err: OSError) -> StoreError:
    reason = err.strerror or str(err)
    hint = ("free some space" if err.errno in (errno.ENOSPC, errno.EDQUOT)
            else "check the directory's permissions")
    return StoreError(f"cannot write {path}: {reason}. Everything committed before stays "
                      f"readable; {hint}, then continue with --resume")


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


def to_table(rows: list[dict], types: dict[str, pa.DataType] | None = None,
             hints: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Rows -> Arrow table with declared ``types`` where given, else the ``hints``
    type when the values convert to it, else numbers as float64, bools as bool,
    datetimes as UTC timestamps, the rest as text."""
    types = dict(types or {})
    for col, typ in (hints or {}).items():
        if col not in types:
            values = [row.get(col) for row in rows]
            try:
                pa.array([_convert(v, typ) for v in values], type=typ)
                types[col] = typ
            except (TypeError, ValueError, OverflowError, pa.ArrowException):
                pass
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
    tmp = staging / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        staging.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise write_error(path, err) from None
    _fsync_dir(path.parent)


class ResultStore:
    """Write and read the Parquet parts of one results directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.staging = self.root / STAGING
        self._schemas: dict[str, pa.Schema] = {}     # kind -> union schema written so far

    # ------------------------------------------------------------- writing
    def create(self) -> None:
        try:
            for kind in KINDS:
                (self.root / kind).mkdir(parents=True, exist_ok=True)
            self.staging.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise write_error(self.root, err) from None

    def exists(self) -> bool:
        return any((self.root / kind).is_dir() and any((self.root / kind).glob("part-*.parquet"))
                   for kind in KINDS) or (self.root / "study.journal").exists()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the directory's exclusive lock (``DIR/.lock``) for the body; a second
        writer is refused at once with who holds it. The operating system releases
        the lock when the holder exits, however it exits."""
        import fcntl
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise write_error(self.root / LOCK_FILE, err) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "another process"
                raise StoreError(f"{self.root} is in use by another sweep ({holder}); wait for "
                                 "it to finish or choose another --out") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()} since "
                          f"{datetime.now().isoformat(timespec='seconds')}\n".encode(), 0)
            yield
        finally:
            os.close(fd)

    @staticmethod
    def new_part_name() -> str:
        """A fresh part file name (time-ordered)."""
        return f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"

    def _write_file(self, kind: str, name: str, table: pa.Table) -> Path:
        tmp = self.staging / f".{kind}-{name}.{uuid.uuid4().hex[:8]}.tmp"
        target = self.root / kind / name
        try:
            pq.write_table(table, tmp, compression="zstd")
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError as err:
            tmp.unlink(missing_ok=True)
            raise write_error(target, err) from None
        _fsync_dir(target.parent)
        return target

    def write_part(self, kind: str, table: pa.Table, name: str | None = None) -> Path | None:
        """Write one immutable part atomically; returns its path (None if empty).
        ``name``: the part's file name (default: a fresh one); a runner flush gives
        its designs, layers and trials parts the same name."""
        if kind not in KINDS:
            raise ValueError(f"unknown part kind {kind!r}")
        if table.num_rows == 0:
            return None
        self.create()
        target = self._write_file(kind, name or self.new_part_name(), table)
        if kind != "trials":
            self._widen_schema(kind, table.schema)
        return target

    def known_schema(self, kind: str) -> pa.Schema | None:
        """Union schema of the parts of ``kind`` written so far (None if none)."""
        if kind not in self._schemas:
            files = self.parts(kind, include_schema=True)
            if not files:
                return None
            self._schemas[kind] = pa.unify_schemas([_read_schema(f) for f in files],
                                                   promote_options="permissive")
        return self._schemas[kind]

    def _widen_schema(self, kind: str, schema: pa.Schema) -> None:
        """Keep the zero-row schema part of ``kind`` equal to the union schema."""
        schema = schema.remove_metadata()
        known = self.known_schema(kind)
        try:
            union = schema if known is None else pa.unify_schemas([known, schema],
                                                                  promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
            log.warning("%s: a column changed type (%s); plain Parquet readers may fail "
                        "on %s/", self.root, err, kind)
            return
        current = self.root / kind / SCHEMA_PART
        if known is not None and union.equals(known) and current.exists():
            return
        self._write_file(kind, SCHEMA_PART, union.empty_table())
        self._schemas[kind] = union

    def write_rows(self, kind: str, rows: list[dict], types: dict[str, pa.DataType] | None = None,
                   name: str | None = None):
        """Rows -> one part. Column types: the kind's fixed types, then ``types``, then
        the types already in the store (so parts agree), else inferred."""
        if not rows:
            return None
        base = {"designs": DESIGN_TYPES, "layers": LAYER_TYPES, "macros": MACRO_TYPES,
                "trials": TRIAL_TYPES}[kind]
        known = self.known_schema(kind) if kind != "trials" else None
        seen = {f.name: f.type for f in known} if known is not None else {}
        return self.write_part(kind, to_table(rows, {**base, **(types or {})}, seen), name)

    def rollback_uncommitted(self) -> list[Path]:
        """Remove designs/layers/macros parts of a flush that never wrote its trials part
        (the process died in the middle of a flush); returns what was removed.

        A part is uncommitted when no trials part has its name and it is newer than
        the newest trials part (directories written before flushes shared one name
        have their designs part just before its trials part, so only the parts
        after the last trials part -- the interrupted flush -- qualify there too).
        """
        committed = {p.name for p in self.parts("trials")}
        newest = max(committed, default="")
        removed = []
        for kind in ROW_KINDS:
            for part in self.parts(kind):
                if part.name not in committed and part.name > newest:
                    log.warning("rolling back %s (its flush did not complete)", part)
                    part.unlink()
                    removed.append(part)
        if removed:
            self._schemas.clear()
        return removed

    def write_sweep_copy(self, text: str) -> None:
        self.create()
        atomic_write_bytes(self.root / SWEEP_FILE, text.encode(), self.staging)

    def clean_staging(self) -> None:
        """Remove temp files left by a crash (never complete parts)."""
        if self.staging.is_dir():
            for tmp in self.staging.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------- reading
    def parts(self, kind: str, include_schema: bool = False) -> list[Path]:
        """The data parts of ``kind`` in name (= time) order; with ``include_schema``
        also the zero-row schema part. Parts a committed compaction replaced, and
        the merged part of one that never committed, are left out."""
        d = self.root / kind
        if not d.is_dir():
            return []
        hidden = self._hidden_by_compaction()
        return sorted(p for p in d.glob("part-*.parquet")
                      if (include_schema or p.name != SCHEMA_PART) and p.name not in hidden)

    # ---------------------------------------------------------- compaction
    def compact(self, min_parts: int = 2) -> int:
        """Merge every committed flush into one part per kind; returns the number
        of flushes merged (0 if fewer than ``min_parts``). The caller holds the
        lock; parts of a flush that never committed are rolled back first. Crash-safe: a record ``_compacted/<part>.json`` naming the merged
        part and the parts it replaces is written first, the merged trials part
        (the commit record) last; until it exists readers ignore the merged
        parts, after it they ignore the replaced ones, and
        :meth:`finish_compactions` completes or undoes an interrupted one."""
        self.finish_compactions()
        self.rollback_uncommitted()      # a crashed flush's parts would outlive the merge
        committed = [p.name for p in self.parts("trials")]
        if len(committed) < max(min_parts, 2):
            return 0
        name = self.new_part_name()
        record = self.root / COMPACTED / f"{name}.json"
        record.parent.mkdir(exist_ok=True)
        atomic_write_bytes(record, json.dumps({"part": name, "replaces": committed}).encode(),
                           self.staging)
        replaced = set(committed)
        for kind in (*ROW_KINDS, "trials"):
            old = [p for p in self.parts(kind) if p.name in replaced]
            if old:
                self._write_file(kind, name, _merged(old))
        self.finish_compactions()
        log.info("compacted %d flushes of %s into %s", len(committed), self.root, name)
        return len(committed)

    def finish_compactions(self) -> None:
        """Complete each recorded compaction whose merged trials part exists
        (remove the replaced parts), undo the others (remove the merged parts),
        then remove the record."""
        for record, (name, replaced) in self._compaction_records().items():
            committed = (self.root / "trials" / name).exists()
            for kind in KINDS:
                for part_name in (replaced if committed else [name]):
                    (self.root / kind / part_name).unlink(missing_ok=True)
            record.unlink(missing_ok=True)
        self._schemas.clear()

    def _compaction_records(self) -> dict[Path, tuple[str, list[str]]]:
        folder = self.root / COMPACTED
        if not folder.is_dir():
            return {}
        out = {}
        for record in sorted(folder.glob("part-*.json")):
            try:
                data = json.loads(record.read_text())
                out[record] = (str(data["part"]), [str(n) for n in data["replaces"]])
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise StoreError(f"{record}: damaged compaction record ({err}); move it "
                                 "aside only after checking which parts it names") from None
        return out

    def _hidden_by_compaction(self) -> set[str]:
        hidden: set[str] = set()
        for name, replaced in self._compaction_records().values():
            hidden.update(replaced if (self.root / "trials" / name).exists() else [name])
        return hidden

    def read_table(self, kind: str, columns: Iterable[str] | None = None) -> pa.Table | None:
        """All parts of ``kind`` as one table with the unified schema, or None.
        ``columns`` (unknown names skipped) is pushed down to the Parquet reader,
        so a query of a few columns reads only those."""
        files = self.parts(kind, include_schema=True)   # the schema part fixes column order
        if not files:
            return None
        wanted = None if columns is None else list(dict.fromkeys(columns))
        tables = [_read_part(f, wanted) for f in files]
        schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
        table = pa.concat_tables([_aligned(run, schema) for run in _same_schema_runs(tables)])
        if wanted is not None:
            table = table.select([c for c in wanted if c in table.column_names])
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


def _damaged(path: Path, err: Exception) -> StoreError:
    aside = path.parent.parent / "_damaged"
    return StoreError(f"{path}: damaged Parquet part ({type(err).__name__}: "
                      f"{str(err).splitlines()[0] if str(err) else ''}). Move it aside "
                      f"(mkdir -p {aside} && mv {path} {aside}/) and read again; "
                      "a resumed sweep evaluates its designs again")


def _read_schema(path: Path) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as err:
        raise _damaged(path, err) from None


def _read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One part (opened once), only ``columns`` of it that it has if given."""
    try:
        with pq.ParquetFile(path) as part:
            names = part.schema_arrow.names
            return part.read(columns=None if columns is None else
                             [c for c in columns if c in names])
    except (pa.ArrowException, OSError) as err:
        raise _damaged(path, err) from None


def _merged(paths: list[Path]) -> pa.Table:
    """The rows of ``paths`` as one table with their unified schema."""
    tables = [_read_part(p) for p in paths]
    schema = pa.unify_schemas([t.schema for t in tables], promote_options="permissive")
    return pa.concat_tables([_aligned(run, schema) for run in _same_schema_runs(tables)])


def _same_schema_runs(tables: list[pa.Table]) -> list[pa.Table]:
    """Consecutive tables of one schema concatenated (aligning each run once
    instead of each part is what makes reading thousands of parts cheap)."""
    runs: list[list[pa.Table]] = []
    for t in tables:
        if runs and runs[-1][0].schema.equals(t.schema):
            runs[-1].append(t)
        else:
            runs.append([t])
    return [pa.concat_tables(run) for run in runs]


def _aligned(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with every column of ``schema`` (missing ones null), in its order."""
    for field in schema:
        if field.name not in table.column_names:
            table = table.append_column(field.name, pa.nulls(table.num_rows, type=field.type))
    return table.select(schema.names).cast(schema)


def read_results(root: str | Path, columns: Iterable[str] | None = None, *,
                 layers: bool = False, macros: bool = False):
    """The results of a sweep directory as a pandas DataFrame, sorted by trial.

    One row per design; with ``layers=True`` the per-layer table instead (one row
    per design x workload layer, joined to the designs by ``design_id``); with
    ``macros=True`` the per-macro table of placed pipelines (one row per design
    x workload x macro). ``columns`` selects columns (unknown names are skipped).
    """
    kind = "layers" if layers else "macros" if macros else "designs"
    return ResultStore(root).read_frame(kind, columns)


def read_layers(root: str | Path, columns: Iterable[str] | None = None):
    """The per-layer rows (design x layer) of a sweep directory."""
    return ResultStore(root).read_frame("layers", columns)


def read_macros(root: str | Path, columns: Iterable[str] | None = None):
    """The per-macro rows (design x workload x macro) of a sweep directory."""
    return ResultStore(root).read_frame("macros", columns)
