"""The component-model contract: what a circuit model must provide.

A component model turns a component's resolved attributes (and, for
data-value-dependent models, the value statistics it sees) into energy per
action, area and leakage. The mapper never calls a model directly: it
consumes an ActionTable (component x action -> pJ) built once per
(design, layer) from these models.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

#: Actions every model prices. ``read``: an access served towards the
#: compute (a storage read, a value passing through a converter or driver);
#: ``write``: a fill from the parent level; ``update``: an output (partial
#: sum) written back from below; ``compute``: one MAC performed at the
#: innermost level; ``leak``: one cycle of leakage of one instance.
ACTIONS: tuple[str, ...] = ("read", "write", "update", "compute", "leak")

_REQUIRED = object()


class ComponentAttributeError(ValueError):
    """An attribute of a component is missing, unknown or of the wrong type.

    ``field`` names the offending attribute so callers can attach a location.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Attribute:
    """One attribute a model accepts: name, unit, meaning and default.

    A default of ``REQUIRED`` makes the attribute mandatory.
    """

    name: str
    unit: str
    doc: str
    default: Any = _REQUIRED
    kind: type = float

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


REQUIRED = _REQUIRED


class ComponentModel:
    """Base class of every component model. Subclass it and register it.

    Contract for subclasses:

    * ``name``: the ``class:`` value a spec uses to pick this model.
    * ``source``: where the formulas and constants come from (paper, table).
    * ``attributes``: every attribute the model reads, with unit and default.
      Attributes a node carries for other purposes (inherited technology,
      storage sizes the mapper reads) are ignored, not rejected: a model
      validates only what it declares.
    * ``energy_pj(action, stats)``: energy in pJ of one ``action`` (one of
      :data:`ACTIONS`) of one instance; ``stats`` is None or a mapping
      tensor name -> :class:`cimdse.encoding.ValueStats` (what the component
      sees of ``Inputs``, ``Weights``, ``Outputs``); a model that finds no
      statistics for a tensor assumes uniformly distributed codes. Must not
      depend on the mapping. Return 0.0 for actions the component never
      does; raise ValueError (:func:`check_action`) for any other string.
    * ``area_um2()``: area in um^2 of one instance.
    * ``leak_power_w()``: static power in W of one instance.

    * ``example_attributes()``: attributes that make the model constructible
      (the required ones); used by conformance tests and documentation.

    The constructor validates and converts attributes; after construction the
    model is immutable.
    """

    name: ClassVar[str] = ""
    source: ClassVar[str] = ""
    attributes: ClassVar[tuple[Attribute, ...]] = ()

    def __init__(self, attributes: Mapping[str, Any]):
        self.attrs: Mapping[str, Any] = _validate(self, attributes)

    def energy_pj(self, action: str, stats: Any = None) -> float:
        raise NotImplementedError

    def area_um2(self) -> float:
        raise NotImplementedError

    def leak_power_w(self) -> float:
        return 0.0

    @classmethod
    def example_attributes(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """The attribute table shown by ``cimdse components``."""
        return [
            {"attribute": a.name, "unit": a.unit,
             "default": "required" if a.required else a.default, "doc": a.doc}
            for a in cls.attributes
        ]


def check_action(model: str, action: str) -> None:
    """Raise ValueError unless ``action`` is one of :data:`ACTIONS`."""
    if action not in ACTIONS:
        raise ValueError(f"class '{model}' has no action {action!r}; actions are "
                         f"{', '.join(ACTIONS)}")


def _validate(model: ComponentModel, given: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in model.attributes:
        if attr.name not in given:
            if attr.required:
                raise ComponentAttributeError(
                    f"class '{model.name}' requires attribute '{attr.name}' "
                    f"({attr.doc}, in {attr.unit})", field=attr.name)
            out[attr.name] = attr.default
            continue
        out[attr.name] = _convert(model.name, attr, given[attr.name])
    return out


def _convert(model_name: str, attr: Attribute, value: Any) -> Any:
    if attr.kind in (float, int):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ComponentAttributeError(
                f"attribute '{attr.name}' of class '{model_name}' must be a number "
                f"in {attr.unit}, got {value!r}", field=attr.name)
        if attr.kind is int and float(value) != int(value):
            raise ComponentAttributeError(
                f"attribute '{attr.name}' of class '{model_name}' must be an "
                f"integer, got {value!r}", field=attr.name)
        return attr.kind(value)
    if not isinstance(value, attr.kind):
        raise ComponentAttributeError(
            f"attribute '{attr.name}' of class '{model_name}' must be of type "
            f"{attr.kind.__name__}, got {value!r}", field=attr.name)
    return value


def suggest(name: str, options: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the nearest option, or ''."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
