"""Photonic components: lasers, modulators (MZM, microring), photodetectors,
transimpedance amplifiers and passive optical couplers.

Data values are not used (the optical devices of the modelled accelerators
are fixed-power or energy-per-symbol devices). Laws, each with its source:

* **Laser** (optical link budget): the optical energy a detector must
  receive per sample is set by the output resolution; shot-noise-limited
  detection of ``B`` bits needs SNR = sqrt(N_e) >= 2^B, i.e. N_e = 4^B
  photo-electrons, E_det = q 4^B / R for responsivity R (A/W) (Saleh &
  Teich, *Fundamentals of Photonics*, photon-counting noise; the
  link-budget method of Bahadori et al., "Comprehensive design space
  exploration of silicon photonic interconnects", JLT 34(12) 2016). The
  laser supplies that energy through ``loss_db`` of optical loss and at
  ``wall_plug_efficiency``: P_elec = E_det / lanes_per_detector / t_sample
  x 10^(loss_db/10) / eta_wp, per lane (one wavelength feeding one MAC).
* **Modulators** (MZM, MRR): energy per modulated symbol of a
  capacitive (carrier-depletion) phase shifter driven with NRZ-like
  random data, E = C V^2 / 4 (D. A. B. Miller, "Energy consumption in
  optical modulators for interconnects", Opt. Express 20(S2) 2012), plus
  the static thermo-optic tuning that holds the bias point or resonance:
  P = P_pi x phase / pi (heater power is linear in phase shift; Harris et
  al., "Efficient, compact and low loss thermo-optic phase shifter in
  silicon", Opt. Express 22(9) 2014).
* **Photodetector**: the bias supply delivers the photocurrent,
  E = V_bias (R E_opt + I_dark t_sample) per sample.
* **TIA** (shunt-feedback transimpedance amplifier): the core amplifier
  of gain A must reach bandwidth BW = f_s / 2 on the input capacitance,
  gm = 2 pi A BW C_in; a square-law device biased at overdrive V_ov
  draws I = gm V_ov / 2, so E per sample = V_DD I / f_s =
  (pi / 2) A C_in V_ov V_DD (Razavi, *Design of Integrated Circuits for
  Optical Communications*, 2nd ed., ch. 4-5: TIA bandwidth and gm).
* **Star coupler / AWG** (passive): no energy. A star coupler's free
  propagation region has width and length ~ N x port pitch (Dragone,
  "Efficient N x N star couplers using Fourier optics", JLT 7(3) 1989):
  area = (N pitch)^2. An arrayed-waveguide grating is two such star
  couplers joined by ~2N arrayed waveguides over a region of the same
  extent (Dragone; Smit & van Dam, JSTQE 2(2) 1996): area = 4 (N pitch)^2.

Actions: ``read`` is one modulated / detected / amplified symbol;
``update`` of a photodetector or TIA (outputs flowing up) is priced as a
``read``; a device's static power is its ``leak`` (pJ per cycle =
power x ``cycle_seconds``).
"""

from __future__ import annotations

import math

from ..bounds import (AREA_UM2, CAPACITANCE, CONVERTER_BITS, COUNT, CURRENT, DEVICE_VOLTAGE,
                      POWER, Range, non_negative, positive)
from ._common import COMMON, SUPPLY, TECHNOLOGY, BuiltinModel
from .base import Attribute, ComponentAttributeError
from .registry import register

ELECTRON_CHARGE = 1.602176634e-19   # C
SHOT_NOISE_SENSITIVITY = "shot-noise limit q 4^B / R"

_RESPONSIVITY = Attribute("responsivity", "A/W", "photodetector responsivity", 1.0,
                          bounds=positive(10.0))
_RESOLUTION = Attribute("resolution", "bits", "resolution the detected signal must carry",
                        8, int, bounds=CONVERTER_BITS)
_DETECTOR_ENERGY = Attribute(
    "detector_energy", "J",
    f"optical energy a detector needs per sample (<= 0: {SHOT_NOISE_SENSITIVITY})", -1.0,
    bounds=Range(None, 1e-6))


def shot_noise_energy_j(bits: int, responsivity: float) -> float:
    """Optical energy (J) per sample for a shot-noise-limited SNR of 2^bits."""
    return ELECTRON_CHARGE * 4.0 ** bits / responsivity


def _detector_energy(attrs) -> float:
    given = attrs["detector_energy"]
    if given > 0:
        return given
    return shot_noise_energy_j(attrs["resolution"], attrs["responsivity"])


def _device_area(attrs) -> float:
    return attrs["area"]


@register
class Laser(BuiltinModel):
    """Laser lane sized by the optical link budget (module docstring).

    P_elec = E_det / lanes_per_detector / cycle_seconds x 10^(loss_db/10)
    / wall_plug_efficiency. ``operation='continuous'``: the laser is on
    every cycle (``leak`` = P_elec x cycle); ``'per_sample'``: it is on only
    for the samples it carries (``read`` = P_elec x cycle, no leak).
    Check: 8 b shot-noise limit at R = 1 A/W: E_det = 1.602e-19 x 65536 =
    1.0500e-14 J; 9 lanes per detector, 10 dB loss, eta 0.2, 0.2 ns ->
    P_opt = 1.0500e-14 / 9 / 0.2e-9 x 10 = 5.833e-5 W, P_elec = 2.917e-4 W,
    0.05833 pJ per sample.
    """

    name = "laser"
    source = ("optical link budget (Bahadori et al., JLT 34(12) 2016) with shot-noise-limited "
              "detection (Saleh & Teich, Fundamentals of Photonics)")
    attributes = (
        _RESOLUTION, _RESPONSIVITY, _DETECTOR_ENERGY,
        Attribute("lanes_per_detector", "-", "laser lanes whose light sums on one detector",
                  1, int, bounds=COUNT),
        Attribute("loss_db", "dB", "optical loss from the laser to the detector", 0.0,
                  bounds=Range(0.0, 60.0)),
        Attribute("wall_plug_efficiency", "-", "optical power out / electrical power in", 0.2,
                  bounds=Range(1e-4, 1.0)),
        Attribute("operation", "-", "'continuous' (always on: leak) or 'per_sample' (read)",
                  "continuous", str),
        Attribute("area", "um^2", "footprint of one laser lane", 0.0, bounds=AREA_UM2),
        *COMMON,
    )
    example = {"loss_db": 10.0, "lanes_per_detector": 9, "cycle_seconds": 0.2e-9}

    def __init__(self, attributes):
        super().__init__(attributes)
        if self.attrs["operation"] not in ("continuous", "per_sample"):
            raise ComponentAttributeError(
                f"laser operation must be 'continuous' or 'per_sample', got "
                f"{self.attrs['operation']!r}", field="operation")

    def optical_power_w(self) -> float:
        a = self.attrs
        received = _detector_energy(a) / a["lanes_per_detector"] / a["cycle_seconds"]
        return received * 10.0 ** (a["loss_db"] / 10.0)

    def electrical_power_w(self) -> float:
        return self.optical_power_w() / self.attrs["wall_plug_efficiency"]

    def _energy(self, action, stats):
        if action != "read" or self.attrs["operation"] != "per_sample":
            return 0.0
        return self.electrical_power_w() * self.attrs["cycle_seconds"] * 1e12

    def _leak_w(self):
        return self.electrical_power_w() if self.attrs["operation"] == "continuous" else 0.0

    def _area(self):
        return _device_area(self.attrs)


_MODULATOR = (
    Attribute("capacitance", "F", "capacitance of the driven phase-shifter junction", 0.0,
              bounds=CAPACITANCE),
    Attribute("drive_voltage", "V", "peak-to-peak drive swing", 1.0, bounds=DEVICE_VOLTAGE),
    Attribute("heater_power_pi", "W", "thermo-optic heater power for a pi phase shift", 0.0,
              bounds=POWER),
    Attribute("area", "um^2", "footprint of one modulator", 0.0, bounds=AREA_UM2),
    *COMMON,
)


class _Modulator(BuiltinModel):
    """E(read) = C V^2 / 4 per symbol; leak = P_pi x tuning_phase (in units
    of pi) of static thermo-optic tuning (module docstring)."""

    def symbol_energy_pj(self) -> float:
        a = self.attrs
        return a["capacitance"] * a["drive_voltage"] ** 2 / 4.0 * 1e12

    def tuning_power_w(self) -> float:
        return self.attrs["heater_power_pi"] * self.attrs["tuning_phase"]

    def _energy(self, action, stats):
        return self.symbol_energy_pj() if action == "read" else 0.0

    def _leak_w(self):
        return self.tuning_power_w()

    def _area(self):
        return _device_area(self.attrs)


@register
class MachZehnderModulator(_Modulator):
    """Mach-Zehnder modulator; biased at quadrature (tuning_phase 0.5 pi)
    by default. Check: C = 100 fF, 1 V -> 0.025 pJ per symbol; P_pi =
    20 mW at 0.5 pi -> 10 mW static (2 pJ per 0.2 ns cycle)."""

    name = "mzm"
    source = ("C V^2/4 per symbol (Miller, Opt. Express 20(S2) 2012); thermo-optic bias "
              "P_pi x phase/pi (Harris et al., Opt. Express 22(9) 2014)")
    attributes = _MODULATOR + (
        Attribute("tuning_phase", "pi rad", "static phase the heater holds (0.5: quadrature)",
                  0.5, bounds=Range(0.0, 2.0)),)
    example = {"capacitance": 100e-15, "heater_power_pi": 20e-3, "cycle_seconds": 0.2e-9}


@register
class MicroringModulator(_Modulator):
    """Microring resonator (modulator or weighting ring); its heater holds
    the resonance against fabrication offsets (tuning_phase = 2 x offset /
    FSR in units of pi). Check: C = 10 fF, 1 V -> 0.0025 pJ per symbol;
    P_pi = 20 mW at 0.1 pi -> 2 mW static."""

    name = "mrr"
    source = ("C V^2/4 per symbol (Miller, Opt. Express 20(S2) 2012); thermo-optic resonance "
              "tuning P_pi x phase/pi (Harris et al., Opt. Express 22(9) 2014)")
    attributes = _MODULATOR + (
        Attribute("tuning_phase", "pi rad", "static phase the heater holds against the "
                  "resonance offset", 0.1, bounds=Range(0.0, 2.0)),)
    example = {"capacitance": 10e-15, "heater_power_pi": 20e-3, "cycle_seconds": 0.2e-9}


@register
class Photodetector(BuiltinModel):
    """Photodiode: read/update (one sample) = V_bias (R E_opt + I_dark t).
    E_opt = ``detector_energy`` (<= 0: shot-noise limit for
    ``resolution`` bits). Check: 8 b shot-noise limit (1.0500e-14 J),
    R = 1 A/W, V_bias = 1 V, I_dark = 10 nA, 0.2 ns -> 1.0500e-2 +
    2e-6 = 0.010502 pJ."""

    name = "photodetector"
    source = "photocurrent drawn from the bias supply, V_bias (R E_opt + I_dark t)"
    attributes = (
        _RESOLUTION, _RESPONSIVITY, _DETECTOR_ENERGY,
        Attribute("bias_voltage", "V", "reverse bias across the photodiode", 1.0,
                  bounds=DEVICE_VOLTAGE),
        Attribute("dark_current", "A", "dark current", 10e-9, bounds=CURRENT),
        Attribute("area", "um^2", "footprint of one photodetector", 0.0, bounds=AREA_UM2),
        *COMMON,
    )
    example = {"cycle_seconds": 0.2e-9}

    def _energy(self, action, stats):
        if action not in ("read", "update"):
            return 0.0
        a = self.attrs
        charge = a["responsivity"] * _detector_energy(a) + a["dark_current"] * a["cycle_seconds"]
        return a["bias_voltage"] * charge * 1e12

    def _area(self):
        return _device_area(self.attrs)


#: NAND2-equivalent gates of a TIA's amplifier stages, bias and feedback
#: network (a three-inverter core with a feedback resistor and replica bias,
#: ~20 gate footprints), Nangate 45 nm NAND2_X1 = 0.798 um^2.
_TIA_GATES, _NAND2_UM2, _NAND2_NM = 20, 0.798, 45.0


@register
class TransimpedanceAmplifier(BuiltinModel):
    """Shunt-feedback TIA, energy per sample (read/update):
    E = (pi / 2) A C_in V_ov V_DD (module docstring), independent of the
    sample rate (power ~ f_s). Area: ~20 NAND2 equivalents scaled to the
    node (x ``area_scale`` for large feedback resistors).
    Check: A = 10, C_in = 20 fF, V_ov = 0.15 V, V_DD = 0.8 V ->
    pi/2 x 10 x 20e-15 x 0.15 x 0.8 = 3.770e-14 J = 0.03770 pJ.
    """

    name = "tia"
    source = ("gm = 2 pi A BW C_in at BW = f_s/2, I = gm V_ov/2 (Razavi, Design of Integrated "
              "Circuits for Optical Communications, 2nd ed.)")
    attributes = (
        Attribute("input_capacitance", "F", "photodiode + input node capacitance", 20e-15,
                  bounds=CAPACITANCE),
        Attribute("gain", "-", "open-loop gain of the core amplifier", 10.0,
                  bounds=positive(1e4)),
        Attribute("overdrive", "V", "gate overdrive of the input device", 0.15,
                  bounds=positive(1.0)),
        Attribute("voltage", "V", "supply voltage", 0.8, bounds=SUPPLY),
        TECHNOLOGY,
        *COMMON,
    )
    example = {"technology": 7, "voltage": 0.7}

    def sample_energy_pj(self) -> float:
        a = self.attrs
        return math.pi / 2 * a["gain"] * a["input_capacitance"] * a["overdrive"] \
            * a["voltage"] * 1e12

    def _energy(self, action, stats):
        return self.sample_energy_pj() if action in ("read", "update") else 0.0

    def _area(self):
        return self.scaled_area(_TIA_GATES * _NAND2_UM2, _NAND2_NM)


_PASSIVE = (
    Attribute("ports", "-", "ports on the wider side (N of an N x M coupler; AWG channels)",
              1, int, bounds=COUNT),
    Attribute("port_pitch", "um", "waveguide pitch at the free-propagation region", 10.0,
              bounds=positive(1e4)),
    Attribute("insertion_loss_db", "dB", "excess optical loss (for link budgets)", 0.0,
              bounds=non_negative(60.0)),
    *COMMON,
)


class _Passive(BuiltinModel):
    #: area in units of (ports x port_pitch)^2
    footprint: float = 1.0

    def _energy(self, action, stats):
        return 0.0

    def _area(self):
        side = self.attrs["ports"] * self.attrs["port_pitch"]
        return self.footprint * side * side

    def splitting_loss_db(self) -> float:
        """Ideal 1 -> N splitting loss (dB) of a coupler used as a splitter."""
        return 10.0 * math.log10(self.attrs["ports"])


@register
class StarCoupler(_Passive):
    """Star coupler (free-propagation region): energy-free optical
    interconnect; area = (ports x port_pitch)^2 (Dragone 1989).
    Check: 7 ports at 73.2 um pitch -> (512.4 um)^2 = 2.626e5 um^2."""

    name = "star_coupler"
    source = "free-propagation region ~ N x pitch per side (Dragone, JLT 7(3) 1989)"
    attributes = _PASSIVE
    example = {"ports": 7, "port_pitch": 73.2}


@register
class ArrayedWaveguideGrating(_Passive):
    """Arrayed-waveguide grating (wavelength demultiplexer): two star
    couplers joined by ~2N arrayed waveguides over a region of the same
    extent: area = 4 (ports x port_pitch)^2 (Dragone 1989; Smit & van Dam,
    JSTQE 2(2) 1996). Check: 7 channels at 73.2 um -> 1.050e6 um^2."""

    name = "awg"
    source = ("two N x N star couplers + ~2N arrayed waveguides (Dragone, JLT 7(3) 1989; Smit "
              "& van Dam, IEEE JSTQE 2(2) 1996)")
    attributes = _PASSIVE
    example = {"ports": 7, "port_pitch": 73.2}
    footprint = 4.0
