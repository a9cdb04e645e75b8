"""What a worker runs: evaluate one design (all its workloads) into a row.

``evaluate_point(spec_path, overrides, workload, seed) -> (record, layer_rows)``
(or ``(record, layer_rows, macro_rows)``) is the pluggable per-design evaluator. The default one is built on
``cimdse.load`` + ``cimdse.evaluate`` and imported lazily, so tests and
benchmarks can pass a fast fake (any picklable function with that
signature). ``evaluate_chunk`` is the Ray task body: it never raises for a
bad design -- infeasible designs and errors become rows with a ``status``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import sys
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Callable

from .limits import Limits, design_limits

log = logging.getLogger(__name__)

#: Status of a design that was not started because the sweep's wall time passed.
SKIPPED = "skipped"

EvaluatePoint = Callable[[str, dict, dict, int], tuple]

#: Extensive metrics: summed over workloads when a design runs several.
_SUMMED = ("energy_pj", "macs", "cycles", "latency_s", "pipeline_latency_s",
           "sequential_latency_s", "interconnect_energy_pj", "reload_energy_pj")


@functools.lru_cache(maxsize=32)
def _network(workload_json: str):
    from ..workload import load_workload
    from ..workload.errors import WorkloadError
    from ..workload.network import Network
    w = json.loads(workload_json)
    net = load_workload(w["name"], batch=w.get("batch", 1), seq_len=w.get("seq_len"))
    wanted = w.get("layers") or []
    if not wanted:
        return net
    layers = []
    for item in wanted:
        if isinstance(item, int):
            if not -len(net.layers) <= item < len(net.layers):
                raise WorkloadError(f"network {net.name!r} has {len(net.layers)} layers; "
                                    f"no layer index {item}")
            layers.append(net.layers[item])
        else:
            layers.append(net.layer(item))
    return Network(net.name, tuple(layers), source=net.source)


def layer_rows_of(result) -> list[dict]:
    """Per-layer rows of a result: ``layer_records()`` if it has one, else one row
    per ``result.layers`` item (its ``to_dict()`` plus ``e.<component>`` energies)."""
    fn = getattr(result, "layer_records", None)
    if callable(fn):
        return [dict(r) for r in fn()]
    rows = []
    for lr in getattr(result, "layers", None) or []:
        if not hasattr(lr, "to_dict"):
            continue
        row = {k: v for k, v in lr.to_dict().items() if not isinstance(v, (dict, list))}
        if "name" in row and "layer" not in row:
            row["layer"] = row.pop("name")
        row.update({f"e.{c}": v for c, v in (getattr(lr, "energy_breakdown", None) or {}).items()})
        rows.append(row)
    return rows


def macro_rows_of(result) -> list[dict]:
    """Per-macro rows of a result: ``macro_records()`` if it has one (a placed
    pipeline, :mod:`cimdse.system`), else none."""
    fn = getattr(result, "macro_records", None)
    return [dict(r) for r in fn()] if callable(fn) else []


def default_evaluate_point(spec_path: str, overrides: dict, workload: dict,
                           seed: int) -> tuple[dict, list[dict], list[dict]]:
    """The real evaluator: :func:`cimdse.spec.load` then
    :func:`cimdse.evaluate.evaluate`. The evaluation is
    deterministic, so ``seed`` is not needed (other evaluators may use it)."""
    from ..evaluate import evaluate
    from ..spec import load
    design = load(spec_path, overrides)
    if is_max_utilization(workload):
        # design-dependent: one layer that exactly fills this design's hardware
        network = workload["name"]
    else:
        network = _network(json.dumps(workload, sort_keys=True))
    result = evaluate(design, network)
    return dict(result.record()), layer_rows_of(result), macro_rows_of(result)


def is_max_utilization(workload: dict) -> bool:
    """The special workload ``max_utilization`` (see :func:`cimdse.evaluate`), which is
    built per design, not loaded; a layer filter does not apply to it."""
    from ..evaluate import MAX_UTILIZATION
    return workload.get("name") == MAX_UTILIZATION


def infeasible_types() -> tuple[type, ...]:
    """Exception types meaning 'this design cannot run this workload'."""
    from ..mapping.errors import NoValidMappingError
    return (NoValidMappingError,)


def combine_records(records: list[dict]) -> dict:
    """One design record from per-workload records: extensive metrics and
    ``e.*`` summed, area the max, ``sqnr_db`` the min, rates recomputed from
    the sums."""
    if len(records) == 1:
        return dict(records[0])
    out: dict[str, Any] = {}
    keys = [k for r in records for k in r]
    for key in dict.fromkeys(keys):
        values = [r.get(key) for r in records if isinstance(r.get(key), (int, float))]
        if not values:
            out[key] = records[0].get(key)
        elif key in _SUMMED or key.startswith("e."):
            out[key] = sum(values)
        elif key in ("area_mm2", "n_macros_used"):
            out[key] = max(values)
        elif key == "sqnr_db":          # the worst layer of any workload
            out[key] = min(values)
        else:
            out[key] = values[0]
    e, macs, lat, area = (out.get(k) for k in ("energy_pj", "macs", "latency_s", "area_mm2"))
    if e and macs:
        out["energy_per_mac_fj"] = e * 1e3 / macs
        out["tops_per_w"] = 2 * macs / e
    if lat and macs:
        out["tops"] = 2 * macs / lat / 1e12
        if area:
            out["tops_per_mm2"] = out["tops"] / area
    rates = [r.get("throughput_inferences_per_s") for r in records]
    if all(isinstance(t, (int, float)) and t > 0 for t in rates):
        # one input of each workload in turn: the periods add
        out["throughput_inferences_per_s"] = 1.0 / sum(1.0 / t for t in rates)
    if "utilization" in out and "cycles" in out:
        cyc = [r.get("cycles") or 0 for r in records]
        util = [r.get("utilization") or 0 for r in records]
        out["utilization"] = (sum(c * u for c, u in zip(cyc, util)) / sum(cyc)) if sum(cyc) else 0.0
    return out


def _short(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= 2000 else text[:1997] + "..."


def worker_label() -> str:
    """``host:pid`` of this process, plus ``@<Ray node id>`` inside a Ray worker
    (or a driver connected to Ray): the ``worker`` column of a design row."""
    label = f"{socket.gethostname()}:{os.getpid()}"
    ray = sys.modules.get("ray")        # never import Ray just for this
    try:
        if ray is not None and ray.is_initialized():
            label += f"@{ray.get_runtime_context().get_node_id()}"
    except Exception:  # noqa: BLE001 - the label is informational
        pass
    return label


def evaluate_design(item: dict, spec_path: str, workloads: list[dict],
                    evaluate_point: EvaluatePoint, worker: str | None = None,
                    limits: Limits | None = None) -> dict:
    """Evaluate one design on every workload under ``limits``; never raises for a
    bad design (a design past its time or memory limit is an ``error`` row).

    ``item`` is ``{"design_id", "overrides", "seed"}``. Returns
    ``{"design_id", "status", "error", "record", "layers", "macros", "eval_s", "worker",
    "started_at"}``.
    """
    from ..errors import CimdseError
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    status, error, record, layers, macros = "ok", None, {}, [], []
    try:
        records = []
        with design_limits(limits):
            for w in workloads:
                rec, rows, *more = evaluate_point(spec_path, dict(item["overrides"]), w,
                                                  item["seed"])
                records.append(rec)
                label = w["name"] if not w.get("layers") else \
                    f"{w['name']}[{','.join(map(str, w['layers']))}]"
                for i, row in enumerate(rows):
                    layers.append({"workload": label, "layer_index": i, **row})
                for row in (more[0] if more else []):
                    macros.append({"workload": label, **row})
        record = combine_records(records)
    except infeasible_types() as err:
        status, error = "infeasible", _short(err)
    except CimdseError as err:
        status, error = "error", _short(err)
    except MemoryError as err:
        status, error = "error", f"MemoryError: {err or 'out of memory'}"
    except RecursionError as err:
        status, error = "error", _short(err)
    except Exception as err:  # noqa: BLE001 - a bad design must not crash the sweep
        status, error = "error", _short(err)
        log.debug("design %s failed:\n%s", item["design_id"], traceback.format_exc())
    if status != "ok":
        macros = []
    return {"design_id": item["design_id"], "status": status, "error": error, "record": record,
            "layers": layers, "macros": macros, "eval_s": time.perf_counter() - t0,
            "worker": worker or worker_label(), "started_at": started}


def skipped(item: dict, worker: str) -> dict:
    """The result of a design a chunk did not start because the sweep's wall time
    had passed: ``status`` ``skipped`` (the runner leaves its trial open, so a
    resumed sweep evaluates it)."""
    return {"design_id": item["design_id"], "status": SKIPPED, "error": None, "record": {},
            "layers": [], "macros": [], "eval_s": 0.0, "worker": worker,
            "started_at": datetime.now(timezone.utc)}


def evaluate_chunk(items: list[dict], spec_path: str, workloads: list[dict],
                   evaluate_point: EvaluatePoint | None = None,
                   limits: Limits | None = None, stop_after: float | None = None) -> list[dict]:
    """Task body: evaluate a chunk of designs (results in input order). Designs not
    started by ``stop_after`` (epoch seconds) come back :func:`skipped`."""
    fn = evaluate_point or default_evaluate_point
    worker = worker_label()
    out = []
    for item in items:
        if stop_after is not None and time.time() >= stop_after:
            out.append(skipped(item, worker))
        else:
            out.append(evaluate_design(item, spec_path, workloads, fn, worker, limits))
    return out
