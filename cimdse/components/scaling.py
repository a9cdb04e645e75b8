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

Voltage: the physical laws every component class applies
---------------------------------------------------------
A macro only chooses its nominal point (supply, node, nominal cycle); each
component applies these laws itself, so no macro carries a fitted voltage
exponent. Use the same helpers for any new component class (converters,
drivers, logic, cells):

* :func:`dynamic_energy_factor` -- switched-capacitance energy
  ``E = a C V^2`` (Rabaey, Chandrakasan & Nikolic, *Digital Integrated
  Circuits*, 2nd ed., 2003, sec. 5.5): ``(V / V_ref) ** 2``.
* :func:`leakage_current_factor` / :func:`leakage_power_factor` --
  subthreshold leakage with drain-induced barrier lowering (Roy, Mukhopadhyay
  & Mahmoodi-Meimand, Proc. IEEE 91(2), 2003, eq. 1):
  ``I_leak ~ exp(eta V / (n V_T))`` at V_GS = 0, so
  ``I(V) / I(V_ref) = exp(eta (V - V_ref) / (n V_T))`` and
  ``P = V I``. DIBL coefficient ``eta`` = 0.1 V/V and subthreshold slope
  factor ``n`` = 1.5 (S = n V_T ln 10 = 89 mV/decade at 300 K), typical of
  bulk nodes 90-22 nm (Roy et al. sec. II-A); see :data:`DIBL_ETA`.
* :func:`gate_delay_factor` -- Sakurai & Newton's alpha-power law (IEEE JSSC
  25(2), 1990): ``t_d ~ V / (V - V_th) ** alpha`` with ``alpha`` = 1.3
  (velocity-saturated short-channel devices, their fit) and the node's
  threshold :func:`threshold_voltage_v` (PTM NMOS ``vth0``). A cycle time
  follows it from a nominal cycle at the nominal supply.
* :func:`voltage_energy_factor` -- the generic ``(V / V_ref) ** exponent``
  kept for unit conversions (e.g. DRAM generations); components use the
  laws above.
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


#: Sakurai-Newton velocity-saturation index (IEEE JSSC 25(2), 1990).
ALPHA_POWER = 1.3
#: DIBL coefficient (V/V) and subthreshold slope factor of the leakage law
#: (Roy et al., Proc. IEEE 91(2), 2003); thermal voltage at 300 K (V).
DIBL_ETA, SUBTHRESHOLD_N, THERMAL_V = 0.1, 1.5, 0.02585

# NMOS threshold (V) per node: the PTM model cards' vth0 (bulk 180-32 nm,
# 22 nm high-performance metal gate); below 22 nm (FinFET) our estimate,
# V_th ~ 1/3 of the nominal supply as in the PTM-MG cards' operating points.
_VTH = {180: 0.3999, 90: 0.397, 65: 0.423, 45: 0.466, 32: 0.509, 22: 0.503,
        16: 0.28, 7: 0.23}


def _positive_supplies(v: float, v_ref: float) -> None:
    if not (v > 0 and v_ref > 0):
        raise ValueError(f"voltages must be positive, got {v} and {v_ref}")


def dynamic_energy_factor(v: float, v_ref: float) -> float:
    """Switched-capacitance energy ``C V^2`` at ``v`` relative to ``v_ref`` (V)."""
    _positive_supplies(v, v_ref)
    return (v / v_ref) ** 2


def leakage_current_factor(v: float, v_ref: float) -> float:
    """Subthreshold leakage current at supply ``v`` relative to ``v_ref``
    (DIBL law ``exp(eta (V - V_ref) / (n V_T))``)."""
    _positive_supplies(v, v_ref)
    return math.exp(DIBL_ETA * (v - v_ref) / (SUBTHRESHOLD_N * THERMAL_V))


def leakage_power_factor(v: float, v_ref: float) -> float:
    """Leakage power ``V I_leak(V)`` at ``v`` relative to ``v_ref``."""
    return v / v_ref * leakage_current_factor(v, v_ref)


def threshold_voltage_v(node_nm: float) -> float:
    """NMOS threshold (V) at ``node_nm`` (log-log between tabulated nodes)."""
    node = _check_node(node_nm)
    if node >= 180:
        return _VTH[180]
    return _loglog(node, _VTH)


def alpha_power_delay_factor(v: float, v_ref: float, v_th: float = 0.3,
                             alpha: float = ALPHA_POWER) -> float:
    """Gate delay at ``v`` relative to ``v_ref`` (alpha-power law)."""
    if v <= v_th or v_ref <= v_th:
        raise ValueError(f"supply ({v} V, ref {v_ref} V) must exceed V_th = {v_th} V")
    delay = lambda x: x / (x - v_th) ** alpha  # noqa: E731
    return delay(v) / delay(v_ref)


def gate_delay_factor(v: float, v_ref: float, node_nm: float) -> float:
    """Delay (and so cycle time) at ``v`` relative to ``v_ref`` at ``node_nm``:
    the alpha-power law with the node's threshold."""
    return alpha_power_delay_factor(v, v_ref, threshold_voltage_v(node_nm))


def scale_energy(energy: float, *, from_nm: float, to_nm: float, from_v: float,
                 to_v: float, exponent: float = 2.0, v_ref: float = DEFAULT_V_REF) -> float:
    """Energy moved between (node, supply) points: technology x voltage."""
    return (energy * tech_energy_factor(from_nm, to_nm, v_ref)
            * voltage_energy_factor(to_v, from_v, exponent))


__all__ = ["ALPHA_POWER", "DEFAULT_V_REF", "DIBL_ETA", "dynamic_energy_factor",
           "gate_delay_factor", "leakage_current_factor", "leakage_power_factor",
           "threshold_voltage_v", "MAX_NODE_NM", "MIN_NODE_NM", "NODES_NM",
           "alpha_power_delay_factor", "feature_area_um2", "node_area", "node_energy",
           "nominal_supply_v",
           "scale_energy", "tech_area_factor", "tech_energy_factor", "voltage_energy_factor"]

