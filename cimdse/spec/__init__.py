"""Spec loading: YAML files -> validated, fully evaluated :class:`Design`.

``load(path, overrides)`` reads a spec file and its includes, applies
overrides (``{"VARIABLE": value}`` or ``{"node.attribute": value}``),
evaluates variables and attribute expressions in a sandbox, checks the
hierarchy and returns a frozen :class:`Design`. Every problem is a
:class:`SpecError` naming file, line, column and field path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import CimdseError, SpecError
from .model import (PROBLEM_DIMS, TENSORS, Constraints, Design, FactorConstraint, Location,
                    LoopConstraints, MapperSettings, Node)
from .resolve import resolve
from .yaml_io import load_with_includes

__all__ = ["load", "parse_set", "CimdseError", "SpecError", "Design", "Node", "Constraints",
           "LoopConstraints", "FactorConstraint", "MapperSettings", "Location", "TENSORS",
           "PROBLEM_DIMS"]


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Design:
    """Load, validate and evaluate the spec at ``path`` into a Design."""
    root = load_with_includes(path)
    return resolve(root, dict(overrides or {}), source=str(path))


def parse_set(items: list[str] | None) -> dict[str, Any]:
    """``["K=V", ...]`` from the command line -> ``{K: V}`` with V typed by YAML."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SpecError(f"--set expects KEY=VALUE, got {item!r}", Location(path="--set"))
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        out[key.strip()] = value
    return out
