"""Component changes made for the macro models."""

from __future__ import annotations

import pytest

from cimdse.components import ComponentAttributeError, get_model
from cimdse.encoding import stats_of  # noqa: F401  (stats plumbing used by the models)


def test_sram_cell_level_input_reads_once_weighted_by_xbar():
    attrs = {"cell_file": "sram_example.cell", "technology": 22, "width_cells": 8}
    temporal = get_model("sram_cell")(attrs)
    level = get_model("sram_cell")({**attrs, "input_mode": "level"})
    # no statistics: uniform 1-bit codes -> x-bar = E[code] = 1/2, identical
    assert level.energy_pj("read") == pytest.approx(temporal.energy_pj("read"))
    assert level.energy_pj("write") == temporal.energy_pj("write")
    with pytest.raises(ComponentAttributeError):
        get_model("sram_cell")({**attrs, "input_mode": "pwm"})


def test_sram_cell_level_mode_does_not_multiply_by_code():
    from cimdse.statistics import EncodingConvention, OperandEncoding, layer_stats
    from cimdse.workload import default_distributions
    conv = EncodingConvention(OperandEncoding("offset", 8, 8), OperandEncoding("offset", 8, 8),
                              OperandEncoding("offset", 8, 8))
    stats = next(layer_stats(conv, distributions=default_distributions("linear")).pairs())
    attrs = {"cell_file": "sram_example.cell", "technology": 22}
    temporal = get_model("sram_cell")(attrs).energy_pj("read", stats)
    level = get_model("sram_cell")({**attrs, "input_mode": "level"}).energy_pj("read", stats)
    xbar = stats["Inputs"].mean_slice_value
    code = stats["Inputs"].mean_slice_code
    assert level == pytest.approx(temporal * xbar / code)


def test_jia_shift_add_prices_updates_like_reads():
    m = get_model("table")({"entry": "jia_shift_add"})
    assert m.energy_pj("update") == m.energy_pj("read") == pytest.approx(2.25)
