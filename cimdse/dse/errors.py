"""The errors of a sweep's driver: it cannot start or continue (:class:`SweepError`,
what the CLI reports), or the study of its results directory cannot be created
or continued (:class:`StudyError`). The store has its own
(:class:`.store.StoreError`)."""

from __future__ import annotations

from ..errors import CimdseError


class SweepError(CimdseError):
    """A sweep cannot start or continue (results dir in use, bad sampler setup, ...)."""


class StudyError(CimdseError):
    """The study of a results directory cannot be created or continued."""
