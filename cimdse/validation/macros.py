"""The published macros shipped as specs: where they are, and what each is.

Macro specs live in ``configs/macros/*.yaml`` (one file per published chip,
with a ``# paper: ...`` header line and a ``description:`` key).
:func:`macros_dir` finds that directory from the current directory (or any
parent) and, failing that, in the installed package (:mod:`cimdse.shipped`),
so it works from a checkout, an editable install and an installed wheel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..shipped import find_configs
from .errors import ValidationError

#: Environment variable naming the macro directory explicitly.
MACROS_ENV = "CIMDSE_MACROS"
MACROS_SUBDIR = Path("configs") / "macros"


def macros_dir(start: str | Path | None = None) -> Path:
    """The ``configs/macros`` directory: ``$CIMDSE_MACROS``, else the first
    ``configs/macros`` in ``start`` (default: the current directory) or one
    of its parents, else the one shipped in the package (:mod:`cimdse.shipped`)."""
    env = os.environ.get(MACROS_ENV)
    if env:
        path = Path(env)
        if path.is_dir():
            return path
        raise ValidationError(f"${MACROS_ENV}={env} is not a directory")
    found = find_configs(MACROS_SUBDIR.name, start)
    if found.is_dir():
        return found
    raise ValidationError(
        f"no {MACROS_SUBDIR} directory in {Path(start or Path.cwd()).resolve()} or its "
        f"parents, nor in the installed package ({found}); set ${MACROS_ENV}")


def macro_path(name: str | Path, directory: Path | None = None) -> Path:
    """``name`` as a path if it is a file, else ``<macros dir>/<name>.yaml``."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    directory = directory or macros_dir()
    got = directory / f"{name}.yaml"
    if not got.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml")))
        raise ValidationError(f"unknown macro {str(name)!r} in {directory} (known: {known})")
    return got


@dataclass(frozen=True)
class MacroInfo:
    name: str
    path: Path
    paper: str
    description: str
    rows: Any
    cols: Any
    technology: Any

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": str(self.path), "paper": self.paper,
                "description": self.description, "array_rows": self.rows,
                "array_cols": self.cols, "technology_nm": self.technology}


def _header_paper(text: str) -> str:
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if body.lower().startswith("paper:"):
            return body.split(":", 1)[1].strip()
    return ""


def macro_info(path: Path) -> MacroInfo:
    """Name, paper (``# paper:`` header line), description and the resolved
    ARRAY_ROWS / ARRAY_COLS / TECHNOLOGY of one macro file."""
    from ..spec import load
    text = path.read_text()
    raw = yaml.load(text, Loader=_PlainLoader) or {}
    design = load(path)
    v = design.variables
    return MacroInfo(name=str(raw.get("name", path.stem)), path=path,
                     paper=_header_paper(text), description=str(raw.get("description", "")),
                     rows=v.get("ARRAY_ROWS"), cols=v.get("ARRAY_COLS"),
                     technology=v.get("TECHNOLOGY"))


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that reads ``!Container`` / ``!Component`` nodes as plain maps."""


_PlainLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_mapping(node)
    if isinstance(node, yaml.MappingNode) else None)


def list_macros(directory: Path | None = None) -> list[MacroInfo]:
    directory = directory or macros_dir()
    if not directory.is_dir():
        raise ValidationError(f"macro directory {directory} is not a directory")
    return [macro_info(p) for p in sorted(directory.glob("*.yaml"))]
