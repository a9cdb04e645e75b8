"""Passive analog components: capacitors and C-2C ladder multipliers
(value-dependent switching energy).

Statistics: the analog tensor's slice PMF gives the K = 2^bits_per_slice
voltage levels v_k = k/(K-1) V a capacitor is charged to (the ``tensor``
attribute of a capacitor, ``analog_tensor`` of a C-2C multiplier). Missing ->
uniform levels.
"""

from __future__ import annotations

import numpy as np

from ..bounds import (AREA_F2, AREA_UM2, CAPACITANCE, CONVERTER_BITS, DENSITY, SCALE, Range,
                      positive)
from ..encoding import stats_of
from ._common import COMMON, SWING, TECHNOLOGY, BuiltinModel
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


def level_pmf(stats, tensor: str) -> np.ndarray:
    """PMF over the K = 2^bits_per_slice voltage levels of ``tensor``'s
    slices (two equally likely levels, 0 and V, without statistics)."""
    got = stats_of(stats, tensor)
    return got.slice_pmf[: got.full_scale + 1] if got is not None else np.full(2, 0.5)


def capacitor_area_um2(attrs, capacitance: float) -> float:
    """Area (um^2) of one capacitor: C / density + border, with the
    ``cap_density`` / ``border_area`` attributes of ``attrs`` or their
    defaults 2.3 fF/um^2 x (22/tech)^2 and 1 um^2 x (tech/22)^2 (CiMLoop
    misc.py Capacitor)."""
    tech = attrs["technology"]
    density = attrs["cap_density"]
    density = density if density > 0 else 2.3e-3 * (22 / tech) ** 2
    border = attrs["border_area"]
    border = border if border >= 0 else (tech / 22) ** 2
    return capacitance / density * 1e12 + border


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
        Attribute("capacitance", "F", "capacitance", bounds=CAPACITANCE),
        Attribute("voltage", "V", "voltage swing", 0.7, bounds=SWING),
        Attribute("mode", "-", "'constant', 'switch' or 'switch_from_zero'", "constant", str),
        Attribute("activity", "-", "transitions per read in 'constant' mode", 1.0,
                  bounds=SCALE),
        Attribute("tensor", "-", "tensor whose values set the voltage ('switch' modes)",
                  "Inputs", str),
        Attribute("stacked", "-", "stacked over logic: no area", False, bool),
        Attribute("cap_density", "F/m^2", "<= 0: 2.3 fF/um^2 x (22/tech)^2", -1.0,
                  bounds=DENSITY),
        Attribute("border_area", "um^2", "< 0: 1 um^2 x (tech/22)^2", -1.0,
                  bounds=Range(None, AREA_UM2.high)),
        TECHNOLOGY,
        *COMMON,
    )
    example = {"capacitance": 1e-15}

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
        pmf = level_pmf(stats, self.attrs["tensor"])
        return switching_energy(pmf, c, v,
                                zero_between_values=self.attrs["mode"] == "switch_from_zero") * 1e12

    def _area(self):
        if self.attrs["stacked"]:
            return 0.0
        return capacitor_area_um2(self.attrs, self.attrs["capacitance"])


C2C_PORTS = ("analog", "digital")
# the reference node of an N-bit C-2C ladder sees ~1.67 C / N per bit on average
# for a uniform-ish mix of weight bits (CiMLoop c2c_multiplier, after Wang et al.
# JSSC 2023 Sec. III)
_C2C_REFERENCE_NODE_FACTOR = 1.67


@register
class C2CMultiplier(BuiltinModel):
    """C-2C ladder multiplier: an analog operand (a voltage) times an N-bit
    digital operand (Wang et al., JSSC 58(4) 2023). Each bit has a unit cap
    C switched between the analog operand and ground by the bit, and a 2C
    series cap to the next bit, so the output is V_a x code / 2^N.

    Two ports, one instance each in an architecture (as CiMLoop splits it):

    * ``port="analog"``, read = one analog operand applied: the N (C + 2C)
      caps move between two independent analog levels (rising transitions
      only, :func:`switching_energy`), seen at the reference node as
      1.67 / N of their capacitance: E = switch(pmf, 3 C N, V) x 1.67 / N.
    * ``port="digital"``, read = one digital operand applied: a bit that
      rises connects its C and 2C to the analog operand at its RMS level:
      E = 3 C N V a_rms x P(rise), P(rise) = sum over the operand's bits of
      p(1-p) / (N x slices) (ladder bits a narrow operand leaves unused
      stay 0).

    Area: N x (C + 2C caps, each C / density + border, as ``capacitor``)
    + N x ``switch_area`` F^2 of pass gates and inverter; put
    ``area_scale: 0`` on one of the two ports so the ladder counts once.
    Leak 0 (caps; switch leakage neglected). Missing statistics -> uniform.
    """

    name = "c2c_multiplier"
    source = ("C-2C ladder charge sharing (Wang et al. JSSC 2023); CiMLoop c2c_multiplier "
              "(the CiMLoop artifact (mit-emze/cimloop))")
    attributes = (
        Attribute("resolution", "bits", "digital operand bits N (ladder stages)", 8, int,
                  bounds=CONVERTER_BITS),
        Attribute("unit_capacitance", "F", "unit capacitance C", 1e-15,
                  bounds=positive(CAPACITANCE.high)),
        Attribute("voltage", "V", "full-scale analog level", 0.7, bounds=SWING),
        Attribute("port", "-", "'analog' or 'digital': which operand a read applies",
                  "analog", str),
        Attribute("analog_tensor", "-", "tensor carried as a voltage", "Inputs", str),
        Attribute("digital_tensor", "-", "tensor carried as bits", "Weights", str),
        Attribute("switch_area", "F^2", "pass gates + inverter per bit (4 transistors at "
                  "100 F^2, CiMLoop c2c_multiplier)", 400.0, bounds=AREA_F2),
        Attribute("cap_density", "F/m^2", "<= 0: 2.3 fF/um^2 x (22/tech)^2", -1.0,
                  bounds=DENSITY),
        Attribute("border_area", "um^2", "per capacitor; < 0: 1 um^2 x (tech/22)^2", -1.0,
                  bounds=Range(None, AREA_UM2.high)),
        TECHNOLOGY,
        *COMMON,
    )
    example = {"resolution": 8, "unit_capacitance": 2e-15}

    def __init__(self, attributes):
        super().__init__(attributes)
        if self.attrs["port"] not in C2C_PORTS:
            raise ComponentAttributeError(
                f"c2c_multiplier port must be one of {C2C_PORTS}, got {self.attrs['port']!r}",
                field="port")

    def _ladder_capacitance(self) -> float:
        return 3 * self.attrs["unit_capacitance"] * self.attrs["resolution"]

    def _energy(self, action, stats):
        if action != "read":
            return 0.0
        v, n = self.attrs["voltage"], self.attrs["resolution"]
        pmf = level_pmf(stats, self.attrs["analog_tensor"])
        if self.attrs["port"] == "analog":
            return switching_energy(pmf, self._ladder_capacitance(), v) \
                * _C2C_REFERENCE_NODE_FACTOR / n * 1e12
        levels = np.arange(len(pmf)) / max(len(pmf) - 1, 1)
        a_rms = float(np.sqrt(pmf @ levels ** 2)) * v
        return self._ladder_capacitance() * v * a_rms * self._rise_probability(stats) * 1e12

    def _rise_probability(self, stats) -> float:
        """P(0 -> 1) of a ladder bit: sum of p(1-p) over the operand's bits
        shared by its slices' ladders; bits a narrow operand leaves unused
        never switch."""
        bits = stats_of(stats, self.attrs["digital_tensor"])
        if bits is None:
            return 0.25
        ladder_bits = self.attrs["resolution"] * bits.n_slices
        return float(np.sum(bits.p_one * (1 - bits.p_one))) / ladder_bits

    def _area(self):
        n, c = self.attrs["resolution"], self.attrs["unit_capacitance"]
        caps = n * (capacitor_area_um2(self.attrs, c) + capacitor_area_um2(self.attrs, 2 * c))
        return caps + n * self.attrs["switch_area"] * (self.attrs["technology"] * 1e-3) ** 2
