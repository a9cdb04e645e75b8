"""Value-level reference: hand-computed tiny layer, accuracy bounds, CLI contract."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

import cimdse
from cimdse.cli import main
from cimdse.components.converters import adc_energy_pj, ladder_code_energies
from cimdse.mapping import SearchSettings
from cimdse.pricing import component_model
from cimdse.statistics import EncodingConvention
from cimdse.reference import (AccuracyError, accuracy, exact_bits, from_arrays, synthesize,
                              value_level_energies)

from .test_statistics_table import IN_PMF, tiny_design_and_stats

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"
FAST = SearchSettings(algorithm="random", max_evaluations=2000, min_evaluations=500,
                      victory_condition=500, progress=False)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return tiny_design_and_stats(tmp_path_factory)


def test_reference_on_a_tiny_tile_matches_a_hand_computation(tiny):
    design, conv, stats = tiny
    # two input vectors of two rows (magnitude, 4 bits), one weight column (offset, 3 bits)
    sample = from_arrays(np.array([[5, 12], [0, 3]]), np.array([[-3], [2]]), conv,
                         grid_bits=5, weight_grid_bits=3)
    assert sample.input_slices.tolist() == [[[1, 1], [3, 0]], [[0, 0], [0, 3]]]
    assert sample.weight_slices[:, 0, 0].tolist() == [0, 5]
    energy, views = value_level_energies(design, stats, sample)
    assert views == {"dac": "input_sequence", "adc": "column_sum", "cell": "pair"}

    # cells: row 0 (weight code 0) sees input slices 1,1,0,0; row 1 (code 5) sees 3,0,0,3
    def cell(a, w):
        g = 1e-6 + (1e-4 - 1e-6) * w / 7
        return g * 0.2 ** 2 * 1e-9 * (a / 3) ** 2 * 1e12
    hand = np.mean([cell(a, 0) for a in (1, 1, 0, 0)] + [cell(a, 5) for a in (3, 0, 0, 3)])
    assert energy[("cell", "read")] == pytest.approx(hand, rel=1e-12)

    # ADC: column sums 15, 0 (vector 0, slices MSB/LSB) and 0, 15 (vector 1);
    # full scale 2 rows x 3 x 7 = 42 -> code rint(15 / 42 x 15) = 5
    e_s = adc_energy_pj(4, 65, 1e7, voltage=1.0)      # the ADC law at 65 nm, 1.0 V
    place = 2.0 ** np.arange(3, -1, -1)

    def adc(code):
        bits = (code >> np.arange(3, -1, -1)) & 1
        return e_s * (0.5 + 0.5 * (place @ (2.0 - bits)) / (place @ np.full(4, 1.5)))
    assert energy[("adc", "read")] == pytest.approx(np.mean([adc(5), adc(0), adc(0), adc(5)]),
                                                    rel=1e-12)

    # DAC: row 0 converts 1,1,0,0 and row 1 converts 3,0,0,3 (register starts at 0);
    # rising register bits: row 0: 1,0,0,0; row 1: 2,0,0,2
    dac = component_model(design.node("dac"))
    ladder = ladder_code_energies(2) * 1e-15 * 1e12          # unit C 1 fF, V = 1 V
    ctrl = (1.0 * 65) ** 2 * 2 * 8e-17 * 1e12
    ff = dac._flip_flop_pj()
    codes = [1, 1, 0, 0, 3, 0, 0, 3]
    rises = [1, 0, 0, 0, 2, 0, 0, 2]
    hand = np.mean([ladder[c] + ctrl + ff * r for c, r in zip(codes, rises)])
    assert energy[("dac", "read")] == pytest.approx(hand, rel=1e-12)


def test_synthesized_tile_follows_the_layer_distributions(tiny):
    design, conv, stats = tiny
    sample = synthesize(stats, conv, rows=2, vectors=4000, cols=500, seed=3)
    p_in = IN_PMF[15:] / IN_PMF.sum()
    values = sample.input_slices[..., 0] * 4 + sample.input_slices[..., 1]
    freq = np.bincount(values.ravel(), minlength=16) / values.size
    assert np.abs(freq - p_in).max() < 0.01
    # the statistical ADC energy and the value-level one agree on a large i.i.d. tile
    energy, _ = value_level_energies(design, stats, sample)
    from cimdse.mapping import build_action_table
    table = build_action_table(design, stats)
    assert energy[("adc", "read")] == pytest.approx(table.pj("adc", "read"), rel=2e-3)
    assert energy[("cell", "read")] == pytest.approx(table.pj("cell", "read"), rel=2e-2)


def _bounds(report):
    assert report.avg_error <= 0.03 and report.max_error <= 0.07, report.summary()
    assert report.fixed_avg_error >= 3 * report.avg_error, report.summary()


def test_accuracy_on_a_resnet18_slice_meets_the_bounds():
    design = cimdse.load(FIG5)
    report = accuracy(design, "resnet18", layers=[0, 1, 7], settings=FAST, vectors=128)
    assert [lr.name for lr in report.layers] == ["conv1", "layer1.0.conv1",
                                                 "layer2.0.downsample.0"]
    _bounds(report)
    assert report.views["adc"] == "column_sum" and report.views["cell"] == "pair"


def test_accuracy_with_profiled_histograms_meets_the_bounds(cimloop_workloads):
    design = cimdse.load(FIG5)
    report = accuracy(design, cimloop_workloads / "resnet18", layers=[0, 1, 3], settings=FAST,
                      vectors=128)
    _bounds(report)


def test_accuracy_cli_json_contract():
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["accuracy", str(FIG5), "--workload", "resnet18", "--layer", "0",
                     "--layer", "7", "--vectors", "64", "--json",
                     "--set", "mapper.max_evaluations=2000"])
    assert code == 0
    d = json.loads(out.getvalue())
    for key in ("avg_error", "max_error", "fixed_avg_error", "fixed_max_error"):
        assert isinstance(d[key], float) and 0 <= d[key] < 1, key
    assert len(d["layers"]) == 2
    for row in d["layers"]:
        assert set(row) >= {"name", "statistical_pj", "value_level_pj", "fixed_pj", "error",
                            "fixed_error"}
        assert row["error"] == pytest.approx(
            abs(row["statistical_pj"] - row["value_level_pj"]) / row["value_level_pj"])
    assert d["max_error"] == pytest.approx(max(r["error"] for r in d["layers"]))


def test_accuracy_cli_text(capsys):
    assert main(["accuracy", str(FIG5), "--layer", "0", "--vectors", "32",
                 "--set", "mapper.max_evaluations=2000"]) == 0
    out = capsys.readouterr().out
    assert "conv1" in out and "fixed-energy baseline" in out


def test_accuracy_accepts_real_operand_tiles():
    design = cimdse.load(FIG5)
    conv = EncodingConvention.from_design(design)
    rng = np.random.default_rng(5)
    # a ReLU-like input patch matrix and Laplace-like weights, 8-bit grids, 128 rows
    inputs = np.clip(rng.exponential(20, (64, 128)).astype(int), 0, 127)
    inputs[rng.random(inputs.shape) < 0.5] = 0
    weights = np.clip(rng.laplace(0, 12, (128, 32)).astype(int), -127, 127)
    tile = from_arrays(inputs, weights, conv, grid_bits=8)
    report = accuracy(design, "resnet18", layers=[9], settings=FAST, vectors=64,
                      operands={"layer2.1.conv2": tile})
    (layer,) = report.layers
    assert layer.name == "layer2.1.conv2" and layer.value_level_pj > 0
    assert layer.error < 0.2   # other values than the layer's distributions, same scale


# -- CiMLoop-padded encodings (VALUE_RESAMPLE: cimloop, every shipped macro) ---------------

SHIPPED_MACROS = sorted((REPO / "configs" / "macros").glob("*.yaml"))


@pytest.mark.parametrize("bits", [2, 3, 5, 8])
def test_exact_bits_keeps_the_statistics_of_padded_and_truncated_entries(bits):
    from cimdse.encoding import EncodedHistogram, stats_from_encoded
    enc = EncodedHistogram(np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0]]), np.array([.5, .3, .2]))
    exact = exact_bits(enc, bits)
    assert exact.width == bits and set(np.unique(exact.bits)) <= {0, 1}
    assert len(exact.probabilities) == len(np.unique(exact.bits, axis=0))   # codes merged
    for per_slice in (1, 2, bits):
        padded, spelt = stats_from_encoded(enc, bits, per_slice), stats_from_encoded(exact, bits,
                                                                                     per_slice)
        assert spelt.p_one == pytest.approx(padded.p_one, abs=1e-12)
        assert spelt.slice_pmf == pytest.approx(padded.slice_pmf, abs=1e-12)


@pytest.mark.parametrize("path", SHIPPED_MACROS, ids=lambda p: p.stem)
def test_accuracy_runs_on_every_shipped_macro(path):
    report = accuracy(cimdse.load(path), "resnet18", layers=[0], settings=FAST, vectors=32,
                      cols=16)
    (layer,) = report.layers
    assert np.isfinite([layer.statistical_pj, layer.value_level_pj, layer.fixed_pj]).all()
    assert layer.value_level_pj > 0 and layer.error < 0.1, report.summary()


def test_accuracy_rejects_a_layer_out_of_range_and_an_empty_tile():
    design = cimdse.load(FIG5)
    with pytest.raises(AccuracyError, match="--layer 21 out of range: resnet18 has 21 layers"):
        accuracy(design, "resnet18", layers=[21], settings=FAST)
    with pytest.raises(AccuracyError, match="--vectors must be a positive integer"):
        accuracy(design, "resnet18", layers=[0], settings=FAST, vectors=0)
