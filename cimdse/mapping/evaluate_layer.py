"""evaluate(design, workload): best mapping per layer, summed over a network.

Identical layer shapes are mapped once. Each layer's winner is re-analysed
with the scalar reference (:mod:`.nest`) so reported counts are exact.

Conventions:

* Energy = sum of action counts x ActionTable pJ + leakage (``leak`` pJ per
  cycle per instance x cycles x leaking instances: every hardware instance,
  except inside a ``power_gated`` container, where only the instances the
  mapping uses leak; :mod:`.gating`).
* MACs exclude the slice dims; ``compute`` actions = MACs x X x Y.
* ``tops`` = 2 x MACs / latency / 1e12; ``tops_per_w`` = 2 x MACs / energy
  (J) / 1e12; ``tops_per_mm2`` = tops / area (0 when the area is 0).
* Latency = cycles x the last component's ``cycle_seconds`` (default 1 ns).
* Utilization = iteration points / (cycles x compute instances), over the
  whole network.
* Slices: with ``slices="design"`` (default), a layer whose X and Y are
  both 1 gets X = the design's input slices and Y = its weight slices
  (:class:`~cimdse.spec.model.SliceCounts`), each x the design's
  ``SIGNED_INPUT_PARTS`` / ``SIGNED_WEIGHT_PARTS`` when the layer's inputs /
  weights are signed (:func:`~.actions.signed_parts`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from cimdse.spec.model import Design

from cimdse.pricing import ActionTable, build_action_table
from cimdse.statistics import signed_parts
from .arch import Arch, build_arch
from .errors import MappingError
from .nest import NestResult, analyze
from .problem import Problem, problem_from_layer
from .search import SearchSettings, search

log = logging.getLogger(__name__)


@dataclass
class LayerResult:
    name: str
    macs: int
    energy_pj: float
    cycles: float
    latency_s: float
    utilization: float
    actions: dict[str, dict[str, int]]
    energy_breakdown: dict[str, float]
    mapping: str
    evaluated: int
    search_s: float
    action_energy: dict[tuple[str, str], float] = field(default_factory=dict)
    #: pJ per action (leak: pJ per cycle per instance) of the table used
    action_pj: dict[tuple[str, str], float] = field(default_factory=dict)
    #: leak "actions": cycles x leaking instances, per component
    leak_counts: dict[str, float] = field(default_factory=dict)
    #: instances of each component the mapping uses (spatial factors above it)
    instances: dict[str, int] = field(default_factory=dict)
    #: dB, the output error the analog datapath adds (cimdse.accuracy); None:
    #: not modelled (the mapper alone)
    sqnr_db: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "macs": self.macs, "energy_pj": self.energy_pj,
                "cycles": self.cycles, "latency_s": self.latency_s,
                "utilization": self.utilization, "sqnr_db": self.sqnr_db,
                "evaluated": self.evaluated, "search_s": self.search_s,
                "mapping": self.mapping}


@dataclass
class NetworkResult:
    design: str
    workload: str
    layers: list[LayerResult]
    area_um2: dict[str, float]
    compute_instances: int
    operations: int
    energy_pj: float = 0.0
    macs: int = 0
    cycles: float = 0.0
    latency_s: float = 0.0
    actions: dict[str, dict[str, int]] = field(default_factory=dict)
    energy_breakdown: dict[str, float] = field(default_factory=dict)
    #: inputs the models extrapolated (e.g. a supply outside the node's
    #: nominal band), one sentence each (:attr:`cimdse.spec.Design.notes`)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for lr in self.layers:
            self.energy_pj += lr.energy_pj
            self.macs += lr.macs
            self.cycles += lr.cycles
            self.latency_s += lr.latency_s
            for comp, acts in lr.actions.items():
                mine = self.actions.setdefault(comp, {})
                for a, n in acts.items():
                    mine[a] = mine.get(a, 0) + n
            for comp, e in lr.energy_breakdown.items():
                self.energy_breakdown[comp] = self.energy_breakdown.get(comp, 0.0) + e

    @property
    def area_mm2(self) -> float:
        return sum(self.area_um2.values()) / 1e6

    @property
    def energy_per_mac_fj(self) -> float:
        return self.energy_pj * 1e3 / self.macs if self.macs else 0.0

    @property
    def tops(self) -> float:
        return 2 * self.macs / self.latency_s / 1e12 if self.latency_s else 0.0

    @property
    def tops_per_w(self) -> float:
        return 2 * self.macs / (self.energy_pj * 1e-12) / 1e12 if self.energy_pj else 0.0

    @property
    def tops_per_mm2(self) -> float:
        return self.tops / self.area_mm2 if self.area_mm2 else 0.0

    @property
    def utilization(self) -> float:
        denom = self.cycles * self.compute_instances
        return self.operations / denom if denom else 0.0

    @property
    def sqnr_db(self) -> float | None:
        """The worst layer's SQNR (dB; cimdse.accuracy.network_sqnr_db); None
        when a layer's is not modelled."""
        values = [lr.sqnr_db for lr in self.layers]
        return None if not values or None in values else min(values)

    def record(self) -> dict[str, Any]:
        """Flat dict of scalars for one results row: the metrics plus
        ``e.<component>`` (pJ) and ``area.<component>`` (um^2) columns."""
        d = self.to_dict()
        out = {k: v for k, v in d.items() if not isinstance(v, (dict, list))}
        out.update({f"e.{c}": v for c, v in self.energy_breakdown.items()})
        out.update({f"area.{c}": v for c, v in self.area_um2.items()})
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One row per layer x component x action: count, pJ per action and
        energy (pJ). Leakage appears as action ``leak`` with count = cycles x
        instances and pJ per action = pJ per cycle per instance."""
        out = []
        for lr in self.layers:
            for comp, acts in lr.actions.items():
                for action, n in acts.items():
                    out.append({"layer": lr.name, "component": comp, "action": action,
                                "count": n,
                                "pj_per_action": lr.action_pj.get((comp, action), 0.0),
                                "energy_pj": lr.action_energy.get((comp, action), 0.0)})
            for comp, n in lr.leak_counts.items():
                e = lr.action_energy.get((comp, "leak"), 0.0)
                if e:
                    out.append({"layer": lr.name, "component": comp, "action": "leak",
                                "count": n, "pj_per_action": lr.action_pj.get((comp, "leak"),
                                                                              0.0),
                                "energy_pj": e})
        return out

    def breakdown(self):
        """pandas DataFrame of :meth:`rows`: layer x component x action with
        ``count``, ``pj_per_action`` and ``energy_pj``."""
        import pandas as pd
        return pd.DataFrame(self.rows(), columns=["layer", "component", "action", "count",
                                                  "pj_per_action", "energy_pj"])

    def summary(self) -> str:
        """A short human-readable report (the CLI's non-JSON output)."""
        lines = [f"{self.design} on {self.workload}: {len(self.layers)} layers, "
                 f"{self.macs:,} MACs",
                 f"  energy     {self.energy_pj:.4g} pJ ({self.energy_per_mac_fj:.4g} fJ/MAC, "
                 f"{self.tops_per_w:.4g} TOPS/W)",
                 f"  latency    {self.latency_s:.4g} s ({self.cycles:.6g} cycles, "
                 f"{self.tops:.4g} TOPS, utilization {self.utilization:.3f})",
                 f"  area       {self.area_mm2:.4g} mm^2 ({self.tops_per_mm2:.4g} TOPS/mm^2)"]
        if self.sqnr_db is not None:
            lines.append(f"  sqnr       {self.sqnr_db:.4g} dB (worst layer; the analog datapath's "
                         "error)")
        lines += ["  energy by component (pJ):"]
        for comp, e in sorted(self.energy_breakdown.items(), key=lambda kv: -kv[1]):
            share = e / self.energy_pj if self.energy_pj else 0.0
            lines.append(f"    {comp:<24} {e:12.4g}  {share:6.1%}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's ``--json`` object (the contract in the README)."""
        return {"design": self.design, "workload": self.workload,
                "energy_pj": self.energy_pj, "macs": self.macs,
                "energy_per_mac_fj": self.energy_per_mac_fj, "cycles": self.cycles,
                "latency_s": self.latency_s, "tops": self.tops, "tops_per_w": self.tops_per_w,
                "area_mm2": self.area_mm2, "tops_per_mm2": self.tops_per_mm2,
                "utilization": self.utilization, "sqnr_db": self.sqnr_db,
                "breakdown": {"energy_pj": dict(self.energy_breakdown),
                              "area_um2": dict(self.area_um2),
                              "actions": {c: dict(a) for c, a in self.actions.items()}},
                "layers": [lr.to_dict() for lr in self.layers], "notes": list(self.notes)}


def settings_from_design(design: Design) -> SearchSettings:
    m = design.mapper
    return SearchSettings(metric=m.metric, algorithm=m.algorithm,
                          max_evaluations=m.max_evaluations, timeout_s=m.timeout_s,
                          victory_condition=m.victory_condition, seed=m.seed,
                          imperfect_spatial=m.imperfect_spatial)


def evaluate(design: Design, workload: Any, layer: int | None = None,
             settings: SearchSettings | None = None, table: ActionTable | None = None,
             slices: str | tuple[int, int] | None = "design",
             tables: Callable[[Any, Problem], ActionTable] | None = None) -> NetworkResult:
    """Map every layer of ``workload`` on ``design`` and sum the results.

    Pricing: ``tables(layer, problem)`` gives each layer its own
    ActionTable (e.g. a :class:`~.actions.TableCache` built from the layer's
    value statistics); otherwise ``table`` (default: the design priced
    without statistics) serves every layer. Each distinct layer shape is
    mapped once, with the table of its first layer; later layers of the same
    shape reuse that mapping's exact counts, priced with their own table. If
    ``tables`` has a ``for_mapping(layer, instances)`` method (as
    :class:`~.actions.TableCache` does), the chosen mapping is priced with
    the table it returns (e.g. for the rows the mapping actually fills).
    """
    arch = build_arch(design)
    settings = settings or settings_from_design(design)
    name, layers = _layers(workload)
    if layer is not None:
        if not -len(layers) <= layer < len(layers):
            raise MappingError(f"--layer {layer} out of range: {name} has {len(layers)} layers")
        layers = [layers[layer]]
    if tables is None:
        fixed = table or build_action_table(design)
        tables = lambda _layer, _problem: fixed  # noqa: E731
    mapped: dict[tuple, tuple[Any, NestResult, float]] = {}
    priced: dict[tuple, LayerResult] = {}
    results, ops, area = [], 0, None
    for lyr in layers:
        problem = _with_slices(problem_from_layer(lyr), design, slices, lyr)
        layer_table = tables(lyr, problem)
        area = area if area is not None else layer_table.area_breakdown()
        key = problem.shape_key()
        first = key not in mapped
        if first:
            t0 = time.perf_counter()
            found = search(arch, problem, layer_table, settings)
            nest = analyze(arch, problem, found.mapping)
            mapped[key] = (found, nest, time.perf_counter() - t0)
        found, nest, seconds = mapped[key]
        refine = getattr(tables, "for_mapping", None)
        if refine is not None:  # price the chosen mapping with the rows it fills
            layer_table = refine(lyr, nest.instances)
        pkey = (key, id(layer_table))
        if pkey not in priced:
            priced[pkey] = price_layer(arch, problem, nest, layer_table,
                                       found.mapping.describe(arch, problem),
                                       found.evaluated if first else 0,
                                       seconds if first else 0.0)
        results.append(_renamed(priced[pkey], problem.name))
        ops += problem.operations
    if area is None:
        area = (table or build_action_table(design)).area_breakdown()
    return NetworkResult(design.name, name, results, area, arch.compute_instances, ops)


def map_layer(arch: Arch, problem: Problem, table: ActionTable,
              settings: SearchSettings) -> LayerResult:
    """Search the best mapping of one problem and report it exactly."""
    t0 = time.perf_counter()
    found = search(arch, problem, table, settings)
    nest = analyze(arch, problem, found.mapping)
    return price_layer(arch, problem, nest, table, found.mapping.describe(arch, problem),
                       found.evaluated, time.perf_counter() - t0)


def price_layer(arch: Arch, problem: Problem, nest: NestResult, table: ActionTable,
                mapping: str = "", evaluated: int = 0, search_s: float = 0.0) -> LayerResult:
    """Energy of the exact counts ``nest`` priced with ``table`` (plus leak:
    pJ per cycle per instance x cycles x leaking instances: all hardware
    instances unless power gated, :mod:`.gating`)."""
    leaking = {c: nest.leak_instances.get(c, n) for c, n in table.instances.items()}
    leak = {c: table.pj(c, "leak") * n * nest.cycles for c, n in leaking.items()}
    breakdown = {c: v for c, v in leak.items()}
    actions: dict[str, dict[str, int]] = {}
    per_action = {}
    pj = {}
    for (comp, action), n in nest.counts.items():
        actions.setdefault(comp, {})[action] = n
        pj[(comp, action)] = table.pj(comp, action)
        per_action[(comp, action)] = n * pj[(comp, action)]
        breakdown[comp] = breakdown.get(comp, 0.0) + per_action[(comp, action)]
    for comp, e in leak.items():
        if e:
            per_action[(comp, "leak")] = e
            pj[(comp, "leak")] = table.pj(comp, "leak")
    leak_counts = {c: n * nest.cycles for c, n in leaking.items()}
    energy = sum(breakdown.values())
    return LayerResult(problem.name, problem.macs, energy, nest.cycles,
                       nest.cycles * arch.cycle_seconds, nest.utilization, actions, breakdown,
                       mapping, evaluated, search_s, per_action, pj, leak_counts,
                       dict(nest.instances))


def _renamed(r: LayerResult, name: str) -> LayerResult:
    if r.name == name:
        return r
    return replace(r, name=name, evaluated=0, search_s=0.0)


def _layers(workload: Any) -> tuple[str, list]:
    if isinstance(workload, Problem):
        return workload.name, [workload]
    if isinstance(workload, (list, tuple)):
        return "layers", list(workload)
    from cimdse.workload import load_workload  # local: keeps the mapper importable alone
    net = load_workload(workload)
    return net.name, list(net.layers)


def _with_slices(problem: Problem, design: Design, slices, layer: Any = None) -> Problem:
    dims = problem.dims
    if slices is None or dims["X"] != 1 or dims["Y"] != 1:
        return problem
    if slices == "design":
        px, py = signed_parts(design, layer if layer is not None else problem)
        x, y = design.slices.inputs * px, design.slices.weights * py
    else:
        x, y = slices
    if (x, y) == (1, 1):
        return problem
    dims.update(X=int(x), Y=int(y))
    return Problem.from_dims(dims, problem.stride, problem.dilation, problem.name)
