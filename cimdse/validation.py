"""Published CiM macros and their validation against silicon.

Macro specs live in ``configs/macros/*.yaml`` (one file per published chip,
with a ``# paper: ...`` header line and a ``description:`` key).
:func:`macros_dir` finds that directory from the current directory (or any
parent) and, failing that, in the installed package (:mod:`cimdse.shipped`),
so it works from a checkout, an editable install and an installed wheel.

Validation
----------
:func:`load_references` reads every ``*.csv`` of ``cimdse/data/references/``
(one file per macro, ``<macro>.csv``; the columns are described in that
directory's ``README.md``): one published figure per row (``macro``,
``source_paper``, ``condition``, ``metric``, ``reference_value``, ``unit``)
plus machine-readable columns that say how to reproduce it with the model:

* ``family``: metric family (``energy_efficiency``, ``throughput``,
  ``energy_breakdown``, ``area_breakdown``, ``compute_density``);
* ``quantity``: model metric (:data:`QUANTITIES`);
* ``components``: ``+``-joined component names the quantity is summed over
  (empty: the whole macro);
* ``overrides``: ``K=V;K=V`` spec overrides (values parsed as YAML, like
  ``--set``);
* ``workload``: workload name (``max_utilization``: one full-array MVM);
* ``model_scale``: factor from the model quantity to the reference's unit
  and scope (e.g. 48 cores for a chip throughput);
* ``distributions``: operand values of the evaluated layer (empty: the
  workload's defaults; ``uniform``: uniform 8-bit Inputs and Weights;
  ``cimloop_jia``: the histograms CiMLoop evaluates Macro A with;
  ``mean=M``: Inputs and Weights at zero or full scale with mean normalised
  value M, i.e. CiMLoop's AVERAGE_INPUT_VALUE = AVERAGE_WEIGHT_VALUE = M;
  :func:`distributions_for`);
* ``role``: ``calibration`` when a model constant was fitted to this row (by
  us or copied from CiMLoop's calibration; the row checks the fit, marked
  ``*``), ``prediction`` when nothing was fitted to it (:data:`ROLES`);
* ``relative_to``: distributions of a second evaluation the quantity is
  divided by (e.g. max/min energy over operand values); empty: none;
* ``derived_from``: the same paper's table or figure a model input was taken
  from, making the row circular (marked ``~``); empty: none.

:func:`validate` evaluates every row (each distinct macro + overrides +
workload once) and reports model vs reference with the signed relative
error ``(model - reference) / reference``; :class:`Validation` aggregates
the mean absolute error per macro, per family and overall, for prediction
and calibration rows apart, and checks each family's prediction rows against
:data:`BOUNDS`.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

from .shipped import find_configs
from .spec.errors import CimdseError, nearest

#: Environment variable naming the macro directory explicitly.
MACROS_ENV = "CIMDSE_MACROS"
MACROS_SUBDIR = Path("configs") / "macros"
#: The shipped reference figures: one ``<macro>.csv`` per macro.
REFERENCES = Path(__file__).resolve().parent / "data" / "references"
#: Values of a reference row's ``role`` column.
ROLES = ("prediction", "calibration")

#: Bound on the mean absolute error of a family's **prediction** rows, per
#: macro and over all macros (fractions): 5 % for every family with a bound.
#: For comparison, the CiMLoop paper reports average errors of 7 % for
#: energy efficiency (Fig. 7, voltage sweeps), 5 % for throughput (Fig. 8),
#: 4 % for energy breakdowns (Fig. 9) and 8 % for area breakdowns (Fig. 10)
#: (Andrulis, Emer, Sze, ISPASS 2024, Sec. V-A). ``None``: reported without a
#: bound. Calibration rows are reported but not gated.
BOUNDS: dict[str, float | None] = {
    "energy_efficiency": 0.05,
    "throughput": 0.05,
    "energy_breakdown": 0.05,
    "area_breakdown": 0.05,
    "compute_density": None,
}
FAMILIES = tuple(BOUNDS)

def _uniform() -> dict[str, Any]:
    from .workload.distributions import Histogram
    flat = Histogram(tuple([1.0] * 255))     # every 8-bit value equally likely
    return {"Inputs": flat, "Weights": flat}


def _two_point(mean: float) -> dict[str, Any]:
    from .workload.distributions import Histogram
    p = [0.0] * 255
    p[127] = 1.0 - mean                       # value 0
    p[254] = mean                             # full scale: every magnitude bit 1
    flat = Histogram(tuple(p))
    return {"Inputs": flat, "Weights": flat}


def _cimloop_jia() -> dict[str, Any]:
    # CiMLoop's defaults for Macro A (the CiMLoop artifact (mit-emze/cimloop),
    # arch/1_macro/jia_jssc_2020/variables_iso.yaml): INPUTS_HIST
    # [0, 0, 0, 8, 4, 2, 1] (non-negative, mostly small) and a flat 15-bin
    # WEIGHTS_HIST; its Table I / II tests run with them.
    from .workload.distributions import Histogram
    return {"Inputs": Histogram((0.0, 0.0, 0.0, 8.0, 4.0, 2.0, 1.0)),
            "Weights": Histogram(tuple([1.0] * 15))}


#: Named operand distributions a reference row may ask for (plus ``mean=M``).
DISTRIBUTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "uniform": _uniform, "cimloop_jia": _cimloop_jia}


def distributions_for(name: str) -> dict[str, Any]:
    """Inputs / Weights histograms of a reference row's ``distributions``."""
    if name in DISTRIBUTIONS:
        return DISTRIBUTIONS[name]()
    if name.startswith("mean="):
        try:
            mean = float(name[5:])
        except ValueError:
            mean = -1.0
        if 0.0 <= mean <= 1.0:
            return _two_point(mean)
    raise ValidationError(f"unknown distributions {name!r} (known: "
                          f"{', '.join(DISTRIBUTIONS)}, mean=M with 0 <= M <= 1)")

#: Model quantities a reference row may name.
QUANTITIES = ("tops", "tops_per_w", "tops_per_mm2", "tops_1b", "tops_per_w_1b",
              "tops_per_mm2_1b", "energy_pj", "area_um2", "area_mm2", "latency_s")


class ValidationError(CimdseError):
    """A reference row or macro directory that cannot be used."""


# -- macro files ---------------------------------------------------------------------------

def macros_dir(start: str | Path | None = None) -> Path:
    """The ``configs/macros`` directory: ``$CIMDSE_MACROS``, else the first
    ``configs/macros`` in ``start`` (default: the current directory) or one
    of its parents, else the one shipped in the package (:mod:`cimdse.shipped`)."""
    env = os.environ.get(MACROS_ENV)
    if env:
        path = Path(env)
        if path.is_dir():
            return path
        raise ValidationError(f"${MACROS_ENV}={env} is not a directory")
    found = find_configs(MACROS_SUBDIR.name, start)
    if found.is_dir():
        return found
    raise ValidationError(
        f"no {MACROS_SUBDIR} directory in {Path(start or Path.cwd()).resolve()} or its "
        f"parents, nor in the installed package ({found}); set ${MACROS_ENV}")


def macro_path(name: str | Path, directory: Path | None = None) -> Path:
    """``name`` as a path if it is a file, else ``<macros dir>/<name>.yaml``."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    directory = directory or macros_dir()
    got = directory / f"{name}.yaml"
    if not got.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml")))
        raise ValidationError(f"unknown macro {str(name)!r} in {directory} (known: {known})")
    return got


@dataclass(frozen=True)
class MacroInfo:
    name: str
    path: Path
    paper: str
    description: str
    rows: Any
    cols: Any
    technology: Any

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "file": str(self.path), "paper": self.paper,
                "description": self.description, "array_rows": self.rows,
                "array_cols": self.cols, "technology_nm": self.technology}


def _header_paper(text: str) -> str:
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        if body.lower().startswith("paper:"):
            return body.split(":", 1)[1].strip()
    return ""


def macro_info(path: Path) -> MacroInfo:
    """Name, paper (``# paper:`` header line), description and the resolved
    ARRAY_ROWS / ARRAY_COLS / TECHNOLOGY of one macro file."""
    from .spec import load
    text = path.read_text()
    raw = yaml.load(text, Loader=_PlainLoader) or {}
    design = load(path)
    v = design.variables
    return MacroInfo(name=str(raw.get("name", path.stem)), path=path,
                     paper=_header_paper(text), description=str(raw.get("description", "")),
                     rows=v.get("ARRAY_ROWS"), cols=v.get("ARRAY_COLS"),
                     technology=v.get("TECHNOLOGY"))


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that reads ``!Container`` / ``!Component`` nodes as plain maps."""


_PlainLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_mapping(node)
    if isinstance(node, yaml.MappingNode) else None)


def list_macros(directory: Path | None = None) -> list[MacroInfo]:
    directory = directory or macros_dir()
    if not directory.is_dir():
        raise ValidationError(f"macro directory {directory} is not a directory")
    return [macro_info(p) for p in sorted(directory.glob("*.yaml"))]


# -- reference rows ------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """One published figure and how to reproduce it (see the module docstring)."""

    macro: str
    source: str
    condition: str
    metric: str
    reference: float
    unit: str
    family: str
    quantity: str
    components: tuple[str, ...] = ()
    overrides: tuple[tuple[str, Any], ...] = ()
    workload: str = "max_utilization"
    model_scale: float = 1.0
    distributions: str = ""
    #: ``calibration``: a model constant was fitted to this very figure (the
    #: row checks the fit; the summary marks it with ``*``); ``prediction``:
    #: nothing was fitted to it
    role: str = "prediction"
    #: distributions of a second evaluation the quantity is divided by (a
    #: ratio such as max/min energy over operand values); '' = none
    relative_to: str = ""
    #: the same paper's table / figure a model input was taken from, making
    #: the row circular (the summary marks it with ``~``); '' = none
    derived_from: str = ""

    def __post_init__(self) -> None:
        for dists in (self.distributions, self.relative_to):
            if dists:
                try:
                    distributions_for(dists)
                except ValidationError as err:
                    raise ValidationError(f"{self.macro} '{self.metric}': {err}") from None
        if self.family not in BOUNDS:
            raise ValidationError(f"{self.macro} '{self.metric}': unknown family "
                                  f"{self.family!r} (known: {', '.join(BOUNDS)})")
        if self.quantity not in QUANTITIES:
            raise ValidationError(f"{self.macro} '{self.metric}': unknown quantity "
                                  f"{self.quantity!r} (known: {', '.join(QUANTITIES)})")
        if not self.reference:
            raise ValidationError(f"{self.macro} '{self.metric}': reference value is 0 or empty")
        if self.role not in ROLES:
            raise ValidationError(f"{self.macro} '{self.metric}': unknown role {self.role!r} "
                                  f"(known: {', '.join(ROLES)})")

    @property
    def fitted(self) -> bool:
        """A model constant was fitted to this row (``role == 'calibration'``)."""
        return self.role == "calibration"

    @property
    def case(self) -> tuple:
        """What must be evaluated: macro, overrides and workload."""
        return (self.macro, self.overrides, self.workload, self.distributions)


def parse_overrides(text: str) -> tuple[tuple[str, Any], ...]:
    """``"K=V;K=V"`` -> ((K, V), ...) with V parsed as YAML (as ``--set``)."""
    out = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValidationError(f"override {part!r} is not KEY=VALUE")
        key, value = part.split("=", 1)
        out.append((key.strip(), yaml.safe_load(value.strip())))
    return tuple(out)


#: Columns every reference table must have (the others are optional).
REQUIRED_COLUMNS = ("macro", "metric", "reference_value", "family", "quantity", "role")


def read_references(text: str, source: str = "references") -> list[Reference]:
    """Reference rows from CSV text (``#`` lines are comments); a bad table
    raises :class:`ValidationError` naming ``source`` and the data row."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ValidationError(f"{source}: not a reference table: missing column(s) "
                              f"{', '.join(missing)}")
    return [_reference_row(r, f"{source}: data row {n}") for n, r in enumerate(reader, 1)]


def _reference_row(r: Mapping[str, str | None], where: str) -> Reference:
    try:
        comps = tuple(c.strip() for c in (r.get("components") or "").split("+") if c.strip())
        return Reference(
            macro=r["macro"], source=r.get("source_paper", ""), condition=r.get("condition", ""),
            metric=r["metric"], reference=_finite(r["reference_value"], "reference_value"),
            unit=r.get("unit", ""),
            family=r["family"], quantity=r["quantity"], components=comps,
            overrides=parse_overrides(r.get("overrides", "")),
            workload=(r.get("workload") or "max_utilization").strip(),
            model_scale=_finite(r.get("model_scale") or "1", "model_scale"),
            distributions=(r.get("distributions") or "").strip(),
            role=(r.get("role") or "").strip().lower(),
            relative_to=(r.get("relative_to") or "").strip(),
            derived_from=(r.get("derived_from") or "").strip())
    except (ValidationError, ValueError, TypeError, yaml.YAMLError) as err:
        raise ValidationError(f"{where}: {err}") from None


def _finite(text: str | None, column: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise ValidationError(f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValidationError(f"{column} {text!r} is not a finite number")
    return value


def load_references(path: str | Path | None = None) -> list[Reference]:
    """The reference rows at ``path``: one CSV file, or every ``*.csv`` of a
    directory in name order (default: the shipped :data:`REFERENCES`)."""
    path = Path(path or REFERENCES)
    if path.is_dir():
        files = sorted(path.glob("*.csv"))
        if not files:
            raise ValidationError(f"reference directory {path} has no *.csv file")
        return [ref for f in files for ref in _read_reference_file(f)]
    return _read_reference_file(path)


def _read_reference_file(path: Path) -> list[Reference]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ValidationError(f"cannot read reference table {path}: "
                              f"{err.strerror or err}") from None
    except UnicodeDecodeError:
        raise ValidationError(f"cannot read reference table {path}: not UTF-8 text") from None
    return read_references(text, str(path))


# -- model quantities ----------------------------------------------------------------------

def _subset(values: Mapping[str, float], components: Sequence[str], what: str,
            case: str) -> float:
    if not components:
        return float(sum(values.values()))
    missing = [c for c in components if c not in values]
    if missing:
        raise ValidationError(f"{case}: no component {', '.join(map(repr, missing))} in the "
                              f"{what} breakdown (has: {', '.join(values)})")
    return float(sum(values[c] for c in components))


def model_quantity(result: Any, quantity: str, components: Sequence[str] = (),
                   variables: Mapping[str, Any] | None = None, case: str = "") -> float:
    """``quantity`` of an evaluation ``result`` (a NetworkResult or its
    ``to_dict()``), energies and areas summed over ``components``.

    ``*_1b`` metrics are the 1-bit-equivalent ones (x INPUT_BITS x
    WEIGHT_BITS, CiMLoop MacroOutputStats); TOPS/W and TOPS/mm^2 over a
    component subset use that subset's energy / area.
    """
    d = result if isinstance(result, Mapping) else result.to_dict()
    energy = _subset(d["breakdown"]["energy_pj"], components, "energy", case)
    area = _subset(d["breakdown"]["area_um2"], components, "area", case)
    macs, latency = d["macs"], d["latency_s"]
    base = quantity[:-3] if quantity.endswith("_1b") else quantity
    if base == "tops":
        value = 2 * macs / latency / 1e12 if latency else 0.0
    elif base == "tops_per_w":
        value = 2 * macs / (energy * 1e-12) / 1e12 if energy else 0.0
    elif base == "tops_per_mm2":
        tops = 2 * macs / latency / 1e12 if latency else 0.0
        value = tops / (area / 1e6) if area else 0.0
    elif base == "energy_pj":
        value = energy
    elif base == "area_um2":
        value = area
    elif base == "area_mm2":
        value = area / 1e6
    elif base == "latency_s":
        value = latency
    else:
        raise ValidationError(f"unknown quantity {quantity!r}")
    if quantity.endswith("_1b"):
        v = variables or {}
        value *= float(v.get("INPUT_BITS", 1)) * float(v.get("WEIGHT_BITS", 1))
    return float(value)


# -- validation ----------------------------------------------------------------------------

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


Evaluator = Callable[[Reference], tuple[Any, Mapping[str, Any]]]


def default_evaluator(directory: Path | None = None) -> Evaluator:
    """Evaluates a reference's case with :func:`cimdse.evaluate`; returns
    (result, design variables), cached per case."""
    from .evaluate import evaluate, workload_for
    from .spec import load
    from .workload import Network
    cache: dict[tuple, tuple[Any, Mapping[str, Any]]] = {}

    def run(ref: Reference):
        got = cache.get(ref.case)
        if got is None:
            design = load(macro_path(ref.macro, directory), overrides=dict(ref.overrides))
            workload: Any = ref.workload
            if ref.distributions:
                net = workload_for(design, workload)
                if isinstance(net, str):
                    from .workload import load_workload
                    net = load_workload(net)
                dists = distributions_for(ref.distributions)
                workload = Network(name=net.name, layers=tuple(
                    lyr.with_distributions(dists) for lyr in net.layers))
            got = (evaluate(design, workload).to_dict(), dict(design.variables))
            cache[ref.case] = got
        return got
    return run


def _model_value(run: Evaluator, ref: Reference) -> float:
    """The row's model quantity x ``model_scale`` (over the ``relative_to`` case's)."""
    def one(r: Reference) -> float:
        result, variables = run(r)
        return model_quantity(result, r.quantity, r.components, variables,
                              case=f"{r.macro} '{r.metric}'")
    value = one(ref) * ref.model_scale
    if ref.relative_to:
        base = one(replace(ref, distributions=ref.relative_to, relative_to=""))
        if base == 0:
            raise ValidationError(f"{ref.macro} '{ref.metric}': the relative_to case "
                                  f"({ref.relative_to}) evaluates to 0")
        value /= base
    return value


def _workload_file(workload: str, directory: Path | None) -> Path | None:
    """A row's workload file, or None for a built-in name. A relative path is
    relative to the project root (the directory holding ``configs/``): profiled
    workloads that are not shipped (CiMLoop's, in ``../shared``) live beside it."""
    if not (workload.endswith((".yaml", ".yml")) or "/" in workload):
        return None
    path = Path(workload)
    if path.is_absolute():
        return path
    return (macros_dir(directory).parent.parent / path).resolve()


def check_macro_names(names: Iterable[str], refs: Sequence[Reference],
                      specs: Iterable[str] | None = None) -> None:
    """Raise :class:`ValidationError` for a name in ``names`` that no
    reference row belongs to: a macro spec (in ``specs``) without published
    rows, or an unknown name (with the nearest valid one suggested)."""
    with_rows = sorted({r.macro for r in refs})
    valid = ", ".join(with_rows) or "none"
    for name in names:
        if name in with_rows:
            continue
        if specs is not None and name in set(specs):
            raise ValidationError(f"macro {name!r} has no published reference rows to "
                                  f"validate against; macros with rows: {valid}")
        hint = nearest(name, with_rows)
        raise ValidationError(f"unknown macro {name!r}" + (f" (did you mean {hint!r}?)"
                                                             if hint else "")
                              + f"; macros with reference rows: {valid}")


def validate(references: Sequence[Reference] | None = None, *,
             macros: Sequence[str] | None = None, evaluator: Evaluator | None = None,
             directory: Path | None = None) -> Validation:
    """Evaluate every reference row (of ``macros`` only, if given) and
    compare. Rows whose macro has no spec file are listed as skipped."""
    refs = list(references if references is not None else load_references())
    available = None
    if evaluator is None:
        available = {p.stem for p in (directory or macros_dir()).glob("*.yaml")}
    if macros:
        check_macro_names(macros, refs, available)
        refs = [r for r in refs if r.macro in set(macros)]
    run = evaluator or default_evaluator(directory)
    rows, skipped = [], []
    for ref in refs:
        if available is not None and ref.macro not in available:
            skipped.append({"macro": ref.macro, "metric": ref.metric,
                            "reason": "no macro spec file"})
            continue
        if evaluator is None:
            workload = _workload_file(ref.workload, directory)
            if workload is not None and not workload.is_file():
                skipped.append({"macro": ref.macro, "metric": ref.metric,
                                "reason": f"workload file {ref.workload} not available"})
                continue
            if workload is not None:
                ref = replace(ref, workload=str(workload))
        model = _model_value(run, ref)
        rows.append(Row(ref, model, (model - ref.reference) / ref.reference))
    return Validation(rows, skipped)


__all__ = ["BOUNDS", "DISTRIBUTIONS", "FAMILIES", "QUANTITIES", "REFERENCES", "ROLES", "MacroInfo", "Reference", "Row",
           "Validation", "ValidationError", "check_macro_names", "default_evaluator", "distributions_for",
           "error_stats", "list_macros",
           "load_references", "macro_info", "macro_path", "macros_dir", "model_quantity",
           "parse_overrides", "read_references", "validate"]
