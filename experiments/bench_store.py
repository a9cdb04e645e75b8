"""Results-store benchmark: reading a directory of many small parts, and after
compaction.

    python experiments/bench_store.py [--parts 4000] [--rows 5]

Writes ``--parts`` committed flushes of ``--rows`` design rows each (40 metric
and ``e.<component>`` columns, like a sweep with one design per batch), then
times in one run, each the fastest of 3:

* ``read_naive_s``: every part's schema read, then every part read in full and
  aligned to the union schema on its own (the reader before column pushdown and
  schema runs; kept here as the baseline);
* ``read_s`` / ``read_cols_s``: ``cimdse.read_results`` of all columns / of two;
* ``compact_s``: :meth:`ResultStore.compact`;
* ``read_compacted_s``: ``read_results`` of all columns after it.

The last line is ``parts=<> rows=<> read_naive_s=<> read_s=<> read_cols_s=<>
compact_s=<> read_compacted_s=<>``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cimdse.dse import read_results
from cimdse.dse.store import ResultStore


def _write(root: Path, parts: int, rows: int) -> None:
    store = ResultStore(root)
    store.create()
    rng = random.Random(0)
    trial = 0
    for _ in range(parts):
        name = store.new_part_name()
        designs = []
        for _ in range(rows):
            row = {"design_id": f"{trial:016x}", "trial": trial, "status": "ok",
                   "energy_pj": rng.random(), "latency_s": rng.random(), "area_mm2": rng.random()}
            row.update({f"e.comp{i}": rng.random() for i in range(36)})
            designs.append(row)
            trial += 1
        store.write_rows("designs", designs, name=name)
        store.write_rows("trials", [{"study": "s", "trial": d["trial"], "design_id": d["design_id"],
                                     "state": "COMPLETE"} for d in designs], name=name)


def _read_naive(root: Path) -> int:
    files = sorted((root / "designs").glob("part-*.parquet"))
    schema = pa.unify_schemas([pq.read_schema(f) for f in files], promote_options="permissive")
    tables = []
    for f in files:
        t = pq.read_table(f)
        for field in schema:
            if field.name not in t.column_names:
                t = t.append_column(field.name, pa.nulls(t.num_rows, type=field.type))
        tables.append(t.select(schema.names).cast(schema))
    return pa.concat_tables(tables).num_rows


def _fastest(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parts", type=int, default=4000)
    ap.add_argument("--rows", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        _write(root, args.parts, args.rows)
        print(f"wrote {args.parts} parts x {args.rows} rows in {time.perf_counter() - t:.1f} s")
        naive = _fastest(lambda: _read_naive(root))
        full = _fastest(lambda: read_results(root))
        cols = _fastest(lambda: read_results(root, columns=["design_id", "energy_pj"]))
        t = time.perf_counter()
        ResultStore(root).compact()
        compact = time.perf_counter() - t
        after = _fastest(lambda: read_results(root))
        assert len(read_results(root)) == args.parts * args.rows
    print(f"read all columns: {naive:.2f} s naive, {full:.2f} s read_results "
          f"({naive / full:.1f}x); two columns {cols:.2f} s; after compaction "
          f"{after:.3f} s ({full / after:.0f}x), compaction took {compact:.2f} s")
    print(f"parts={args.parts} rows={args.parts * args.rows} read_naive_s={naive:.3f} "
          f"read_s={full:.3f} read_cols_s={cols:.3f} compact_s={compact:.3f} "
          f"read_compacted_s={after:.4f}")


if __name__ == "__main__":
    main()
