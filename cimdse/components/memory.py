"""Storage: on-chip SRAM buffers (analytical) and off-chip DRAM (pJ/bit).

Data values are not used by these models (``stats`` is ignored).

``top_level`` (both models): the store is the outermost one of every tensor
it keeps, so its ``write`` actions are only the initial placement of a
tensor from the mapper's implicit backing store (the layer's weights already
in DRAM, its inputs already in an on-chip buffer as the previous layer's
outputs). Timeloop/CiMLoop count no fills at the top level, so these writes
cost 0; outputs still cost an ``update`` each.
"""

from __future__ import annotations

import math

from ..bounds import (ENERGY_PER_BIT, MAX_DEPTH_WORDS, MAX_WIDTH_BITS, WIDTH_BITS, Range,
                      at_least, non_negative)
from ._common import COMMON, SUPPLY, TECHNOLOGY, BuiltinModel
from .base import Attribute, ComponentAttributeError
from .registry import register

# Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm, 0.9 V): a 64-bit
# access costs ~10 pJ in an 8 KB SRAM, ~20 pJ in 32 KB, ~100 pJ in 1 MB.
_REF_PJ, _REF_WIDTH, _REF_DEPTH, _REF_NM, _REF_V = 10.0, 64, 1024, 45.0, 0.9
_DEPTH_EXPONENT = 0.5          # 8 KB -> 32 KB doubles energy (Horowitz); 1 MB within 13 %
_CELL_F2 = 146.0               # 6T cell, CACTI's SRAM cell area in F^2
_ARRAY_EFFICIENCY = 0.7        # cells / (cells + sense amps, decoders, drivers)
_TOP_LEVEL = Attribute("top_level", "-", "outermost store of its tensors: fills from the "
                       "backing store ('write') cost 0 (see module docstring)", False, bool)


@register
class SRAMBuffer(BuiltinModel):
    """SRAM buffer of ``width`` bits x ``depth`` words with ``ports`` ports.

    Access energy (one ``width``-bit read, write or update):
    E = 10 pJ (width/64) (depth/1024)^0.5 [fit to Horowitz ISSCC 2014's
    8 KB / 32 KB / 1 MB SRAM points at 45 nm, 0.9 V] x (1 + 0.25 (ports-1))
    [longer word/bitlines of multi-ported cells], moved to ``technology`` /
    ``voltage``; plus one ceil(log2 depth)-bit address increment (CiMLoop's
    smartbuffer address generator, an ``adder``).
    Area = width depth 146 F^2 (1 + 0.6 (ports-1)) / 0.7 array efficiency
    (CACTI-style cell area and periphery share; the port factor grows the cell
    by one wordline/bitline pitch per port). Leak = ``leakage_per_bit`` x bits.
    """

    name = "sram_buffer"
    source = ("energy fit to M. Horowitz, ISSCC 2014 (8 KB/32 KB/1 MB SRAM, 45 nm); area with "
              "CACTI's 146 F^2 6T cell and 70 % array efficiency; node scaling Stillmaker-Baas")
    attributes = (
        Attribute("width", "bits", "bits per access (word width)", 64, int, bounds=WIDTH_BITS),
        Attribute("depth", "words", "words stored", 1024, int,
                  bounds=at_least(1, MAX_DEPTH_WORDS)),
        Attribute("ports", "-", "read/write ports", 1, int, bounds=at_least(1, 64)),
        TECHNOLOGY,
        Attribute("voltage", "V", "supply voltage", _REF_V, bounds=SUPPLY),
        Attribute("leakage_per_bit", "W", "static power per stored bit", 5e-11,
                  bounds=non_negative(1e-3)),
        Attribute("address_generator", "-", "add one address increment per access", True, bool),
        _TOP_LEVEL,
        *COMMON,
    )
    example = {"width": 64, "depth": 1024}

    def access_energy_pj(self) -> float:
        a = self.attrs
        e = (_REF_PJ * (a["width"] / _REF_WIDTH) * (a["depth"] / _REF_DEPTH) ** _DEPTH_EXPONENT
             * (1 + 0.25 * (a["ports"] - 1)))
        e = self.scaled(e, _REF_NM, _REF_V)
        if a["address_generator"]:
            bits = max(1, math.ceil(math.log2(a["depth"]))) if a["depth"] > 1 else 1
            e += self.scaled(0.21 / 32 * bits, 40.0, _REF_V)   # Aladdin adder, per bit
        return e

    def _energy(self, action, stats):
        if action == "write" and self.attrs["top_level"]:
            return 0.0
        return self.access_energy_pj() if action in ("read", "write", "update") else 0.0

    def _area(self):
        a = self.attrs
        f_um = a["technology"] * 1e-3
        cell = _CELL_F2 * f_um ** 2 * (1 + 0.6 * (a["ports"] - 1))
        return a["width"] * a["depth"] * cell / _ARRAY_EFFICIENCY

    def _leak_w(self):
        return self.attrs["leakage_per_bit"] * self.attrs["width"] * self.attrs["depth"]


#: Energy per bit transferred (pJ/bit), access + I/O.
DRAM_PJ_PER_BIT: dict[str, float] = {
    # CiMLoop's CACTI plug-in DRAM table (the CiMLoop artifact (mit-emze/cimloop)).
    "LPDDR4": 8.0, "LPDDR": 40.0, "DDR3": 70.0, "GDDR5": 14.0, "HBM2": 3.9, "HMC": 4.2,
    # Derived (ours, see DRAM docstring): same-generation values x (V_new/V_old)^2.
    "DDR4": 70.0 * (1.2 / 1.5) ** 2,     # DDR3 at 1.5 V -> DDR4 at 1.2 V: 44.8
    "GDDR6": 14.0 * (1.35 / 1.5) ** 2,   # GDDR5 at 1.5 V -> GDDR6 at 1.35 V: 11.34
}


@register
class DRAM(BuiltinModel):
    """Off-chip DRAM: read/write/update = pJ/bit x ``width`` bits; area 0.

    LPDDR4 8, LPDDR 40, DDR3 70, GDDR5 14, HBM2 3.9, HMC 4.2 pJ/bit come from
    CiMLoop's table. DDR4 and GDDR6 are derived by scaling the previous
    generation with the interface-voltage ratio squared (DDR3 1.5 V -> DDR4
    1.2 V: 44.8; GDDR5 1.5 V -> GDDR6 1.35 V: 11.3), an I/O-dominated C V^2
    argument; ``pj_per_bit`` overrides the table.
    """

    name = "dram"
    source = ("CiMLoop / Accelergy CACTI plug-in DRAM pJ/bit table (the CiMLoop artifact (mit-emze/cimloop)); "
              "DDR4, GDDR6 derived by V^2 scaling (ours)")
    attributes = (
        Attribute("type", "-", f"one of {', '.join(DRAM_PJ_PER_BIT)}", "LPDDR4", str),
        Attribute("width", "bits", "bits per access", 64, int,
                  bounds=non_negative(MAX_WIDTH_BITS)),
        Attribute("pj_per_bit", "pJ/bit", "override of the type's energy per bit (< 0: table)",
                  -1.0, bounds=Range(None, ENERGY_PER_BIT.high)),
        _TOP_LEVEL,
        *COMMON,
    )
    example = {"type": "LPDDR4", "width": 64}

    def __init__(self, attributes):
        super().__init__(attributes)
        key = self.attrs["type"].upper()
        if key not in DRAM_PJ_PER_BIT and self.attrs["pj_per_bit"] < 0:
            from .base import suggest
            raise ComponentAttributeError(
                f"unknown DRAM type {self.attrs['type']!r}; known: "
                f"{', '.join(DRAM_PJ_PER_BIT)}{suggest(key, list(DRAM_PJ_PER_BIT))}",
                field="type")

    def pj_per_bit(self) -> float:
        given = self.attrs["pj_per_bit"]
        return given if given >= 0 else DRAM_PJ_PER_BIT[self.attrs["type"].upper()]

    def _energy(self, action, stats):
        if action == "write" and self.attrs["top_level"]:
            return 0.0
        if action in ("read", "write", "update"):
            return self.pj_per_bit() * self.attrs["width"]
        return 0.0
