"""Passive analog components: capacitors (value-dependent switching energy).

Statistics: the tensor named by the ``tensor`` attribute (default
``"Inputs"``) -- its slice PMF gives the K = 2^bits_per_slice voltage levels
v_k = k/(K-1) V the capacitor is charged to. Missing -> uniform levels.
"""

from __future__ import annotations

import numpy as np

from ..encoding import stats_of
from ._common import COMMON, TECHNOLOGY, BuiltinModel
from .base import Attribute, ComponentAttributeError
from .registry import register

MODES = ("constant", "switch", "switch_from_zero")


def switching_energy(pmf: np.ndarray, capacitance: float, voltage: float,
                     supply: float | None = None, zero_between_values: bool = False) -> float:
    """Expected energy (J) drawn from the supply when a capacitor moves
    between two independent values of a distribution (the CiMLoop artifact (mit-emze/cimloop)
   , CiMLoop ``Capacitor.switch``).

    Levels v_k = k/(K-1) ``voltage``; only rising transitions draw charge:
    E = sum_{v0 <= v1} p0 p1 C (v1 - v0) Vs; with ``zero_between_values`` the
    capacitor is reset to 0 first, E = E_p[C v1 Vs].
    """
    pmf = np.asarray(pmf, float)
    supply = voltage if supply is None else supply
    levels = np.arange(len(pmf)) / max(len(pmf) - 1, 1) * voltage
    if zero_between_values:
        return float(capacitance * supply * (pmf @ levels))
    rise = np.clip(levels[None, :] - levels[:, None], 0.0, None)   # [v0, v1] -> v1 - v0 if >= 0
    return float(capacitance * supply * (pmf @ rise @ pmf))


@register
class Capacitor(BuiltinModel):
    """A capacitor (charge-domain CiM cap, sampling cap, wire load).

    read, by ``mode``:

    * ``constant``: C V^2 x ``activity`` (CiMLoop ``read``; activity 1);
    * ``switch``: C V (v1 - v0) averaged over rising transitions between two
      independent values (:func:`switching_energy`);
    * ``switch_from_zero``: reset between values, E = C V E[v].

    write/update 0. Area = 0 if ``stacked`` (MOM/MIM over logic) else
    C / density + border, density 2.3 fF/um^2 x (22/tech)^2 and border
    1 um^2 x (tech/22)^2 by default (CiMLoop misc.py Capacitor).
    """

    name = "capacitor"
    source = "C V^2 switching; CiMLoop misc.py Capacitor (the CiMLoop artifact (mit-emze/cimloop))"
    attributes = (
        Attribute("capacitance", "F", "capacitance"),
        Attribute("voltage", "V", "voltage swing", 0.7),
        Attribute("mode", "-", "'constant', 'switch' or 'switch_from_zero'", "constant", str),
        Attribute("activity", "-", "transitions per read in 'constant' mode", 1.0),
        Attribute("tensor", "-", "tensor whose values set the voltage ('switch' modes)",
                  "Inputs", str),
        Attribute("stacked", "-", "stacked over logic: no area", False, bool),
        Attribute("cap_density", "F/m^2", "<= 0: 2.3 fF/um^2 x (22/tech)^2", -1.0),
        Attribute("border_area", "um^2", "< 0: 1 um^2 x (tech/22)^2", -1.0),
        TECHNOLOGY,
        *COMMON,
    )
    example = {"capacitance": 1e-15}
    non_negative = ("capacitance", "voltage", "activity")

    def __init__(self, attributes):
        super().__init__(attributes)
        if self.attrs["mode"] not in MODES:
            raise ComponentAttributeError(
                f"capacitor mode must be one of {MODES}, got {self.attrs['mode']!r}",
                field="mode")

    def _energy(self, action, stats):
        if action != "read":
            return 0.0
        c, v = self.attrs["capacitance"], self.attrs["voltage"]
        if self.attrs["mode"] == "constant":
            return c * v * v * self.attrs["activity"] * 1e12
        got = stats_of(stats, self.attrs["tensor"])
        pmf = got.slice_pmf[: got.full_scale + 1] if got is not None else np.full(2, 0.5)
        return switching_energy(pmf, c, v,
                                zero_between_values=self.attrs["mode"] == "switch_from_zero") * 1e12

    def _area(self):
        if self.attrs["stacked"]:
            return 0.0
        tech = self.attrs["technology"]
        density = self.attrs["cap_density"]
        density = density if density > 0 else 2.3e-3 * (22 / tech) ** 2
        border = self.attrs["border_area"]
        border = border if border >= 0 else (tech / 22) ** 2
        return self.attrs["capacitance"] / density * 1e12 + border
