"""ActionTable: energy per (component, action), area and leakage per instance.

The mapper only consumes an :class:`ActionTable`; it does not care where the
numbers come from. :func:`build_action_table` prices every component of a
Design through its registered component model (``energy_pj(action, stats)``
x ``node.energy_scale``; ``area_um2()`` x ``node.area_scale``; leakage is
the ``leak`` action, pJ per cycle per instance). Tables are mapping-
invariant: build one per (design, layer statistics) and reuse it for every
mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from cimdse.components import ACTIONS, ComponentAttributeError, get_model
from cimdse.components.registry import UnknownComponentClass
from cimdse.spec.model import Design

from .errors import MappingError


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


def build_action_table(design: Design, stats: Callable[[str], Any] | None = None
                       ) -> ActionTable:
    """Price every component of ``design``; ``stats(component)`` gives the
    value statistics a data-dependent model sees (None if not given)."""
    energy: dict[tuple[str, str], float] = {}
    area: dict[str, float] = {}
    instances: dict[str, int] = {}
    for node in design.components:
        model = _model(node)
        s = stats(node.name) if stats else None
        for action in ACTIONS:
            energy[(node.name, action)] = float(model.energy_pj(action, s)) * node.energy_scale
        area[node.name] = float(model.area_um2()) * node.area_scale
        instances[node.name] = node.instances
    return ActionTable(energy, area, instances)


def _model(node):
    try:
        return get_model(node.cls)(node.attributes)
    except (UnknownComponentClass, ComponentAttributeError) as err:
        raise MappingError(f"component '{node.name}' ({node.location}): {err}") from err
