"""On-chip routers and chip-to-chip links (data values not used).

References are ISAAC's (Shafiee et al., ISCA 2016, Table of component
powers/areas) as converted to per-access energies in CiMLoop's library
(the CiMLoop artifact (mit-emze/cimloop)).
"""

from __future__ import annotations

from ..bounds import AREA_UM2, ENERGY_PER_BIT, MAX_WIDTH_BITS, WIDTH_BITS, at_least, non_negative
from ._common import COMMON, SUPPLY, TECHNOLOGY, BuiltinModel
from .base import Attribute
from .registry import register

# ISAAC router shared by four tiles, 32 nm: 20.74 pJ per 256-bit flit, 37500 um^2.
_ROUTER_PJ_PER_BIT = 20.74 / 256
_ROUTER_UM2_PER_BIT = 37500 / 256
_ROUTER_NM, _ROUTER_PORTS, _REF_V = 32.0, 5, 1.0


@register
class Router(BuiltinModel):
    """Packet router: one ``width``-bit flit traversal (one hop) per ``read``
    (data going down, e.g. inputs) or ``update`` (data going up: outputs of
    a level that coalesces them).

    E = 0.081 pJ/bit x width x (ports/5) [buffers + crossbar + links per
    port, linear in ports], moved to ``technology``/``voltage``.
    Area = 146.5 um^2/bit x width x (ports/5)^2 (crossbar ~ ports^2), scaled.
    """

    name = "router"
    source = ("ISAAC router (Shafiee et al., ISCA 2016) shared by four tiles, 32 nm: "
              "20.74 pJ / 256 b, 37500 um^2 (CiMLoop library, the CiMLoop artifact (mit-emze/cimloop))")
    attributes = (
        Attribute("width", "bits", "flit width", 256, int, bounds=WIDTH_BITS),
        Attribute("ports", "-", "router ports", _ROUTER_PORTS, int, bounds=at_least(1, 64)),
        TECHNOLOGY,
        Attribute("voltage", "V", "supply voltage", _REF_V, bounds=SUPPLY),
        *COMMON,
    )
    example = {"width": 256}

    def _energy(self, action, stats):
        if action not in ("read", "update"):
            return 0.0
        e = _ROUTER_PJ_PER_BIT * self.attrs["width"] * self.attrs["ports"] / _ROUTER_PORTS
        return self.scaled(e, _ROUTER_NM, _REF_V)

    def _area(self):
        a = _ROUTER_UM2_PER_BIT * self.attrs["width"] * (self.attrs["ports"] / _ROUTER_PORTS) ** 2
        return self.scaled_area(a, _ROUTER_NM)


@register
class ChipLink(BuiltinModel):
    """Chip-to-chip serial link: read/write/update = ``pj_per_bit`` x width.

    Default 26 pJ / 128 b = 0.203 pJ/bit (ISAAC's HyperTransport link,
    65 nm). Off-chip I/O energy is dominated by the channel, so it is NOT
    scaled with the node; area = 23 mm^2 per 128 bits of width.
    """

    name = "chip_link"
    source = ("ISAAC HyperTransport chip-to-chip link (Shafiee et al., ISCA 2016): 26 pJ per "
              "128 b, 23 mm^2 (CiMLoop library, the CiMLoop artifact (mit-emze/cimloop))")
    attributes = (
        Attribute("width", "bits", "bits per transfer", 128, int,
                  bounds=non_negative(MAX_WIDTH_BITS)),
        Attribute("pj_per_bit", "pJ/bit", "energy per bit", 26.0 / 128, bounds=ENERGY_PER_BIT),
        Attribute("area_per_128b", "um^2", "area per 128 bits of link width", 23e6,
                  bounds=AREA_UM2),
        *COMMON,
    )
    example = {"width": 128}

    def _energy(self, action, stats):
        if action in ("read", "write", "update"):
            return self.attrs["pj_per_bit"] * self.attrs["width"]
        return 0.0

    def _area(self):
        return self.attrs["area_per_128b"] * self.attrs["width"] / 128
