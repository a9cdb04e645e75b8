"""Reference rows: one published figure each, and how to reproduce it with the
model (the columns are described in ``cimdse/data/references/README.md``)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import ValidationError
from .operands import distributions_for

#: The shipped reference figures: one ``<macro>.csv`` per macro.
REFERENCES = Path(__file__).resolve().parents[1] / "data" / "references"
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

#: Model quantities a reference row may name.
QUANTITIES = ("tops", "tops_per_w", "tops_per_mm2", "tops_1b", "tops_per_w_1b",
              "tops_per_mm2_1b", "energy_pj", "area_um2", "area_mm2", "latency_s")


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
