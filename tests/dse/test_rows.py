"""Design rows in the driver: what it keeps of each design it has seen."""

from __future__ import annotations

from dse_helpers import BASIC


def test_the_driver_caches_only_the_columns_it_reads(write_sweep):
    from cimdse.dse.parser import load_sweep
    from cimdse.dse.rows import cache_columns, cached_row
    body = BASIC.replace('constraints: ["area_mm2 <= 2"]',
                         'constraints: ["area_mm2 <= 2", "energy_pj / macs <= 1e9"]')
    sweep = load_sweep(write_sweep(body))
    cols = cache_columns(sweep)
    assert {"energy_pj", "latency_s", "macs", "area_mm2", "status", "trial", "p.ROWS"} <= cols
    row = {"design_id": "d", "trial": 3, "status": "ok", "energy_pj": 1.0, "latency_s": 2.0,
           "macs": 4, "area_mm2": 1.5, "e.adc": 0.5, "area.adc": 9.0, "tops": 1.0,
           "p.ROWS": 64}
    slim = cached_row(row, cols)
    assert "e.adc" not in slim and "area.adc" not in slim and slim["macs"] == 4
    assert all(c.value(slim) == c.value(row) for c in sweep.constraints)
