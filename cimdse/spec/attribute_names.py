"""Reject node attributes that nothing reads.

An attribute written on a node is *consumed* when

* the node is a component whose model declares it;
* the node is a container and some component model declares it: containers
  pass their attributes down to every later node (the hierarchy is a chain),
  and a composition may place more components below them, so a container's
  attribute only has to be a name some model reads (``technology`` on a
  container of ``constant`` components is kept);
* the mapper reads it (:data:`~cimdse.spec.model.MAPPER_ATTRIBUTES`);
* an expression of some node names it (``rows: LINES * 2`` with ``LINES``
  an attribute of an enclosing container).

Anything else is a typo or a dead value (``--set adc.resolutoin=4`` would
silently change nothing), so it is a located error naming the nearest
consumed name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..components import get_model, list_models
from .errors import SpecError, nearest
from .model import MAPPER_ATTRIBUTES, Location, Node
from .yaml_io import LocDict, LocList

#: Node keys whose strings are names or prose, never expressions.
_NOT_EXPRESSIONS = ("name", "class", "description")


@dataclass(frozen=True)
class Entry:
    """One resolved node with the raw mapping and path it came from."""

    raw: LocDict
    path: str
    node: Node


def check_attribute_names(entries: list[Entry]) -> None:
    """Raise :class:`SpecError` for the first own attribute nothing consumes."""
    referenced = set().union(*(_names_in(e.raw) for e in entries))
    for entry in entries:
        declared = _declared(entry.node.cls) if entry.node.is_component else \
            _any_model_attribute()
        consumed = declared | MAPPER_ATTRIBUTES | referenced
        own = _own_attributes(entry.raw)
        for key in own:
            if key not in consumed:
                kept = {k for k in own if k in consumed}
                raise _unknown(entry, key, declared | MAPPER_ATTRIBUTES | kept)


def _declared(cls: str) -> set[str]:
    return {a.name for a in get_model(cls).attributes}


def _any_model_attribute() -> set[str]:
    return set().union(*(_declared(name) for name in list_models()))


def _own_attributes(raw: LocDict) -> list[str]:
    attributes = raw.get("attributes")
    return list(attributes) if isinstance(attributes, LocDict) else []


def _unknown(entry: Entry, key: str, options: set[str]) -> SpecError:
    attributes = entry.raw["attributes"]
    loc = attributes.loc(key)
    path = loc.path if loc.path.startswith("--set") else f"{entry.path}.attributes.{key}"
    node = entry.node
    if node.is_component:
        text = (f"class '{node.cls}' has no attribute '{key}' and the mapper does not read "
                f"it; `cimdse components` lists the attributes of each class")
    else:
        text = (f"attribute '{key}' of container '{node.name}' is read by no component "
                "model nor by the mapper")
    return SpecError(text, Location(loc.file, loc.line, loc.column, path),
                     suggestion=nearest(key, sorted(options)))


def _names_in(value: Any) -> set[str]:
    """Every name an expression in ``value`` (a raw node or part of it) uses."""
    if isinstance(value, str):
        return _expression_names(value)
    if isinstance(value, (LocDict, dict)):
        return set().union(set(), *(_names_in(v) for k, v in value.items()
                                    if k not in _NOT_EXPRESSIONS))
    if isinstance(value, (LocList, list, tuple)):
        return set().union(set(), *(_names_in(v) for v in value))
    return set()


def _expression_names(text: str) -> set[str]:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


__all__ = ["Entry", "check_attribute_names"]
