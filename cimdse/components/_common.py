"""Shared plumbing of the built-in component models (private).

Conventions every built-in model follows (documented here once):

* ``energy_pj(action, stats)``: ``action`` must be one of
  :data:`~cimdse.components.base.ACTIONS`; any other string raises
  ``ValueError`` (naming the model and the valid actions). Actions a
  component never performs return 0.0.
* ``stats`` is ``None`` or a mapping tensor name -> :class:`~cimdse.encoding.ValueStats`
  (``stats["Inputs"]``, ``stats["Weights"]``, ``stats["Outputs"]``). A
  value-dependent model that finds no statistics for a tensor falls back to
  uniformly distributed codes (:func:`cimdse.encoding.uniform_stats`: every
  bit P(1) = 1/2, mean normalised slice value 1/2) and says so in its
  docstring.
* ``leak``: one cycle of leakage, ``leak_power_w() * cycle_seconds`` in pJ.
* ``energy_scale`` / ``area_scale`` attributes multiply every dynamic
  energy / the area (calibration knobs, as in CiMLoop's compound classes).
* ``example_attributes()``: the minimal attributes that make the model
  constructible (used by the conformance tests and ``cimdse components``).
* Every numeric attribute declares its valid range (``bounds``, see
  :mod:`cimdse.bounds`); the base class checks them all at construction.
  ``voltage`` is bounded relative to the nominal supply of the model's
  ``technology``: :data:`SUPPLY` for logic and array supplies, :data:`SWING`
  for levels a line, ladder or capacitor is driven to.
"""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from ..bounds import EXPONENT, SCALE, SECONDS, Range, SupplyRange
from ..encoding import ValueStats, stats_of, uniform_stats
from .base import ACTIONS, Attribute, ComponentAttributeError, ComponentModel, check_action
from .scaling import (MAX_NODE_NM, MIN_NODE_NM, dynamic_energy_factor, gate_delay_factor,
                      leakage_power_factor, nominal_supply_v, tech_area_factor,
                      tech_energy_factor)

TECHNOLOGY = Attribute("technology", "nm", "CMOS technology node", 65.0,
                       bounds=Range(MIN_NODE_NM, MAX_NODE_NM))
#: a logic / array supply: valid around the node's nominal (bounds.SupplyRange)
SUPPLY = SupplyRange(nominal_supply_v, "supply")
#: a level a line, ladder or capacitor is driven to (at most the supply range)
SWING = SupplyRange(nominal_supply_v, "swing")
VOLTAGE = Attribute("voltage", "V", "supply voltage", 1.0, bounds=SUPPLY)
ENERGY_SCALE = Attribute("energy_scale", "-", "multiplier on every dynamic energy", 1.0,
                         bounds=SCALE)
AREA_SCALE = Attribute("area_scale", "-", "multiplier on area", 1.0, bounds=SCALE)
CYCLE = Attribute("cycle_seconds", "s", "clock period; leak energy per cycle = power x period",
                  1e-9, bounds=SECONDS)
V_EXP = Attribute("voltage_energy_exponent", "-",
                  "energy ~ (V / V_reference) ** exponent (2 = dynamic C V^2)", 2.0,
                  bounds=EXPONENT)

#: the macro's nominal point: leakage currents, leak fractions and the cycle
#: a component is given with hold at this supply; at another ``voltage`` the
#: laws of :mod:`cimdse.components.scaling` move them
NOMINAL_V = Attribute("nominal_voltage", "V", "supply at which leakage and the cycle "
                      "are given (None: the operating voltage)", None, bounds=SUPPLY)

COMMON: tuple[Attribute, ...] = (ENERGY_SCALE, AREA_SCALE, CYCLE, NOMINAL_V)


class BuiltinModel(ComponentModel):
    """Base of the built-in models: action check, leak, energy/area scales.

    Subclasses implement ``_energy(action, stats)`` (pJ, before
    ``energy_scale``; only called for non-leak actions), ``_area()`` (um^2,
    before ``area_scale``) and optionally ``_leak_w()``.
    """

    example: ClassVar[Mapping[str, Any]] = {}

    @classmethod
    def example_attributes(cls) -> dict[str, Any]:
        return dict(cls.example)

    def energy_pj(self, action: str, stats: Any = None) -> float:
        check_action(self.name, action)
        if action == "leak":
            return self.leak_power_w() * self.attrs.get("cycle_seconds", 1e-9) * 1e12
        return float(self._energy(action, stats)) * self.attrs.get("energy_scale", 1.0)

    def area_um2(self) -> float:
        return float(self._area()) * self.attrs.get("area_scale", 1.0)

    def leak_power_w(self) -> float:
        return float(self._leak_w())

    # -- hooks --
    def _energy(self, action: str, stats: Any) -> float:
        raise NotImplementedError

    def _area(self) -> float:
        return 0.0

    def _leak_w(self) -> float:
        return 0.0

    # -- helpers --
    def tensor_stats(self, stats: Any, tensor: str, bits: int,
                     bits_per_slice: int | None = None) -> ValueStats:
        """``stats[tensor]``, or uniform codes of ``bits`` bits if absent."""
        got = stats_of(stats, tensor)
        return got if got is not None else uniform_stats(bits, bits_per_slice)

    def scaled(self, energy_pj: float, ref_nm: float, ref_v: float) -> float:
        """A reference energy (at ``ref_nm``, ``ref_v``) moved to this model's
        ``technology`` and ``voltage`` attributes."""
        node = self.attrs.get("technology", ref_nm)
        v = self.attrs.get("voltage", ref_v)
        return energy_pj * tech_energy_factor(ref_nm, node) * dynamic_energy_factor(v, ref_v)

    def nominal_v(self) -> float | None:
        """The nominal supply (None: no voltage attribute)."""
        v = self.attrs.get("voltage")
        nominal = self.attrs.get("nominal_voltage")
        return v if nominal is None else nominal

    def leak_factor(self) -> float:
        """Leakage power at ``voltage`` relative to ``nominal_voltage`` (DIBL law)."""
        v, nominal = self.attrs.get("voltage"), self.nominal_v()
        return 1.0 if v is None or nominal is None else leakage_power_factor(v, nominal)

    def nominal_cycle_s(self) -> float:
        """``cycle_seconds`` moved back to the nominal supply (alpha-power law)."""
        cycle = self.attrs.get("cycle_seconds", 1e-9)
        v, nominal = self.attrs.get("voltage"), self.nominal_v()
        if v is None or nominal is None or v == nominal:
            return cycle
        return cycle / gate_delay_factor(v, nominal, self.attrs.get("technology", 65.0))

    def scaled_area(self, area_um2: float, ref_nm: float) -> float:
        return area_um2 * tech_area_factor(ref_nm, self.attrs.get("technology", ref_nm))
