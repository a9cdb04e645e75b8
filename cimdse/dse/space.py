"""Search space: Optuna trial -> resolved design, and stable design ids.

``sample(sweep, trial)`` suggests every active parameter (define-by-run, so
conditional parameters are only suggested when their ``when`` holds) and
returns the parameter values plus the spec overrides they resolve to.
``design_id`` hashes the canonical JSON of the resolved overrides, the base
spec's content hash and the workloads, so the same design in the same
context always gets the same id, whichever trial or run produced it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from ..spec.expressions import ExpressionError, names
from .expressions import evaluate_cached, parsed
from .schema import Parameter, Sweep


def canonical_value(value: Any) -> Any:
    """JSON-stable form: numpy scalars become Python scalars, -0.0 becomes 0.0."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        value = value.item()
    if isinstance(value, float) and value == 0:
        return 0.0
    return value


def suggest(trial, p: Parameter) -> Any:
    if p.type == "categorical":
        return trial.suggest_categorical(p.name, list(p.choices))
    if p.type == "int":
        return trial.suggest_int(p.name, int(p.low), int(p.high), step=int(p.step or 1), log=p.log)
    return trial.suggest_float(p.name, float(p.low), float(p.high), step=p.step, log=p.log)


def active(p: Parameter, values: dict[str, Any]) -> bool:
    """Whether ``p``'s condition holds given the earlier parameter values
    (inactive earlier parameters read as None)."""
    if p.when is None:
        return True
    scope = {q: values.get(q) for q in _condition_names(p.when)}
    try:
        return bool(evaluate_cached(p.when, scope))
    except ExpressionError:
        return False


@functools.lru_cache(maxsize=1024)
def _condition_names(text: str) -> tuple[str, ...]:
    return tuple(names(parsed(text)))


def resolve_params(sweep: Sweep, choose) -> tuple[dict[str, Any], dict[str, Any]]:
    """Walk the parameters in order, calling ``choose(param)`` for active ones.
    Returns (params by name, overrides by binding key incl. the fixed ones)."""
    params: dict[str, Any] = {}
    overrides: dict[str, Any] = dict(sweep.overrides)
    for p in sweep.parameters:
        if not active(p, params):
            continue
        value = canonical_value(choose(p))
        params[p.name] = value
        overrides[p.bind] = value
    return params, overrides


def sample(sweep: Sweep, trial) -> tuple[dict[str, Any], dict[str, Any]]:
    """Suggest the active parameters on an Optuna trial."""
    return resolve_params(sweep, lambda p: suggest(trial, p))


def design_id(overrides: dict[str, Any], spec_hash: str, workloads: list[dict]) -> str:
    """Stable 16-hex-digit id of a resolved design in its evaluation context."""
    payload = json.dumps({"overrides": {k: canonical_value(v) for k, v in overrides.items()},
                          "spec": spec_hash, "workloads": workloads},
                         sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def seed_of(design_id_: str) -> int:
    """The evaluator seed of a design: a pure function of its id (63-bit)."""
    return int(design_id_, 16) >> 1
