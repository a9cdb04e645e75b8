"""Shared constants of the DSE tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"


BASIC = """
name: t
spec: fig5_macro.yaml
workloads: [{name: resnet18, layers: [layer1.0.conv1]}]
parameters:
  ROWS: {type: categorical, choices: [64, 128, 256, 512]}
  COLS: {type: int, low: 64, high: 256, step: 64}
  BITS_PER_CELL: {type: int, low: 1, high: 4}
  DAC_BITS: [1, 2, 4]
objectives: {energy_pj: minimize, latency_s: minimize}
constraints: ["area_mm2 <= 2"]
sampler: {name: random}
seed: 3
budget: {trials: 12}
execution: {batch: 4, chunk: 2, flush_seconds: 0}
"""


def slow_point(spec_path, overrides, workload, seed):
    """The fake evaluator at ~20 ms per design (for ``--evaluator dse_helpers:slow_point``
    in a subprocess that has tests/dse on PYTHONPATH)."""
    from cimdse.dse.fake import fake_evaluate_point
    return fake_evaluate_point(spec_path, overrides, workload, seed, cost_s=0.02)


def fast_point(spec_path, overrides, workload, seed):
    from cimdse.dse.fake import fake_evaluate_point
    return fake_evaluate_point(spec_path, overrides, workload, seed)
