"""Study state of a sweep: Optuna's journal storage inside the results directory.

The Optuna study lives in ``DIR/study.journal`` (Optuna's
:class:`~optuna.storages.journal.JournalFileBackend`, an append-only JSON log
with its own file lock). Every ask, suggestion, attribute and tell is written
there as it happens, so a resumed sweep is ``optuna.load_study`` on that file:
no pickled sampler, no private Optuna attributes.

Trial ``n`` is asked with a fresh sampler seeded from ``(sweep seed, n)``
(:mod:`.samplers`), on a grid of batches whose size is fixed when the study
is created (:func:`default_batch_size`); a trial cut off while being asked is
asked again in a scratch study (:func:`replay_ask`).

Each study records what defines its search space (:func:`space_of`) as a
user attribute; resuming with a sweep file whose space differs is refused
unless a new study is asked for, which then lives beside the old one in the
same journal (``<name>``, ``<name>@2``, ...).
"""

from __future__ import annotations

import json
import logging
import math
import os
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import StudyError
from .samplers import sampler_for_trial
from .schema import Sweep
from .space import sample

log = logging.getLogger(__name__)

JOURNAL_FILE = "study.journal"
SPACE_ATTR = "cimdse.space"          # study user attribute: the search space
BATCH_ATTR = "cimdse.batch"          # study user attribute: trials per ask/tell batch
DESIGN_ATTR = "design_id"            # trial user attribute
#: Optuna releases this module is tested with (oldest and newest of the declared range).
OPTUNA_TESTED = ("5.0.0", "5.1.0")


# ----------------------------------------------------------------- asks

def replay_ask(sweep: Sweep, storage, study_name: str,
               earlier: list) -> tuple[dict[str, Any], dict[str, Any]]:
    """What trial ``len(earlier)`` got when it was asked after the trials ``earlier``
    (frozen, in number order) of the study ``study_name`` in ``storage``: its
    parameters and the trial system attributes its sampler wrote (an NSGA
    generation, a grid id). The ask is run again in a scratch in-memory study
    holding copies of those trials and of the study's system attributes (samplers
    cache there, e.g. NSGA's parent population, whose tie-breaking drew on the seed
    of the trial that first needed it), with that trial's seeded sampler; study
    attributes the replayed ask adds are written back to ``storage``, as the
    original ask would have."""
    import optuna
    source = storage.get_study_id_from_name(study_name)
    scratch_storage = optuna.storages.InMemoryStorage()
    scratch = optuna.create_study(storage=scratch_storage, directions=sweep.directions,
                                  sampler=sampler_for_trial(sweep, len(earlier)))
    target = scratch_storage.get_study_id_from_name(scratch.study_name)
    before = storage.get_study_system_attrs(source)
    for key, value in before.items():
        scratch_storage.set_study_system_attr(target, key, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scratch.add_trials(earlier)
    params, _ = sample(sweep, scratch.ask())
    for key, value in scratch_storage.get_study_system_attrs(target).items():
        if key not in before:
            storage.set_study_system_attr(source, key, value)
    return params, dict(scratch.trials[-1].system_attrs)


# ----------------------------------------------------------------- batches

def default_batch_size(sweep: Sweep, total: int) -> int:
    """Trials per ask/tell batch when the sweep file sets no ``execution.batch``:
    the NSGA population if given, else a tenth of the budget within 8..256. A
    pure function of the sweep file, so a seeded sweep asks the same trials on
    any machine."""
    population = sweep.sampler.options.get("population_size")
    if population:
        return int(population)
    return max(8, min(256, math.ceil(total / 10)))


def batch_size(study, sweep: Sweep, total: int) -> int:
    """Trials per batch of ``study``: the sweep file's ``execution.batch``, else
    the size recorded when the study was created."""
    return sweep.execution.batch or int(study.user_attrs.get(BATCH_ATTR) or
                                        default_batch_size(sweep, total))


# ----------------------------------------------------------------- the space

def space_of(sweep: Sweep) -> dict[str, Any]:
    """What a study's trials mean: objectives, parameters (types, ranges, bindings,
    conditions), constraints, sampler and seed. Two sweep files with the same
    space can share a study; anything else needs a new one."""
    params = []
    for p in sweep.parameters:
        d = asdict(p)
        d.pop("location", None)
        d["choices"] = list(p.choices)
        params.append(d)
    return json.loads(json.dumps({
        "objectives": [[o.column, o.direction] for o in sweep.objectives],
        "parameters": params,
        "constraints": [c.text for c in sweep.constraints],
        "sampler": {"name": sweep.sampler.name, "options": sweep.sampler.options},
        "seed": sweep.seed,
    }, sort_keys=True, default=str))


def space_changes(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human-readable differences between two spaces (empty when equal)."""
    changes = []
    for key in ("objectives", "constraints", "sampler", "seed"):
        if stored.get(key) != current.get(key):
            changes.append(f"{key}: {_short(stored.get(key))} -> {_short(current.get(key))}")
    old = {p["name"]: p for p in stored.get("parameters", [])}
    new = {p["name"]: p for p in current.get("parameters", [])}
    for name in sorted(old.keys() - new.keys()):
        changes.append(f"parameter {name} removed")
    for name in sorted(new.keys() - old.keys()):
        changes.append(f"parameter {name} added")
    for name in sorted(old.keys() & new.keys()):
        diff = [k for k in sorted(old[name].keys() | new[name].keys())
                if old[name].get(k) != new[name].get(k)]
        changes.extend(f"parameter {name}.{k}: {_short(old[name].get(k))} -> "
                       f"{_short(new[name].get(k))}" for k in diff)
    if not changes and [p["name"] for p in stored.get("parameters", [])] != \
            [p["name"] for p in current.get("parameters", [])]:
        changes.append("parameter order")
    return changes


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


# ----------------------------------------------------------------- storage

def journal_path(root: Path) -> Path:
    return Path(root) / JOURNAL_FILE


def has_journal(root: Path) -> bool:
    path = journal_path(root)
    return path.is_file() and path.stat().st_size > 0


def _repair_journal(path: Path) -> None:
    """Drop a last record cut short by a killed process (it was never
    acknowledged); a later append would otherwise glue onto it. Callers hold the
    results directory's exclusive lock."""
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as f:
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        keep, chunk_end = 0, size
        while chunk_end > 0:
            start = max(0, chunk_end - 65536)
            f.seek(start)
            block = f.read(chunk_end - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            chunk_end = start
        log.warning("%s: dropping a record cut short by an interrupted write (%d bytes)",
                    path, size - keep)
        f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())


def _drop_stale_write_lock(path: Path) -> None:
    """Remove the journal's write lock left by a killed writer. Callers hold the
    directory's exclusive lock, so no live process can own it; otherwise Optuna
    would wait out its grace period before breaking it."""
    lock = path.with_name(path.name + ".lock")
    if lock.is_symlink() or lock.exists():
        log.info("removing the stale journal lock %s", lock)
        lock.unlink()


def _journal_backend_class():
    from optuna.storages.journal import BaseJournalBackend, JournalFileBackend

    class DirectoryJournal(BaseJournalBackend):
        """Optuna's journal file, appended by the one process that holds the results
        directory's lock. Records are written exactly as
        :class:`~optuna.storages.journal.JournalFileBackend` writes them (which reads
        them back, so ``optuna.load_study`` on the file works), but without its
        per-append file lock and fsync: a record reaches the page cache at once, which
        survives the process being killed; :meth:`sync` makes everything durable
        against a crash of the machine, and the runner calls it at every batch.
        """

        def __init__(self, path: Path):
            self._reader = JournalFileBackend(str(path))
            self._file = open(path, "ab")

        def read_logs(self, log_number_from: int):
            return self._reader.read_logs(log_number_from)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(entry, separators=(",", ":")) for entry in logs)
            self._file.write((text + "\n").encode("utf-8"))
            self._file.flush()

        def sync(self) -> None:
            os.fsync(self._file.fileno())

        def close(self) -> None:
            if not self._file.closed:
                self.sync()
                self._file.close()

    return DirectoryJournal


def open_storage(root: Path):
    """Optuna's journal storage on ``DIR/study.journal`` (created if missing) and its
    backend, whose ``sync()`` makes the journal durable and ``close()`` ends it."""
    from optuna.storages import JournalStorage
    path = journal_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        if not path.is_file():
            raise StudyError(f"{path} is not a regular file")
        _repair_journal(path)
    _drop_stale_write_lock(path)
    backend = _journal_backend_class()(path)
    try:
        storage = JournalStorage(backend)
    except (ValueError, KeyError, json.JSONDecodeError) as err:
        backend.close()
        raise StudyError(f"{path}: the study journal is damaged ({err}); the Parquet results "
                         "stay readable (cimdse.read_results), but the sweep cannot be "
                         "continued from this directory: start it in another --out") from None
    return storage, backend


def study_names(storage) -> list[str]:
    import optuna
    return optuna.study.get_all_study_names(storage)


def _next_name(base: str, existing: list[str]) -> str:
    n = 2
    while f"{base}@{n}" in existing:
        n += 1
    return f"{base}@{n}"


def create_study(storage, sweep: Sweep, batch: int, existing: list[str]):
    """A new study for ``sweep`` in ``storage``, recording its space and batch size."""
    import optuna
    name = sweep.name if sweep.name not in existing else _next_name(sweep.name, existing)
    study = optuna.create_study(storage=storage, study_name=name, directions=sweep.directions,
                                sampler=sampler_for_trial(sweep, 0))
    study.set_user_attr(SPACE_ATTR, space_of(sweep))
    study.set_user_attr(BATCH_ATTR, int(batch))
    study.set_user_attr("cimdse.sweep_text", sweep.text)
    return study


def load_latest_study(storage, sweep: Sweep, names: list[str]):
    """The newest study of the journal, checked against ``sweep``'s space."""
    import optuna
    name = names[-1]
    study = optuna.load_study(study_name=name, storage=storage, sampler=sampler_for_trial(sweep, 0))
    changes = space_changes(study.user_attrs.get(SPACE_ATTR, {}), space_of(sweep))
    if changes:
        raise StudyError(
            f"the sweep file's search space differs from the study '{name}' being resumed: "
            + "; ".join(changes[:6]) + (f"; and {len(changes) - 6} more" if len(changes) > 6 else "")
            + ". Resume with the original sweep file, or add --new-study to start a new study "
              "in the same directory (designs already evaluated are served from the store)")
    return study
