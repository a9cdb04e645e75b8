"""The component-model contract: what a circuit model must provide.

A component model turns a component's resolved attributes (and, for
data-value-dependent models, the value statistics it sees) into energy per
action, area and leakage. The mapper never calls a model directly: it
consumes an ActionTable (component x action -> pJ) built once per
(design, layer) from these models. The contract, for built-in and plug-in
models alike, is the docstring of :class:`ComponentModel`.
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

#: What one action of a model sees of the data values
#: (:attr:`ComponentModel.consumes`, explained there).
CONSUMES: tuple[str, ...] = ("statistics", "pair", "input_sequence", "column_sum")

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
    """Base class of every component model, built-in or plug-in.

    A component model prices one component of a spec: from the component's
    resolved attributes, and for a data-value-dependent model from the value
    statistics the component sees, it gives the energy of each action, the
    area and the leakage of one instance. cimdse builds one model per
    component (and per layer statistics), asks it for the energy of every
    action of :data:`ACTIONS` and keeps the numbers in an ActionTable; the
    mapper never calls a model and a model never sees the mapping.

    Subclass it, set the class attributes and implement the methods below.
    A built-in or in-process model is registered with
    :func:`cimdse.components.register` and named in a spec by its ``name``;
    a model shipped in a package is declared in the ``cimdse.components``
    entry-point group and named in a spec by the entry point's value,
    ``class: package.module:ClassName`` (nothing else in a spec can select a
    class). :func:`cimdse.testing.check_component_model` checks a class
    against this contract.

    Class attributes
    ----------------
    ``name``
        A short, non-empty identifier: the ``class:`` value of a built-in;
        for a plug-in, the name of its entry point. Messages name the model
        by it.
    ``source``
        Where the formulas and constants come from (paper, datasheet, fit).
    ``attributes``
        Every attribute the model reads, as :class:`Attribute` (unit,
        meaning, default or ``REQUIRED``, valid range). The constructor
        validates exactly these; a node attribute that no model declares and
        the mapper does not read is a spec error.
    ``consumes``
        What one action of the model sees of the data values; one of
        :data:`CONSUMES`. It decides how the statistical pricing treats the
        model and what the value-level reference of ``cimdse accuracy``
        feeds it, per action:

        * ``"statistics"`` (default): nothing per action; the model is priced
          on the layer's value statistics (or on none). Value-independent
          models and models of averages (buffers, drivers, adders) are here.
        * ``"pair"``: one action sees one input slice code and one weight
          slice code (a memory cell multiplying its input by its weight).
          The reference calls ``energy_pj`` on point statistics
          (:func:`cimdse.encoding.point_stats`) of each pair it samples.
        * ``"input_sequence"``: one action converts one input slice code,
          right after the code it converted before (a DAC whose input
          register toggles). The reference calls ``energy_pj`` on the code
          and adds :meth:`transition_energy_pj`.
        * ``"column_sum"``: one action converts the analog sum of ``rows``
          (input slice x weight slice) products (an ADC on a bitline). The
          model must declare the attributes ``rows`` (int, the rows summed;
          0: the model reads ``stats["Outputs"]`` instead) and
          ``full_scale_fraction`` (float, its full scale as a fraction of
          the largest possible sum). The statistical pricing builds the
          model with ``rows`` set to the rows a layer can fill and
          ``full_scale_fraction`` raised by the same ratio, so the full scale
          stays as designed; ``energy_pj`` then averages over the column-sum
          distribution (:func:`cimdse.encoding.column_sum_pmf`). The
          reference calls :meth:`column_sum_energy_pj` on the sums it samples.

    Methods
    -------
    ``energy_pj(action, stats)`` (required)
        Energy in pJ of one ``action`` of one instance. ``stats`` is None or
        a mapping tensor name (``"Inputs"``, ``"Weights"``, ``"Outputs"``)
        -> :class:`cimdse.encoding.ValueStats`, read with
        :func:`cimdse.encoding.stats_of`; a model that finds no statistics
        for a tensor assumes uniformly distributed codes. ``"leak"`` is one
        cycle of leakage of one instance. Return 0.0 for an action the
        component never does; raise ValueError (:func:`check_action`) for a
        string that is not an action.
    ``area_um2()`` (required)
        Area in um^2 of one instance.
    ``leak_power_w()``
        Static power in W of one instance (default 0).
    ``example_attributes()``
        Attributes that make the model constructible (its required ones),
        for the conformance checker and documentation (default none).
    ``transition_energy_pj(action, previous, code)``
        ``"input_sequence"`` models: the energy in pJ one ``action`` adds to
        ``energy_pj`` of ``code`` because it follows ``previous`` (integer
        slice codes), e.g. the input-register bits that rise; 0 when
        ``code == previous``. The statistical pricing's counterpart is part
        of ``energy_pj`` (e.g. through ``ValueStats.bit_flip_probability``).
        Default 0.
    ``column_sum_energy_pj(action, sums, input_full_scale, weight_full_scale)``
        ``"column_sum"`` models: the mean energy in pJ of one ``action`` over
        conversions of the actual column sums ``sums`` (an integer array, in
        units of one input slice LSB x one weight slice LSB) of the model's
        ``rows``, where one product is at most ``input_full_scale x
        weight_full_scale``. Must quantise a sum as ``energy_pj`` does: for a
        sum that is certain, both give the same energy.

    Physical laws
    -------------
    Every energy, the area and the leakage are finite and non-negative,
    with or without statistics; the same attributes and statistics give the
    same numbers (no state, no randomness). A model with one of these
    attributes follows its law over the values it accepts:

    * ``technology`` (nm): every dynamic energy (all actions but
      ``"leak"``) and the area are non-decreasing in the node;
    * ``resolution`` (bits): every dynamic energy and the area are
      non-decreasing in the resolution;
    * ``voltage`` (V): every dynamic energy is non-decreasing in the supply.

    Note:
        The constructor validates and converts the attributes (type,
        finiteness, range) into ``self.attrs``; values in a range's
        extrapolation band are kept and described in ``self.warnings``.
        After construction a model is immutable.
    """

    name: ClassVar[str] = ""
    source: ClassVar[str] = ""
    attributes: ClassVar[tuple[Attribute, ...]] = ()
    consumes: ClassVar[str] = "statistics"

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

    def transition_energy_pj(self, action: str, previous: int, code: int) -> float:
        return 0.0

    def column_sum_energy_pj(self, action: str, sums: Any, input_full_scale: int,
                             weight_full_scale: int) -> float:
        raise NotImplementedError

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
