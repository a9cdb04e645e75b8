"""The trials of a sweep's study, as the driver handles them: a trial is
asked with its seeded sampler, or (left open by an earlier run) completed
with the parameters it was asked with; its active parameters resolve into a
design and its ``design_id`` (a trial user attribute); and it is told its
design row: values and constraints, or FAIL."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SweepError
from .rows import rankable
from .samplers import FixedValuesSampler, sampler_for_trial
from .schema import Sweep
from .space import design_id, sample
from .study import DESIGN_ATTR, replay_ask


@dataclass(frozen=True)
class Pending:
    """One trial of the current batch: asked, not yet told."""

    trial: Any                      # optuna.trial.Trial
    params: dict
    overrides: dict
    design_id: str

    @property
    def number(self) -> int:
        return self.trial.number


class Trials:
    """Asks and tells the trials of one study (in the journal at ``out``); design
    ids are taken in the evaluation context ``spec_hash`` + ``workloads``."""

    def __init__(self, study, storage, sweep: Sweep, out: Path, spec_hash: str,
                 workloads: list[dict]):
        self.study, self.storage, self.sweep, self.out = study, storage, sweep, out
        self.spec_hash, self.workloads = spec_hash, workloads

    def design_id(self, overrides: dict) -> str:
        return design_id(overrides, self.spec_hash, self.workloads)

    def ask(self, number: int) -> Pending:
        """Trial ``number``, asked with its seeded sampler."""
        self.study.sampler = sampler_for_trial(self.sweep, number)
        trial = self.study.ask()
        if trial.number != number:
            raise SweepError(f"another process wrote to {self.out}/study.journal (asked trial "
                             f"{number}, got {trial.number}); the directory is not usable")
        params, overrides = sample(self.sweep, trial)
        did = self.design_id(overrides)
        trial.set_user_attr(DESIGN_ATTR, did)
        return Pending(trial, params, overrides, did)

    def reopen(self, ft) -> Pending:
        """A trial left open by an earlier run, with the parameters it was asked with.
        A trial cut off while being asked gets the parameters it lacks from a replay of
        its ask (:func:`.study.replay_ask`), so it ends as the uninterrupted ask would."""
        import optuna
        from optuna.trial import FixedTrial
        try:
            sample(self.sweep, FixedTrial(ft.params))
            self.study.sampler = sampler_for_trial(self.sweep, ft.number)
        except ValueError:                 # a parameter missing: replay the ask
            self.study.sampler = FixedValuesSampler(self._replayed_ask(ft))
        trial = optuna.trial.Trial(self.study, ft._trial_id)
        params, overrides = sample(self.sweep, trial)
        did = ft.user_attrs.get(DESIGN_ATTR) or self.design_id(overrides)
        if DESIGN_ATTR not in ft.user_attrs:
            trial.set_user_attr(DESIGN_ATTR, did)
        return Pending(trial, params, overrides, did)

    def _replayed_ask(self, ft) -> dict[str, Any]:
        """The parameters trial ``ft`` was being asked; the system attributes the
        replayed ask wrote (e.g. the NSGA generation later asks count) go to it."""
        params, attrs = replay_ask(self.sweep, self.storage, self.study.study_name,
                                   self.study.get_trials(deepcopy=False)[:ft.number])
        for key, value in attrs.items():
            if key not in ft.system_attrs:
                self.storage.set_trial_system_attr(ft._trial_id, key, value)
        return params

    def asked_design(self, ft) -> tuple[dict, dict, str | None]:
        """(params, overrides, design_id) a finished trial was asked with; a trial
        cut off before all its parameters were suggested never got a design."""
        from optuna.trial import FixedTrial
        try:
            params, overrides = sample(self.sweep, FixedTrial(ft.params))
        except ValueError:
            return {}, {}, None
        return params, overrides, ft.user_attrs.get(DESIGN_ATTR) or self.design_id(overrides)

    def tell(self, trial, row: dict) -> bool:
        """Tell one design row; returns False when the sampler says the space is exhausted."""
        import optuna
        objectives, constraints = self.sweep.objectives, self.sweep.constraints
        try:
            if row["status"] == "error" or (row["status"] == "infeasible" and not rankable(
                    row.get(objectives[0].column), objectives[0].direction)):
                self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
                return True
            with warnings.catch_warnings():
                # a trial left open after its constraints were set is told again on resume
                warnings.filterwarnings("ignore", message=".*constraint.*already set")
                for i, c in enumerate(constraints):
                    trial.set_constraint(f"c{i}", c.value(row))
            self.study.tell(trial, [float(row[o.column]) for o in objectives])
        except RuntimeError as err:   # grid/bruteforce call study.stop() outside optimize()
            if "stop" in str(err).lower() or "optimize" in str(err).lower():
                return False
            raise
        return True

    def exhausted(self, number: int) -> bool:
        """Whether the sampler of trial ``number`` has nothing left to ask (grid)."""
        self.study.sampler = sampler_for_trial(self.sweep, number)
        sampler = self.study.sampler
        if sampler.__class__.__name__ == "GridSampler":
            return sampler.is_exhausted(self.study)
        return False
