"""The component-model contract: what a circuit model must provide.

A component model turns a component's resolved attributes (and, for
data-value-dependent models, the value statistics it sees) into energy per
action, area and leakage. The mapper never calls a model directly: it
consumes an ActionTable (component x action -> pJ) built once per
(design, layer) from these models.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping

from ..bounds import Range, RangeError, SupplyRange, check_number, number_text

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
    """One attribute a model accepts: name, unit, meaning, default and range.

    A default of ``REQUIRED`` makes the attribute mandatory. A numeric
    attribute (``kind`` float or int) must be a finite number within
    ``bounds`` (:mod:`cimdse.bounds`); a None default means "not given"
    (the model falls back to another source) and is never range-checked.
    """

    name: str
    unit: str
    doc: str
    default: Any = _REQUIRED
    kind: type = float
    bounds: Range | SupplyRange | None = None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def within(self, bounds: Range | SupplyRange) -> "Attribute":
        """This attribute with another valid range (for a model that needs it)."""
        return replace(self, bounds=bounds)

    def valid_range(self) -> str:
        return self.bounds.describe() if self.bounds is not None else ""


REQUIRED = _REQUIRED


class ComponentModel:
    """Base class of every component model. Subclass it and register it.

    Contract for subclasses:

    * ``name``: the ``class:`` value a spec uses to pick this model.
    * ``source``: where the formulas and constants come from (paper, table).
    * ``attributes``: every attribute the model reads, with unit, default
      and valid range. Attributes a node carries for other purposes
      (inherited technology, storage sizes the mapper reads) are ignored
      here: a model validates only what it declares (the spec resolver
      rejects a name that nothing reads).
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

    The constructor validates and converts attributes (type, finiteness,
    range); values in a range's extrapolation band are kept and described in
    ``warnings``. After construction the model is immutable.
    """

    name: ClassVar[str] = ""
    source: ClassVar[str] = ""
    attributes: ClassVar[tuple[Attribute, ...]] = ()

    def __init__(self, attributes: Mapping[str, Any]):
        self.attrs: Mapping[str, Any] = _validate(self, attributes)
        self.warnings: tuple[str, ...] = _range_warnings(self)

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
             "default": "required" if a.required else a.default, "range": a.valid_range(),
             "doc": a.doc}
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
    # supply ranges depend on the (already checked) technology: check them last
    for attr in sorted(model.attributes, key=lambda a: isinstance(a.bounds, SupplyRange)):
        _check_range(model.name, attr, out)
    return out


def _convert(model_name: str, attr: Attribute, value: Any) -> Any:
    if attr.kind in (float, int):
        try:
            return check_number(value, attr.kind)
        except RangeError as err:
            unit = f" (in {attr.unit})" if attr.unit not in ("", "-") else ""
            raise ComponentAttributeError(
                f"attribute '{attr.name}' of class '{model_name}' {err}{unit}",
                field=attr.name) from None
    if not isinstance(value, attr.kind):
        raise ComponentAttributeError(
            f"attribute '{attr.name}' of class '{model_name}' must be of type "
            f"{attr.kind.__name__}, got {value!r}", field=attr.name)
    return value


def _check_range(model_name: str, attr: Attribute, attrs: Mapping[str, Any]) -> None:
    value = attrs.get(attr.name)
    if attr.bounds is None or value is None or attr.kind not in (float, int):
        return
    problem = attr.bounds.check(value, attrs, attr.unit)
    if problem:
        raise ComponentAttributeError(
            f"attribute '{attr.name}' of class '{model_name}' {problem}, got "
            f"{number_text(value)}",
            field=attr.name)


def _range_warnings(model: ComponentModel) -> tuple[str, ...]:
    out = []
    for attr in model.attributes:
        value = model.attrs.get(attr.name)
        if attr.bounds is None or value is None or attr.kind not in (float, int):
            continue
        text = attr.bounds.warning(value, model.attrs)
        if text:
            out.append(f"class '{model.name}' attribute '{attr.name}': {text}")
    return tuple(out)


def suggest(name: str, options: list[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' for the nearest option, or ''."""
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
