"""Array components: memory cells (SRAM, RRAM), row and column drivers, and
NVSim-style cell files.

Statistics (see ``_common``): ``stats["Inputs"]`` gives the input slice
codes (x-bar = ``mean_slice_value``), ``stats["Weights"]`` the weight slice
(cell) codes (c-bar). Missing -> uniform codes (x-bar = c-bar = 1/2).

Cell files (the CiMLoop artifact (mit-emze/cimloop))
-------------------------------------
NVSim / NVMExplorer text files with one ``-Key (unit): value`` per line
(``#`` starts a comment, the ``(unit)`` part is optional). A model's
``cell_file`` attribute is an absolute path, or the name of a file shipped
in ``cimdse/components/data/`` (``rram_example.cell``, ``sram_example.cell``);
in a spec, a relative path is first looked up next to the file that names
it (:mod:`cimdse.spec.files`), never in the working directory. A cell file
is read as untrusted text (:mod:`cimdse.textfile`: a regular UTF-8 file
within the size cap) and a malformed one is reported by line number only,
without echoing what the file contains.
Attributes left at ``None`` take the file's value, then a built-in default;
an attribute given explicitly always wins.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..bounds import (AREA_F2, COUNT, CURRENT, DEVICE_VOLTAGE, FEATURES, FRACTION,
                      MAX_CONVERTER_BITS, RESISTANCE, SCALE, Range, non_negative, positive)
from ..encoding import stats_of
from ..textfile import TextFileError, read_text
from ._common import COMMON, SWING, TECHNOLOGY, VOLTAGE, BuiltinModel
from .base import Attribute, ComponentAttributeError
from .registry import register
from .scaling import feature_area_um2

log = logging.getLogger(__name__)

_LINE = re.compile(r"^\s*-(?P<key>[A-Za-z0-9_]+)\s*(\((?P<unit>[^)]*)\))?\s*:\s*(?P<value>.*?)\s*$")

#: unit -> factor to SI (s, V, ohm, F, A, J, W); F^2 and F (feature sizes) stay.
_TO_SI = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "ps": 1e-12, "s": 1.0, "mv": 1e-3, "v": 1.0,
          "ohm": 1.0, "kohm": 1e3, "mohm": 1e6, "ff": 1e-15, "pf": 1e-12, "ua": 1e-6,
          "na": 1e-9, "a": 1.0, "pj": 1e-12, "j": 1.0, "uw": 1e-6, "w": 1.0}


@dataclass(frozen=True)
class CellFile:
    """Parsed cell file: ``values[key]`` (numbers as float), ``units[key]``."""

    path: str
    values: dict[str, Any]
    units: dict[str, str]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def si(self, key: str, default: float | None = None) -> float | None:
        """Numeric value of ``key`` converted to SI from its unit (ns -> s, mV -> V ...)."""
        if key not in self.values:
            return default
        value = self.values[key]
        if not isinstance(value, float):
            raise ComponentAttributeError(f"cell file {self.path}: -{key} is not a number",
                                          field="cell_file")
        unit = self.units.get(key, "").strip().lower()
        return value * _TO_SI.get(unit, 1.0)


def parse_cell_text(text: str, path: str = "<text>") -> CellFile:
    """Parse cell-file text; a malformed line is named by number, not quoted
    (the file may be anything a spec pointed at)."""
    values: dict[str, Any] = {}
    units: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _LINE.match(line)
        if not match:
            raise ComponentAttributeError(f"cell file {path}: line {number} is not a cell "
                                          "parameter; expected '-Key (unit): value'",
                                          field="cell_file")
        key, value = match["key"], match["value"]
        try:
            values[key] = float(value)
        except ValueError:
            values[key] = value
        if match["unit"]:
            units[key] = match["unit"]
    return CellFile(path, values, units)


def data_path(name: str) -> Path:
    """Path of a file shipped in ``cimdse/components/data``."""
    return Path(str(resources.files("cimdse.components").joinpath("data", name)))


def shipped_cell_files() -> list[str]:
    return sorted(p.name for p in data_path("").iterdir() if p.suffix == ".cell")


@lru_cache(maxsize=64)
def load_cell_file(name: str) -> CellFile:
    """Parse a cell file given by absolute path or by the name of a shipped file."""
    if Path(name).is_absolute():
        return _read_cell_file(Path(name))
    for path in (data_path(name), data_path(f"{name}.cell")):
        if path.is_file():
            return _read_cell_file(path)
    raise ComponentAttributeError(
        f"cell file {name!r} not found (a relative name is looked for next to the spec "
        f"that names it, then among the shipped cell files: "
        f"{', '.join(shipped_cell_files())})", field="cell_file")


def _read_cell_file(path: Path) -> CellFile:
    log.debug("cell file %s", path)
    try:
        text = read_text(path)
    except TextFileError as err:
        where = "" if err.line is None else f" (line {err.line})"
        raise ComponentAttributeError(f"cell file {path}: {err.message}{where}",
                                      field="cell_file") from None
    return parse_cell_text(text, str(path))


# Physical constants of the surrogate models (first-order, node-independent):
C_WIRE_PER_M = 2e-10          # F/m: 0.2 fF/um interconnect (CiMLoop's Wire class)
C_GATE_PER_M = 1e-9           # F/m: ~1 fF per um of transistor width (gate or drain)
# F of layout length per unit of transistor width: a gate plus a shared
# contact on each side at ~2.5-3 F poly pitch (our first-order estimate).
_LAYOUT_PITCH_F = 8.0


class _CellGeometry(BuiltinModel):
    """Cell-file plumbing and geometry shared by cells and drivers."""

    def cell(self) -> CellFile | None:
        name = self.attrs.get("cell_file", "")
        return load_cell_file(name) if name else None

    def pick(self, attr: str, key: str, default: float, si: bool = True) -> float:
        """Explicit attribute > cell file -key > default."""
        value = self.attrs.get(attr)
        if value is not None:
            return float(value)
        cell = self.cell()
        if cell is not None and key in cell.values:
            return float(cell.si(key) if si else cell.get(key))
        return float(default)

    @property
    def feature_m(self) -> float:
        return self.attrs["technology"] * 1e-9

    def cell_area_f2(self) -> float:
        return self.pick("cell_area", "CellArea", 40.0, si=False)

    def cell_width_m(self) -> float:
        ar = self.pick("cell_aspect_ratio", "CellAspectRatio", 1.0, si=False)
        return math.sqrt(self.cell_area_f2() / ar) * self.feature_m

    def cell_height_m(self) -> float:
        ar = self.pick("cell_aspect_ratio", "CellAspectRatio", 1.0, si=False)
        return math.sqrt(self.cell_area_f2() * ar) * self.feature_m

    def access_width_m(self) -> float:
        cell = self.cell()
        if cell is not None and str(cell.get("AccessType", "CMOS")).lower() == "none" \
                and self.attrs.get("access_width") is None:
            return 0.0
        return self.pick("access_width", "AccessCMOSWidth", 4.0, si=False) * self.feature_m


_CELL_GEOMETRY = (
    Attribute("cell_file", "path", "NVSim-style cell file (path or shipped name); '' = none",
              "", str),
    Attribute("cell_area", "F^2", "cell area (None: cell file, else 40)", None,
              bounds=positive(AREA_F2.high)),
    Attribute("cell_aspect_ratio", "-", "cell height / width (None: cell file, else 1)", None,
              bounds=positive(1e3)),
    Attribute("access_width", "F", "access transistor width (None: cell file, else 4)", None,
              bounds=FEATURES),
)


#: Device variation of a cell that multiplies an input by its stored level,
#: read by the analog error model (cimdse.accuracy), not by the energy: the
#: level's analog weight (conductance, or a capacitive cell's charge) is off
#: by a relative Gaussian error, frozen when the cell is programmed and fresh
#: at every read. 0 where a macro states none.
DEVICE_VARIATION = (
    Attribute("programming_sigma", "-", "relative sigma of a programmed level's conductance "
              "(frozen per cell; analog error model only)", 0.0, bounds=FRACTION),
    Attribute("read_noise_sigma", "-", "relative sigma of the conductance at one read "
              "(fresh every read; analog error model only)", 0.0, bounds=FRACTION),
)


def _input_moments(stats) -> tuple[float, float, float]:
    """(x-bar, E[code], E[(code/full_scale)^2]) of the input slices (uniform 1-bit if absent)."""
    ins = stats_of(stats, "Inputs")
    if ins is None:
        return 0.5, 0.5, 0.5
    codes = range(len(ins.slice_pmf))
    second = sum(p * (c / ins.full_scale) ** 2 for c, p in zip(codes, ins.slice_pmf))
    return ins.mean_slice_value, ins.mean_slice_code, float(second)


def _cbar(stats) -> float:
    ws = stats_of(stats, "Weights")
    return 0.5 if ws is None else ws.mean_slice_value


@register
class RRAMCell(_CellGeometry):
    """Resistive cell (one cim_unit of ``width_cells`` x ``depth_cells`` cells).

    read (one cim_unit activation, ``width_cells`` cells conduct): paper
    Algorithm 1, E = G_avg V^2 t with
    G_avg = G_off + (G_on - G_off) c-bar (weight slice code -> linear
    conductance level) and, for the input,

    * ``input_mode="temporal"`` (pulse count / PWM): V = V_read for
      E[code] pulses of ``read_pulse_width``: E = G_avg V_read^2 t E[code];
    * ``input_mode="voltage"`` (voltage DAC): V = V_read code/full_scale for
      one pulse: E = G_avg V_read^2 t E[(code/fs)^2].

    write (program one cim_unit's cells): V_set^2 G_mean t_set, with
    G_mean = (1/R_on + 1/R_off) / 2 (CiMLoop's conversion of set
    parameters), x ``write_energy_multiplier``. Area = cell area (F^2) x F^2
    x cells. Leak 0 (non-volatile; access-device leakage neglected).
    """

    name = "rram_cell"
    consumes = "pair"           # one input slice code x one stored weight code
    source = ("E = G V^2 t, Andrulis et al. ISPASS 2024 Algorithm 1; cell parameters "
              "as NVSim/NeuroSim cell files (the CiMLoop artifact (mit-emze/cimloop))")
    attributes = _CELL_GEOMETRY + (
        Attribute("resistance_on", "ohm", "low-resistance state (None: cell file, else 250k)",
                  None, bounds=RESISTANCE),
        Attribute("resistance_off", "ohm", "high-resistance state (None: file, else 1M)", None,
                  bounds=RESISTANCE),
        Attribute("read_voltage", "V", "read voltage (None: cell file, else 0.1)", None,
                  bounds=DEVICE_VOLTAGE),
        Attribute("read_pulse_width", "s", "duration of one read pulse", 1e-9,
                  bounds=non_negative(1.0)),
        Attribute("set_voltage", "V", "programming voltage (None: cell file, else 2)", None,
                  bounds=DEVICE_VOLTAGE),
        Attribute("set_pulse", "s", "programming pulse (None: cell file, else 50 ns)", None,
                  bounds=non_negative(1.0)),
        Attribute("write_energy_multiplier", "-", "calibration of the write energy", 1.0,
                  bounds=SCALE),
        Attribute("input_mode", "-", "'temporal' (pulses) or 'voltage' (voltage DAC)",
                  "temporal", str),
        Attribute("width_cells", "-", "cells of one operand on a row, read together", 1, int,
                  bounds=COUNT),
        Attribute("depth_cells", "-", "cells sharing the row, used in other steps", 1, int,
                  bounds=COUNT),
        *DEVICE_VARIATION,
        TECHNOLOGY,
        *COMMON,
    )
    example = {"cell_file": "rram_example.cell"}

    def __init__(self, attributes):
        super().__init__(attributes)
        if self.attrs["input_mode"] not in ("temporal", "voltage"):
            raise ComponentAttributeError(
                f"rram_cell input_mode must be 'temporal' or 'voltage', got "
                f"{self.attrs['input_mode']!r}", field="input_mode")
        self.cell()  # fail early on a missing cell file

    def conductances(self) -> tuple[float, float]:
        r_on = self.pick("resistance_on", "ResistanceOn", 250e3)
        r_off = self.pick("resistance_off", "ResistanceOff", 1e6)
        return 1.0 / r_on, 1.0 / r_off

    def read_energy_pj(self, stats) -> float:
        g_on, g_off = self.conductances()
        g_avg = g_off + (g_on - g_off) * _cbar(stats)
        v = self.pick("read_voltage", "ReadVoltage", 0.1)
        t = self.attrs["read_pulse_width"]
        _, mean_code, mean_sq = _input_moments(stats)
        drive = mean_code if self.attrs["input_mode"] == "temporal" else mean_sq
        return g_avg * v * v * t * drive * self.attrs["width_cells"] * 1e12

    def _energy(self, action, stats):
        if action == "read":
            return self.read_energy_pj(stats)
        if action == "write":
            g_on, g_off = self.conductances()
            v = self.pick("set_voltage", "SetVoltage", 2.0)
            t = self.pick("set_pulse", "SetPulse", 50e-9)
            return (v * v * (g_on + g_off) / 2 * t * self.attrs["write_energy_multiplier"]
                    * self.attrs["width_cells"] * 1e12)
        return 0.0

    def _area(self):
        cells = self.attrs["width_cells"] * self.attrs["depth_cells"]
        return feature_area_um2(self.cell_area_f2(), self.attrs["technology"]) * cells


@register
class SRAMCell(_CellGeometry):
    """SRAM CiM cell (one cim_unit of ``width_cells`` x ``depth_cells`` cells).

    NeuroSim-style interpolation (the CiMLoop artifact (mit-emze/cimloop)):
    E_read = (E_lo + (E_hi - E_lo) c-bar) x' width_cells, x' = E[input code]
    (x-bar (2^tdb - 1) for temporal inputs) with ``input_mode="temporal"``, or
    x' = x-bar with ``input_mode="level"`` (an analog-level input activates
    the cell once, CiMLoop's x-bar (2^tdb - 1) with tdb = 1). Our surrogate for NeuroSim's
    per-cell numbers: E_hi = C_cell V^2 (a cell storing 1 discharges its
    local line fully), E_lo = ``lo_fraction`` E_hi;
    C_cell = C_nom x CellCapacitanceMultiplier + CellCapacitanceAdjust,
    C_nom = 1 fF/um x access (NMOS) width + 0.2 fF/um x cell height.
    write = 2 C_cell V^2 x CellWriteEnergyMultiplier (BL and BLB swing).
    leak = ``leakage_current`` V_nom x CellReadLeakEnergyMultiplier per cell at
    the nominal supply, moved to ``voltage`` by the DIBL leakage law
    (:func:`cimdse.components.scaling.leakage_power_factor`).
    """

    name = "sram_cell"
    consumes = "pair"           # one input slice code x one stored weight code
    source = ("NeuroSim-style E_lo/E_hi interpolation (Chen, Peng, Yu, IEEE TCAD 2018; "
              "the CiMLoop artifact (mit-emze/cimloop)) with a closed-form C V^2 surrogate (ours)")
    attributes = _CELL_GEOMETRY + (
        Attribute("capacitance_multiplier", "-", "None: cell file, else 1", None, bounds=SCALE),
        # may be negative: the cell's total capacitance is clamped at 0
        Attribute("capacitance_adjust", "F", "None: cell file, else 0", None,
                  bounds=Range(-1e-6, 1e-6)),
        Attribute("read_leak_multiplier", "-", "None: cell file, else 1", None, bounds=SCALE),
        Attribute("write_energy_multiplier", "-", "None: cell file, else 1", None,
                  bounds=SCALE),
        Attribute("nmos_width", "F", "access/pull-down NMOS width (None: file, else 10)", None,
                  bounds=FEATURES),
        Attribute("lo_fraction", "-", "E_lo / E_hi (cells storing 0)", 0.1, bounds=FRACTION),
        Attribute("leakage_current", "A", "leakage of one 6T cell at the supply", 1e-11,
                  bounds=CURRENT),
        Attribute("width_cells", "-", "cells of one operand on a row, read together", 1, int,
                  bounds=COUNT),
        Attribute("depth_cells", "-", "cells sharing the row, used in other steps", 1, int,
                  bounds=COUNT),
        Attribute("input_mode", "-", "'temporal' (E[code] pulses) or 'level' (one activation "
                  "weighted by x-bar: analog-level inputs)", "temporal", str),
        *DEVICE_VARIATION,
        VOLTAGE, TECHNOLOGY,
        *COMMON,
    )
    example = {"cell_file": "sram_example.cell"}

    def __init__(self, attributes):
        super().__init__(attributes)
        if self.attrs["input_mode"] not in ("temporal", "level"):
            raise ComponentAttributeError(
                f"sram_cell input_mode must be 'temporal' or 'level', got "
                f"{self.attrs['input_mode']!r}", field="input_mode")
        self.cell()

    def cell_capacitance(self) -> float:
        width = self.pick("nmos_width", "SRAMCellNMOSWidth", 10.0, si=False) * self.feature_m
        nominal = C_GATE_PER_M * width + C_WIRE_PER_M * self.cell_height_m()
        mult = self.pick("capacitance_multiplier", "CellCapacitanceMultiplier", 1.0, si=False)
        adjust = self.pick("capacitance_adjust", "CellCapacitanceAdjust", 0.0)
        return max(nominal * mult + adjust, 0.0)

    def _energy(self, action, stats):
        e_hi = self.cell_capacitance() * self.attrs["voltage"] ** 2 * 1e12
        width = self.attrs["width_cells"]
        if action == "read":
            e_lo = self.attrs["lo_fraction"] * e_hi
            xbar, mean_code, _ = _input_moments(stats)
            drive = mean_code if self.attrs["input_mode"] == "temporal" else xbar
            return (e_lo + (e_hi - e_lo) * _cbar(stats)) * drive * width
        if action == "write":
            mult = self.pick("write_energy_multiplier", "CellWriteEnergyMultiplier", 1.0,
                             si=False)
            return 2 * e_hi * mult * width
        return 0.0

    def _leak_w(self):
        mult = self.pick("read_leak_multiplier", "CellReadLeakEnergyMultiplier", 1.0, si=False)
        cells = self.attrs["width_cells"] * self.attrs["depth_cells"]
        # leakage_current is at the nominal supply; DIBL law off it
        return (self.attrs["leakage_current"] * self.nominal_v() * self.leak_factor()
                * mult * cells)

    def _area(self):
        cells = self.attrs["width_cells"] * self.attrs["depth_cells"]
        return feature_area_um2(self.cell_area_f2(), self.attrs["technology"]) * cells


_DRIVER = _CELL_GEOMETRY + (
    Attribute("temporal_dac_bits", "bits", "bits of a temporal (PWM / pulse-count) input DAC",
              0, int, bounds=non_negative(MAX_CONVERTER_BITS)),
    Attribute("temporal_spiking", "-", "pulse-count input: x' = x-bar (2^tdb - 1) pulses",
              False, bool),
    Attribute("voltage_dac_bits", "bits", "bits of a voltage DAC (2^(b-1) - 1 extra rails)",
              1, int, bounds=non_negative(MAX_CONVERTER_BITS)),
    Attribute("conductance_load_factor", "-", "E_on,hi / E_on,lo - 1 (load of high cells)", 0.1,
              bounds=SCALE),
    Attribute("off_fraction", "-", "E_off / E_on (row not pulsed in an activation)", 0.05,
              bounds=FRACTION),
    Attribute("driver_area", "F^2", "fixed area of one driver (one rail): decode, level "
              "shift; the buffer sized to the line is added", 600.0, bounds=AREA_F2),
    # a buffer stage must gain (> 1); the chain's size grows as effort / (effort - 1)
    Attribute("stage_effort", "-", "fan-out per buffer stage the driver is sized for", 4.0,
              bounds=Range(1.0, 100.0, low_open=True)),
    Attribute("leakage_current", "A", "leakage of one driver", 1e-9, bounds=CURRENT),
    Attribute("write_voltage", "V", "voltage when programming (None: cell SetVoltage, else V)",
              None, bounds=DEVICE_VOLTAGE),
    VOLTAGE.within(SWING), TECHNOLOGY,
    *COMMON,
)


class _Driver(_CellGeometry):
    """NeuroSim-style driver: E_on(c) = E_on,lo + (E_on,hi - E_on,lo) c,
    E_off(c) likewise, E_read = E_off + (E_on - E_off) x'.

    Surrogate (ours): E_on,lo = (1 + k_drv) C_line V^2 with the line
    capacitance C_line = n_cells (0.2 fF/um x cell pitch + 1 fF/um x access
    width) and k_drv = 0.25 for a tapered buffer chain; E_on,hi = (1 +
    ``conductance_load_factor``) E_on,lo; E_off = ``off_fraction`` E_on.
    """

    def _n_cells(self) -> int:
        raise NotImplementedError

    def _pitch_m(self) -> float:
        raise NotImplementedError

    def line_capacitance(self) -> float:
        per_cell = C_WIRE_PER_M * self._pitch_m() + C_GATE_PER_M * self.access_width_m()
        return self._n_cells() * per_cell

    def e_on(self, cbar: float, voltage: float) -> float:
        lo = 1.25 * self.line_capacitance() * voltage ** 2 * 1e12
        return lo * (1 + self.attrs["conductance_load_factor"] * cbar)

    def _rails(self) -> int:
        return 1 + max(2 ** (self.attrs["voltage_dac_bits"] - 1) - 1, 0)

    def buffer_area_f2(self) -> float:
        """Area (F^2) of the tapered buffer chain driving the line.

        The last stage is sized to drive C_line at ``stage_effort`` (its
        gate is C_line / effort); a chain tapered by the same effort adds
        1 / (effort - 1) of it, and a PMOS twice the NMOS width triples the
        total. Each um of width occupies ``_LAYOUT_PITCH_F`` F of length
        (gate plus shared contacts). So a driver grows with the length of
        the line it drives, as NeuroSim's sized drivers do.
        """
        effort = self.attrs["stage_effort"]
        last_m = self.line_capacitance() / (effort * C_GATE_PER_M)
        total_m = 3.0 * last_m * effort / (effort - 1.0)
        return total_m / self.feature_m * _LAYOUT_PITCH_F

    def _area(self):
        per_rail = self.attrs["driver_area"] + self.buffer_area_f2()
        return feature_area_um2(per_rail, self.attrs["technology"]) * self._rails()

    def _leak_w(self):
        return (self.attrs["leakage_current"] * self.nominal_v() * self.leak_factor()
                * self._rails())

    def _write_voltage(self) -> float:
        return self.pick("write_voltage", "SetVoltage", self.attrs["voltage"])


@register
class RowDriver(_Driver):
    """Row (wordline) driver of a row of ``cols`` cells.

    read: E_off(c) + (E_on(c) - E_off(c)) x' with x' = x-bar (2^tdb - 1)
    if ``temporal_spiking`` else x-bar (PWM / voltage input);
    write (a weight passing through = programming the row, CiMLoop's
    weight_row_drivers): E_on(c) at the write voltage. Area/leak include
    2^(voltage_dac_bits-1) - 1 extra drivers (one per voltage rail).
    """

    name = "row_driver"
    source = ("NeuroSim V1.3 E_on/E_off interpolation in x-bar and c-bar (the CiMLoop artifact (mit-emze/cimloop) "
              "; Peng et al., IEDM 2019) with a closed-form C V^2 surrogate (ours)")
    attributes = (Attribute("cols", "-", "cells on the driven row", 128, int, bounds=COUNT),
                  ) + _DRIVER
    example = {"cols": 128}

    def _n_cells(self):
        return self.attrs["cols"]

    def _pitch_m(self):
        return self.cell_width_m()

    def _energy(self, action, stats):
        cbar = _cbar(stats)
        if action == "read":
            xbar, _, _ = _input_moments(stats)
            tdb = self.attrs["temporal_dac_bits"]
            x = xbar * (2 ** tdb - 1) if self.attrs["temporal_spiking"] and tdb > 0 else xbar
            on = self.e_on(cbar, self.attrs["voltage"])
            off = self.attrs["off_fraction"] * on
            return off + (on - off) * x
        if action == "write":
            return self.e_on(cbar, self._write_voltage())
        return 0.0


@register
class ColumnDriver(_Driver):
    """Column (bitline) driver / precharge of a column of ``rows`` cells.

    read: E_on(c-bar) (columns are always active, x-bar := 1);
    write: E_on(c-bar) at the write voltage.
    """

    name = "column_driver"
    source = RowDriver.source
    attributes = (Attribute("rows", "-", "cells on the driven column", 128, int, bounds=COUNT),
                  ) + _DRIVER
    example = {"rows": 128}

    def _n_cells(self):
        return self.attrs["rows"]

    def _pitch_m(self):
        return self.cell_height_m()

    def line_capacitance(self) -> float:
        # bitline: wire over the cell height + the access device's drain (~half its gate)
        per_cell = C_WIRE_PER_M * self._pitch_m() + 0.5 * C_GATE_PER_M * self.access_width_m()
        return self._n_cells() * per_cell

    def _energy(self, action, stats):
        cbar = _cbar(stats)
        if action == "read":
            return self.e_on(cbar, self.attrs["voltage"])
        if action == "write":
            return self.e_on(cbar, self._write_voltage())
        return 0.0
