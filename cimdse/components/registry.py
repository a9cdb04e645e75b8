"""Registry of component models: the classes a spec's ``class:`` can name.

Built-in and in-process models are registered under their ``name``
(:func:`register`). A model shipped in a package is declared in the
``cimdse.components`` entry-point group of that package::

    [project.entry-points."cimdse.components"]
    ramp_adc = "cimdse_example_adc.adc:RampADC"

and a spec names it by the entry point's value, ``class:
cimdse_example_adc.adc:RampADC``. That value is only ever matched against
the entry points installed distributions declare (:mod:`cimdse.plugins`): a
``module:Class`` no distribution declares is an unknown class, and nothing
is imported. Every process (a Ray worker too) discovers the installed
plug-ins in its own environment when a spec or :func:`list_models` first
needs them.
"""

from __future__ import annotations

import difflib
import logging
import sys
from dataclasses import dataclass
from importlib.metadata import EntryPoint

from .. import plugins
from .._version import __version__
from .base import CONSUMES, ComponentModel

log = logging.getLogger(__name__)

#: Entry-point group through which an installed package adds component models.
ENTRY_POINT_GROUP = "cimdse.components"

_MODELS: dict[str, type[ComponentModel]] = {}
_INSTALLED: dict[str, type[ComponentModel]] = {}     # entry point value -> its class
_SEEN: dict[tuple[str, ...], tuple[EntryPoint, ...]] = {}   # sys.path -> entry points
_REPORTED: set[str] = set()


class UnknownComponentClass(KeyError):
    """A ``class:`` names no registered model. ``message`` says why (without
    ``suggestion``, the nearest class name, if there is one)."""

    def __init__(self, message: str, suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion

    def __str__(self) -> str:  # KeyError would quote the message
        hint = f" (did you mean '{self.suggestion}'?)" if self.suggestion else ""
        return self.message + hint        # worded as a SpecError renders it


class ComponentPluginError(UnknownComponentClass):
    """An installed component plug-in cannot be loaded or breaks the contract."""


@dataclass(frozen=True)
class ModelInfo:
    """One listed model: the ``class:`` value naming it, its class, the
    package providing it (``name version``) and, for a plug-in, its entry
    point's name."""

    name: str
    model: type[ComponentModel]
    package: str
    entry_point: str | None = None


def register(model: type[ComponentModel]) -> type[ComponentModel]:
    """Class decorator adding ``model`` under ``model.name``."""
    if not model.name:
        raise ValueError(f"{model.__name__} has no 'name'")
    if model.name in _MODELS and _MODELS[model.name] is not model:
        raise ValueError(f"component class '{model.name}' is registered twice")
    if model.consumes not in CONSUMES:
        raise ValueError(f"{model.__name__}.consumes is {model.consumes!r}; one of "
                         f"{', '.join(CONSUMES)}")
    _MODELS[model.name] = model
    return model


def get_model(name: str) -> type[ComponentModel]:
    """The model a spec's ``class: name`` selects: a registered name, or the
    value of an installed ``cimdse.components`` entry point."""
    if isinstance(name, str):
        got = _MODELS.get(name) or _INSTALLED.get(name)
        if got is not None:
            return got
        entry = _entry_with_value(name) if ":" in name else None
        if entry is not None:
            return _load(entry)
    raise _unknown(name)


def list_models() -> dict[str, type[ComponentModel]]:
    """Every model by the ``class:`` value naming it: registered ones, then
    installed plug-ins (one that cannot load is logged and left out)."""
    return {info.name: info.model for info in model_infos()}


def model_infos() -> list[ModelInfo]:
    """:class:`ModelInfo` of every model :func:`list_models` lists."""
    out = [ModelInfo(name, model, _package_of(model)) for name, model in sorted(_MODELS.items())]
    for entry in sorted(_installed(), key=plugins.target):
        try:
            model = _load(entry)
        except ComponentPluginError as err:
            if str(err) not in _REPORTED:
                _REPORTED.add(str(err))
                log.warning("%s", err)
            continue
        out.append(ModelInfo(plugins.target(entry), model, plugins.provider(entry), entry.name))
    return out


def _installed(refresh: bool = False) -> tuple[EntryPoint, ...]:
    """The group's entry points, discovered once per ``sys.path``."""
    key = tuple(sys.path)
    if refresh or key not in _SEEN:
        _SEEN.clear()
        _SEEN[key] = plugins.entry_points(ENTRY_POINT_GROUP)
    return _SEEN[key]


def _entry_with_value(value: str) -> EntryPoint | None:
    for refresh in (False, True):      # a package installed since the last discovery
        for entry in _installed(refresh):
            if plugins.target(entry) == value.strip():
                return entry
    return None


def _load(entry: EntryPoint) -> type[ComponentModel]:
    value = plugins.target(entry)
    got = _INSTALLED.get(value)
    if got is not None:
        return got
    where = f"entry point '{entry.name} = {entry.value}' of {plugins.provider(entry)}"
    model = plugins.load(entry, f"component class '{value}'", ComponentPluginError)
    if not (isinstance(model, type) and issubclass(model, ComponentModel)):
        raise ComponentPluginError(f"{where} names {model!r}, which is not a subclass of "
                                   "cimdse.components.ComponentModel")
    if model.name != entry.name:
        raise ComponentPluginError(f"{where} names a class whose 'name' is {model.name!r}; "
                                   "a plug-in's 'name' is the name of its entry point")
    if model.consumes not in CONSUMES:
        raise ComponentPluginError(f"{where}: 'consumes' is {model.consumes!r}; one of "
                                   f"{', '.join(CONSUMES)}")
    _INSTALLED[value] = model
    return model


def _package_of(model: type[ComponentModel]) -> str:
    top = model.__module__.split(".")[0]
    if top == "cimdse":
        return f"cimdse {__version__}"
    return top      # registered from Python: the module that did it


def _unknown(name: object) -> UnknownComponentClass:
    installed = {e.name: plugins.target(e) for e in _installed()}
    text = f"unknown component class '{name}'"
    if not isinstance(name, str):
        return UnknownComponentClass(f"{text}; `cimdse components` lists the classes")
    # a plug-in's entry point name is no class name: point at its value
    nearest = installed.get(name) or _nearest(name, sorted(_MODELS) + sorted(installed.values()))
    if ":" in name or "." in name:
        text += (f"; no installed package declares it in the '{ENTRY_POINT_GROUP}' "
                 "entry-point group, and a class is never imported from a module path a "
                 "spec names")
    return UnknownComponentClass(f"{text}; `cimdse components` lists the classes", nearest)


def _nearest(name: str, options: list[str]) -> str | None:
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return close[0] if close else None


__all__ = ["ENTRY_POINT_GROUP", "ComponentPluginError", "ModelInfo", "UnknownComponentClass",
           "get_model", "list_models", "model_infos", "register"]
