"""Composing a macro with tile / chip / system levels, and workload-derived variables.

Two ways to put a macro into a full system (CiMLoop's four-level
composition system -> chip -> tile -> macro):

* **In a file**, with ``!Include`` items in ``arch.nodes`` (see
  :mod:`cimdse.spec.yaml_io`)::

      arch:
        nodes:
        - !Include ../systems/system/fetch_all_lpddr4.yaml
        - !Include ../systems/chip/glb.yaml
        - !Include ../systems/tile/io_buffers.yaml
        - !Include ../macros/wang_vlsi_2022.yaml

* **Without a file**: ``load(macro, system=..., chip=..., tile=...)``, the
  CLI flags ``--system/--chip/--tile``, or the override keys
  ``compose.system`` / ``compose.chip`` / ``compose.tile`` (so a sweep can
  bind a parameter to them). The composed node list is the system's nodes,
  the chip's, the tile's, then the base spec's; variables of later files
  override earlier ones and ``--set`` overrides them all. A level value is
  a ``.yaml`` path (absolute, relative to the current directory, or relative
  to the base spec's directory), a bare name looked up in
  ``configs/systems/<level>/<name>.yaml`` (:func:`systems_dir`), or
  ``none``. When any level is given, the levels not given default to
  ``<level>/none.yaml``, so every level's variables exist. A level file
  may bring the levels below it itself, with ``!Include`` items of files
  in the sibling level folders (``configs/systems/system/pipelined_chips.yaml``
  includes ``../chip/glb_routers.yaml`` and ``../tile/io_buffers.yaml``):
  those levels are then not added again, its variables win over theirs
  (as over any included file's), and naming them too is an error.

Workload-derived variables (:data:`WORKLOAD_VARIABLES`) size hardware from a
network: ``WORKLOAD_WEIGHTS`` (weights of all weight layers, summed) and
``WORKLOAD_MAX_LAYER_WEIGHTS`` (the largest layer's weights), in weight
values (slices not counted). Activation x activation matmuls (attention
QK^T, AV) have no stationary weights and are skipped. They exist when a
workload is given (``load(..., workload=...)``, ``cimdse evaluate
--workload``, or the override key ``compose.workload``); an expression that
uses one without a workload is a located :class:`SpecError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from ..shipped import find_configs
from .errors import SpecError, nearest
from .expressions import ExpressionError
from .model import Location
from .scope import Scope
from .yaml_io import IncludeRef, LocDict, LocList, load_yaml_file, splice_node_includes

LEVELS: tuple[str, ...] = ("system", "chip", "tile")
COMPOSE_PREFIX = "compose."
COMPOSE_KEYS: tuple[str, ...] = (*LEVELS, "workload")
SYSTEMS_ENV = "CIMDSE_SYSTEMS"
SYSTEMS_SUBDIR = Path("configs") / "systems"
NONE_NAME = "none"
WORKLOAD_VARIABLES: tuple[str, ...] = ("WORKLOAD_WEIGHTS", "WORKLOAD_MAX_LAYER_WEIGHTS")
MAX_UTILIZATION = "max_utilization"     # the hardware-derived workload (cimdse.evaluate)


# --------------------------------------------------------------------- compose keys

def split_compose(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``overrides`` -> (plain overrides, ``{level or 'workload': value}``)."""
    plain: dict[str, Any] = {}
    compose: dict[str, Any] = {}
    for key, value in overrides.items():
        if not key.startswith(COMPOSE_PREFIX):
            plain[key] = value
            continue
        name = key[len(COMPOSE_PREFIX):]
        if name not in COMPOSE_KEYS:
            raise SpecError(f"unknown composition key '{key}'; valid: "
                            f"{', '.join(COMPOSE_PREFIX + k for k in COMPOSE_KEYS)}",
                            Location(path=f"--set {key}"),
                            suggestion=_prefixed(nearest(name, COMPOSE_KEYS)))
        compose[name] = value
    return plain, compose


def _prefixed(name: str | None) -> str | None:
    return COMPOSE_PREFIX + name if name else None


def systems_dir(start: str | Path | None = None) -> Path:
    """The ``configs/systems`` directory: ``$CIMDSE_SYSTEMS``, else the first
    ``configs/systems`` in ``start`` (default: the current directory) or one of
    its parents, else the one shipped in the package (:mod:`cimdse.shipped`)."""
    env = os.environ.get(SYSTEMS_ENV)
    if env:
        return Path(env)
    return find_configs(SYSTEMS_SUBDIR.name, start)


def level_path(level: str, value: Any, base_dir: Path) -> Path | None:
    """The file of one composition level (None for ``none``)."""
    where = Location(path=f"{COMPOSE_PREFIX}{level}")
    if value is None or value is False or (isinstance(value, str) and value.strip() == ""):
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise SpecError(f"--{level} expects a file or a name, got {value!r}", where)
    text = str(value).strip()
    if Path(text).suffix in (".yaml", ".yml"):
        for candidate in (Path(text), base_dir / text):
            if candidate.is_file():
                return candidate.resolve()
        raise SpecError(f"{level} file not found: {text} (looked in the current directory "
                        f"and in {base_dir})", where)
    folder = systems_dir() / level
    path = folder / f"{text}.yaml"
    if path.is_file():
        return path.resolve()
    names = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
    raise SpecError(f"no {level} named {text!r} in {folder}; available: "
                    f"{', '.join(names) or 'none'}", where, suggestion=nearest(text, names))


def compose_root(base: Path, levels: Mapping[str, Any]) -> LocDict:
    """The spec tree of ``base`` placed inside the given levels (outermost first)."""
    base = Path(base).resolve()
    if not base.is_file():
        raise SpecError(f"file not found: {base}", Location(file=str(base)))
    given = {lvl: levels.get(lvl) for lvl in LEVELS}
    refs: list[IncludeRef] = []
    covered: dict[str, Path] = {}           # level -> the level file that includes it
    for level in LEVELS:
        if level in covered:
            if given[level] is not None:
                raise SpecError(f"--{level} {given[level]}: the {_level_of(covered[level])} "
                                f"level {covered[level].name} already includes its {level}; "
                                f"drop --{level}", Location(path=f"{COMPOSE_PREFIX}{level}"))
            continue
        value = NONE_NAME if given[level] is None else given[level]
        if isinstance(value, str) and value.strip().lower() == NONE_NAME:
            value = NONE_NAME if (systems_dir() / level / f"{NONE_NAME}.yaml").is_file() else None
        path = level_path(level, value, base.parent)
        if path is not None:
            refs.append(IncludeRef(str(path), Location(file=f"--{level}")))
            covered.update({lower: path for lower in included_levels(path, level)})
    refs.append(IncludeRef(str(base), Location(file=str(base))))
    root = _virtual_root(base, refs)
    return splice_node_includes(root, base.parent / "<compose>", ())


def included_levels(path: Path, level: str) -> list[str]:
    """The levels below ``level`` that its file ``path`` brings itself: an
    ``!Include`` of a file in a sibling level folder (``../chip/glb.yaml``
    from ``system/``). Composing such a file adds no other file for them."""
    data = load_yaml_file(path)
    arch = data.get("arch") if isinstance(data, dict) else None
    nodes = arch.get("nodes") if isinstance(arch, dict) else None
    below = LEVELS[LEVELS.index(level) + 1:]
    out = []
    for item in nodes or []:
        if isinstance(item, IncludeRef):
            target = (path.parent / item.target).resolve()
            if target.parent.name in below and target.parent.parent == path.parent.parent:
                out.append(target.parent.name)
    return out


def _level_of(path: Path) -> str:
    return path.parent.name


def _virtual_root(base: Path, refs: list[IncludeRef]) -> LocDict:
    top = load_yaml_file(base)
    nodes = LocList(refs)
    nodes.item_locs = [r.where for r in refs]
    arch = LocDict(nodes=nodes)
    root = LocDict(arch=arch)
    root.where = arch.where = nodes.where = Location(file=str(base), line=1, column=1)
    for key in ("name", "description"):
        if isinstance(top, LocDict) and key in top:
            root[key] = top[key]
            root.key_locs[key], root.value_locs[key] = top.key_loc(key), top.loc(key)
    if "name" not in root:
        root["name"] = base.stem
    return root


# --------------------------------------------------------------------- workload variables

def workload_variables(workload: Any) -> dict[str, int]:
    """:data:`WORKLOAD_VARIABLES` of a network (name, file, Network or Layer)."""
    from ..workload import load_workload
    if isinstance(workload, str) and workload == MAX_UTILIZATION:
        raise SpecError("workload-derived variables need a real network; 'max_utilization' "
                        "is itself derived from the hardware", Location(path="workload"))
    network = load_workload(workload)
    sizes = [layer.tensor_size("Weights") for layer in network.layers
             if not layer.weights_are_activations]
    return {"WORKLOAD_WEIGHTS": sum(sizes), "WORKLOAD_MAX_LAYER_WEIGHTS": max(sizes, default=0)}


class _WorkloadScope(Scope):
    """The workload-derived variables, computed from the workload on first use
    (a spec that never names them costs nothing). Naming one without a real
    network is an error located at the expression."""

    def __init__(self, workload: Any) -> None:
        super().__init__({}, {}, what="variable")
        self._workload = workload
        self._values: dict[str, int] | None = None

    def names(self) -> list[str]:
        return list(WORKLOAD_VARIABLES)

    def has(self, name: str) -> bool:
        return name in WORKLOAD_VARIABLES

    def get(self, name: str) -> Any:
        if self._workload is None:
            raise ExpressionError(
                f"'{name}' is derived from the workload, but no workload was given: pass "
                "--workload NAME to `cimdse evaluate`, workload=... to cimdse.load(), or set "
                "the override 'compose.workload' (e.g. in a sweep file)")
        if isinstance(self._workload, str) and self._workload == MAX_UTILIZATION:
            raise ExpressionError(
                f"'{name}' needs a real network; the workload 'max_utilization' is itself "
                "derived from the hardware")
        if self._values is None:
            self._values = workload_variables(self._workload)
        return self._values[name]


def derived_scope(workload: Any = None) -> Scope:
    """The scope beneath a spec's variables: the workload-derived variables of
    ``workload`` (a network name, file, Network or Layer; None: none given)."""
    return _WorkloadScope(workload)
