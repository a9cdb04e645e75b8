"""Compaction of a results directory: many committed flushes merged into one
part per kind, safely against a crash at any point; column pushdown on read."""

from __future__ import annotations

import pytest

from cimdse.dse import read_results, run_sweep
from cimdse.dse.fake import fake_evaluate_point
from cimdse.dse.store import COMPACT_AFTER_PARTS, ResultStore

from dse_helpers import BASIC


def _store_with_flushes(root, flushes: int, rows: int = 3) -> ResultStore:
    store = ResultStore(root)
    store.create()
    trial = 0
    for flush in range(flushes):
        name = store.new_part_name()
        designs = [{"design_id": f"d{trial + i}", "trial": trial + i, "status": "ok",
                    "energy_pj": float(trial + i), **({"e.adc": 1.0} if flush % 2 else {})}
                   for i in range(rows)]
        store.write_rows("designs", designs, name=name)
        store.write_rows("layers", [{"design_id": d["design_id"], "workload": "w",
                                     "layer_index": 0} for d in designs], name=name)
        store.write_rows("trials", [{"study": "s", "trial": d["trial"],
                                     "design_id": d["design_id"], "state": "COMPLETE"}
                                    for d in designs], name=name)
        trial += rows
    return store


def _frames(root):
    store = ResultStore(root)
    return [store.read_frame(kind).sort_values("design_id").reset_index(drop=True)
            for kind in ("designs", "layers", "trials")]


def test_compaction_merges_flushes_and_keeps_every_row(tmp_path):
    store = _store_with_flushes(tmp_path, 5)
    before = _frames(tmp_path)
    assert store.compact() == 5
    assert [len(store.parts(k)) for k in ("designs", "layers", "trials")] == [1, 1, 1]
    for old, new in zip(before, _frames(tmp_path)):
        assert old.equals(new)
    assert not list((tmp_path / "_compacted").glob("*.json"))
    assert store.compact() == 0                      # one part: nothing to merge


def test_an_uncommitted_flush_is_rolled_back_not_merged(tmp_path):
    store = _store_with_flushes(tmp_path, 3)
    store.write_rows("designs", [{"design_id": "cut", "trial": 99, "status": "ok"}])
    assert "cut" in set(read_results(tmp_path)["design_id"])
    store.compact()
    assert "cut" not in set(read_results(tmp_path)["design_id"])
    assert len(read_results(tmp_path)) == 9 and len(store.parts("designs")) == 1


def test_a_crash_before_the_commit_record_leaves_the_old_parts(tmp_path, monkeypatch):
    store = _store_with_flushes(tmp_path, 4)
    before = _frames(tmp_path)
    real = ResultStore._write_file

    def crash_on_trials(self, kind, name, table):
        if kind == "trials":
            raise KeyboardInterrupt
        return real(self, kind, name, table)
    monkeypatch.setattr(ResultStore, "_write_file", crash_on_trials)
    with pytest.raises(KeyboardInterrupt):
        store.compact()
    monkeypatch.undo()
    assert len(list((tmp_path / "designs").glob("part-*"))) == 4 + 2     # + merged + schema
    for old, new in zip(before, _frames(tmp_path)):      # the merged part is not read
        assert old.equals(new)
    ResultStore(tmp_path).finish_compactions()
    assert len(list((tmp_path / "designs").glob("part-*"))) == 4 + 1
    for old, new in zip(before, _frames(tmp_path)):
        assert old.equals(new)


def test_a_crash_after_the_commit_record_reads_each_row_once(tmp_path, monkeypatch):
    store = _store_with_flushes(tmp_path, 4)
    before = _frames(tmp_path)
    calls = []
    real = ResultStore.finish_compactions

    def only_first(self):
        calls.append(1)
        if len(calls) == 1:
            real(self)
    monkeypatch.setattr(ResultStore, "finish_compactions", only_first)
    store.compact()                                   # merged, old parts not yet removed
    monkeypatch.undo()
    assert len(list((tmp_path / "trials").glob("part-*"))) == 5
    for old, new in zip(before, _frames(tmp_path)):
        assert old.equals(new)
    ResultStore(tmp_path).finish_compactions()
    assert len(list((tmp_path / "trials").glob("part-*"))) == 1


def test_columns_are_pushed_down_and_unknown_ones_skipped(tmp_path):
    _store_with_flushes(tmp_path, 4)
    df = read_results(tmp_path, columns=["energy_pj", "nope", "design_id", "e.adc"])
    assert list(df.columns) == ["energy_pj", "design_id", "e.adc"]
    assert df["e.adc"].isna().sum() == 6 and df["e.adc"].notna().sum() == 6


def test_a_sweep_of_many_flushes_ends_compacted(write_sweep, tmp_path):
    trials = COMPACT_AFTER_PARTS + 4
    body = (BASIC.replace("trials: 12", f"trials: {trials}").replace("batch: 4", "batch: 1"))
    assert f"trials: {trials}" in body and "batch: 1" in body
    out = tmp_path / "out"
    run_sweep(write_sweep(body), out, executor="serial", evaluate_point=fake_evaluate_point)
    store = ResultStore(out)
    assert len(store.parts("designs")) == len(store.parts("trials")) == 1
    designs, log = read_results(out), store.read_frame("trials")
    assert len(log) == trials and log["trial"].is_unique
    assert set(designs["design_id"]) == set(log["design_id"]) and designs["design_id"].is_unique
    # resuming the finished sweep adds nothing and keeps one part
    run_sweep(write_sweep(body), out, executor="serial", evaluate_point=fake_evaluate_point,
              resume=True)
    assert len(read_results(out)) == len(designs) and len(store.parts("designs")) == 1

