"""Fixed-energy components: the user gives pJ per action and area directly.

For measured numbers (a characterized macro, a datasheet) and for parts whose
cost does not depend on data values. Also ``dummy``: a zero-cost level used
to describe structure (a container boundary that stores nothing).
"""

from __future__ import annotations

from ..bounds import AREA_UM2, ENERGY_PJ, POWER, SECONDS
from .base import Attribute, ComponentModel, check_action
from .registry import register


@register
class Constant(ComponentModel):
    name = "constant"
    source = "user-supplied per-action energies (pJ) and area (um^2)"
    attributes = (
        Attribute("read_energy", "pJ", "energy of one read action", 0.0, bounds=ENERGY_PJ),
        Attribute("write_energy", "pJ", "energy of one write (fill) action", 0.0,
                  bounds=ENERGY_PJ),
        Attribute("update_energy", "pJ", "energy of one output update action", 0.0,
                  bounds=ENERGY_PJ),
        Attribute("compute_energy", "pJ", "energy of one MAC at this level", 0.0,
                  bounds=ENERGY_PJ),
        Attribute("leak_power", "W", "static power of one instance", 0.0, bounds=POWER),
        Attribute("area", "um^2", "area of one instance", 0.0, bounds=AREA_UM2),
        Attribute("cycle_seconds", "s", "clock period, to turn leak power into pJ/cycle", 1e-9,
                  bounds=SECONDS),
    )

    def energy_pj(self, action: str, stats=None) -> float:
        check_action(self.name, action)
        if action == "leak":
            return self.attrs["leak_power"] * self.attrs["cycle_seconds"] * 1e12
        return self.attrs[f"{action}_energy"]

    def area_um2(self) -> float:
        return self.attrs["area"]

    def leak_power_w(self) -> float:
        return self.attrs["leak_power"]


@register
class Dummy(ComponentModel):
    name = "dummy"
    source = "zero-cost structural level"
    attributes = ()

    def energy_pj(self, action: str, stats=None) -> float:
        check_action(self.name, action)
        return 0.0

    def area_um2(self) -> float:
        return 0.0
