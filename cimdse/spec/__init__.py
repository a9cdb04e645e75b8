"""Spec loading: YAML files -> validated, fully evaluated :class:`Design`.

``load(path, overrides)`` reads a spec file and its includes, applies
overrides (``{"VARIABLE": value}`` or ``{"node.attribute": value}``),
evaluates variables and attribute expressions in a sandbox, checks the
hierarchy and returns a frozen :class:`Design`. Every problem is a
:class:`SpecError` naming file, line, column and field path.

Composition (:mod:`cimdse.spec.compose`): ``!Include FILE`` items in
``arch.nodes`` splice another file's nodes (and merge its variables beneath);
``load(macro, system=..., chip=..., tile=...)`` (or the override keys
``compose.system`` / ``compose.chip`` / ``compose.tile``) places a spec
inside tile / chip / system levels without writing a file; ``workload=``
(or ``compose.workload``) defines the workload-derived variables
``WORKLOAD_WEIGHTS`` and ``WORKLOAD_MAX_LAYER_WEIGHTS`` for sizing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from .compose import compose_root, derived_scope, split_compose
from .errors import CimdseError, SpecError
from .model import (PROBLEM_DIMS, TENSORS, Constraints, Design, FactorConstraint, Location,
                    LoopConstraints, MapperSettings, Node, frozen_mapping)
from .resolve import resolve
from .yaml_io import load_with_includes, load_yaml_value

__all__ = ["load", "parse_set", "CimdseError", "SpecError", "Design", "Node", "Constraints",
           "LoopConstraints", "FactorConstraint", "MapperSettings", "Location", "TENSORS",
           "PROBLEM_DIMS"]


def load(path: str | Path, overrides: Mapping[str, Any] | None = None, *,
         workload: Any = None, system: Any = None, chip: Any = None,
         tile: Any = None) -> Design:
    """Load, validate and evaluate the spec at ``path`` into a Design.

    ``system`` / ``chip`` / ``tile`` (a file, a name in ``configs/systems/<level>/``
    or ``"none"``) compose the spec inside those levels; ``workload`` (a network
    name, file, Network or Layer) defines the workload-derived variables. The
    override keys ``compose.system|chip|tile|workload`` do the same and win
    over the keyword arguments.
    """
    plain, compose = split_compose(dict(overrides or {}))
    given = {"system": system, "chip": chip, "tile": tile, "workload": workload}
    compose = {**{k: v for k, v in given.items() if v is not None}, **compose}
    levels = {k: v for k, v in compose.items() if k != "workload"}
    root = compose_root(Path(path), levels) if levels else load_with_includes(path)
    design = resolve(root, plain, source=str(path), derived=derived_scope(compose.get("workload")))
    if compose:
        recorded = {**plain, **{f"compose.{k}": _plain_value(v) for k, v in compose.items()}}
        design = replace(design, overrides=frozen_mapping(recorded))
    return design


def _plain_value(value: Any) -> Any:
    """A composition value as recorded on the Design (a Network by its name)."""
    return value if isinstance(value, (str, int, float, bool, Path)) else getattr(value, "name", value)


def parse_set(items: list[str] | None) -> dict[str, Any]:
    """``["K=V", ...]`` from the command line -> ``{K: V}`` with V typed by YAML
    (under the limits of a spec file; text that is not YAML stays text)."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set expects KEY=VALUE, got {item!r}", Location(path="--set"))
        where = Location(path=f"--set {key.strip()}")
        out[key.strip()] = load_yaml_value(text, where) if text.strip() else ""
    return out
