"""Data converters: ADCs (survey regression, value-dependent SAR) and DACs
(C-2C / R-2R ladders, pulse-width and pulse-count temporal DACs).

Statistics (see ``_common``): ADCs read the analog column sum of
``stats["Inputs"]`` x ``stats["Weights"]`` over ``rows`` rows, or
``stats["Outputs"]``; DACs read ``stats["Inputs"]`` (their slice PMF is
the PMF of the DAC codes). Missing statistics -> uniform codes.

The ``read`` action is one conversion; other non-leak actions cost 0.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache

import numpy as np

from ..bounds import (CAPACITANCE, CONVERTER_BITS, COUNT, DENSITY, ENERGY_PJ, FRACTION,
                      MAX_LINE_CELLS, MAX_SCALE, RATE, RESISTANCE, SCALE, Range, non_negative,
                      positive)
from ..encoding import column_sum_pmf, point_stats, stats_of
from ._common import COMMON, SUPPLY, SWING, TECHNOLOGY, VOLTAGE, BuiltinModel
from .base import Attribute, ComponentAttributeError
from .registry import register
from .scaling import dynamic_energy_factor, nominal_supply_v

log = logging.getLogger(__name__)


# -- ADC: survey regression ----------------------------------------------------------

def adc_survey_energy_pj(resolution: float, technology_nm: float, throughput: float,
                         n_adcs: int = 1) -> float:
    """Energy per conversion (pJ) from the regression over Murmann's ADC
    survey used by CiMLoop's ADC plug-in (the CiMLoop artifact (mit-emze/cimloop)).

    ``throughput`` is the total sample rate (samples/s) shared by ``n_adcs``.
    The regression is fitted for >= 4 bits and falls below 4 bits when
    extrapolated (1.36 / 0.36 / 0.22 / 0.19 pJ at 1-4 b, 7 nm): the ADC
    models use it only at :data:`ADC_ANCHOR_BITS` (:func:`adc_energy_pj`).
    """
    b = float(resolution)
    f = throughput / n_adcs
    max_foms = 128.3068 + 3.22051 * min(math.ceil(b), 20)   # FOM_S envelope by ENOB
    foms = min(213.7807 - 2.87190 * math.log(f), max_foms)   # speed-limited FOM_S
    sndr = 6.0206 * b + 1.7609                                # ideal SNDR of b bits
    e0 = 1.0 / (2.0 * 10 ** ((foms - sndr) / 10.0))           # Schreier FOM -> J/conv. at ref
    # Node and resolution correction of the regression (natural logs).
    return e0 * math.exp(26.04962 + 1.88004 * math.log(technology_nm)
                         - 2.82913 * math.log(b) - 1.47020)


def adc_survey_area_um2(energy_pj: float, technology_nm: float, throughput: float,
                        n_adcs: int = 1) -> float:
    """Area (um^2) of ONE ADC from the same regression."""
    f = throughput / n_adcs
    return math.exp(1.34619 + 0.99328 * math.log(technology_nm) + 0.18072 * math.log(f)
                    + 0.29912 * math.log(energy_pj))


# -- ADC: resolution and supply law -----------------------------------------------------

#: resolution (bits) at which the law equals the survey regression: the middle
#: of the regression's fitted range and the resolution of most calibrated macros
ADC_ANCHOR_BITS = 8
#: share of the anchor energy that is capacitive-DAC switching (x 2^b); the rest
#: is comparator decisions and SAR logic (x b). Same default as sar_adc's
#: dac_energy_fraction (ours: SAR power breakdowns put the DAC at about half).
ADC_CDAC_SHARE = 0.5
#: Schreier figure of merit (dB) of the thermal-noise bound: the survey's
#: low-speed envelope (B. Murmann, ADC Performance Survey 1997-2023)
ADC_THERMAL_FOM_S_DB = 185.0


def adc_resolution_shape(resolution: float) -> float:
    """Technology-limited energy at ``resolution`` relative to the anchor:

    ``(1 - s) b / 8 + s 2^(b - 8)`` with s = :data:`ADC_CDAC_SHARE`: a SAR
    makes one comparator decision and one logic step per bit (x b), and its
    binary-weighted CDAC of 2^b unit capacitors switches ~ 2^b C_u V^2 per
    conversion (Ginsburg & Chandrakasan, ISCAS 2005: 1.33 2^N C V^2 for
    conventional switching). This is Walden's constant-FOM law
    E = FOM_W 2^ENOB (R. H. Walden, IEEE JSAC 17(4), 1999) with a fixed
    cost per decision. Worked numbers: 1 b 0.0664, 2 b 0.1328, 3 b 0.2031,
    4 b 0.2813, 5 b 0.3750, 8 b 1, 9 b 1.5625, 10 b 2.625, 16 b 129.
    """
    b = float(resolution)
    s = ADC_CDAC_SHARE
    return (1 - s) * b / ADC_ANCHOR_BITS + s * 2.0 ** (b - ADC_ANCHOR_BITS)


def adc_thermal_energy_pj(resolution: float) -> float:
    """Thermal-noise bound (pJ per conversion) from the Schreier FOM:
    E = 10^((SNDR - FOM_S)/10) / 2 with SNDR = 6.02 b + 1.76 dB and
    FOM_S = :data:`ADC_THERMAL_FOM_S_DB` (R. Schreier & G. Temes,
    Understanding Delta-Sigma Data Converters, 2005; Murmann's survey).
    x4 per bit; supply-independent (kT/C: a lower swing needs a larger C).
    Worked numbers: 8 b 0.0155 pJ, 12 b 3.979 pJ, 16 b 1018.6 pJ.
    """
    sndr = 6.0206 * float(resolution) + 1.7609
    return 10 ** ((sndr - ADC_THERMAL_FOM_S_DB) / 10.0) / 2.0 * 1e12


def adc_voltage_factor(voltage: float | None, technology_nm: float) -> float:
    """Dynamic-energy factor (V / V_nom)^2 of the technology-limited part
    (:func:`~cimdse.components.scaling.dynamic_energy_factor`, C V^2), with
    V_nom the node's nominal supply (:func:`~cimdse.components.scaling.
    nominal_supply_v`): the survey's designs run at their node's nominal
    supply, so the anchor holds there. A macro's ``nominal_voltage`` (where
    its leakage and cycle are given) does not move it. None: 1.
    """
    if voltage is None:
        return 1.0
    return dynamic_energy_factor(voltage, nominal_supply_v(technology_nm))


def adc_energy_pj(resolution: float, technology_nm: float, throughput: float,
                  n_adcs: int = 1, voltage: float | None = None) -> float:
    """Energy per conversion (pJ) of the ADC law, non-decreasing in resolution:

    E(b) = max(E_s(8) shape(b) (V / V_nom)^2, E_th(b))

    * E_s(8): the survey regression (:func:`adc_survey_energy_pj`) at
      :data:`ADC_ANCHOR_BITS`, which carries the node and throughput
      dependence inside the regression's fitted range;
    * shape(b): :func:`adc_resolution_shape` (decisions x b, CDAC x 2^b);
    * E_th(b): :func:`adc_thermal_energy_pj`, the thermal bound that takes
      over at high resolution (Murmann's two regimes: technology-limited
      below ~ 10-12 b, noise-limited above).

    Worked numbers (22 nm, 2.146e8 S/s, nominal 0.9 V): E_s(8) = 0.8472
    pJ -> 4 b 0.2383, 8 b 0.8472, 12 b 7.413 (shape 8.75), 16 b 1018.6 pJ
    (thermal; the technology part is 109.3); at 1.0 V the technology part
    is x (1 / 0.9)^2 = 1.2346: 8 b 1.046 pJ.
    """
    tech = adc_survey_energy_pj(ADC_ANCHOR_BITS, technology_nm, throughput, n_adcs)
    tech *= adc_resolution_shape(resolution) * adc_voltage_factor(voltage, technology_nm)
    return max(tech, adc_thermal_energy_pj(resolution))


def adc_area_um2(resolution: float, technology_nm: float, throughput: float,
                 n_adcs: int = 1) -> float:
    """Area (um^2) of ONE ADC: the survey's area regression
    (:func:`adc_survey_area_um2`) of the law's energy at the nominal supply
    (area does not follow the supply). Non-decreasing in resolution since
    the area grows as energy^0.299."""
    energy = adc_energy_pj(resolution, technology_nm, throughput, n_adcs)
    return adc_survey_area_um2(energy, technology_nm, throughput, n_adcs)


#: The ADC's range, read by the analog error model (cimdse.accuracy): the top
#: code reads this fraction of the largest sum of the rows the converted line
#: sums. The survey ADC's energy does not depend on it.
_ADC_RANGE = Attribute("full_scale_fraction", "-",
                       "ADC full scale as a fraction of the largest possible column sum "
                       "(analog error model only)", 1.0, bounds=positive(MAX_SCALE))

_ADC_ATTRS = (
    Attribute("resolution", "bits", "ADC resolution", 8.0, bounds=CONVERTER_BITS),
    Attribute("throughput", "samples/s", "total conversion rate of all n_adcs ADCs", 1e8,
              bounds=RATE),
    Attribute("n_adcs", "-", "ADCs sharing the throughput (the instance is the bank)", 1,
              int, bounds=COUNT),
    Attribute("voltage", "V", "supply voltage (none: the node's nominal supply)", None,
              bounds=SUPPLY),
    TECHNOLOGY,
    *COMMON,
)


@register
class ADC(BuiltinModel):
    """ADC following the resolution and supply law of :func:`adc_energy_pj`
    (value-independent, like CiMLoop at HEAD).

    ``read`` = one conversion; area = per-ADC area (:func:`adc_area_um2`)
    x ``n_adcs`` (the instance is the bank that shares ``throughput``);
    leak 0. Check: 8 b, 65 nm, 256 ADCs at 1.896e8 S/s total, nominal
    supply -> 6.49 pJ, 1.251 mm^2 (the survey regression at its anchor);
    at 0.85 V: 6.49 (0.85 / 1.1)^2 = 3.88 pJ.
    """

    name = "adc"
    source = ("Walden (IEEE JSAC 1999) and Schreier figure-of-merit bounds; anchored at 8 b to "
              "the regression over B. Murmann, 'ADC Performance Survey 1997-2023' fitted by "
              "CiMLoop's ADC plug-in (Andrulis et al., ISPASS 2024; the CiMLoop artifact "
              "(mit-emze/cimloop))")
    attributes = _ADC_ATTRS + (_ADC_RANGE,)
    example = {"resolution": 8, "throughput": 1.896e8, "n_adcs": 256}

    def conversion_energy_pj(self) -> float:
        """Energy of one conversion (pJ) before ``energy_scale``."""
        a = self.attrs
        return adc_energy_pj(a["resolution"], a["technology"], a["throughput"], a["n_adcs"],
                             a["voltage"])

    def _energy(self, action, stats):
        return self.conversion_energy_pj() if action == "read" else 0.0

    def _area(self):
        a = self.attrs
        return a["n_adcs"] * adc_area_um2(a["resolution"], a["technology"], a["throughput"],
                                          a["n_adcs"])


def _code_bit_probabilities(code_pmf: np.ndarray, bits: int) -> np.ndarray:
    codes = np.arange(len(code_pmf))
    shifts = np.arange(bits - 1, -1, -1)
    return code_pmf @ ((codes[:, None] >> shifts) & 1)


def _resample_codes(pmf: np.ndarray, n_codes: int) -> np.ndarray:
    """Move a PMF over codes 0..len-1 onto codes 0..n_codes-1 by value
    (full scale -> full scale), splitting mass linearly between the two
    nearest target codes; code 0 maps exactly to 0 (mass preserving)."""
    pmf = np.asarray(pmf, float)
    if len(pmf) == n_codes:
        return pmf
    src = np.arange(len(pmf)) * (n_codes - 1) / max(len(pmf) - 1, 1)
    lo = np.floor(src).astype(int)
    frac = src - lo
    out = np.zeros(n_codes)
    np.add.at(out, lo, pmf * (1 - frac))
    np.add.at(out, np.minimum(lo + 1, n_codes - 1), pmf * frac)
    return out


@register
class SarADC(ADC):
    """SAR ADC whose energy depends on the distribution of output codes.

    Model (ours, first order): the ADC law's energy E_s
    (:func:`adc_energy_pj`) is the energy at uniformly distributed codes. A fraction ``dac_energy_fraction`` of it is
    capacitive-DAC switching, which depends on the code:

    * ``switching="conventional"``: each bit cycle i charges the trial
      capacitor (weight 2^(N-1-i)); a rejected trial (decided bit 0) is
      switched back, which costs about as much again (the up/down asymmetry
      analysed by Ginsburg & Chandrakasan, ISCAS 2005, and Liu et al., JSSC
      45(4) 2010). D(code) = sum_i 2^(N-1-i) (1 + [b_i = 0]).
    * ``switching="monotonic"`` (Liu et al. 2010): one capacitor switches
      once per cycle whatever the decision -> D constant (no value dependence).

    E = E_s ((1 - f) + f D(p) / D(uniform)), D(p) = E_p[D(code)] =
    sum_i 2^(N-1-i) (2 - P(b_i = 1)). Fewer ones (small outputs) cost more
    with conventional switching.

    Codes: if ``rows`` > 0 and Inputs and Weights statistics are given,
    the PMF of the analog column sum over ``rows`` rows
    (:func:`cimdse.encoding.column_sum_pmf`) is quantised to 2^N codes with
    ``full_scale_fraction`` x (maximum possible sum) mapped to the top code
    (clipped); else ``stats["Outputs"]``' slice PMF resampled to 2^N codes;
    else uniform codes.
    """

    name = "sar_adc"
    consumes = "column_sum"
    source = ("survey regression (as 'adc') x code-dependent CDAC switching model after "
              "Ginsburg & Chandrakasan ISCAS 2005 and Liu et al. JSSC 2010")
    attributes = _ADC_ATTRS + (
        Attribute("dac_energy_fraction", "-",
                  "share of the survey energy spent switching the CDAC at uniform codes", 0.5,
                  bounds=FRACTION),
        Attribute("switching", "-", "'conventional' (value-dependent) or 'monotonic'",
                  "conventional", str),
        Attribute("rows", "-", "active rows summed on the converted column (0: use Outputs)",
                  0, int, bounds=non_negative(MAX_LINE_CELLS)),
        # > 1 when the mapper prices fewer filled rows than the ADC was sized for
        Attribute("full_scale_fraction", "-",
                  "ADC full scale as a fraction of the largest possible column sum", 1.0,
                  bounds=positive(MAX_SCALE)),
    )
    example = {"resolution": 8, "throughput": 1e8}

    def __init__(self, attributes):
        super().__init__(attributes)
        if self.attrs["switching"] not in ("conventional", "monotonic"):
            raise ComponentAttributeError(
                f"sar_adc switching must be 'conventional' or 'monotonic', got "
                f"{self.attrs['switching']!r}", field="switching")

    @property
    def n_bits(self) -> int:
        return max(1, int(round(self.attrs["resolution"])))

    def code_pmf(self, stats) -> np.ndarray:
        """PMF over the 2^N output codes this ADC sees."""
        n_codes = 2 ** self.n_bits
        ins, ws = stats_of(stats, "Inputs"), stats_of(stats, "Weights")
        if self.attrs["rows"] > 0 and ins is not None and ws is not None:
            values, pmf = column_sum_pmf(ins, ws, self.attrs["rows"])
            top = self.attrs["rows"] * ins.full_scale * ws.full_scale
            top *= self.attrs["full_scale_fraction"]
            codes = np.clip(np.rint(values / max(top, 1e-30) * (n_codes - 1)), 0, n_codes - 1)
            out = np.zeros(n_codes)
            np.add.at(out, codes.astype(int), pmf)
            return out
        outs = stats_of(stats, "Outputs")
        if outs is not None:
            return _resample_codes(outs.slice_pmf[: outs.full_scale + 1], n_codes)
        return np.full(n_codes, 1.0 / n_codes)

    def _dac_weight(self, p_one: np.ndarray) -> float:
        place = 2.0 ** np.arange(self.n_bits - 1, -1, -1)
        if self.attrs["switching"] == "monotonic":
            return float(place.sum())
        return float(place @ (2.0 - p_one))

    def _energy(self, action, stats):
        if action != "read":
            return 0.0
        f = self.attrs["dac_energy_fraction"]
        p_one = _code_bit_probabilities(self.code_pmf(stats), self.n_bits)
        ratio = self._dac_weight(p_one) / self._dac_weight(np.full(self.n_bits, 0.5))
        return self.conversion_energy_pj() * ((1 - f) + f * ratio)

    def column_sum_energy_pj(self, action, sums, input_full_scale, weight_full_scale):
        """Mean energy over conversions of ``sums``: each sum quantised as
        :meth:`code_pmf` quantises the column-sum distribution, each code priced
        on its Outputs code."""
        n_codes = 2 ** self.n_bits
        top = (self.attrs["rows"] * input_full_scale * weight_full_scale
               * self.attrs["full_scale_fraction"])
        codes = np.clip(np.rint(np.asarray(sums) / max(top, 1e-30) * (n_codes - 1)), 0,
                        n_codes - 1)
        hist = np.bincount(codes.astype(np.int64).ravel(), minlength=n_codes)
        given = {k: v for k, v in self.attrs.items() if v is not None}  # None: not given
        plain = type(self)({**given, "rows": 0})  # converts given Outputs codes
        seen = np.nonzero(hist)[0]
        energies = [plain.energy_pj(action, {"Outputs": point_stats(c, self.n_bits)})
                    for c in seen]
        total = float(hist.sum())
        return math.fsum(e * float(hist[c]) for e, c in zip(energies, seen)) / total \
            if total else 0.0


# -- DACs ------------------------------------------------------------------------------

def _ladder_matrix(n: int) -> np.ndarray:
    g = np.zeros((n, n))
    for i in range(n):
        g[i, i] = 1 + (1 if i == 0 else 0) + 2 * ((i > 0) + (i < n - 1))
        if i > 0:
            g[i, i - 1] = g[i - 1, i] = -2
    return g


@lru_cache(maxsize=64)
def ladder_code_energies(n_bits: int) -> np.ndarray:
    """Per-code energy of an N-bit X-2X ladder in units of unit_x * V^2.

    Node voltages solve G v = b V (the CiMLoop artifact (mit-emze/cimloop)): in units of
    the 2X branch, each node sees its input (1), its neighbours (2 each) and,
    at the LSB end, the 2X termination (1): diagonal 4 (LSB end), 5 (inner),
    3 (MSB end, next to the output), off-diagonals -2 (2 for a 1-bit
    ladder). Input i is bit_i V. Energy drawn from the inputs that are
    high: E(code) = unit_x V sum_{bit_i = 1} (V - v_i). Index = code value.
    """
    n = int(n_bits)
    g = _ladder_matrix(n)
    codes = np.arange(2 ** n)
    bits_lsb_first = ((codes[:, None] >> np.arange(n)) & 1).astype(float)  # node 0 = LSB
    v = np.linalg.solve(g, bits_lsb_first.T).T
    return np.sum(bits_lsb_first * (1.0 - v), axis=1)


def ladder_output(n_bits: int, code: int) -> float:
    """Output (MSB-node) voltage of the ladder for ``code``, in units of V."""
    n = int(n_bits)
    g = _ladder_matrix(n)
    b = ((code >> np.arange(n)) & 1).astype(float)
    return float(np.linalg.solve(g, b)[-1])


def _dac_code_pmf(model: BuiltinModel, stats, n_bits: int) -> np.ndarray:
    ins = stats_of(stats, "Inputs")
    n_codes = 2 ** n_bits
    if ins is None:
        return np.full(n_codes, 1.0 / n_codes)
    return _resample_codes(ins.slice_pmf[: ins.full_scale + 1], n_codes)


_DAC_COMMON = (
    Attribute("resolution", "bits", "DAC resolution (bits per conversion)", 8.0,
              bounds=CONVERTER_BITS),
    VOLTAGE.within(SWING), TECHNOLOGY,
    Attribute("flip_flop_energy", "pJ",
              "input register energy per bit toggle (< 0: Aladdin 45 nm register, "
              "0.009 pJ/bit, scaled to the node)", -1.0, bounds=Range(None, ENERGY_PJ.high)),
    Attribute("controller_energy_scale", "-",
              "multiplier on the ladder controller energy (V tech_nm)^2 N 8e-17 J", 1.0,
              bounds=SCALE),
    *COMMON,
)


class _Ladder(BuiltinModel):
    """Shared X-2X ladder DAC logic. read = one conversion:

    E = avg_code E(code) [ladder] + N e_ff P(flip) [input register, CiMLoop's
    flip_flops x bit_flip_probability] + (V tech_nm)^2 N 8e-17 J [controller],
    where the code PMF is the Inputs slice PMF resampled to 2^N codes. After
    code ``p``, converting code ``c`` adds e_ff per register bit that rises
    (:meth:`transition_energy_pj`).
    """

    consumes = "input_sequence"

    @property
    def n_bits(self) -> int:
        return max(1, int(round(self.attrs["resolution"])))

    def _unit_energy_pj(self) -> float:
        raise NotImplementedError

    def ladder_energy_pj(self, stats) -> float:
        pmf = _dac_code_pmf(self, stats, self.n_bits)
        v = self.attrs["voltage"]
        return float(pmf @ ladder_code_energies(self.n_bits)) * self._unit_energy_pj() * v * v

    def _flip_flop_pj(self) -> float:
        e = self.attrs["flip_flop_energy"]
        return e if e >= 0 else self.scaled(0.009, 45.0, 1.0)

    def _energy(self, action, stats):
        if action != "read":
            return 0.0
        ins = stats_of(stats, "Inputs")
        p_flip = ins.bit_flip_probability if ins is not None else 0.25
        n = self.n_bits
        ctrl = (self.attrs["voltage"] * self.attrs["technology"]) ** 2 * n * 8e-17 * 1e12
        return (self.ladder_energy_pj(stats) + n * self._flip_flop_pj() * p_flip
                + ctrl * self.attrs["controller_energy_scale"])

    def transition_energy_pj(self, action, previous, code):
        if action != "read":
            return 0.0
        rising = bin(~int(previous) & int(code)).count("1")
        return self._flip_flop_pj() * rising * self.attrs["energy_scale"]


@register
class DacC2C(_Ladder):
    """C-2C ladder DAC: unit_x = unit capacitance (energy per conversion).

    Area = 3 unit capacitors per bit (C and 2C) at ``cap_density``
    (default 2.3 fF/um^2 x (22/tech)^2, CiMLoop's capacitor default) plus
    a 1 um^2 x (tech/22)^2 border per bit.
    """

    name = "dac_c2c"
    source = "X-2X ladder nodal analysis, CiMLoop X2X_ladder plug-in (the CiMLoop artifact (mit-emze/cimloop))"
    attributes = _DAC_COMMON + (
        Attribute("unit_capacitance", "F", "unit capacitor C of the C-2C ladder", 1e-15,
                  bounds=CAPACITANCE),
        Attribute("cap_density", "F/m^2", "capacitor density (<= 0: 2.3 fF/um^2 x (22/tech)^2)",
                  -1.0, bounds=DENSITY),
    )
    example = {"resolution": 8}

    def _unit_energy_pj(self):
        return self.attrs["unit_capacitance"] * 1e12

    def _area(self):
        tech = self.attrs["technology"]
        density = self.attrs["cap_density"]
        if density <= 0:
            density = 2.3e-3 * (22 / tech) ** 2        # F/m^2 (2.3 fF/um^2 at 22 nm)
        cap_um2 = 3 * self.attrs["unit_capacitance"] / density * 1e12
        return self.n_bits * (cap_um2 + (tech / 22) ** 2)


@register
class DacR2R(_Ladder):
    """R-2R ladder DAC: unit_x = 1/(2R) gives power; energy = power x the
    conversion time ``latency_cycles x cycle_seconds``. Area =
    0.7e-14 (tech/22)^2 N R m^2 (CiMLoop's X2X_ladder area rule).
    """

    name = "dac_r2r"
    source = "X-2X ladder nodal analysis, CiMLoop X2X_ladder plug-in (the CiMLoop artifact (mit-emze/cimloop))"
    attributes = _DAC_COMMON + (
        Attribute("unit_resistance", "ohm", "unit resistor R of the R-2R ladder", 5000.0,
                  bounds=RESISTANCE),
        Attribute("latency_cycles", "cycles", "cycles the ladder drives per conversion", 1.0,
                  bounds=non_negative(1e6)),
    )
    example = {"resolution": 8}

    def _unit_energy_pj(self):
        seconds = self.attrs["latency_cycles"] * self.attrs["cycle_seconds"]
        return seconds / (2 * self.attrs["unit_resistance"]) * 1e12

    def _area(self):
        tech = self.attrs["technology"]
        return 0.7e-14 * (tech / 22) ** 2 * self.n_bits * self.attrs["unit_resistance"] * 1e12


_TEMPORAL = (
    Attribute("resolution", "bits", "DAC resolution: codes 0 .. 2^N - 1", 8.0,
              bounds=CONVERTER_BITS),
    VOLTAGE.within(SWING), TECHNOLOGY,
    Attribute("load_capacitance", "F", "capacitance of the driven line (row/wordline)",
              20e-15, bounds=CAPACITANCE),
    Attribute("step_energy", "pJ",
              "energy per time step of the pulse generator (< 0: an N-bit counter step, "
              "Aladdin 45 nm counter 0.25074 pJ/32 b, scaled)", -1.0,
              bounds=Range(None, ENERGY_PJ.high)),
    *COMMON,
)


class _Temporal(BuiltinModel):
    consumes = "input_sequence"       # no register: a code costs the same after any other

    @property
    def n_bits(self) -> int:
        return max(1, int(round(self.attrs["resolution"])))

    def _codes(self, stats):
        pmf = _dac_code_pmf(self, stats, self.n_bits)
        return pmf, np.arange(len(pmf))

    def _step_pj(self) -> float:
        e = self.attrs["step_energy"]
        return e if e >= 0 else self.scaled(0.25074 / 32 * self.n_bits, 45.0, 1.0)

    def _line_pj(self) -> float:
        return self.attrs["load_capacitance"] * self.attrs["voltage"] ** 2 * 1e12

    def _energy(self, action, stats):
        if action != "read":
            return 0.0
        pmf, codes = self._codes(stats)
        return self._conversion_pj(pmf, codes)

    def _conversion_pj(self, pmf, codes) -> float:
        """Mean energy (pJ) of one conversion over the code PMF."""
        raise NotImplementedError

    def _area(self):
        # N-bit counter + comparator + driver: ~ 8 NAND2 equivalents per bit
        # (Nangate 45 nm NAND2_X1 = 0.798 um^2), scaled to the node.
        return self.scaled_area(8 * 0.798 * self.n_bits, 45.0)


@register
class DacPWM(_Temporal):
    """Pulse-width DAC: one pulse whose width is the code (in time steps).

    E = P(code > 0) C_load V^2 (one line charge per non-zero code)
        + E[code] e_step (pulse generator runs for `code` steps).
    """

    name = "dac_pwm"
    source = "first-order CV^2 + per-step counter model (ours); CiMLoop temporal DAC"
    attributes = _TEMPORAL
    example = {"resolution": 4}

    def _conversion_pj(self, pmf, codes) -> float:
        return float(1 - pmf[0]) * self._line_pj() + float(pmf @ codes) * self._step_pj()


@register
class DacPulseCount(_Temporal):
    """Pulse-count (spiking) DAC: `code` unit pulses per conversion.

    E = E[code] (C_load V^2 + e_step): each pulse charges the line once,
    as in CiMLoop's spiking row drivers x' = x-bar (2^N - 1).
    """

    name = "dac_pulse_count"
    source = "first-order CV^2 per pulse (ours); CiMLoop temporal_spiking drivers"
    attributes = _TEMPORAL
    example = {"resolution": 4}

    def _conversion_pj(self, pmf, codes) -> float:
        return float(pmf @ codes) * (self._line_pj() + self._step_pj())
