"""ActionTable from value statistics: brute-force checks and build-once caching."""

from __future__ import annotations

import itertools
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cimdse
from cimdse.components.converters import adc_energy_pj
from cimdse.mapping import SearchSettings, build_action_table
import cimdse.pricing as pricing
from cimdse.mapping import evaluate_layer
from cimdse.pricing import TableCache
from cimdse.statistics import EncodingConvention, layer_stats
from cimdse.workload import Histogram, conv2d, get_network

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"
FAST = SearchSettings(algorithm="random", max_evaluations=2000, min_evaluations=500,
                      victory_condition=500, progress=False)

TINY = """
name: tiny
variables:
  ROWS: 2
  INPUT_BITS: 4
  DAC_BITS: 2
  WEIGHT_BITS: 3
  BITS_PER_CELL: 3
  INPUT_ENCODING: offset_if_signed
  WEIGHT_ENCODING: offset_if_signed
arch:
  nodes:
  - !Container
    name: macro
    attributes: {technology: 65, voltage: 1.0, cycle_seconds: 1e-7}
  - !Component
    name: dac
    class: dac_c2c
    attributes: {resolution: DAC_BITS}
    no_coalesce: [Inputs]
  - !Component
    name: adc
    class: sar_adc
    attributes: {resolution: 4, throughput: 1e7, rows: ROWS}
    no_coalesce: [Outputs]
  - !Component
    name: cell
    class: rram_cell
    spatial: {meshY: ROWS}
    spatial_reuse: [Outputs]
    attributes: {resistance_on: 1e4, resistance_off: 1e6, read_voltage: 0.2,
                 input_mode: "'voltage'", size: 1}
    temporal_reuse: [Weights]
"""

# Unsigned 5-bit input histogram (31 bins; values 0..15 have mass) and a
# signed 3-bit weight histogram (7 bins, values -3..3).
IN_PMF = np.zeros(31)
IN_PMF[15:] = [5, 3, 2, 2, 1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1]
W_PMF = np.array([1, 2, 4, 6, 4, 2, 1], float)


def tiny_design_and_stats(tmp_path_factory):
    """The TINY design and its layer statistics for IN_PMF / W_PMF (2 rows)."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(textwrap.dedent(TINY))
    design = cimdse.load(path)
    dists = {"Inputs": Histogram(tuple(IN_PMF)), "Weights": Histogram(tuple(W_PMF)),
             "Outputs": Histogram(tuple(W_PMF))}
    conv = EncodingConvention.from_design(design)
    return design, conv, layer_stats(conv, None, distributions=dists, reduction=2)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    design, _, stats = tiny_design_and_stats(tmp_path_factory)
    return design, stats, build_action_table(design, stats)


def _pmfs():
    p_in = IN_PMF[15:] / IN_PMF.sum()               # magnitude code = value, 4 bits
    p_w = W_PMF / W_PMF.sum()                       # offset code = value + 3, 3 bits
    return p_in, p_w


def test_adc_energy_matches_brute_force_enumeration(tiny):
    design, _stats, table = tiny
    p_in, p_w = _pmfs()
    e_s = adc_energy_pj(4, 65, 1e7, voltage=1.0)      # the ADC law at 65 nm, 1.0 V
    place = 2.0 ** np.arange(3, -1, -1)
    d_uniform = float(place @ np.full(4, 1.5))
    top = 2 * 3 * 7                                  # rows x input slice fs x weight slice fs
    total = 0.0
    for shift in (2, 0):                             # input slices: MSB pair, LSB pair
        e = 0.0
        for x0, x1, w0, w1 in itertools.product(range(16), range(16), range(7), range(7)):
            p = p_in[x0] * p_in[x1] * p_w[w0] * p_w[w1]
            s = ((x0 >> shift) & 3) * w0 + ((x1 >> shift) & 3) * w1
            code = int(min(max(round(s / top * 15), 0), 15))
            bits = (code >> np.arange(3, -1, -1)) & 1
            e += p * e_s * (0.5 + 0.5 * float(place @ (2.0 - bits)) / d_uniform)
        total += e / 2                               # the two input slices are equally frequent
    assert table.pj("adc", "read") == pytest.approx(total, rel=1e-9)


def test_cell_energy_matches_brute_force_enumeration(tiny):
    design, _stats, table = tiny
    p_in, p_w = _pmfs()
    e = 0.0
    for x, w in itertools.product(range(16), range(7)):
        g = 1e-6 + (1e-4 - 1e-6) * w / 7             # conductance of weight code w
        for shift in (2, 0):
            code = (x >> shift) & 3
            e += p_in[x] * p_w[w] * g * 0.2 ** 2 * 1e-9 * (code / 3) ** 2 / 2 * 1e12
    assert table.pj("cell", "read") == pytest.approx(e, rel=1e-9)


def test_per_slice_stats_differ_and_average_to_the_whole(tiny):
    _design, stats, _table = tiny
    msb, lsb = stats.inputs
    assert msb.mean_slice_code < lsb.mean_slice_code   # small values: MSB slice mostly 0
    p_in, _ = _pmfs()
    codes = np.arange(16)
    assert msb.mean_slice_code == pytest.approx(p_in @ (codes >> 2))
    assert lsb.mean_slice_code == pytest.approx(p_in @ (codes & 3))


def test_table_built_once_per_distinct_statistics_and_shape_mapped_once(monkeypatch):
    design = cimdse.load(FIG5)
    builds, searches = [], []
    real_build, real_search = pricing.build_action_table, evaluate_layer.search
    monkeypatch.setattr(pricing, "build_action_table",
                        lambda *a, **k: builds.append(1) or real_build(*a, **k))
    monkeypatch.setattr(evaluate_layer, "search",
                        lambda *a, **k: searches.append(1) or real_search(*a, **k))
    net = get_network("resnet18")
    cache = TableCache(design)
    result = evaluate_layer.evaluate(design, net, settings=FAST, tables=cache)
    assert len(result.layers) == 21
    assert len(searches) == len({lyr.shape_key() for lyr in net.layers})
    # one table per distinct statistics the mapper searched with (conv1's image
    # inputs; ReLU layers by rows they can fill: 49, 96, 128, 64) plus one per
    # distinct (statistics, rows the chosen mapping fills) -- never per mapping
    searched = {cache.stats(lyr).key for lyr in net.layers}
    priced = {pricing.layer_stats(cache.convention, lyr,
                                      reduction=cache.filled_rows(lr.instances)).key
              for lyr, lr in zip(net.layers, result.layers)}
    assert len(builds) == cache.builds == len(searched | priced) < len(net.layers)
    for lyr, lr in zip(net.layers, result.layers):   # cached: no rebuild
        cache.table(lyr)
        cache.for_mapping(lyr, lr.instances)
    assert len(builds) == cache.builds


def test_same_shape_different_distributions_reuses_mapping_not_table(monkeypatch):
    design = cimdse.load(FIG5)
    a = conv2d("a", C=128, M=64, P=8, Q=8, R=1, S=1)
    flat = Histogram(tuple(np.ones(255)))
    b = conv2d("b", C=128, M=64, P=8, Q=8, R=1, S=1,
               distributions={"Inputs": flat, "Weights": flat, "Outputs": flat})
    searches = []
    real_search = evaluate_layer.search
    monkeypatch.setattr(evaluate_layer, "search",
                        lambda *a, **k: searches.append(1) or real_search(*a, **k))
    cache = TableCache(design)
    r = evaluate_layer.evaluate(design, [a, b, a], settings=FAST, tables=cache)
    assert len(searches) == 1
    tables = {id(cache.for_mapping(lyr, lr.instances)) for lyr, lr in zip((a, b), r.layers)}
    assert len(tables) == 2
    ra, rb, ra2 = r.layers
    assert ra.actions == rb.actions and ra.energy_pj == ra2.energy_pj
    assert ra.energy_pj != rb.energy_pj
    assert rb.action_pj[("adc", "read")] != ra.action_pj[("adc", "read")]


def test_breakdown_has_pj_per_action_and_leak_over_latency():
    design = cimdse.load(FIG5)
    r = cimdse.evaluate(design, "resnet18", layer=7, settings=FAST)
    df = r.breakdown()
    assert list(df.columns) == ["layer", "component", "action", "count", "pj_per_action",
                                "energy_pj"]
    assert df["energy_pj"].sum() == pytest.approx(r.energy_pj)
    assert np.allclose(df["count"] * df["pj_per_action"], df["energy_pj"])
    leak = df[df.action == "leak"].set_index("component")
    instances = {n.name: n.instances for n in design.components}
    for comp, row in leak.iterrows():
        assert row["count"] == pytest.approx(r.cycles * instances[comp])
    # the statistics reach the value-dependent models: the ADC costs differ from uniform codes
    uniform = cimdse.evaluate(design, "resnet18", layer=7, settings=FAST, statistics=False)
    assert not math.isclose(r.energy_breakdown["adc"], uniform.energy_breakdown["adc"],
                            rel_tol=1e-3)
