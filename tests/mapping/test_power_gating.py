"""Power gating of idle instances (``power_gated: true``), by hand."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import cimdse
from cimdse.errors import CimdseError
from cimdse.mapping import build_action_table
from cimdse.mapping.arch import build_arch
from cimdse.mapping.evaluate_layer import price_layer
from cimdse.mapping.gating import LeakModel
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.nest import analyze
from cimdse.mapping.problem import DIMS, Problem

# 4 macros; each has a row driver (leak 1 pJ per 1 ns cycle) and 8 columns
# holding an ADC each (leak 2 pJ per cycle): 17 pJ per macro per cycle.
SPEC = """\
name: gated
arch:
  nodes:
  - !Container
    name: macro_in_system
    spatial: {meshX: 4}
    power_gated: GATED
    attributes: {cycle_seconds: 1e-9}
  - !Component
    name: row_driver
    class: constant
    attributes: {leak_power: 1e-3}
    no_coalesce: [Inputs]
  - !Container
    name: column
    spatial: {meshX: 8}
  - !Component
    name: adc
    class: constant
    attributes: {leak_power: 2e-3}
    no_coalesce: [Outputs]
  - !Component
    name: cell
    class: constant
    temporal_reuse: [Weights]
"""


def load(tmp_path, gated: str):
    path = tmp_path / f"gated_{gated}.yaml"
    path.write_text(SPEC.replace("GATED", gated))
    return cimdse.load(path)


def two_of_four_macros(arch, problem):
    """M = 2 x 8 x 10: 2 macros, 8 columns, 10 cycles at the cell."""
    m = DIMS.index("M")
    factors = [[1] * len(DIMS) for _ in arch.slots]
    spatial = arch.spatial_slots
    factors[spatial[0]][m], factors[spatial[1]][m] = 2, 8
    factors[arch.level("cell").temporal_slot][m] = 10
    return Mapping.build(factors)


def leak_pj(design):
    arch, table = build_arch(design), build_action_table(design)
    problem = Problem.from_dims({"M": 160})
    nest = analyze(arch, problem, two_of_four_macros(arch, problem))
    result = price_layer(arch, problem, nest, table)
    assert nest.cycles == 10
    return sum(result.action_energy.get((c, "leak"), 0.0) for c in ("row_driver", "adc"))


def test_gated_macros_leak_only_when_used(tmp_path):
    # 10 cycles x 2 used macros x (8 x 2 + 1) pJ = 340 pJ; ungated 10 x 4 x 17 = 680 pJ
    assert leak_pj(load(tmp_path, "true")) == pytest.approx(340.0)
    assert leak_pj(load(tmp_path, "false")) == pytest.approx(680.0)


def test_search_prices_the_gated_leak(tmp_path):
    design = load(tmp_path, "true")
    arch, table = build_arch(design), build_action_table(design)
    model = LeakModel.of(arch, table)
    (position, pj), = model.gated
    assert model.ungated == 0.0 and position == arch.spatial_slots[0] + 1
    assert pj == pytest.approx(17.0)                  # per used macro per cycle
    f = np.array(two_of_four_macros(arch, Problem.from_dims({"M": 160})).factors)[None]
    assert model.per_cycle(arch, f) == pytest.approx([34.0])


def test_power_gated_must_be_a_boolean(tmp_path):
    with pytest.raises(CimdseError, match="power_gated"):
        load(tmp_path, "'yes'")
