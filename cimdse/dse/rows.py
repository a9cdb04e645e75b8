"""The rows a sweep stores, built in the driver: a worker's result -> the
design row (trial, parameters, metrics, status judged against the sweep's
objectives and constraints) and its layer rows; a finished trial -> its
trial-log row; and the Arrow types of the parameter columns."""

from __future__ import annotations

import ast
import json
import math
from typing import Any

import pyarrow as pa

from ..metrics import METRIC_NAMES
from .expressions import parsed
from .schema import Parameter, Sweep


def finite(v: Any) -> bool:
    """A real number (not bool), neither infinite nor NaN."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def rankable(v: Any, direction: str) -> bool:
    """A value an objective can rank: finite, or infinite on its better side
    (the +inf ``sqnr_db`` of a datapath that adds no error, maximised)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v):
        return False
    return math.isfinite(v) or (v > 0) == (direction == "maximize")


def design_row(sweep: Sweep, study_name: str, trial: int, params: dict, result: dict) -> dict:
    """The designs-table row of a worker's ``result`` for the first trial that
    asked the design: every metric column (null for failed designs), then the
    record's other columns."""
    row = {"design_id": result["design_id"], "trial": trial, "status": result["status"],
           "error": result["error"], "study": study_name}
    for p in sweep.parameters:
        row[p.column] = params.get(p.name)
    record = result["record"] or {}
    for k in METRIC_NAMES:
        row[k] = record.get(k)
    for k, v in record.items():
        if k not in row:
            row[k] = v
    if row["status"] == "ok":
        _judge(sweep, row, record)
    row.update(eval_s=result["eval_s"], worker=result["worker"],
               started_at=result["started_at"])
    return row


def cache_columns(sweep: Sweep) -> frozenset[str]:
    """The columns the driver needs of a design it has seen: to tell a later
    trial of the same design (status, objectives, every name a constraint
    reads), to report it (trial, study, parameters) and to rank it."""
    names = {"design_id", "trial", "study", "status", "error"}
    names.update(o.column for o in sweep.objectives)
    names.update(p.column for p in sweep.parameters)
    for c in sweep.constraints:
        for side in (c.lhs, c.rhs):
            names.update(n.id for n in ast.walk(parsed(side)) if isinstance(n, ast.Name))
    return frozenset(names)


def cached_row(row: dict, columns: frozenset[str]) -> dict:
    """``row`` cut to ``columns``: the driver keeps every design it has seen,
    so it keeps only what it reads (a full row with its per-component
    columns is several KB; 10^5 designs must fit in the driver)."""
    return {k: v for k, v in row.items() if k in columns}


def _judge(sweep: Sweep, row: dict, record: dict) -> None:
    """Mark an ``ok`` row ``error`` (objectives missing or not finite, a
    constraint that cannot be computed) or ``infeasible`` (a constraint violated)."""
    missing = [o.column for o in sweep.objectives
               if not rankable(record.get(o.column), o.direction)]
    if missing:
        row["status"] = "error"
        row["error"] = "objective(s) missing or not finite: " + ", ".join(
            f"{m}={record.get(m)!r}" for m in missing)
        return
    violated = []
    for c in sweep.constraints:
        try:
            value = c.value(record)
        except Exception as err:  # noqa: BLE001 - e.g. column missing
            row["status"], row["error"] = "error", f"constraint {c.text!r}: {err}"
            return
        if not isinstance(value, (int, float)) or math.isnan(value):  # inf: judged below
            row["status"], row["error"] = "error", f"constraint {c.text!r} is {value!r}"
            return
        if not c.satisfied(record):
            violated.append(c.text)
    if violated:
        row["status"] = "infeasible"
        row["error"] = "constraint violated: " + "; ".join(violated)


def layer_rows(result: dict) -> list[dict]:
    """The layers-table rows of a worker's ``result``."""
    return [{"design_id": result["design_id"], **lr} for lr in result["layers"]]


def macro_rows(result: dict) -> list[dict]:
    """The macros-table rows of a worker's ``result`` (placed pipelines only)."""
    return [{"design_id": result["design_id"], **m} for m in result.get("macros") or []]


def trial_row(study_name: str, ft, design_id: str | None) -> dict:
    """The trial-log row of a finished trial (an Optuna ``FrozenTrial``)."""
    from optuna.distributions import distribution_to_json
    return {"study": study_name, "trial": ft.number, "design_id": design_id,
            "state": ft.state.name, "values": json.dumps(ft.values),
            "params": json.dumps(ft.params),
            "distributions": json.dumps({k: distribution_to_json(v)
                                         for k, v in ft.distributions.items()}),
            "system_attrs": json.dumps(ft.system_attrs, default=str),
            "user_attrs": json.dumps(ft.user_attrs, default=str)}


def parameter_types(sweep: Sweep) -> dict[str, pa.DataType]:
    """Arrow type of each parameter column (so a column's type never depends on
    which values a flush happens to hold)."""
    return {p.column: _parameter_type(p) for p in sweep.parameters}


def _parameter_type(p: Parameter) -> pa.DataType:
    if p.type == "int":
        return pa.int64()
    if p.type == "float":
        return pa.float64()
    vals = [c for c in p.choices if c is not None]
    if vals and all(isinstance(c, bool) for c in vals):
        return pa.bool_()
    if vals and all(isinstance(c, int) and not isinstance(c, bool) for c in vals):
        return pa.int64()
    if vals and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in vals):
        return pa.float64()
    return pa.string()
