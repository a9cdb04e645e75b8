"""Evaluating reference rows with the model: one evaluation per distinct
macro, overrides, workload and operand values."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..spec.errors import nearest
from .errors import ValidationError
from .macros import macro_path, macros_dir
from .operands import distributions_for
from .quantities import model_quantity
from .references import Reference, load_references
from .report import Row, Validation


Evaluator = Callable[[Reference], tuple[Any, Mapping[str, Any]]]


def default_evaluator(directory: Path | None = None) -> Evaluator:
    """Evaluates a reference's case with :func:`cimdse.evaluate`; returns
    (result, design variables), cached per case."""
    from ..evaluate import evaluate, workload_for
    from ..spec import load
    from ..workload import Network
    cache: dict[tuple, tuple[Any, Mapping[str, Any]]] = {}

    def run(ref: Reference):
        got = cache.get(ref.case)
        if got is None:
            design = load(macro_path(ref.macro, directory), overrides=dict(ref.overrides))
            workload: Any = ref.workload
            if ref.distributions:
                net = workload_for(design, workload)
                if isinstance(net, str):
                    from ..workload import load_workload
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
