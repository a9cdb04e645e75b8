"""A network result with its pipeline: the one result ``cimdse.evaluate`` returns.

:class:`SystemResult` is a :class:`~cimdse.mapping.NetworkResult` (every
per-layer figure and method as the mapper made them) that also carries
the :class:`~.pipeline.Pipeline` of the layers over the design's macros:
its metrics join ``to_dict()`` / ``record()`` after the per-layer ones
(the order of :data:`cimdse.metrics.METRICS`), the ``--json`` object
gains a ``placement`` object, the summary its pipeline lines, and
:meth:`macro_records` gives the per-macro rows of a placed pipeline.
"""

from __future__ import annotations

from typing import Any

from cimdse.mapping import NetworkResult

from .pipeline import Pipeline


class SystemResult(NetworkResult):
    """:class:`NetworkResult` plus ``pipeline`` (module docstring)."""

    pipeline: Pipeline

    @classmethod
    def of(cls, result: NetworkResult, pipeline: Pipeline) -> "SystemResult":
        """``result`` (its state as it is, totals included) with ``pipeline``."""
        out = cls.__new__(cls)
        out.__dict__.update(vars(result))
        out.pipeline = pipeline
        return out

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        scalars = {k: v for k, v in d.items() if not isinstance(v, (dict, list))}
        rest = {k: v for k, v in d.items() if k not in scalars}
        return {**scalars, **self.pipeline.metrics(), **rest,
                "placement": self.pipeline.to_dict()}

    def macro_records(self) -> list[dict[str, Any]]:
        """One row per macro of a placed pipeline (:meth:`Pipeline.macro_records`)."""
        return self.pipeline.macro_records()

    def summary(self) -> str:
        lines = super().summary().splitlines()
        notes = [i for i, line in enumerate(lines) if line.startswith("  note:")]
        at = notes[0] if notes else len(lines)
        return "\n".join(lines[:at] + self.pipeline.summary_lines() + lines[at:])
