"""Digital logic: adder, adder tree, shift-add, register, comparator, counter,
multiplier and multiply-accumulate (MAC).

Energy per operation = (reference energy per bit) x bits, moved from the
reference node/voltage to the model's ``technology`` and ``voltage`` with
:mod:`cimdse.components.scaling` (Stillmaker-Baas node factor x C V^2:
``(V / V_ref) ** 2``). Bit width enters through each model's own bit count
(adder and register ``width``, adder-tree levels, multiplier partial
products), never through a macro-level factor.
References are Aladdin's 45/40 nm characterisation (Shao et al., ISCA 2014)
as tabulated in CiMLoop's component library (the CiMLoop artifact (mit-emze/cimloop)):

========== ================================ ====== =========== ===========
model      reference                        node   pJ / op     um^2
========== ================================ ====== =========== ===========
adder      aladdin_adder, 32 b              40 nm  0.21        278
comparator aladdin_comparator, 32 b         45 nm  0.02947     71
counter    aladdin_counter, 32 b            45 nm  0.25074     495.5
register   aladdin_register, 1 b            45 nm  0.009       5.98
multiplier Horowitz ISSCC 2014, 8b x 8b     45 nm  0.2         282
mac        multiplier + Horowitz 32b add    45 nm  0.2 + 0.1   282 + 137
========== ================================ ====== =========== ===========

The reference supply is taken as 0.9 V (nominal of the 40/45 nm libraries).
``read`` = one operation (add, compare, count, register read/toggle);
``write``/``update`` of a register = one write of ``width`` bits; every
other action of a non-storage unit costs 0. Switching activity: energies
are at the library's characterisation activity; an ``activity`` attribute
scales them (e.g. CiMLoop's p(1-p) factors). Data values are not used.
"""

from __future__ import annotations

from ..bounds import COUNT, MAX_WIDTH_BITS, SCALE, WIDTH_BITS, non_negative
from ._common import COMMON, SUPPLY, TECHNOLOGY, BuiltinModel
from .base import Attribute
from .registry import register

REF_V = 0.9

_DIGITAL = (
    Attribute("width", "bits", "operand width", 8, int, bounds=WIDTH_BITS),
    TECHNOLOGY,
    Attribute("voltage", "V", "supply voltage", REF_V, bounds=SUPPLY),
    Attribute("activity", "-", "switching activity relative to the reference", 1.0,
              bounds=SCALE),
    Attribute("leak_fraction", "-",
              "leakage power as a fraction of (read energy / cycle_seconds)", 0.01,
              bounds=non_negative(1e3)),
    *COMMON,
)


class _PerBit(BuiltinModel):
    ref_pj_per_bit: float = 0.0
    ref_um2_per_bit: float = 0.0
    ref_nm: float = 45.0

    def op_energy_pj(self) -> float:
        return (self.scaled(self.ref_pj_per_bit, self.ref_nm, REF_V) * self._bits()
                * self.attrs["activity"])

    def _bits(self) -> float:
        return self.attrs["width"]

    #: actions that cost one operation; an adder or accumulator also adds on
    #: every ``update`` (a partial sum arriving from below)
    op_actions: tuple[str, ...] = ("read",)

    def _energy(self, action, stats):
        return self.op_energy_pj() if action in self.op_actions else 0.0

    def _area(self):
        return self.scaled_area(self.ref_um2_per_bit * self._bits(), self.ref_nm)

    def _leak_w(self):
        # Leakage = leak_fraction x dynamic power at one op per cycle, both at the
        # nominal supply; at another supply the DIBL leakage law moves it.
        nominal = self.nominal_v()
        e_nom = self.op_energy_pj() * (self.leak_dynamic_ratio(nominal))
        return (self.attrs["leak_fraction"] * e_nom * 1e-12 / self.nominal_cycle_s()
                * self.leak_factor())

    def leak_dynamic_ratio(self, nominal: float | None) -> float:
        """E_op(nominal) / E_op(voltage): C V^2."""
        v = self.attrs.get("voltage")
        return 1.0 if nominal is None or v is None else (nominal / v) ** 2


@register
class Adder(_PerBit):
    """Ripple/carry-select integer adder of ``width`` bits."""

    name = "adder"
    source = "Aladdin 32-bit adder, 40 nm: 0.21 pJ, 278 um^2 (Shao et al. ISCA 2014), per bit"
    op_actions = ("read", "update")
    attributes = _DIGITAL
    ref_pj_per_bit, ref_um2_per_bit, ref_nm = 0.21 / 32, 278 / 32, 40.0


@register
class AdderTree(_PerBit):
    """Adder tree reducing ``n_inputs`` operands of ``width`` bits.

    n_inputs - 1 adders; the adder at tree level l (1 = leaves) is
    width + l - 1 bits wide, so bits = sum_l (n/2^l)(width + l - 1).
    read = one full reduction.
    """

    name = "adder_tree"
    source = Adder.source + "; tree of n-1 adders with growing width"
    op_actions = ("read", "update")
    attributes = _DIGITAL + (Attribute("n_inputs", "-", "operands reduced", 8, int,
                                       bounds=COUNT),)
    ref_pj_per_bit, ref_um2_per_bit, ref_nm = Adder.ref_pj_per_bit, Adder.ref_um2_per_bit, 40.0

    def _bits(self):
        n, w = self.attrs["n_inputs"], self.attrs["width"]
        total, level, remaining = 0.0, 1, max(n, 1)
        while remaining > 1:
            adders = remaining // 2
            total += adders * (w + level - 1)
            remaining = adders + remaining % 2
            level += 1
        return total


@register
class ShiftAdd(_PerBit):
    """Shift-and-add accumulator recombining slices: one ``width``-bit add
    plus a ``width``-bit register write per read (shift is wiring)."""

    name = "shift_add"
    source = ("Aladdin adder (40 nm) + register (45 nm), per bit (Shao et al. ISCA 2014); "
              "NeuroSim shift_add structure (adder + register)")
    op_actions = ("read", "update")
    attributes = _DIGITAL
    ref_pj_per_bit = 0.21 / 32 + 0.009
    ref_um2_per_bit = 278 / 32 + 5.98
    ref_nm = 45.0


@register
class Register(_PerBit):
    """Flip-flop register of ``width`` bits: read, write and update cost one
    clocked access of every bit."""

    name = "register"
    source = "Aladdin register, 45 nm: 0.009 pJ/bit, 5.98 um^2/bit (Shao et al. ISCA 2014)"
    attributes = _DIGITAL
    ref_pj_per_bit, ref_um2_per_bit, ref_nm = 0.009, 5.98, 45.0

    def _energy(self, action, stats):
        return self.op_energy_pj() if action in ("read", "write", "update") else 0.0


@register
class Comparator(_PerBit):
    """Magnitude comparator of ``width`` bits (e.g. zero detection)."""

    name = "comparator"
    source = "Aladdin comparator, 45 nm, 32 b: 0.02947 pJ, 71 um^2 (Shao et al. ISCA 2014)"
    attributes = _DIGITAL
    ref_pj_per_bit, ref_um2_per_bit, ref_nm = 0.02947 / 32, 71 / 32, 45.0


@register
class Counter(_PerBit):
    """Binary counter of ``width`` bits; read = one increment."""

    name = "counter"
    source = "Aladdin counter, 45 nm, 32 b: 0.25074 pJ, 495.5 um^2 (Shao et al. ISCA 2014)"
    attributes = _DIGITAL
    ref_pj_per_bit, ref_um2_per_bit, ref_nm = 0.25074 / 32, 495.5 / 32, 45.0



# Horowitz, "Computing's energy problem (and what we can do about it)",
# ISSCC 2014, 45 nm, 0.9 V: 8b multiply 0.2 pJ / 282 um^2, 32b multiply
# 3.1 pJ / 3495 um^2, 32b add 0.1 pJ / 137 um^2.
_HOROWITZ_MULT_PJ_PER_BIT2 = 0.2 / 64
_HOROWITZ_MULT_UM2_PER_BIT2 = 282 / 64
_HOROWITZ_ADD_PJ_PER_BIT = 0.1 / 32
_HOROWITZ_ADD_UM2_PER_BIT = 137 / 32
_HOROWITZ_SOURCE = ("M. Horowitz, 'Computing's energy problem', ISSCC 2014 (45 nm, 0.9 V): "
                    "8b multiply 0.2 pJ / 282 um^2")


@register
class Multiplier(_PerBit):
    """Array multiplier of a ``width`` x ``width_b``-bit product.

    Energy and area grow with the partial-product bits ``width * width_b``
    (an array multiplier has one full adder per partial-product bit):
    E = 0.2 pJ x (width width_b / 64), A = 282 um^2 x (width width_b / 64)
    at 45 nm, 0.9 V (Horowitz's 8b point; his 32b point, 3.1 pJ, is within
    3 %), moved to ``technology`` / ``voltage``. ``read`` and ``compute`` =
    one multiply.
    """

    name = "multiplier"
    source = _HOROWITZ_SOURCE + "; array-multiplier scaling with width x width_b"
    op_actions = ("read", "compute")
    attributes = _DIGITAL + (
        Attribute("width_b", "bits", "second operand width (0: same as width)", 0, int,
                  bounds=non_negative(MAX_WIDTH_BITS)),)
    ref_pj_per_bit, ref_um2_per_bit, ref_nm = (_HOROWITZ_MULT_PJ_PER_BIT2,
                                               _HOROWITZ_MULT_UM2_PER_BIT2, 45.0)

    def product_bits(self) -> int:
        """Partial-product bits: width x width_b."""
        width = self.attrs["width"]
        return width * (self.attrs["width_b"] or width)

    def _bits(self):
        return self.product_bits()


@register
class MAC(Multiplier):
    """Digital multiply-accumulate: a ``width`` x ``width_b`` multiplier and
    an ``accumulator_width``-bit adder (0: width + width_b).

    E = [0.2 pJ (width width_b / 64) + 0.1 pJ (accumulator_width / 32)] at
    45 nm, 0.9 V (Horowitz ISSCC 2014), moved to ``technology`` /
    ``voltage``; area likewise from 282 um^2 / 64 and 137 um^2 / 32 per bit.
    ``read`` and ``compute`` = one MAC.
    """

    name = "mac"
    source = _HOROWITZ_SOURCE + ", 32b add 0.1 pJ / 137 um^2; multiplier + accumulator adder"
    attributes = Multiplier.attributes + (
        Attribute("accumulator_width", "bits", "accumulator adder width (0: width + width_b)",
                  0, int, bounds=non_negative(MAX_WIDTH_BITS)),)

    def accumulator_bits(self) -> int:
        given = self.attrs["accumulator_width"]
        return given or self.attrs["width"] + (self.attrs["width_b"] or self.attrs["width"])

    def op_energy_pj(self) -> float:
        ref = (_HOROWITZ_MULT_PJ_PER_BIT2 * self.product_bits()
               + _HOROWITZ_ADD_PJ_PER_BIT * self.accumulator_bits())
        return self.scaled(ref, self.ref_nm, REF_V) * self.attrs["activity"]

    def _area(self):
        ref = (_HOROWITZ_MULT_UM2_PER_BIT2 * self.product_bits()
               + _HOROWITZ_ADD_UM2_PER_BIT * self.accumulator_bits())
        return self.scaled_area(ref, self.ref_nm)
