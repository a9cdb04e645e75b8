"""What a sweep reports: the best feasible design of each objective as rows
arrive (shown on the progress bar), the Pareto front of the feasible designs,
and the :class:`SweepSummary` the CLI prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .pareto import is_nondominated
from .rows import rankable
from .schema import Sweep


@dataclass
class SweepSummary:
    """What a sweep did; ``str()`` is the CLI's summary."""

    name: str
    out_dir: Path
    trials: int                        # Optuna trials in the study (incl. resumed ones)
    counts: dict[str, int]             # design rows by status (whole store)
    best: dict[str, dict]              # objective -> {value, design_id, trial, params}
    evaluated: int = 0                 # designs evaluated by this run
    cached: int = 0                    # trials of this run served from the store
    elapsed_s: float = 0.0
    stopped: str = "budget"            # budget | wall_time | interrupted | exhausted
    executor: str = ""
    cpus: int = 1
    #: Pareto front of the objectives over the feasible designs (whole store), sorted by
    #: the first objective: {design_id, trial, <objective>..., params}.
    front: list[dict] = field(default_factory=list)
    objectives: dict[str, str] = field(default_factory=dict)   # column -> direction
    max_front_rows: int = 30                                   # rows str() prints

    @property
    def designs_per_s(self) -> float:
        return self.evaluated / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def __str__(self) -> str:
        c = self.counts
        lines = [f"sweep {self.name}: {self.trials} trials, {sum(c.values())} designs "
                 f"(ok {c.get('ok', 0)}, infeasible {c.get('infeasible', 0)}, "
                 f"error {c.get('error', 0)}); stopped: {self.stopped}",
                 f"this run: {self.evaluated} designs evaluated, {self.cached} served from the "
                 f"store, {self.elapsed_s:.1f} s on {self.executor} ({self.cpus} CPUs), "
                 f"{self.designs_per_s:.2f} designs/s"]
        for obj, b in self.best.items():
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in b["params"].items())
            lines.append(f"best {obj} ({b['direction']}): {_fmt(b['value'])}  "
                         f"[design {b['design_id']}, trial {b['trial']}: {params}]")
        if not self.best:
            lines.append("no feasible design yet")
        if self.front:
            lines.append(f"Pareto front ({len(self.front)} of {c.get('ok', 0)} feasible designs; "
                         + ", ".join(f"{k} ({v})" for k, v in self.objectives.items()) + "):")
            lines.extend(_front_table(self.front, list(self.objectives), self.max_front_rows))
        lines.append(f"results: {self.out_dir}/  (designs/, layers/, macros/ *.parquet; "
                     f"cimdse.read_results('{self.out_dir}'), cimdse pareto {self.out_dir})")
        return "\n".join(lines)


def _front_table(front: list[dict], objectives: list[str], max_rows: int) -> list[str]:
    """Aligned text table of front rows: design, trial, objectives, parameters."""
    params = list(dict.fromkeys(k for r in front for k in r["params"]))
    header = ["design_id", "trial", *objectives, *params]
    shown = front[:max_rows]
    cells = [[str(r["design_id"]), str(r["trial"]), *(_fmt(r[o]) for o in objectives),
              *(_fmt(r["params"].get(k, "")) for k in params)] for r in shown]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    out = ["  " + "  ".join(h.rjust(w) for h, w in zip(header, widths))]
    out += ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    if len(front) > len(shown):
        out.append(f"  ... {len(front) - len(shown)} more (cimdse pareto DIR prints them all)")
    return out


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _params(sweep: Sweep, row: dict) -> dict[str, Any]:
    return {p.name: row.get(p.column) for p in sweep.parameters if row.get(p.column) is not None}


class BestDesigns:
    """The best feasible design of each objective among the rows added so far
    (the first one wins a tie): objective -> {value, direction, design_id, trial,
    params}."""

    def __init__(self, sweep: Sweep):
        self.sweep = sweep
        self.by_objective: dict[str, dict] = {}

    def add(self, row: dict) -> None:
        if row.get("status") != "ok":
            return
        for o in self.sweep.objectives:
            v = row.get(o.column)
            if not rankable(v, o.direction):
                continue
            cur = self.by_objective.get(o.column)
            better = cur is None or (v < cur["value"] if o.direction == "minimize"
                                     else v > cur["value"])
            if better:
                self.by_objective[o.column] = {
                    "value": float(v), "direction": o.direction, "design_id": row["design_id"],
                    "trial": row.get("trial"), "params": _params(self.sweep, row)}


def pareto_rows(sweep: Sweep, rows: Iterable[dict]) -> list[dict]:
    """The Pareto front of the sweep's objectives over the feasible design rows,
    sorted by the first objective (then trial)."""
    import numpy as np
    rows = [r for r in rows if r.get("status") == "ok"]
    if not rows:
        return []
    objs = sweep.objectives
    points = np.array([[r.get(o.column) if rankable(r.get(o.column), o.direction) else np.nan
                        for o in objs] for r in rows], dtype=float)
    mask = is_nondominated(points, [o.direction == "maximize" for o in objs])
    front = [{"design_id": r["design_id"], "trial": r.get("trial"),
              **{o.column: r.get(o.column) for o in objs}, "params": _params(sweep, r)}
             for r, keep in zip(rows, mask) if keep]
    first = objs[0]
    front.sort(key=lambda r: (r[first.column] if first.direction == "minimize"
                              else -r[first.column], r["trial"] or 0))
    return front


def status_counts(rows: Iterable[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


class Progress:
    """The sweep's progress bar over trials (tqdm; drawn only when ``enabled``),
    with the best value of each objective as its postfix."""

    def __init__(self, name: str, total: int, done: int, enabled: bool):
        from tqdm import tqdm
        self.enabled = enabled
        self.bar = tqdm(total=total, initial=min(done, total), unit="trial",
                        disable=not enabled, desc=name, dynamic_ncols=True, leave=True)

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def show_best(self, best: dict[str, dict]) -> None:
        if self.enabled and best:
            self.bar.set_postfix_str(" ".join(f"{k}={_fmt(v['value'])}" for k, v in best.items()),
                                     refresh=False)

    def close(self) -> None:
        self.bar.close()
