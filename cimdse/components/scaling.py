"""Technology-node and supply-voltage scaling of energy, area and delay.

Technology (7-180 nm)
---------------------
Factors come from Stillmaker & Baas, "Scaling equations for the accurate
prediction of CMOS device performance from 180 nm to 7 nm", Integration,
the VLSI Journal 58:74-81, 2017 (tables of area factors and of per-node
quadratic energy fits ``E(V) = a V^2 + b V + c``, as transcribed in the
Accelergy library plug-in that CiMLoop uses; the CiMLoop artifact (mit-emze/cimloop)).

* Area: one row of their node-to-node area table (factors relative to
  45 nm) is used, so ``area_factor(a, b) = A(b) / A(a)`` is transitive.
* Energy: ``E_node(V_ref)`` with the node's fit evaluated at one reference
  supply ``v_ref`` (0.8 V by default, as in the plug-in); the supply
  dependence itself is handled separately by :func:`voltage_energy_factor`
  so a component's own voltage attribute is never applied twice.
* Between tabulated nodes both are interpolated linearly in log(node)
  vs log(factor) (power-law between neighbours), which is monotone.
* 180 nm is not in the transcribed table; it is extrapolated from 130 nm
  with classical constant-voltage scaling (area ~ L^2, energy ~ C ~ L).
  Nodes outside 7-180 nm raise ``ValueError``.
* Nominal supply per node (:func:`nominal_supply_v`): the Predictive
  Technology Model cards (180 nm 1.8 V, 130 nm 1.3 V, 90 nm 1.2 V, 65 nm
  1.1 V, 45 nm 1.0 V, 32 and 20 nm 0.9 V, 16 nm 0.85 V, 14 nm 0.8 V, 10 nm
  0.75 V, 7 nm 0.7 V), the centre of every model's valid supply range
  (:class:`cimdse.bounds.SupplyRange`).

Voltage
-------
* :func:`voltage_energy_factor`: ``(V / V_ref) ** exponent``, exponent 2
  (dynamic ``C V^2``) by default; components expose it as an attribute
  (``voltage_energy_exponent``) so calibrated exponents (e.g. Sinangil's
  1.7, the CiMLoop artifact (mit-emze/cimloop)) can be used.
* :func:`alpha_power_delay_factor`: Sakurai & Newton's alpha-power law
  (IEEE JSSC 25(2), 1990): ``t_d ~ V / (V - V_th) ** alpha``; returns the
  delay at ``V`` relative to ``V_ref``.
"""

from __future__ import annotations

import math


#: Tabulated nodes (nm), coarse to fine.
NODES_NM: tuple[float, ...] = (180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7)

# Area relative to 45 nm (Stillmaker & Baas 2017, the 45 nm row of the
# node-to-node area table); 180 nm extrapolated as 130 nm x (180/130)^2.
_AREA_REL_45 = {130: 6.4, 90: 2.8, 65: 1.5, 45: 1.0, 32: 0.46, 20: 0.21, 16: 0.19,
                14: 0.17, 10: 0.1, 7: 0.059}
_AREA_REL_45[180] = _AREA_REL_45[130] * (180 / 130) ** 2

# Energy fit coefficients (a, b, c) of E(V) = a V^2 + b V + c per node
# (Stillmaker & Baas 2017, energy-per-operation fits).
_ENERGY_FIT = {
    130: (7.171, -6.709, 2.904), 90: (4.762, -4.781, 2.092), 65: (3.755, -4.398, 1.975),
    45: (1.103, -0.362, 0.2767), 32: (0.9559, -0.7823, 0.471), 20: (0.373, -0.1582, 0.04104),
    16: (0.2958, -0.1241, 0.03024), 14: (0.2363, -0.09675, 0.02239),
    10: (0.2068, -0.09311, 0.02375), 7: (0.1776, -0.09097, 0.02447),
}

MIN_NODE_NM, MAX_NODE_NM = 7.0, 180.0
DEFAULT_V_REF = 0.8

# Nominal supply (V) per node: the Predictive Technology Model cards (bulk
# CMOS 130-32 nm, PTM-MG FinFET 20-7 nm) and the classic 1.8 V of 180 nm.
_NOMINAL_VDD = {180: 1.8, 130: 1.3, 90: 1.2, 65: 1.1, 45: 1.0, 32: 0.9, 20: 0.9, 16: 0.85,
                14: 0.8, 10: 0.75, 7: 0.7}


def _check_node(node_nm: float) -> float:
    node = float(node_nm)
    if not (MIN_NODE_NM <= node <= MAX_NODE_NM) or math.isnan(node):
        raise ValueError(f"technology node {node_nm} nm is outside the supported "
                         f"{MIN_NODE_NM:g}-{MAX_NODE_NM:g} nm range")
    return node


def _energy_at(node: int, v_ref: float) -> float:
    if node == 180:  # constant-voltage extrapolation: E ~ C ~ L
        return _energy_at(130, v_ref) * 180 / 130
    a, b, c = _ENERGY_FIT[node]
    return a * v_ref ** 2 + b * v_ref + c


def _loglog(node_nm: float, table: dict[int, float]) -> float:
    node = _check_node(node_nm)
    nodes = sorted(table)
    if node in table:
        return table[int(node)]
    hi = min(n for n in nodes if n > node)
    lo = max(n for n in nodes if n < node)
    t = (math.log(node) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return math.exp((1 - t) * math.log(table[lo]) + t * math.log(table[hi]))


def node_area(node_nm: float) -> float:
    """Area of a fixed design at ``node_nm`` relative to 45 nm."""
    return _loglog(node_nm, _AREA_REL_45)


def nominal_supply_v(node_nm: float | None) -> float:
    """Nominal supply (V) at ``node_nm`` (log-log between tabulated nodes);
    None (node unknown): the widest, 180 nm's 1.8 V."""
    if node_nm is None:
        return _NOMINAL_VDD[180]
    return _loglog(node_nm, _NOMINAL_VDD)


def node_energy(node_nm: float, v_ref: float = DEFAULT_V_REF) -> float:
    """Energy per operation at ``node_nm`` (arbitrary units, at ``v_ref``)."""
    table = {n: _energy_at(n, v_ref) for n in (*_ENERGY_FIT, 180)}
    if min(table.values()) <= 0:
        raise ValueError(f"reference supply {v_ref} V is outside the energy fits' range")
    return _loglog(node_nm, table)


def tech_area_factor(from_nm: float, to_nm: float) -> float:
    """Multiply an area at ``from_nm`` by this to get it at ``to_nm``."""
    return node_area(to_nm) / node_area(from_nm)


def tech_energy_factor(from_nm: float, to_nm: float, v_ref: float = DEFAULT_V_REF) -> float:
    """Multiply an energy at ``from_nm`` by this to get it at ``to_nm`` (same supply)."""
    return node_energy(to_nm, v_ref) / node_energy(from_nm, v_ref)


def feature_area_um2(f2: float, node_nm: float) -> float:
    """Area in um^2 of ``f2`` squared feature sizes at ``node_nm``."""
    return float(f2) * (float(node_nm) * 1e-3) ** 2


def voltage_energy_factor(v: float, v_ref: float, exponent: float = 2.0) -> float:
    """``(v / v_ref) ** exponent``: dynamic energy at ``v`` relative to ``v_ref``."""
    if v <= 0 or v_ref <= 0:
        raise ValueError(f"voltages must be positive, got {v} and {v_ref}")
    return (v / v_ref) ** exponent


def alpha_power_delay_factor(v: float, v_ref: float, v_th: float = 0.3,
                             alpha: float = 1.3) -> float:
    """Gate delay at ``v`` relative to ``v_ref`` (alpha-power law)."""
    if v <= v_th or v_ref <= v_th:
        raise ValueError(f"supply ({v} V, ref {v_ref} V) must exceed V_th = {v_th} V")
    delay = lambda x: x / (x - v_th) ** alpha  # noqa: E731
    return delay(v) / delay(v_ref)


def scale_energy(energy: float, *, from_nm: float, to_nm: float, from_v: float,
                 to_v: float, exponent: float = 2.0, v_ref: float = DEFAULT_V_REF) -> float:
    """Energy moved between (node, supply) points: technology x voltage."""
    return (energy * tech_energy_factor(from_nm, to_nm, v_ref)
            * voltage_energy_factor(to_v, from_v, exponent))


__all__ = ["DEFAULT_V_REF", "MAX_NODE_NM", "MIN_NODE_NM", "NODES_NM",
           "alpha_power_delay_factor", "feature_area_um2", "node_area", "node_energy",
           "nominal_supply_v",
           "scale_energy", "tech_area_factor", "tech_energy_factor", "voltage_energy_factor"]

