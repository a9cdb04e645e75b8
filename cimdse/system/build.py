"""From an evaluated network to its pipeline: demands, placement, traffic.

:func:`pipeline_of` takes the design, its per-layer result (the mapper's
best mapping of every layer on the whole system) and the layers, and:

1. reads ``PLACEMENT`` (default ``none``) and ``PIPELINE_INPUTS``
   (default 1) from the design's variables;
2. without a placement, reports the network as one stage on the whole
   system (:mod:`.pipeline`);
3. else maps every distinct layer on one macro alone (its fastest mapping:
   the ``delay`` metric, a random search of at most
   :data:`ALONE_EVALUATIONS` candidates; skipped when the design is one
   macro, whose per-layer latencies are the result's) to get each layer's
   :class:`~.demand.LayerDemand`, places the layers with the strategy and
   checks the placement against the contract;
4. prices what the placement moves, per input:

   * **weight re-loads**: every weight element of a layer whose weights do
     not stay (a stage that cannot hold them, or an activation operand)
     is written once, along the design's weight path: each component of
     the Weights chain from its outermost store to the macro's array, a
     read where it passes or sends the weight on, a write where it is
     stored (a top-level store prices its fill at 0), priced with the
     layer's own ActionTable entries (those of its mapping), as the
     mapper prices a layer's weight writes;
   * **interconnect**: each stage sends its last layer's output elements to
     the next stage; an element crosses every hop component between a
     macro of the one and a macro of the other (averaged over all such
     pairs, :class:`~.macros.Hop`) at the component's ``read`` energy
     (its pJ per element: the model's pJ per flit or per bit scaled by
     the spec's ``energy_scale``);
   * **activation buffers**: each stage double-buffers its first layer's
     input elements in the activation store above its macros (shared in
     proportion to its macros between the store's instances); an instance
     holding more than its capacity makes the design infeasible
     (:class:`PipelineInfeasible`, with the stages and numbers).

Activations move layer to layer in network order (a branch such as a
ResNet shortcut is counted as the next layer's input).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any, Sequence

from cimdse.mapping import NetworkResult, SearchSettings, build_action_table, build_arch
from cimdse.mapping import evaluate as map_network
from cimdse.mapping.actions import ActionTable, signed_parts
from cimdse.mapping.arch import BACKING, COMPUTE, Arch
from cimdse.mapping.errors import NoValidMappingError
from cimdse.mapping.evaluate_layer import settings_from_design
from cimdse.spec.errors import SpecError
from cimdse.spec.model import Design, Location

from .demand import LayerDemand, ceil_div, stage_is_resident, stage_is_stationary
from .macros import Macros, macros_of
from .pipeline import Pipeline, StageReport
from .placement import NO_PLACEMENT, Placement, check_placement, placement_strategy

log = logging.getLogger(__name__)

PLACEMENT_VARIABLE = "PLACEMENT"
INPUTS_VARIABLE = "PIPELINE_INPUTS"
#: Candidates the one-macro search of a layer evaluates at most.
ALONE_EVALUATIONS = 20_000
MAX_INPUTS = 2 ** 40


class PipelineInfeasible(NoValidMappingError):
    """The placed pipeline does not fit the system (its activations)."""


def pipeline_of(design: Design, result: NetworkResult, layers: Sequence[Any],
                settings: SearchSettings | None = None) -> Pipeline:
    """The pipeline of ``result`` (the layers of ``layers``, one per
    ``result.layers`` item) on ``design`` (module docstring)."""
    strategy, inputs = placement_settings(design)
    macros = macros_of(design)
    table = _Prices(design)
    arch = build_arch(design)
    stored = [_stored_weights(design, layer) for layer in layers]
    load_pj = [n * table.path_pj(weight_path(arch), lr) for n, lr in zip(stored, result.layers)]
    if strategy == NO_PLACEMENT:
        return _unplaced(result, macros, stored, load_pj, inputs)
    demands = layer_demands(macros, layers, result, stored, settings or settings_from_design(design))
    placement = placement_strategy(strategy).place(demands, macros.count)
    check_placement(placement, demands, macros.count, strategy)
    return _placed(strategy, inputs, macros, placement, demands, layers, stored, load_pj,
                   table, result)


def placement_settings(design: Design) -> tuple[str, int]:
    """(strategy name, inputs) from the design's ``PLACEMENT`` and ``PIPELINE_INPUTS``."""
    v = design.variables
    strategy = v.get(PLACEMENT_VARIABLE, NO_PLACEMENT)
    if not isinstance(strategy, str) or not strategy:
        raise SpecError(f"{PLACEMENT_VARIABLE} must name a placement strategy, got {strategy!r}",
                        Location(path=f"variables.{PLACEMENT_VARIABLE}"))
    inputs = v.get(INPUTS_VARIABLE, 1)
    if isinstance(inputs, float) and inputs.is_integer():
        inputs = int(inputs)
    if isinstance(inputs, bool) or not isinstance(inputs, int) or not 1 <= inputs <= MAX_INPUTS:
        raise SpecError(f"{INPUTS_VARIABLE} must be an integer from 1 to 2^40, got {inputs!r}",
                        Location(path=f"variables.{INPUTS_VARIABLE}"))
    return strategy, inputs


def layer_demands(macros: Macros, layers: Sequence[Any], result: NetworkResult,
                  stored: Sequence[int], settings: SearchSettings) -> list[LayerDemand]:
    """Each layer's :class:`LayerDemand` on the macros of ``macros``."""
    if macros.count == 1:
        times = [lr.latency_s for lr in result.layers]
    else:
        fast = replace(settings, metric="delay", algorithm="random", progress=False,
                       max_evaluations=min(settings.max_evaluations, ALONE_EVALUATIONS),
                       min_evaluations=min(settings.min_evaluations, ALONE_EVALUATIONS),
                       victory_condition=min(settings.victory_condition, ALONE_EVALUATIONS))
        alone = map_network(macros.alone, list(layers), settings=fast,
                            table=build_action_table(macros.alone))
        times = [lr.latency_s for lr in alone.layers]
    out = []
    for layer, t, n in zip(layers, times, stored):
        w = max(1, ceil_div(n, macros.capacity))
        out.append(LayerDemand(layer.name, t, w, _positions(layer),
                               macros.write_s(ceil_div(n, w)), n,
                               not layer.weights_are_activations))
    return out


def weight_path(arch: Arch) -> tuple[tuple[str, str], ...]:
    """(component, action) of loading one weight element: the Weights chain
    from its outermost store down to the innermost one (module docstring)."""
    chain = [m for m in arch.chain("Weights") if m.name not in (BACKING, COMPUTE)]
    keeps = [i for i, m in enumerate(chain) if m.mode == "keep"]
    if not keeps:
        return ()
    path: list[tuple[str, str]] = []
    for i, member in enumerate(chain[:keeps[-1] + 1]):
        if member.mode == "keep":
            path.append((member.name, "write"))
            if i != keeps[-1]:
                path.append((member.name, "read"))
        else:
            path.append((member.name, "read"))
    return tuple(path)


class _Prices:
    """pJ per action: a layer's own table entries, else the design's table
    without statistics (built on first use)."""

    def __init__(self, design: Design):
        self.design = design
        self._base: ActionTable | None = None

    def pj(self, component: str, action: str, results: Sequence[Any] = ()) -> float:
        for lr in results:
            if (component, action) in lr.action_pj:
                return lr.action_pj[(component, action)]
        if self._base is None:
            self._base = build_action_table(self.design)
        return self._base.pj(component, action)

    def path_pj(self, path: Sequence[tuple[str, str]], lr: Any) -> float:
        return sum(self.pj(c, a, (lr,)) for c, a in path)


def _stored_weights(design: Design, layer: Any) -> int:
    """Weight elements of ``layer`` with their slices, as the mapper sets them."""
    dims = layer.dims
    if dims.get("X", 1) != 1 or dims.get("Y", 1) != 1:
        slices = dims.get("Y", 1)
    else:
        slices = int(design.variables.get("N_WEIGHT_SLICES", 1)) * signed_parts(design, layer)[1]
    return layer.tensor_size("Weights") * slices


def _positions(layer: Any) -> int:
    return max(1, math.prod(layer.dims.get(d, 1) for d in ("N", "P", "Q")))


def _unplaced(result: NetworkResult, macros: Macros, stored: Sequence[int],
              load_pj: Sequence[float], inputs: int) -> Pipeline:
    used = max((macros.used_by(lr.instances) for lr in result.layers), default=1)
    stage = StageReport(0, tuple(lr.name for lr in result.layers), 0, macros.count, 0, False,
                        result.latency_s, sum(stored), sum(load_pj), 0)
    return Pipeline(NO_PLACEMENT, inputs, macros.count, macros.capacity, (stage,), used)


def _placed(strategy: str, inputs: int, macros: Macros, placement: Placement,
            demands: Sequence[LayerDemand], layers: Sequence[Any], stored: Sequence[int],
            load_pj: Sequence[float], prices: _Prices, result: NetworkResult) -> Pipeline:
    firsts, first = [], 0
    for stage in placement.stages:
        firsts.append(first)
        first += stage.macros
    reports = []
    for g, stage in enumerate(placement.stages):
        ds, k = stage.demands(demands), stage.macros
        resident = stage_is_resident(ds, k)
        reload = sum(load_pj[i] for i in stage.layers
                     if not (resident and demands[i].stationary))
        replicas = (ds[0].replicas(k) if len(ds) == 1 else 1) if resident else 0
        report = StageReport(g, tuple(d.name for d in ds), firsts[g], k, replicas,
                             stage_is_stationary(ds, k), stage.time_s(demands),
                             sum(stored[i] for i in stage.layers), reload,
                             2 * layers[stage.layers[0]].tensor_size("Inputs"),
                             held=_held(stage.layers, k, resident, demands, stored,
                                        stage.time_s(demands)))
        if g + 1 < len(placement.stages):
            report = _send(report, layers[stage.layers[-1]].tensor_size("Outputs"),
                           firsts[g + 1], placement.stages[g + 1].macros, macros,
                           lambda hop: prices.pj(hop, "read", result.layers))
        reports.append(report)
    store_peak = _check_store(reports, macros)
    return Pipeline(strategy, inputs, macros.count, macros.capacity, tuple(reports),
                    placement.macros_used,
                    macros.store.name if macros.store else None,
                    macros.store.capacity if macros.store else None, store_peak)


def _held(indices: Sequence[int], k: int, resident: bool, demands: Sequence[LayerDemand],
          stored: Sequence[int], time_s: float) -> tuple:
    """(layers, weight elements, busy s) of each macro of a stage."""
    ds = [demands[i] for i in indices]
    if len(ds) == 1:
        d, n = ds[0], stored[indices[0]]
        if not resident:
            return (((d.name,), n / (k * ceil_div(d.macros, k)), time_s),) * k
        used = d.replicas(k) * d.macros
        return (((d.name,), n / d.macros, time_s),) * used + (((), 0.0, 0.0),) * (k - used)
    if not resident:
        share = max(stored[i] / (k * ceil_div(demands[i].macros, k)) for i in indices)
        return ((tuple(d.name for d in ds), share, time_s),) * k
    out: list = []
    for i, d in zip(indices, ds):
        out.extend([((d.name,), stored[i] / d.macros, d.tile_s)] * d.macros)
    return tuple(out) + (((), 0.0, 0.0),) * (k - len(out))


def _send(report: StageReport, elements: int, next_first: int, next_macros: int,
          macros: Macros, hop_pj) -> StageReport:
    crossings = {h.name: h.mean_crossings(report.first_macro, report.macros, next_first,
                                          next_macros) for h in macros.hops}
    energy = elements * sum(c * hop_pj(name) for name, c in crossings.items() if c)
    return replace(report, sent=elements, send_energy_pj=energy, crossings=crossings)


def _check_store(reports: Sequence[StageReport], macros: Macros) -> float:
    """The most activation elements any store instance holds; raise
    :class:`PipelineInfeasible` if that is more than it can."""
    store = macros.store
    if store is None:
        return 0.0
    size = store.macros_per_instance
    use: dict[int, float] = {}
    owners: dict[int, list[str]] = {}
    for s in reports:
        for j in range(s.first_macro // size, (s.first_macro + s.macros - 1) // size + 1):
            lo, hi = max(s.first_macro, j * size), min(s.first_macro + s.macros, (j + 1) * size)
            use[j] = use.get(j, 0.0) + s.activations * (hi - lo) / s.macros
            owners.setdefault(j, []).append(s.layers[0])
    worst = max(use, key=use.get)
    if use[worst] > store.capacity:
        names = owners[worst]
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        raise PipelineInfeasible(
            f"the pipeline's activations do not fit: the stages on {store.name} instance "
            f"{worst} ({shown}) double-buffer {use[worst]:,.0f} input elements, it holds "
            f"{store.capacity:,.0f}", reason=f"capacity of '{store.name}' (activations)")
    return use[worst]
