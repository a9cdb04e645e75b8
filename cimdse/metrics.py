"""The result metrics of a design: their names, units and which way is better.

One definition for every place that names them: the result row of a design
(``record()`` of the result :func:`cimdse.evaluate.evaluate` returns, a
:class:`cimdse.system.SystemResult`), the columns of
the results store, the objectives and constraints a sweep file may use, and
the default direction of a Pareto query. TOPS counts 2 operations per MAC.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """A scalar result column: ``name`` (with its unit), ``unit``, what it
    measures, and whether larger is better."""

    name: str
    unit: str
    description: str
    maximize: bool = False


#: Every design's scalar metrics, in the results-store contract order.
METRICS: tuple[Metric, ...] = (
    Metric("energy_pj", "pJ", "energy of the whole workload"),
    Metric("macs", "MACs", "multiply-accumulates of the workload"),
    Metric("energy_per_mac_fj", "fJ/MAC", "energy per MAC"),
    Metric("cycles", "cycles", "cycles of the whole workload (layers in sequence)"),
    Metric("latency_s", "s", "latency of the whole workload"),
    Metric("tops", "TOPS", "throughput, 2 ops per MAC", maximize=True),
    Metric("tops_per_w", "TOPS/W", "energy efficiency, 2 ops per MAC", maximize=True),
    Metric("area_mm2", "mm^2", "area of the design"),
    Metric("tops_per_mm2", "TOPS/mm^2", "compute density, 2 ops per MAC", maximize=True),
    Metric("utilization", "fraction", "MACs over cycles x compute instances", maximize=True),
    Metric("sqnr_db", "dB", "output signal to error ratio of the analog datapath, the worst "
           "layer's (cimdse.accuracy; inf: a digital datapath adds no error)", maximize=True),
    # the layers pipelined over the macros (cimdse.system; PLACEMENT none: one
    # stage, every layer in turn on the whole system)
    Metric("n_macros_used", "macros", "macros the placed stages hold (no placement: the "
           "most any layer's mapping uses)"),
    Metric("pipeline_latency_s", "s", "PIPELINE_INPUTS inputs through the layer pipeline: "
           "fill + (inputs - 1) x slowest stage"),
    Metric("sequential_latency_s", "s", "the same inputs on the same stages one at a time"),
    Metric("throughput_inferences_per_s", "inferences/s", "1 / slowest stage time",
           maximize=True),
    Metric("interconnect_energy_pj", "pJ", "activations sent stage to stage over the "
           "network components, per input"),
    Metric("reload_energy_pj", "pJ", "weights written again for every input (layers whose "
           "weights do not stay in the macros)"),
)
#: Their names, in order.
METRIC_NAMES: tuple[str, ...] = tuple(m.name for m in METRICS)
#: Names of the metrics where larger is better.
MAXIMIZED: frozenset[str] = frozenset(m.name for m in METRICS if m.maximize)
#: Prefixes of the per-component columns of a design row: energy (pJ), area (um^2).
COMPONENT_PREFIXES = {"e.": "pJ", "area.": "um^2"}
