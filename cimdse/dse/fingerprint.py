"""What a design's results depend on beyond its overrides: the evaluation context.

A design id (:func:`cimdse.dse.space.design_id`) must change whenever a
stored row could be stale. Besides the overrides, a row depends on

* the model: the cimdse version, the component data it ships
  (:data:`MODEL_DATA_DIRS`: library tables, example cell files) and the
  installed plug-ins with their versions (:data:`PLUGIN_GROUPS`);
* the spec: the base spec file, its includes (:func:`spec_files`), the
  composed levels (:func:`composed_files`), and every file one of them or a
  sweep value *names* (a ``CELL: my.cell`` variable, a
  ``library`` or ``cell_file`` attribute, a categorical choice of cell files):
  a string naming an existing regular file next to the spec file it is
  written in (or next to the base spec, for sweep values);
* the workloads: the bytes of a workload file, or of every layer file of a
  workload directory (a built-in name depends on the version alone).

Only file contents are read, never executed; every file is size-checked
(:func:`cimdse.textfile.check_regular_file`) and a directory contributes at
most :data:`MAX_WORKLOAD_FILES` files, so a hostile path cannot make the
driver read without bound. :func:`context_hash` combines all of it into the
hash every design id of a sweep carries.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from .. import plugins
from .._version import __version__
from ..spec.compose import COMPOSE_PREFIX, LEVELS, level_path, split_compose
from ..spec.errors import SpecError
from ..spec.yaml_io import IncludeRef, load_yaml_file
from ..textfile import TextFileError, check_regular_file

_PACKAGE = Path(__file__).resolve().parents[1]
#: Package folders whose files are model inputs (not validation references).
MODEL_DATA_DIRS = ("components/data",)
#: Entry-point groups whose plug-ins change what a design evaluates to.
PLUGIN_GROUPS = ("cimdse.components", "cimdse.encodings", "cimdse.placements")
#: Layer files of one workload directory that are hashed at most.
MAX_WORKLOAD_FILES = 10_000


def context_hash(spec_path: Path, overrides: dict[str, Any],
                 bindings: Sequence[tuple[str, tuple]], workloads: Iterable[str]) -> str:
    """Hash of everything a design's rows depend on beyond its overrides: the
    model, the base spec at ``spec_path`` with its includes and composed levels,
    every file those, the fixed ``overrides`` or the choices of the ``bindings``
    (binding key, choices of each parameter) name, and the files of the
    ``workloads`` (names or paths)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(model_fingerprint().encode())
    specs = [*spec_files(spec_path), *composed_files(spec_path, overrides, bindings)]
    for path in specs:
        h.update(path.read_bytes())
    values = [*overrides.values(), *(choices or () for _, choices in bindings)]
    h.update(files_digest(named_files(_spec_data(specs) + [(spec_path.parent, values)])).encode())
    for name in workloads:
        h.update(files_digest(workload_files(name)).encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """Hash of the cimdse version, the component data it ships, and the
    installed plug-ins (entry point, value, distribution and version)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(__version__.encode())
    for line in installed_plugins():
        h.update(line.encode())
    for folder in MODEL_DATA_DIRS:
        root = _PACKAGE / folder
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(_PACKAGE)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def installed_plugins() -> list[str]:
    """``group name=value (distribution version)`` of every installed plug-in:
    upgrading a plug-in package changes the design ids of every sweep."""
    return sorted(f"{group} {entry.name}={entry.value} ({plugins.provider(entry)})"
                  for group in PLUGIN_GROUPS for entry in plugins.entry_points(group))


def spec_files(path: Path, _seen: tuple[Path, ...] = ()) -> list[Path]:
    """The spec file and, recursively, its ``include:`` files (in include order)."""
    path = Path(path).resolve()
    if path in _seen:
        return []
    out = [path]
    try:
        data = load_yaml_file(path)
    except SpecError:
        return out
    includes = data.get("include") if isinstance(data, dict) else None
    if isinstance(includes, str):
        includes = [includes]
    for item in [*(includes or []), *_node_includes(data)]:
        target = path.parent / str(item)
        if target.exists():
            out.extend(spec_files(target, (*_seen, path)))
    return out


def _node_includes(data: Any) -> list[str]:
    """Targets of the ``!Include FILE`` items of ``arch.nodes``."""
    arch = data.get("arch") if isinstance(data, dict) else None
    nodes = arch.get("nodes") if isinstance(arch, dict) else None
    return [n.target for n in nodes or [] if isinstance(n, IncludeRef)]


def composed_files(spec_path: Path, overrides: dict[str, Any],
                   bindings: Sequence[tuple[str, tuple]]) -> list[Path]:
    """Files of the system / chip / tile levels a sweep may compose in (fixed
    ``compose.*`` overrides and every choice of a parameter bound to one), with
    their includes."""
    try:
        values: list[tuple[str, Any]] = list(split_compose(overrides)[1].items())
    except SpecError:
        values = []             # an unknown compose key: reported when a design loads
    for bind, choices in bindings:
        if bind.startswith(COMPOSE_PREFIX):
            values.extend((bind[len(COMPOSE_PREFIX):], c) for c in choices or ())
    out: list[Path] = []
    for level, value in values:
        if level not in LEVELS:
            continue
        try:
            path = level_path(level, value, spec_path.parent)
        except SpecError:
            continue            # reported when the design is loaded
        if path is not None:
            out.extend(spec_files(path))
    return out


def _spec_data(specs: list[Path]) -> list[tuple[Path, Any]]:
    """(directory, data) of every spec file that parses."""
    out: list[tuple[Path, Any]] = []
    for path in specs:
        try:
            out.append((path.parent, load_yaml_file(path)))
        except SpecError:
            continue
    return out


def named_files(texts: Iterable[tuple[Path, Any]]) -> list[Path]:
    """Existing regular files named by the strings of each (directory, value):
    ``value`` is a YAML document's data (nested dicts / lists / scalars) or a
    string; a relative name is taken relative to its ``directory``."""
    found: dict[Path, None] = {}
    for directory, value in texts:
        for text in _strings(value):
            path = _existing_file(directory, text)
            if path is not None:
                found.setdefault(path)
    return list(found)


def workload_files(name: str) -> list[Path]:
    """The files a workload entry reads: the file itself, or the layer files
    of a directory (sorted); none for a built-in name."""
    from ..workload.networks import canonical_name
    if canonical_name(name) is not None:
        return []
    path = Path(name)
    if path.is_file():
        return [path.resolve()]
    if path.is_dir():
        files = sorted(p.resolve() for p in path.iterdir() if p.is_file())
        return files[:MAX_WORKLOAD_FILES]
    return []


def files_digest(paths: Iterable[Path]) -> str:
    """Hash of the names and contents of ``paths`` (unreadable ones by name)."""
    h = hashlib.blake2b(digest_size=16)
    for path in paths:
        h.update(str(path).encode())
        try:
            check_regular_file(path)
            h.update(path.read_bytes())
        except (OSError, TextFileError):
            h.update(b"<unreadable>")
    return h.hexdigest()


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _existing_file(directory: Path, text: str) -> Path | None:
    text = text.strip()
    if not text or len(text) > 4096 or "\n" in text:
        return None
    path = Path(text)
    if not path.is_absolute():
        path = directory / path
    try:
        return path.resolve() if path.is_file() else None
    except (OSError, ValueError):
        return None
