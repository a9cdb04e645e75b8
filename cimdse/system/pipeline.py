"""A pipelined network: its stages over the macros, and the latency,
throughput and energy figures that follow from them.

Stage ``g`` takes ``time_s`` per input (:mod:`.demand`); inputs stream
through the stages in order, so the pipeline accepts an input every
``period_s`` = the slowest stage's time:

* ``throughput_inferences_per_s`` = 1 / period_s;
* ``pipeline_latency_s``: ``inputs`` inputs (the design's
  ``PIPELINE_INPUTS``, default 1) through the pipeline: the first fills
  it (the sum of the stage times), each further one leaves one period
  later: sum + (inputs - 1) x period;
* ``sequential_latency_s``: the same inputs on the same stages one at a
  time: inputs x sum.

Hand-computed: stages of 2, 5 and 3 us take 10 us to fill; the period is
5 us (200 000 inferences/s); 4 inputs take 10 + 3 x 5 = 25 us pipelined,
40 us one at a time.

Without a placement (``PLACEMENT: none``) the network is one stage on the
whole system taking the per-layer model's latency (every layer in turn,
each writing its weights), so the pipeline figures are that latency's:
throughput 1 / latency_s, inputs x latency_s both ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StageReport:
    """One stage as placed: its layers, macros (a run starting at
    ``first_macro``), weight copies, time and energy per input."""

    index: int
    layers: tuple[str, ...]
    first_macro: int
    macros: int
    replicas: int                 # copies of the weights (0: re-loaded every input)
    stationary: bool
    time_s: float
    weights: int                  # weight elements (slices counted) of its layers
    reload_energy_pj: float       # weights re-written per input
    activations: int              # input elements it double-buffers
    #: elements sent to the next stage, and the energy of sending them
    sent: int = 0
    send_energy_pj: float = 0.0
    #: per hop component: mean crossings of one element sent to the next stage
    crossings: dict[str, float] = field(default_factory=dict)
    #: per macro of the stage: (layers held, weight elements held, busy s per input)
    held: tuple[tuple[tuple[str, ...], float, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.index, "layers": list(self.layers),
                "first_macro": self.first_macro, "macros": self.macros,
                "replicas": self.replicas, "stationary": self.stationary,
                "time_s": self.time_s, "weights": self.weights,
                "reload_energy_pj": self.reload_energy_pj,
                "activations": self.activations, "sent": self.sent,
                "send_energy_pj": self.send_energy_pj, "crossings": dict(self.crossings)}


@dataclass(frozen=True)
class Pipeline:
    """The layers of one network pipelined over a system's macros."""

    strategy: str
    inputs: int
    n_macros: int
    #: weight elements one macro holds
    macro_capacity: int
    stages: tuple[StageReport, ...]
    n_macros_used: int
    #: the activation store and the most any instance of it holds (elements)
    store: str | None = None
    store_capacity: float | None = None
    store_peak: float = 0.0

    @property
    def placed(self) -> bool:
        return self.strategy != "none"

    @property
    def period_s(self) -> float:
        return max(s.time_s for s in self.stages)

    @property
    def fill_s(self) -> float:
        return sum(s.time_s for s in self.stages)

    @property
    def throughput_inferences_per_s(self) -> float:
        return 1.0 / self.period_s if self.period_s > 0 else 0.0

    @property
    def pipeline_latency_s(self) -> float:
        return self.fill_s + (self.inputs - 1) * self.period_s

    @property
    def sequential_latency_s(self) -> float:
        return self.inputs * self.fill_s

    @property
    def interconnect_energy_pj(self) -> float:
        return sum(s.send_energy_pj for s in self.stages)

    @property
    def reload_energy_pj(self) -> float:
        return sum(s.reload_energy_pj for s in self.stages)

    @property
    def bottleneck(self) -> StageReport:
        return max(self.stages, key=lambda s: s.time_s)

    @property
    def replicated(self) -> dict[str, int]:
        """Layers held in more than one copy: name -> copies."""
        return {s.layers[0]: s.replicas for s in self.stages if s.replicas > 1}

    def metrics(self) -> dict[str, float]:
        """The pipeline's result metrics (:data:`cimdse.metrics.METRICS` order)."""
        return {"n_macros_used": self.n_macros_used,
                "pipeline_latency_s": self.pipeline_latency_s,
                "sequential_latency_s": self.sequential_latency_s,
                "throughput_inferences_per_s": self.throughput_inferences_per_s,
                "interconnect_energy_pj": self.interconnect_energy_pj,
                "reload_energy_pj": self.reload_energy_pj}

    def macro_records(self) -> list[dict[str, Any]]:
        """One row per macro of a placed pipeline (none without a placement):
        its stage, the layers it holds, weight elements held and their share
        of its capacity (``fill``), time busy per input, ``utilization`` (busy
        share of the period) and ``idle_s`` per period."""
        if not self.placed:
            return []
        period, rows = self.period_s, []
        for s in self.stages:
            for m, (layers, weights, busy) in enumerate(s.held):
                rows.append({"macro": s.first_macro + m, "stage": s.index,
                             "layers": ",".join(layers), "stationary": s.stationary,
                             "weights": weights, "fill": weights / self.macro_capacity,
                             "busy_s": busy, "utilization": busy / period if period else 0.0,
                             "idle_s": period - busy})
        for m in range(self.n_macros_used, self.n_macros):
            rows.append({"macro": m, "stage": None, "layers": "", "stationary": None,
                         "weights": 0.0, "fill": 0.0, "busy_s": 0.0, "utilization": 0.0,
                         "idle_s": period})
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The ``placement`` object of the ``--json`` output."""
        b = self.bottleneck
        return {"strategy": self.strategy, "inputs": self.inputs, "macros": self.n_macros,
                "macros_used": self.n_macros_used, "macros_idle": self.n_macros - self.n_macros_used,
                "macro_capacity": self.macro_capacity, "period_s": self.period_s,
                "fill_s": self.fill_s, "bottleneck": list(b.layers),
                "replicated": self.replicated,
                "activation_store": None if self.store is None else
                {"component": self.store, "capacity": self.store_capacity,
                 "peak": self.store_peak},
                "stages": [s.to_dict() for s in self.stages]}

    def summary_lines(self) -> list[str]:
        """Lines for the human-readable report."""
        rep = self.replicated
        copies = ", ".join(f"{n} x{r}" for n, r in list(rep.items())[:4])
        more = f", +{len(rep) - 4} more" if len(rep) > 4 else ""
        reloads = sum(1 for s in self.stages if not s.stationary)
        where = (f"{self.strategy} placement: {len(self.stages)} stages on "
                 f"{self.n_macros_used} of {self.n_macros} macros"
                 if self.placed else f"no placement: one stage on {self.n_macros} macros "
                 f"({self.n_macros_used} used by the largest layer)")
        lines = [f"  pipeline   {where}",
                 f"             slowest stage {self.period_s:.4g} s ({', '.join(self.bottleneck.layers[:3])}"
                 f"{', ...' if len(self.bottleneck.layers) > 3 else ''}): "
                 f"{self.throughput_inferences_per_s:.4g} inferences/s",
                 f"             {self.inputs} input(s): {self.pipeline_latency_s:.4g} s pipelined, "
                 f"{self.sequential_latency_s:.4g} s one at a time"]
        if self.placed:
            lines.append(f"             replicated: {copies + more if rep else 'none'}; "
                         f"{reloads} stage(s) re-load weights")
        lines.append(f"             weight re-loads {self.reload_energy_pj:.4g} pJ, "
                     f"interconnect {self.interconnect_energy_pj:.4g} pJ per input")
        return lines
