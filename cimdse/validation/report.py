"""Evaluated reference rows aggregated into errors per family and per macro,
prediction and calibration rows apart, and the bound check."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .references import BOUNDS, FAMILIES, Reference


@dataclass
class Row:
    ref: Reference
    model: float
    error: float          # (model - reference) / reference

    @property
    def group(self) -> str:
        """``derived`` for a circular row (``derived_from`` set), else its role."""
        return "derived" if self.ref.derived_from else self.ref.role

    def to_dict(self) -> dict[str, Any]:
        r = self.ref
        return {"macro": r.macro, "source": r.source, "metric": r.metric,
                "family": r.family, "quantity": r.quantity, "components": list(r.components),
                "overrides": dict(r.overrides), "workload": r.workload,
                "distributions": r.distributions, "relative_to": r.relative_to,
                "unit": r.unit, "role": r.role, "derived_from": r.derived_from,
                "group": self.group,
                "reference": r.reference, "model": self.model, "error": self.error,
                "abs_error": abs(self.error)}


def _mean_abs(rows: Iterable[Row]) -> float | None:
    errs = [abs(r.error) for r in rows]
    return math.fsum(errs) / len(errs) if errs else None


def error_stats(rows: Sequence[Row]) -> dict[str, Any]:
    """Row count, mean and max absolute relative error (None without rows)."""
    return {"n": len(rows), "mean_abs_error": _mean_abs(rows),
            "max_abs_error": max((abs(r.error) for r in rows), default=None)}


def _group_stats(rows: Sequence[Row], bound: float | None) -> dict[str, Any]:
    """Prediction and calibration statistics of ``rows``, the number of derived
    rows, and whether the prediction rows are within ``bound`` (None: no
    bound or no prediction rows)."""
    pred = error_stats([r for r in rows if r.group == "prediction"])
    cal = error_stats([r for r in rows if r.group == "calibration"])
    within = (None if bound is None or not pred["n"]
              else pred["mean_abs_error"] <= bound)
    return {"n": len(rows), "bound": bound, "prediction": pred, "calibration": cal,
            "n_derived": sum(r.group == "derived" for r in rows), "within_bound": within}


@dataclass
class Validation:
    """Evaluated reference rows. Errors are aggregated per family and per
    macro and family, prediction and calibration rows apart; derived
    (circular) rows are listed and counted in neither. :data:`BOUNDS` gates
    the mean absolute error of the prediction rows only."""

    rows: list[Row]
    skipped: list[dict[str, str]] = field(default_factory=list)

    def _of(self, family: str, macro: str | None = None) -> list[Row]:
        return [r for r in self.rows if r.ref.family == family
                and (macro is None or r.ref.macro == macro)]

    def families(self) -> dict[str, dict[str, Any]]:
        """Per family over all macros: :func:`_group_stats`."""
        return {fam: _group_stats(self._of(fam), BOUNDS[fam])
                for fam in FAMILIES if self._of(fam)}

    def macros(self) -> dict[str, dict[str, Any]]:
        """Per macro: prediction / calibration statistics over all its rows and
        per family (each family gated against its bound)."""
        out: dict[str, dict[str, Any]] = {}
        for name in sorted({r.ref.macro for r in self.rows}):
            mine = [r for r in self.rows if r.ref.macro == name]
            out[name] = {**_group_stats(mine, None),
                         "families": {fam: _group_stats(self._of(fam, name), BOUNDS[fam])
                                      for fam in FAMILIES if self._of(fam, name)}}
        return out

    def derived(self) -> list[Row]:
        """Circular rows: a model input was taken from the same paper's figure."""
        return [r for r in self.rows if r.group == "derived"]

    def failures(self) -> list[dict[str, Any]]:
        """(macro, family) pairs whose prediction rows exceed the bound."""
        return [{"macro": name, "family": fam, "bound": s["bound"],
                 "mean_abs_error": s["prediction"]["mean_abs_error"]}
                for name, m in self.macros().items()
                for fam, s in m["families"].items() if s["within_bound"] is False]

    def overall(self) -> dict[str, Any]:
        return _group_stats(self.rows, None)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows], "families": self.families(),
                "macros": self.macros(), "overall": self.overall(),
                "derived": [r.to_dict() for r in self.derived()],
                "failures": self.failures(), "within_bounds": not self.failures(),
                "skipped": self.skipped}

    def summary(self) -> str:
        lines = self._row_lines() + [""] + self._family_lines() + [""] + self._macro_lines()
        lines += self._derived_lines() + self._overall_lines()
        lines += [f"skipped {s['macro']} '{s['metric']}': {s['reason']}" for s in self.skipped]
        return "\n".join(lines)

    def _row_lines(self) -> list[str]:
        lines = ["rows (* calibration: a model constant was fitted to it; ~ derived: a model "
                 "input comes from the same figure)",
                 f"{'macro':<20}{'family':<18}{'metric':<46}{'reference':>12}{'model':>12}"
                 f"{'error':>9}"]
        mark = {"prediction": " ", "calibration": "*", "derived": "~"}
        for r in self.rows:
            metric = r.ref.metric if len(r.ref.metric) <= 44 else r.ref.metric[:43] + "~"
            over = ",".join(f"{k}={v}" for k, v in r.ref.overrides)
            lines.append(f"{r.ref.macro:<20}{r.ref.family:<18}{metric:<46}"
                         f"{r.ref.reference:>12.4g}{r.model:>12.4g}{r.error:>+9.1%}"
                         + mark[r.group] + (f"  [{over}]" if over else ""))
        return lines

    def _family_lines(self) -> list[str]:
        lines = ["mean |error| per family: prediction rows (gated by the bound), "
                 "calibration rows apart",
                 _stats_header("family")]
        for fam, s in self.families().items():
            lines.append(_stats_line(fam, s))
        return lines

    def _macro_lines(self) -> list[str]:
        lines = ["mean |error| per macro and family", _stats_header("macro / family")]
        for name, m in self.macros().items():
            lines.append(_stats_line(name, m))
            lines += [_stats_line(f"  {fam}", s) for fam, s in m["families"].items()]
        return lines

    def _derived_lines(self) -> list[str]:
        rows = self.derived()
        if not rows:
            return []
        lines = ["", f"derived (circular) rows, in neither mean ({len(rows)}):"]
        lines += [f"  {r.ref.macro} '{r.ref.metric}' {r.error:+.1%}: {r.ref.derived_from}"
                  for r in rows]
        return lines

    def _overall_lines(self) -> list[str]:
        o = self.overall()
        if not o["n"]:
            return ["", "overall: no rows evaluated"]
        fails = self.failures()
        verdict = ("every macro's prediction rows within the family bounds" if not fails else
                   "over the bound on prediction rows: " + ", ".join(
                       f"{f['macro']} {f['family']} {f['mean_abs_error']:.1%} > "
                       f"{f['bound']:.0%}" for f in fails))
        return ["", f"overall: prediction {_pct(o['prediction'])} over "
                    f"{o['prediction']['n']} rows; calibration {_pct(o['calibration'])} over "
                    f"{o['calibration']['n']} rows; {o['n_derived']} derived", verdict]


def _pct(stats: Mapping[str, Any]) -> str:
    return "-" if stats["mean_abs_error"] is None else f"{stats['mean_abs_error']:.1%}"


def _stats_header(label: str) -> str:
    return (f"  {label:<22}{'prediction':>11}{'n':>4}{'max':>8}{'calibration':>13}{'n':>4}"
            f"{'derived':>9}{'bound':>7}")


def _stats_line(label: str, s: Mapping[str, Any]) -> str:
    pred, cal = s["prediction"], s["calibration"]
    worst = "-" if pred["max_abs_error"] is None else f"{pred['max_abs_error']:.1%}"
    bound = "-" if s["bound"] is None else f"{s['bound']:.0%}"
    flag = {None: "", True: "  ok", False: "  OVER"}[s["within_bound"]]
    return (f"  {label:<22}{_pct(pred):>11}{pred['n']:>4}{worst:>8}{_pct(cal):>13}"
            f"{cal['n']:>4}{s['n_derived']:>9}{bound:>7}{flag}")
