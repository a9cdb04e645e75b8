"""The Optuna samplers a sweep file may name: their names, the constructor
options a sweep file may pass, and a sampler seeded for one trial.

Determinism comes from seeding, never from sampler snapshots: trial ``n`` is
asked with a fresh sampler seeded by :func:`trial_seed` ``(sweep seed, n)``.
Samplers keep everything else they need in the study's storage (NSGA-II/III
generations and parents, QMC's sample index, grid ids), so a sampler built
for trial ``n`` continues exactly where the previous one left off, in this
process or in a resumed one.
"""

from __future__ import annotations

import hashlib
import inspect
import warnings
from typing import Any

from optuna.samplers import BaseSampler

from .errors import StudyError
from .schema import Sweep

#: Sampler name in a sweep file -> its class in ``optuna.samplers``.
_CLASS_NAMES = {"tpe": "TPESampler", "nsga2": "NSGAIISampler", "nsga3": "NSGAIIISampler",
                "gp": "GPSampler", "random": "RandomSampler", "qmc": "QMCSampler",
                "grid": "GridSampler", "bruteforce": "BruteForceSampler"}
SAMPLERS = tuple(_CLASS_NAMES)
#: Constructor arguments the sweep sets itself, or that take code, not data.
_NOT_OPTIONS = {"self", "seed", "search_space", "constraints_func", "independent_sampler",
                "mutation", "crossover", "elite_population_selection_strategy",
                "child_generation_strategy", "after_trial_strategy", "gamma", "weights"}
#: Samplers that derive lasting structure from their seed at construction (QMC's
#: scrambled sequence, the grid's shuffled order), indexed through the storage by
#: trial: they keep the sweep seed for every trial.
_SEED_FIXED = ("qmc", "grid")


def sampler_class(name: str) -> type:
    import optuna
    return getattr(optuna.samplers, _CLASS_NAMES[name])


def sampler_options(name: str) -> list[str]:
    """Constructor options a sweep file may pass to a sampler (seed is set by the sweep)."""
    return [p for p in inspect.signature(sampler_class(name)).parameters
            if p not in _NOT_OPTIONS]


def trial_seed(sweep_seed: int, trial_number: int) -> int:
    """The sampler seed for one trial: a pure function of the sweep seed and the
    trial number (32 bits, what numpy's RandomState accepts)."""
    digest = hashlib.blake2b(f"{sweep_seed}:{trial_number}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big")


def sampler_for_trial(sweep: Sweep, trial_number: int):
    """A sampler for asking trial ``trial_number`` (see :data:`_SEED_FIXED`)."""
    seed = sweep.seed if sweep.sampler.name in _SEED_FIXED else \
        trial_seed(sweep.seed, trial_number)
    return make_sampler(sweep, seed)


def make_sampler(sweep: Sweep, seed: int):
    """The Optuna sampler named in the sweep, seeded (Optuna's 'experimental'
    warnings for QMC, NSGA-III and brute force are silenced)."""
    import optuna
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _make_sampler(sweep, seed)


def _make_sampler(sweep: Sweep, seed: int):
    name, opts = sweep.sampler.name, dict(sweep.sampler.options)
    if name not in _CLASS_NAMES:
        raise StudyError(f"unknown sampler {name!r}")  # pragma: no cover - validated earlier
    if name == "gp":
        _require("torch", "scipy")
    cls = sampler_class(name)
    if name == "random":
        return cls(seed=seed)
    if name == "grid":
        return cls({p.name: p.grid_values() for p in sweep.parameters}, seed=seed)
    return cls(seed=seed, **opts)


def _require(*modules: str) -> None:
    """The GP sampler's optional dependencies."""
    for mod in modules:
        try:
            __import__(mod)
        except ImportError:
            raise StudyError(f"sampler gp needs {mod} (pip install {mod}); "
                             "or use tpe / nsga2") from None


class FixedValuesSampler(BaseSampler):
    """Suggests given values (a replayed ask) for the parameters a trial lacks."""

    def __init__(self, values: dict[str, Any]):
        self.values = dict(values)

    def infer_relative_search_space(self, study, trial):
        return {}

    def sample_relative(self, study, trial, search_space):
        return {}

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.values[param_name]
