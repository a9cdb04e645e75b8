"""Checks a sweep passes before any design is evaluated, each failure at the
sweep file's line: the base spec loads with the fixed overrides and with each
parameter's binding set to a representative value, and every workload (with
its layer filter) builds. They load specs and build networks, so they run in
the driver once, not in every design."""

from __future__ import annotations

import json

from ..errors import CimdseError
from ..spec import load
from ..spec.errors import SpecError
from ..spec.model import Location
from .evaluation import _network, is_max_utilization
from .schema import Parameter, Sweep


def check_workloads(sweep: Sweep) -> None:
    """Build every workload (with its layer filter) once, so a misspelt network or
    layer fails at the sweep file's line instead of in every design."""
    for w in sweep.workloads:
        if is_max_utilization(w.as_dict()):
            if w.as_dict().get("layers"):
                raise SpecError("workload max_utilization is one layer built per design; "
                                "it takes no 'layers'", w.location)
            continue
        try:
            _network(json.dumps(w.as_dict(), sort_keys=True))
        except CimdseError as err:
            raise SpecError(str(err), w.location) from None


def check_bindings(sweep: Sweep) -> None:
    """Load the base spec with the fixed overrides and each parameter's binding set
    to a representative value, so bad bindings fail before any design is evaluated.
    A failing binding is reported at the parameter's line in the sweep file."""
    try:
        load(sweep.spec_path, sweep.overrides)
    except SpecError as err:
        raise SpecError(f"base spec with the fixed overrides does not load: {err}",
                        Location(sweep.source, None, None, "overrides")) from None
    for p in sweep.parameters:
        for value in p.check_values():
            overrides = dict(sweep.overrides)
            overrides[p.bind] = value
            try:
                load(sweep.spec_path, overrides)
            except SpecError as err:
                raise SpecError(f"binding '{p.bind}' = {value!r} does not load: "
                                f"{err.message}", _at_bind(p), suggestion=err.suggestion) from None


def _at_bind(p: Parameter) -> Location:
    return Location(p.location.file, p.location.line, p.location.column,
                    f"parameters.{p.name}.bind")
