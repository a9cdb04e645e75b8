"""Results store: atomic immutable parts, schema evolution, reading back."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from cimdse.dse.store import StoreError, ResultStore, read_results, to_table


def test_rows_to_table_types():
    t = to_table([{"a": 1, "b": "x", "c": True, "d": None, "t": datetime.now(timezone.utc)},
                  {"a": 2.5, "b": 3, "e": [1, 2]}], {"b": pa.string()})
    assert t.schema.field("a").type == pa.float64()
    assert t.schema.field("b").type == pa.string() and t.column("b").to_pylist() == ["x", "3"]
    assert t.schema.field("c").type == pa.bool_()
    assert pa.types.is_timestamp(t.schema.field("t").type)
    assert t.column("e").to_pylist() == [None, "[1, 2]"]


def test_parts_are_atomic_and_never_rewritten(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    p1 = store.write_rows("designs", [{"design_id": "a", "trial": 0, "status": "ok", "x": 1.0}])
    before = p1.read_bytes()
    # a crash while writing: the temp file exists, the part does not
    real_replace = os.replace

    def crash(src, dst):
        raise OSError("simulated crash before rename")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StoreError, match="cannot write .*simulated crash.*--resume"):
        store.write_rows("designs", [{"design_id": "b", "trial": 1, "status": "ok", "x": 2.0}])
    monkeypatch.setattr(os, "replace", real_replace)
    assert len(store.parts("designs")) == 1 and p1.read_bytes() == before
    assert not list(store.staging.glob(".*.tmp"))       # a failed write cleans up after itself
    (store.staging / ".designs-part-x.parquet.1234.tmp").write_bytes(b"half")  # a killed writer's
    df = read_results(tmp_path)
    assert list(df["design_id"]) == ["a"]               # readers never see it
    store.clean_staging()
    assert not list(store.staging.glob(".*.tmp"))
    p2 = store.write_rows("designs", [{"design_id": "b", "trial": 1, "status": "ok", "x": 2.0}])
    assert p2 != p1 and p1.read_bytes() == before
    assert list(read_results(tmp_path)["design_id"]) == ["a", "b"]


def test_schema_evolution_keeps_late_columns(tmp_path):
    store = ResultStore(tmp_path)
    store.write_rows("designs", [{"design_id": "a", "trial": 0, "status": "ok", "energy_pj": 1.0,
                                  "p.ROWS": 64}], {"p.ROWS": pa.int64()})
    # later part: new metric column, a new e.* column, an int param now missing
    store.write_rows("designs", [{"design_id": "b", "trial": 1, "status": "error",
                                  "error": "boom", "energy_pj": None, "e.adc": 3.5,
                                  "new_metric": 7.0}])
    df = read_results(tmp_path)
    assert list(df["design_id"]) == ["a", "b"]
    assert {"e.adc", "new_metric", "p.ROWS", "error"} <= set(df.columns)
    assert df["new_metric"].isna().tolist() == [True, False]
    assert df["p.ROWS"].iloc[0] == 64 and str(df["p.ROWS"].dtype) == "Int64"
    assert df["p.ROWS"].isna().iloc[1]
    assert df["e.adc"].iloc[1] == 3.5


def test_int_to_float_drift_is_promoted(tmp_path):
    store = ResultStore(tmp_path)
    store.write_part("designs", pa.table({"design_id": ["a"], "trial": [0], "m": pa.array([1], pa.int64())}))
    store.write_part("designs", pa.table({"design_id": ["b"], "trial": [1], "m": [30.5]}))
    df = read_results(tmp_path)
    assert df["m"].tolist() == [1.0, 30.5]


def test_sweep_copy_and_no_pickle_api(tmp_path):
    store = ResultStore(tmp_path)
    assert not store.exists()
    store.write_sweep_copy("name: x\n")
    assert (tmp_path / "sweep.yaml").read_text() == "name: x\n"
    assert not store.exists()                      # a sweep copy alone holds no results
    assert not hasattr(store, "load_state")        # nothing is ever unpickled from a directory


def test_empty_directory_reads_empty_frame(tmp_path):
    assert read_results(tmp_path).empty


def test_plain_pandas_sees_columns_that_appear_later(tmp_path):
    import pandas as pd
    store = ResultStore(tmp_path)
    # first part: a failed design only (no e.* column, metrics null)
    store.write_rows("designs", [{"design_id": "a", "trial": 0, "status": "error",
                                  "error": "boom", "energy_pj": None}])
    store.write_rows("designs", [{"design_id": "b", "trial": 1, "status": "ok", "error": None,
                                  "energy_pj": 2.0, "e.adc": 1.5}])
    store.write_rows("designs", [{"design_id": "c", "trial": 2, "status": "ok", "error": None,
                                  "energy_pj": 3.0, "e.adc": 2.5, "e.cell": 0.5}])
    df = pd.read_parquet(tmp_path / "designs").sort_values("trial")
    assert list(df["design_id"]) == ["a", "b", "c"]
    assert df["e.cell"].isna().tolist() == [True, True, False]
    assert df["e.adc"].tolist()[1:] == [1.5, 2.5]
    assert str(df["energy_pj"].dtype) == "float64"
    assert list(read_results(tmp_path).columns) == list(df.columns)


def test_rollback_of_a_flush_that_died_before_its_trials_part(tmp_path):
    store = ResultStore(tmp_path)
    name = store.new_part_name()
    store.write_rows("designs", [{"design_id": "a", "trial": 0, "status": "ok"}], name=name)
    store.write_rows("trials", [{"trial": 0, "design_id": "a", "state": "COMPLETE"}], name=name)
    dead = store.new_part_name()            # designs + layers written, then kill -9
    store.write_rows("designs", [{"design_id": "b", "trial": 1, "status": "ok"}], name=dead)
    store.write_rows("layers", [{"design_id": "b", "layer_index": 0}], name=dead)
    removed = store.rollback_uncommitted()
    assert sorted(p.name for p in removed) == [dead, dead]
    assert list(read_results(tmp_path)["design_id"]) == ["a"]
    assert read_results(tmp_path, layers=True).empty


def test_rollback_keeps_parts_of_directories_with_separately_named_parts(tmp_path):
    store = ResultStore(tmp_path)       # older layout: each part had its own name
    for i in range(2):
        store.write_rows("designs", [{"design_id": f"d{i}", "trial": i, "status": "ok"}])
        store.write_rows("trials", [{"trial": i, "design_id": f"d{i}", "state": "COMPLETE"}])
    store.write_rows("designs", [{"design_id": "d2", "trial": 2, "status": "ok"}])   # then died
    removed = store.rollback_uncommitted()
    assert len(removed) == 1
    assert list(read_results(tmp_path)["design_id"]) == ["d0", "d1"]
