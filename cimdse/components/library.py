"""Table-driven library of published reference components (class ``table``).

A library is a CSV file (``#`` comment lines allowed) with columns
``class, attributes, action, energy_pj, area_um2, source``:

* ``class``: the entry name a spec selects with the ``entry`` attribute;
* ``attributes``: ``key=value;...`` -- the point the numbers were measured
  at (``technology`` nm, ``voltage`` V, ``width`` bits, ``depth`` words,
  ``resolution`` bits, ``n_steps``, ``cycle_seconds`` s);
* ``action``: ``read|write|update|compute|leak`` (``|`` = the row applies to
  several); ``leak`` rows give pJ per cycle of the row's ``cycle_seconds``
  (1 ns if absent);
* ``energy_pj``, ``area_um2``: per action / per instance.

The shipped library (``cimdse/components/data/library.csv``) holds the
entries CiMLoop uses (jia_*, wan_*, isaac_*, timely_psubBuf,
raella_quant_multiplier, aladdin_*, dummy_storage). ``library`` points to
another CSV; entries of a user library shadow shipped ones of the same name.

Scaling from the row's attributes to the model's (CiMLoop library plug-in
rules, the CiMLoop artifact (mit-emze/cimloop)); an attribute left at ``None`` on the
model is not scaled:

==================  =====================================  ===================  ==========
attribute           energy                                 area                 leak power
==================  =====================================  ===================  ==========
technology          Stillmaker-Baas node factor            node area factor     as energy
voltage             (V1/V0)^voltage_energy_exponent        --                   --
width               linear                                 linear               linear
depth               (D1/D0)^0.78 (CACTI-like)              linear               as energy
resolution          2^(R1-R0)                              2^(R1-R0)            as energy
n_steps             linear                                 --                   --
cycle_seconds       --                                     --                   per-cycle leak
                                                                                energy linear
==================  =====================================  ===================  ==========
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..bounds import (CONVERTER_BITS, MAX_DEPTH_WORDS, MAX_SCALE, SECONDS, WIDTH_BITS, Range,
                      at_least, positive)
from ._common import BuiltinModel, ENERGY_SCALE, AREA_SCALE, SUPPLY, V_EXP
from .scaling import MAX_NODE_NM, MIN_NODE_NM
from .array import data_path
from .base import ACTIONS, Attribute, ComponentAttributeError, suggest
from .registry import register
from .scaling import tech_area_factor, tech_energy_factor

log = logging.getLogger(__name__)

SCALED = ("technology", "voltage", "width", "depth", "resolution", "n_steps", "cycle_seconds")
DEFAULT_LIBRARY = "library.csv"


@dataclass(frozen=True)
class LibraryRow:
    entry: str
    attributes: dict
    actions: tuple[str, ...]
    energy_pj: float
    area_um2: float
    source: str


def parse_library(text: str, path: str = "<text>") -> dict[str, list[LibraryRow]]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    out: dict[str, list[LibraryRow]] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), 2):
        try:
            attrs = {}
            for pair in filter(None, (row.get("attributes") or "").split(";")):
                key, _, value = pair.partition("=")
                attrs[key.strip()] = float(value)
            actions = tuple(a.strip() for a in row["action"].split("|"))
            bad = [a for a in actions if a not in ACTIONS]
            if bad:
                raise ValueError(f"unknown action(s) {bad}; use {', '.join(ACTIONS)}")
            rec = LibraryRow(row["class"].strip(), attrs, actions, float(row["energy_pj"]),
                             float(row["area_um2"]), (row.get("source") or "").strip())
        except (KeyError, ValueError, TypeError, AttributeError) as err:
            raise ValueError(f"{path}: data row {number - 1}: {err}") from None
        out.setdefault(rec.entry, []).append(rec)
    return out


@lru_cache(maxsize=16)
def load_library(path: str = "") -> dict[str, list[LibraryRow]]:
    """Shipped library, overlaid by the CSV at ``path`` if given."""
    shipped = data_path(DEFAULT_LIBRARY)
    table = parse_library(shipped.read_text(), str(shipped))
    if path:
        user = Path(path)
        if not user.is_file():
            raise ComponentAttributeError(f"component library {path!r} not found",
                                          field="library")
        table.update(parse_library(user.read_text(), str(user)))
    return table


def list_entries(path: str = "") -> list[str]:
    return sorted(load_library(path))


@register
class TableComponent(BuiltinModel):
    """A published reference component, scaled to this design's attributes.

    ``entry`` picks the library class. Actions missing from the table cost 0.
    """

    name = "table"
    source = ("published component numbers (see each row's source column) with CiMLoop's "
              "library plug-in scaling rules (the CiMLoop artifact (mit-emze/cimloop))")
    attributes = (
        Attribute("entry", "-", "library class name (e.g. 'jia_datapath')", kind=str),
        Attribute("library", "path", "extra CSV library ('' = shipped only)", "", str),
        Attribute("technology", "nm", "node (None: the entry's)", None,
                  bounds=Range(MIN_NODE_NM, MAX_NODE_NM)),
        Attribute("voltage", "V", "supply (None: the entry's)", None, bounds=SUPPLY),
        Attribute("width", "bits", "datapath width (None: the entry's)", None,
                  bounds=WIDTH_BITS),
        Attribute("depth", "words", "storage depth (None: the entry's)", None,
                  bounds=at_least(1, MAX_DEPTH_WORDS)),
        Attribute("resolution", "bits", "resolution (None: the entry's)", None,
                  bounds=CONVERTER_BITS),
        Attribute("n_steps", "-", "steps per action (None: the entry's)", None,
                  bounds=positive(MAX_SCALE)),
        Attribute("cycle_seconds", "s", "clock period (None: the entry's, else 1 ns)", None,
                  bounds=SECONDS),
        V_EXP, ENERGY_SCALE, AREA_SCALE,
    )
    example = {"entry": "jia_datapath"}

    def __init__(self, attributes):
        super().__init__(attributes)
        table = load_library(self.attrs["library"])
        if self.attrs["entry"] not in table:
            raise ComponentAttributeError(
                f"no library entry {self.attrs['entry']!r}{suggest(self.attrs['entry'], list(table))}; "
                f"entries: {', '.join(sorted(table))}", field="entry")
        self.rows = table[self.attrs["entry"]]

    def _row(self, action: str) -> LibraryRow | None:
        for row in self.rows:
            if action in row.actions:
                return row
        return None

    def _ratio(self, row: LibraryRow, key: str) -> float | None:
        """target / reference for ``key``, or None if not scaled."""
        target = self.attrs.get(key)
        ref = row.attributes.get(key)
        if target is None or ref is None:
            if target is not None and ref is None and key not in ("cycle_seconds",):
                log.debug("table entry %s has no %s; not scaled", row.entry, key)
            return None
        return target / ref

    def _energy_factor(self, row: LibraryRow, leak: bool = False) -> float:
        f = 1.0
        if (t := self.attrs.get("technology")) is not None and "technology" in row.attributes:
            f *= tech_energy_factor(row.attributes["technology"], t)
        if not leak and (r := self._ratio(row, "voltage")) is not None:
            f *= r ** self.attrs["voltage_energy_exponent"]
        if (r := self._ratio(row, "width")) is not None:
            f *= r
        if (r := self._ratio(row, "depth")) is not None:
            f *= r ** (1.56 / 2)
        if (t := self.attrs.get("resolution")) is not None and "resolution" in row.attributes:
            f *= 2.0 ** (t - row.attributes["resolution"])
        if not leak and (r := self._ratio(row, "n_steps")) is not None:
            f *= r
        return f

    def cycle_seconds(self) -> float:
        given = self.attrs.get("cycle_seconds")
        if given is not None:
            return given
        row = self._row("leak")
        return row.attributes.get("cycle_seconds", 1e-9) if row else 1e-9

    def energy_pj(self, action, stats=None):
        if action == "leak":
            from ._common import check_action
            check_action(self.name, action)
            return self.leak_power_w() * self.cycle_seconds() * 1e12
        return super().energy_pj(action, stats)

    def _energy(self, action, stats):
        row = self._row(action)
        return 0.0 if row is None else row.energy_pj * self._energy_factor(row)

    def _leak_w(self):
        row = self._row("leak")
        if row is None:
            return 0.0
        period = row.attributes.get("cycle_seconds", 1e-9)
        return row.energy_pj * 1e-12 / period * self._energy_factor(row, leak=True)

    def _area(self):
        row = self.rows[0]
        f = 1.0
        if (t := self.attrs.get("technology")) is not None and "technology" in row.attributes:
            f *= tech_area_factor(row.attributes["technology"], t)
        for key in ("width", "depth"):
            if (r := self._ratio(row, key)) is not None:
                f *= r
        if (t := self.attrs.get("resolution")) is not None and "resolution" in row.attributes:
            f *= 2.0 ** (t - row.attributes["resolution"])
        return row.area_um2 * f
