"""ActionTable: energy per (component, action), area and leakage per instance.

The mapper only consumes an :class:`ActionTable`; it does not care where the
numbers come from. :func:`build_action_table` prices every component of a
Design through its registered component model (``energy_pj(action, stats)``
x ``node.energy_scale``; ``area_um2()`` x ``node.area_scale`` x
``node.copies``; leakage is the ``leak`` action, pJ per cycle per instance,
x ``node.copies``: copies share the actions but all leak). Tables are mapping-
invariant: build one per (design, layer statistics) and reuse it for every
mapping.

:class:`TableCache` builds one table per distinct (layer statistics,
clamped rows) and counts builds, so identical layers reuse one table.

The value statistics the models are priced with come from
:mod:`cimdse.statistics`; the mapper imports only :class:`ActionTable`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from cimdse.components import ACTIONS, ComponentAttributeError, get_model
from cimdse.components.registry import UnknownComponentClass
from cimdse.errors import CimdseError
from cimdse.spec.model import Design
from cimdse.statistics import (EncodingConvention, LayerStats, layer_stats, row_capacity)

log = logging.getLogger(__name__)


class PricingError(CimdseError, ValueError):
    """A component whose model cannot price it (bad attributes, an overflow)."""


@dataclass(frozen=True)
class ActionTable:
    """``energy[(component, action)]`` in pJ per action of one instance;
    ``area[component]`` in um^2 per instance; ``instances[component]``
    hardware instances; leakage is ``energy[(component, "leak")]`` per cycle
    per instance."""

    energy: Mapping[tuple[str, str], float]
    area: Mapping[str, float] = field(default_factory=dict)
    instances: Mapping[str, int] = field(default_factory=dict)

    def pj(self, component: str, action: str) -> float:
        return float(self.energy.get((component, action), 0.0))

    def vector(self, keys) -> np.ndarray:
        """pJ per action for each (component, action) column in ``keys``."""
        return np.array([self.pj(c, a) for c, a in keys], dtype=np.float64)

    def leak_per_cycle(self) -> float:
        """pJ of leakage per cycle, all instances of all components."""
        return sum(self.pj(c, "leak") * n for c, n in self.instances.items())

    def area_breakdown(self) -> dict[str, float]:
        """um^2 per component, all instances."""
        return {c: a * self.instances.get(c, 1) for c, a in self.area.items()}

    @property
    def area_um2(self) -> float:
        return sum(self.area_breakdown().values())



def build_action_table(design: Design,
                       stats: "Callable[[str], Any] | LayerStats | None" = None
                       ) -> ActionTable:
    """Price every component of ``design``.

    ``stats`` is None (models fall back to uniform codes), a callable
    ``stats(component)`` giving the stats mapping a model sees, or a
    :class:`LayerStats` (slice-resolved pricing, see the module docstring).
    """
    energy: dict[tuple[str, str], float] = {}
    area: dict[str, float] = {}
    instances: dict[str, int] = {}
    for node in design.components:
        if isinstance(stats, LayerStats):
            model = component_model(node, stats.reduction)
            views = list(stats.pairs())
        else:
            model = component_model(node)
            views = [stats(node.name) if stats else None]
        for action in ACTIONS:
            if action == "leak":
                e = float(model.energy_pj(action, views[0]))
            else:
                e = math.fsum(float(model.energy_pj(action, v)) for v in views) / len(views)
            energy[(node.name, action)] = _finite(e * node.energy_factor(action), node,
                                                  f"energy per {action} (pJ)")
        area[node.name] = _finite(float(model.area_um2()) * node.area_factor, node,
                                  "area (um^2)")
        instances[node.name] = node.instances
    return ActionTable(energy, area, instances)


def _finite(value: float, node, what: str) -> float:
    """``value``, or a MappingError naming the component whose model overflowed."""
    if not math.isfinite(value):
        raise PricingError(f"component '{node.name}' ({node.location}): its {what} is "
                           f"{value}; an attribute or scale is out of the model's range")
    return value


def component_rows(node, reduction: int | None = None) -> int | None:
    """The clamped ``rows`` of a component whose model consumes column sums
    (None otherwise)."""
    try:
        if get_model(node.cls).consumes != "column_sum":
            return None
    except UnknownComponentClass:
        return None  # reported where the model is built (component_model)
    rows = node.attributes.get("rows")
    if not rows or rows <= 0:
        return None
    rows = int(rows)
    return rows if reduction is None else max(1, min(rows, int(reduction)))


def component_model(node, reduction: int | None = None):
    """The component model of ``node``; a row-summing model sums ``rows``
    clamped to ``reduction`` with its full scale unchanged (see the module
    docstring)."""
    attrs = node.attributes
    rows = component_rows(node, reduction)
    if rows is not None and rows != attrs.get("rows"):
        fraction = float(attrs.get("full_scale_fraction", 1.0)) * float(attrs["rows"]) / rows
        attrs = {**attrs, "rows": rows, "full_scale_fraction": fraction}
    try:
        return get_model(node.cls)(attrs)
    except (UnknownComponentClass, ComponentAttributeError) as err:
        raise PricingError(f"component '{node.name}' ({node.location}): {err}") from err


# kept for callers of the old private name
_model = component_model


class TableCache:
    """One :class:`ActionTable` per distinct layer statistics of one design.

    ``table(layer)`` computes the layer's :class:`LayerStats` (cached) and
    builds the table only for statistics it has not priced yet; ``builds``
    counts the tables built.
    """

    def __init__(self, design: Design):
        self.design = design
        self.convention = EncodingConvention.from_design(design)
        self._row_nodes = [n for n in design.components if component_rows(n) is not None]
        self._tables: dict[tuple, ActionTable] = {}
        self.builds = 0

    def stats(self, layer: Any) -> LayerStats:
        # only the fillable rows matter to the table: layers share stats by them
        rows = [component_rows(n) for n in self._row_nodes]
        fill = row_capacity(max(rows), layer) if rows else 1
        return layer_stats(self.convention, layer, reduction=fill)

    def table(self, layer: Any, problem: Any = None) -> ActionTable:
        return self._table_of(self.stats(layer), layer)

    def filled_rows(self, instances: Mapping[str, int]) -> int | None:
        """Rows per bitline a mapping fills: instances of the last component
        (the compute) per instance of the first row-summing component."""
        if not self._row_nodes:
            return None
        compute = self.design.components[-1].name
        per = instances.get(self._row_nodes[0].name, 0)
        return max(1, instances.get(compute, 1) // per) if per else None

    def for_mapping(self, layer: Any, instances: Mapping[str, int]) -> ActionTable:
        """The table pricing a chosen mapping: :meth:`table`, with the rows
        a row-summing model sums set to the rows the mapping fills."""
        stats = self.stats(layer)
        filled = self.filled_rows(instances)
        if filled is None or filled == stats.reduction:
            return self._table_of(stats, layer)
        return self._table_of(layer_stats(self.convention, layer, reduction=filled), layer)

    def _table_of(self, stats: LayerStats, layer: Any) -> ActionTable:
        got = self._tables.get(stats.key)
        if got is None:
            got = build_action_table(self.design, stats)
            self._tables[stats.key] = got
            self.builds += 1
            log.debug("action table %d built for layer %s", self.builds,
                      getattr(layer, "name", layer))
        return got

    __call__ = table
