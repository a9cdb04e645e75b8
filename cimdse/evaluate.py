"""evaluate(design, workload): the one entry point for a design's metrics.

The CLI, experiments and the DSE runner all call :func:`evaluate`. It
accepts a loaded :class:`~cimdse.spec.Design` or a spec path, and a workload
given as a built-in network name, a CiMLoop workload file or directory, a
:class:`~cimdse.workload.Network` or :class:`~cimdse.workload.Layer`, or
``"max_utilization"``: one layer whose dims are the product of every node's
``max_utilization`` factors, i.e. exactly fills the hardware (CiMLoop's
peak-performance run).

Energies are data-value dependent: every layer's Inputs / Weights / Outputs
histograms (defaults when a layer has none) are encoded and sliced with the
design's encoding convention into value statistics once per distinct layer,
and priced into an ActionTable once per distinct statistics
(:class:`cimdse.mapping.actions.TableCache`); the mapper maps each layer
shape once. ``statistics=False`` prices every layer without statistics
(models assume uniformly distributed codes).

The layers are then placed over the design's macros and pipelined
(:mod:`cimdse.system`; the design's ``PLACEMENT``, default ``none``: one
stage on the whole system): the result is a
:class:`~cimdse.system.SystemResult`, the per-layer figures plus the
pipeline's.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

from .accuracy import annotate
from .mapping import MappingError, NetworkResult, SearchSettings
from .mapping import evaluate as _map_network
from .mapping import max_utilization_layer
from .mapping.actions import TableCache
from .spec import Design, load
from .spec.compose import MAX_UTILIZATION
from .system import SystemResult, pipeline_of


def evaluate(design: Design | str | Path, workload: Any = MAX_UTILIZATION,
             layer: int | None = None, *, overrides: Mapping[str, Any] | None = None,
             settings: SearchSettings | None = None,
             statistics: bool = True) -> SystemResult:
    """Best mapping of every layer of ``workload`` on ``design``, summed, and
    the layers pipelined over the design's macros.

    ``layer`` picks one layer by index; ``overrides`` apply when ``design``
    is a path (``workload`` then defines the workload-derived variables,
    e.g. ``WORKLOAD_WEIGHTS``); ``settings`` replace the spec's ``mapper:`` section;
    ``statistics=False`` skips the per-layer value statistics.
    """
    if isinstance(design, (str, Path)):
        design = load(design, overrides=overrides, workload=workload)
    tables = TableCache(design) if statistics else None
    network = _network(workload_for(design, workload))
    result = _map_network(design, network, layer=layer, settings=settings, tables=tables)
    check_finite(result)
    result.notes = list(design.notes)
    layers = list(network.layers) if layer is None else [network.layers[layer]]
    annotate(result, design, layers)
    return SystemResult.of(result, pipeline_of(design, result, layers, settings))


def _network(workload: Any):
    from .workload import load_workload
    return load_workload(workload)


def check_finite(result: NetworkResult) -> None:
    """Raise :class:`MappingError` naming the component if a total is NaN or infinite
    (finite per-action energies can still overflow once multiplied by the counts)."""
    totals = {"energy (pJ)": result.energy_pj, "latency (s)": result.latency_s,
              "area (um^2)": sum(result.area_um2.values())}
    for what, value in totals.items():
        if math.isfinite(value):
            continue
        parts = {**result.energy_breakdown} if what.startswith("energy") else \
            dict(result.area_um2) if what.startswith("area") else {}
        culprits = [c for c, v in parts.items() if not math.isfinite(v)]
        named = f" of component '{culprits[0]}'" if culprits else ""
        raise MappingError(f"design '{result.design}': the {what}{named} is {value}; the "
                           "model left its valid range (see `cimdse components`)")


def workload_for(design: Design, workload: Any) -> Any:
    """Resolve the special name ``max_utilization``; pass others through."""
    if workload != MAX_UTILIZATION:
        return workload
    from .workload import Layer, Network
    unit = Layer(name=MAX_UTILIZATION, dims={}, kind="linear")
    return Network(name=MAX_UTILIZATION, layers=(max_utilization_layer(design, unit),))


__all__ = ["evaluate", "check_finite", "workload_for", "NetworkResult", "SystemResult",
           "MAX_UTILIZATION"]
