"""Imperfect spatial factors on a CiM array, by hand: ResNet-18's first
convolution on basic_analog_neurosim, and the search with the option on and off."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import cimdse
from cimdse.mapping import build_action_table, build_arch, search
from cimdse.mapping.evaluate_layer import _with_slices, settings_from_design
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.nest import analyze
from cimdse.mapping.problem import DIM_INDEX, DIMS, problem_from_layer
from cimdse.workload import conv2d

SPEC = Path(__file__).resolve().parents[2] / "configs" / "macros" / "basic_analog_neurosim.yaml"
CONV1 = conv2d("conv1", C=3, M=64, P=112, Q=112, R=7, S=7, stride=2)

# one output pixel of one input slice, per pass: 112 x 112 pixels x 8 slices
PIXEL_SLICES = 112 * 112 * 8


@pytest.fixture(scope="module")
def neurosim():
    design = cimdse.load(SPEC)
    arch = build_arch(design)
    return design, arch, _with_slices(problem_from_layer(CONV1), design, "design", CONV1)


def _two_pass_mapping(arch) -> Mapping:
    """Rows: C=3 x R=7 x S=4 = 84 of the 147 rows, then the last 3 S values
    (63 rows); columns: 32 output channels x 4 weight slices, in 2 passes."""
    factors = [[1] * len(DIMS) for _ in arch.slots]
    slot = {s.node: i for i, s in enumerate(arch.slots)}
    at = lambda node, **dims: [factors[slot[node]].__setitem__(DIM_INDEX[d], f)  # noqa: E731
                               for d, f in dims.items()]
    at("<backing store>", M=2, S=2, P=112, Q=112, X=8)
    at("column", M=32, Y=4)
    at("row", C=3, R=7, S=4)
    order = [DIM_INDEX[d] for d in ("M", "S", "P", "Q", "X")]
    order += [d for d in range(len(DIMS)) if d not in order]
    return Mapping.build(factors, [order] * len(arch.slots))


def test_147_rows_on_a_128_row_array_take_two_passes(neurosim):
    """ResNet-18's first convolution (C=3, R=S=7: 147 products per output;
    M=64; 112 x 112 outputs) on basic_analog_neurosim: 128 x 128 cells, an
    8b weight on 4 columns (Y=4 slices), 8 one-bit input slices (X=8).

    Columns: 32 output channels x 4 slices = 128 per pass, so M takes 2
    passes. Rows: a perfect factorisation puts 7 x 7 = 49 (or 3 x 7 = 21)
    rows on the array, 3 passes of the 147; with a remainder, C=3 x R=7 x S=4
    = 84 rows, then the last 3 S values (63 rows): 2 passes, as NeuroSim's
    ceil(147 / 128) = 2.

    * ADC conversions: every used column per pass, 128 columns x (2 M
      passes x 2 row passes) x 112 x 112 pixels x 8 input slices
      = 512 x 100,352 = 51,380,224 (3 row passes: 77,070,336); the column
      drivers act as often.
    * Row-driver actions: only the 147 real rows are driven, once per input
      slice and M pass: 147 x 2 x 100,352 = 29,503,488 (whatever the row
      passes; 2 x 84 = 168 padded rows would give 33,718,272).
    * Cells written: every real weight slice once, 147 x 64 x 4 = 37,632.
    * Cycles: the temporal iterations, 2 x 2 x 100,352 = 401,408 (3 row
      passes: 602,112)."""
    design, arch, problem = neurosim
    m = _two_pass_mapping(arch)
    assert "row [spatial]: C=3 R=7 S=4 (last 3)" in m.describe(arch, problem)
    res = analyze(arch, problem, m)
    assert res.valid
    assert res.counts[("adc", "read")] == 512 * PIXEL_SLICES == 51_380_224
    assert res.counts[("column_drivers", "read")] == 51_380_224
    assert res.counts[("row_drivers", "read")] == 147 * 2 * PIXEL_SLICES == 29_503_488
    assert res.counts[("cell", "write")] == 147 * 64 * 4
    assert res.counts[("cell", "compute")] == 147 * 64 * 112 * 112 * 8 * 4
    assert res.steps == res.cycles == 2 * 2 * PIXEL_SLICES == 401_408


def test_the_search_finds_two_passes_and_perfect_factors_three(neurosim):
    design, arch, problem = neurosim
    table = build_action_table(design)
    on = search(arch, problem, table, settings_from_design(design))
    off = search(arch, problem, table,
                 replace(settings_from_design(design), imperfect_spatial=False))
    got = {name: analyze(arch, problem, r.mapping) for name, r in (("on", on), ("off", off))}
    assert got["on"].counts[("adc", "read")] == 51_380_224 and got["on"].cycles == 401_408
    assert got["off"].counts[("adc", "read")] == 77_070_336 and got["off"].cycles == 602_112
    for res in got.values():  # the real rows, whatever the passes
        assert res.counts[("row_drivers", "read")] == 29_503_488
    assert on.energy_pj * on.cycles < off.energy_pj * off.cycles


def test_the_search_is_never_worse_than_the_perfect_one():
    """Its first phase is the perfect-factorisation search itself (when the
    victory condition, not max_evaluations, ends that search)."""
    from .helpers import make_design, node
    from .test_search import PROBLEM, TABLE
    design = make_design([
        node("buf", keep=("Inputs", "Weights", "Outputs"), attrs={"size": 64}),
        node("pe", kind="container", mesh=3, reuse=("Inputs", "Outputs")),
        node("reg", keep=("Inputs", "Weights", "Outputs"), attrs={"size": 4}),
    ])
    arch = build_arch(design)
    for seed in range(3):
        settings = cimdse.mapping.SearchSettings(
            algorithm="random", max_evaluations=10 ** 6, min_evaluations=4096,
            victory_condition=2000, seed=seed, progress=False, batch_size=2048)
        on = search(arch, PROBLEM, TABLE, settings)
        off = search(arch, PROBLEM, TABLE, replace(settings, imperfect_spatial=False))
        assert on.evaluated > off.evaluated
        assert on.energy_pj * on.cycles <= off.energy_pj * off.cycles
