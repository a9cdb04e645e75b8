"""Valid ranges of every number that reaches a component model or the mapper.

A spec value is checked for type (a real number: not a bool, a string or a
date), finiteness (no NaN, no infinity) and range before any model or numpy
array sees it; a value outside its range is a located spec error that says
what the range is. The documented maxima below are not physical limits but
the sizes beyond which a model stops being meaningful or the arrays it
builds stop fitting in memory:

=========================  ==============  ==============================================
constant                   value           bounds
=========================  ==============  ==============================================
``MAX_OPERAND_BITS``       16              INPUT/WEIGHT/OUTPUT_BITS and slice widths: the
                                           value statistics grow as 2**bits (20 bits
                                           already take 3 GB)
``MAX_CONVERTER_BITS``     16              ADC / DAC / ladder resolutions: value-dependent
                                           converters build arrays over 2**bits codes
``MAX_WIDTH_BITS``         4096            datapath widths (words, flits, operands)
``MAX_LINE_CELLS``         2**20           cells on a row or column (ARRAY_ROWS,
                                           ARRAY_COLS), ADCs in a bank,
                                           adder-tree inputs, cells of a cim_unit
``MAX_DEPTH_WORDS``        2**40           words of a storage level
``MAX_SCALE``              1e9             multipliers: energy_scale, area_scale, copies,
                                           calibration factors
``MAX_SLICES``             64              input / weight slices (N_INPUT_SLICES, ...)
``MAX_MESH``               2**20           spatial meshX / meshY of one node
``MAX_INSTANCES``          2**40           instances of a node (product of the meshes)
``MAX_FACTOR``             2**40           loop factors in constraints
=========================  ==============  ==============================================

Physical quantities have ranges in their SI unit (``SECONDS``,
``CAPACITANCE``, ``RESISTANCE``, ...), and a supply voltage has a range relative to its technology's nominal supply
(:class:`SupplyRange`, :func:`cimdse.components.scaling.nominal_supply_v`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

MAX_OPERAND_BITS = 16
MAX_CONVERTER_BITS = 16
MAX_WIDTH_BITS = 4096
MAX_LINE_CELLS = 2 ** 20
MAX_DEPTH_WORDS = 2 ** 40
MAX_SCALE = 1e9
MAX_SLICES = 64
MAX_MESH = 2 ** 20
MAX_INSTANCES = 2 ** 40
MAX_FACTOR = 2 ** 40


class RangeError(ValueError):
    """A number is of the wrong type, not finite, or out of its range."""


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` (``low < value`` if ``low_open``); None = unbounded."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def check(self, value: float, attrs: Mapping[str, Any] | None = None,
              unit: str = "") -> str | None:
        """Why ``value`` (in ``unit``) is out of range, or None."""
        low_bad = self.low is not None and (value < self.low
                                            or (self.low_open and value == self.low))
        high_bad = self.high is not None and value > self.high
        if not (low_bad or high_bad):
            return None
        return f"must be within {self.describe()}{' ' + unit if unit not in ('', '-') else ''}"

    def warning(self, value: float, attrs: Mapping[str, Any] | None = None) -> str | None:
        return None

    def describe(self) -> str:
        low = "-inf" if self.low is None else number_text(self.low)
        high = "inf" if self.high is None else number_text(self.high)
        return f"{'(' if self.low_open or self.low is None else '['}{low}, {high}" \
               f"{')' if self.high is None else ']'}"


def at_least(low: float, high: float | None = None) -> Range:
    return Range(low, high)


def positive(high: float | None = None) -> Range:
    return Range(0.0, high, low_open=True)


def non_negative(high: float | None = None) -> Range:
    return Range(0.0, high)


FRACTION = Range(0.0, 1.0)
SCALE = non_negative(MAX_SCALE)
POSITIVE_SCALE = positive(MAX_SCALE)
COUNT = at_least(1, MAX_LINE_CELLS)
CONVERTER_BITS = at_least(1, MAX_CONVERTER_BITS)
WIDTH_BITS = at_least(1, MAX_WIDTH_BITS)

# Physical quantities (SI unless named): wide enough for any CiM circuit,
# narrow enough that a value off by many orders of magnitude fails.
SECONDS = positive(1.0)             # clock periods, pulses: up to 1 s
CAPACITANCE = non_negative(1e-6)    # F: up to 1 uF
RESISTANCE = positive(1e12)         # ohm: up to 1 TOhm (0 would divide by zero)
CURRENT = non_negative(1.0)         # A
POWER = non_negative(1e3)           # W of one instance
ENERGY_PJ = non_negative(1e12)      # pJ per action: up to 1 J
AREA_UM2 = non_negative(1e12)       # um^2 of one instance: up to 1 m^2
AREA_F2 = non_negative(1e9)         # areas in squared feature sizes
FEATURES = non_negative(1e4)        # transistor widths in feature sizes
DEVICE_VOLTAGE = non_negative(10.0)  # V across a memory device (read / set), not a supply
RATE = positive(1e12)               # samples/s
ENERGY_PER_BIT = non_negative(1e6)  # pJ/bit
EXPONENT = non_negative(4.0)        # energy ~ V^exponent
DENSITY = Range(None, 1.0)          # F/m^2; <= 0 selects a built-in default

# Supply bands relative to the node's nominal supply. Below ~0.25 V_nom a
# CMOS gate no longer switches; above 2 V_nom its oxide breaks down, so no
# scaling rule applies. Between the soft and hard bands the (V/V_ref)^exp
# scaling is an extrapolation (near-threshold or overdrive): a warning.
SUPPLY_HARD = (0.25, 2.0)
SUPPLY_SOFT = (0.5, 1.5)


@dataclass(frozen=True)
class SupplyRange:
    """A voltage bounded relative to the nominal supply of the model's node.

    ``role="supply"``: a logic or array supply, valid within
    [0.25, 2] x V_nom, extrapolated (warning) outside [0.5, 1.5] x V_nom.
    ``role="swing"``: a level a line, ladder or capacitor is driven to,
    valid within [0, 2] x V_nom, extrapolated above 1.5 x V_nom.
    V_nom comes from the ``technology`` attribute (the widest nominal,
    180 nm, when the model has none).
    """

    nominal: Callable[[float | None], float]
    role: str = "supply"

    def _bands(self, attrs: Mapping[str, Any] | None) -> tuple[float, tuple, tuple]:
        v_nom = self.nominal((attrs or {}).get("technology"))
        low_hard = SUPPLY_HARD[0] if self.role == "supply" else 0.0
        low_soft = SUPPLY_SOFT[0] if self.role == "supply" else 0.0
        return v_nom, (low_hard * v_nom, SUPPLY_HARD[1] * v_nom), \
            (low_soft * v_nom, SUPPLY_SOFT[1] * v_nom)

    def check(self, value: float, attrs: Mapping[str, Any] | None = None,
              unit: str = "V") -> str | None:
        v_nom, (low, high), _ = self._bands(attrs)
        bad = value < low or value > high or (self.role == "supply" and value <= 0)
        if not bad:
            return None
        return (f"must be within {low:.3g}-{high:.3g} V ({self.describe()} of the "
                f"{v_nom:g} V nominal supply at {_node_text(attrs)})")

    def warning(self, value: float, attrs: Mapping[str, Any] | None = None) -> str | None:
        v_nom, _, (low, high) = self._bands(attrs)
        if low <= value <= high:
            return None
        return (f"{value:g} V is outside {low:.3g}-{high:.3g} V "
                f"({SUPPLY_SOFT[0] if self.role == 'supply' else 0:g}-{SUPPLY_SOFT[1]:g} x "
                f"the {v_nom:g} V nominal at {_node_text(attrs)}): energy extrapolated")

    def describe(self) -> str:
        low = SUPPLY_HARD[0] if self.role == "supply" else 0
        return f"{low:g}-{SUPPLY_HARD[1]:g} x V_nom(technology)"


def number_text(value: float) -> str:
    """``value`` short: integers below 1e7 exactly, others with 6 digits."""
    try:
        number = float(value)
    except OverflowError:           # an integer beyond the float range
        return _huge_integer_text(value)
    if number.is_integer() and abs(value) < 1e7:
        return str(int(value))
    return f"{number:.6g}"


def _huge_integer_text(value: int) -> str:
    exponent = math.floor(math.log10(abs(value)))
    return f"{value / 10 ** exponent:.6g}e+{exponent}"


def _node_text(attrs: Mapping[str, Any] | None) -> str:
    node = (attrs or {}).get("technology")
    return f"{node:g} nm" if isinstance(node, (int, float)) else "an unspecified node"


def check_number(value: Any, kind: type = float) -> float | int:
    """``value`` as a finite ``kind`` (float or int), or :class:`RangeError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RangeError(f"must be a number, got {_shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise RangeError(f"must be a finite number, got {value!r}")
    if kind is int:
        if value != int(value):
            raise RangeError(f"must be an integer, got {value!r}")
        return int(value)
    try:
        return float(value)
    except OverflowError:
        raise RangeError(f"must be within the range of a float (about ±1.8e+308), got "
                         f"{number_text(value)}") from None


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, (str, bool)) or value is None \
        else f"{type(value).__name__} {value!r}"


@dataclass(frozen=True)
class VariableRule:
    """A spec variable the mapper or the encoding reads: type and range."""

    kind: type
    bounds: Range
    doc: str


_BITS = VariableRule(int, at_least(1, MAX_OPERAND_BITS), "operand bits")
_SLICE = VariableRule(int, at_least(1, MAX_OPERAND_BITS), "bits per slice")
_SLICES = VariableRule(int, at_least(1, MAX_SLICES), "slices per operand")
_ARRAY = VariableRule(int, at_least(1, MAX_LINE_CELLS), "array rows or columns")
_PARTS = VariableRule(int, at_least(1, 2), "parts of a signed operand (1, or 2: positive and negative)")

#: Variables consumed outside the component models (the encoding convention
#: of :mod:`cimdse.mapping.actions`, the slice dims of the mapper and the
#: array size the system blocks in ``configs/systems`` read).
CONSUMED_VARIABLES: dict[str, VariableRule] = {
    "INPUT_BITS": _BITS, "WEIGHT_BITS": _BITS, "OUTPUT_BITS": _BITS,
    "INPUT_BITS_PER_SLICE": _SLICE, "DAC_BITS": _SLICE,
    "WEIGHT_BITS_PER_SLICE": _SLICE, "BITS_PER_CELL": _SLICE,
    "N_INPUT_SLICES": _SLICES, "N_WEIGHT_SLICES": _SLICES,
    "ARRAY_ROWS": _ARRAY, "ARRAY_COLS": _ARRAY,
    "SIGNED_INPUT_PARTS": _PARTS, "SIGNED_WEIGHT_PARTS": _PARTS,
}


#: Node attributes the mapper reads itself (capacities, bandwidths, the cycle
#: time; :data:`cimdse.spec.model.MAPPER_ATTRIBUTES`), checked on every
#: component whatever its model declares; zero capacity is allowed (the
#: mapper then reports that nothing fits).
MAPPER_ATTRIBUTE_BOUNDS: dict[str, Range] = {
    "size": non_negative(float(MAX_DEPTH_WORDS * MAX_WIDTH_BITS)),
    "depth": non_negative(float(MAX_DEPTH_WORDS)),
    "width": non_negative(float(MAX_WIDTH_BITS)),
    "datawidth": non_negative(float(MAX_WIDTH_BITS)),
    "read_bandwidth": positive(float(MAX_INSTANCES)),
    "write_bandwidth": positive(float(MAX_INSTANCES)),
    "cycle_seconds": SECONDS,
}


def check_mapper_attribute(name: str, value: Any) -> float:
    """``value`` of mapper attribute ``name`` as a float; :class:`RangeError` if bad."""
    number = check_number(value)
    problem = MAPPER_ATTRIBUTE_BOUNDS[name].check(number)
    if problem:
        raise RangeError(f"{problem}, got {number_text(number)}")
    return number


def check_variable(name: str, value: Any) -> Any:
    """``value`` of a consumed variable, converted; :class:`RangeError` if bad.

    Unlisted variables and None (the mapper's default) pass unchanged.
    """
    rule = CONSUMED_VARIABLES.get(name)
    if rule is None or value is None:
        return value
    number = check_number(value, rule.kind)
    problem = rule.bounds.check(number)
    if problem:
        raise RangeError(f"({rule.doc}) {problem}, got {number_text(number)}")
    return number


__all__ = ["CONSUMED_VARIABLES", "COUNT", "CONVERTER_BITS", "FRACTION", "MAPPER_ATTRIBUTE_BOUNDS",
           "MAX_CONVERTER_BITS", "MAX_DEPTH_WORDS", "MAX_FACTOR", "MAX_INSTANCES",
           "MAX_LINE_CELLS", "MAX_MESH", "MAX_OPERAND_BITS", "MAX_SCALE", "MAX_SLICES",
           "MAX_WIDTH_BITS", "POSITIVE_SCALE", "Range", "RangeError", "SCALE", "SupplyRange",
           "VariableRule", "WIDTH_BITS", "at_least", "check_mapper_attribute", "check_number",
           "check_variable", "non_negative", "number_text", "positive"]
