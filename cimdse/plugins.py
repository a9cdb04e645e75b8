"""Installed plug-ins: the only code a spec, ``--set`` or sweep value can select.

An installed distribution declares plug-ins in an entry-point group
(``cimdse.encodings``, ``cimdse.components``). Data names a plug-in by the
entry point's name or value; the name is looked up among the declared
entry points and only a match is loaded. A string from data is never
imported: ``os:system`` names no entry point, so it is an unknown name.
"""

from __future__ import annotations

import importlib.metadata
import logging
from typing import Any

log = logging.getLogger(__name__)


def entry_points(group: str) -> tuple[importlib.metadata.EntryPoint, ...]:
    """Every entry point installed distributions declare in ``group``."""
    return tuple(importlib.metadata.entry_points(group=group))


def target(entry: importlib.metadata.EntryPoint) -> str:
    """``module:attribute`` the entry point refers to (its value without extras)."""
    return f"{entry.module}:{entry.attr}" if entry.attr else entry.module


def find(group: str, *, name: str | None = None,
         value: str | None = None) -> importlib.metadata.EntryPoint | None:
    """The entry point of ``group`` called ``name``, or whose value is ``value``."""
    for entry in entry_points(group):
        if (name is not None and entry.name == name) or \
                (value is not None and target(entry) == value.strip()):
            return entry
    return None


def provider(entry: importlib.metadata.EntryPoint) -> str:
    """``distribution version`` that declares ``entry`` (``?`` if unknown)."""
    dist = getattr(entry, "dist", None)
    if dist is None:
        return "?"
    return f"{dist.metadata['Name'] or dist.name} {dist.version}"


def load(entry: importlib.metadata.EntryPoint, what: str, error: type[Exception]) -> Any:
    """The object ``entry`` refers to; ``error`` naming ``what`` if it cannot load."""
    try:
        got = entry.load()
    except Exception as err:  # a broken plug-in package: any error its import raises
        raise error(f"cannot load {what} from entry point {entry.value!r}: "
                    f"{type(err).__name__}: {err}") from None
    log.debug("%s from entry point %s (%s)", what, entry.value, provider(entry))
    return got


__all__ = ["entry_points", "find", "load", "provider", "target"]
