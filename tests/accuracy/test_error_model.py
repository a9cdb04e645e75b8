"""The analog error model: hand-computed cases, the analytic SQNR against a
value-level Monte-Carlo of the same datapath, and its monotonic laws."""

from __future__ import annotations

import math

import numpy as np
import pytest

import cimdse
from cimdse.accuracy import (Converter, Datapath, Device, ErrorModel, conversion_error,
                             datapath_of, layer_error, network_sqnr_db)
from cimdse.accuracy.montecarlo import MonteCarloError, simulate
from cimdse.statistics import EncodingConvention, OperandEncoding, layer_stats
from cimdse.spec.errors import SpecError
from cimdse.workload import load_workload
from cimdse.workload.distributions import Histogram

FIG5 = "configs/examples/fig5_macro.yaml"
NEUROSIM = "configs/macros/basic_analog_neurosim.yaml"
RESNET = load_workload("resnet18")


def _layer(name: str):
    return RESNET.layer(name)


# -- hand-computed cases ---------------------------------------------------------

def test_uniform_quantiser_by_hand():
    """S uniform over 0..255, 4-bit ADC with top 255 (step 17), no noise:
    code 0 takes S = 0..8, codes 1..14 take 17 sums each (errors -8..8),
    code 15 takes 247..255. Squared errors: 204 + 14 x 408 + 204 = 6120 over
    256 sums = 23.906 LSB^2 (the continuous step^2 / 12 is 24.08); the mean
    error is 0 by symmetry."""
    values = np.arange(256.0)
    err = conversion_error(values, np.full(256, 1 / 256), 4, 255.0)
    assert err.mean_square == pytest.approx(6120 / 256, rel=1e-12)
    assert err.mean == pytest.approx(0.0, abs=1e-12)


def test_whole_datapath_by_hand():
    """One row, one 8-bit input slice uniform over 0..255, a 1-bit weight
    that is always 1, a 4-bit ADC whose top code reads the largest sum 255:
    the output is the column sum itself, so the error is the quantiser's
    23.906 LSB^2 above, the signal the uniform variance (256^2 - 1) / 12 =
    5461.25 and SQNR = 10 log10(5461.25 / 23.906) = 23.588 dB (the 6.02 b dB
    rule of a full-scale uniform signal gives 24.08 dB for b = 4)."""
    inputs = np.zeros(511)
    inputs[255:] = 1.0                                 # values 0..255 of a 9-bit grid
    weights = Histogram((0.0, 0.0, 1.0))               # always +1
    dists = {"Inputs": Histogram(tuple(inputs)), "Weights": weights,
             "Outputs": Histogram((0.0, 1.0, 0.0))}
    conv = EncodingConvention(OperandEncoding("magnitude", 8, 8),
                              OperandEncoding("magnitude", 1, 1),
                              OperandEncoding("magnitude", 1, 1))
    stats = layer_stats(conv, distributions=dists, reduction=1)
    path = Datapath(Converter("adc", 4, rows=1))
    err = layer_error(path, conv, stats, 1, dists, rows=1)
    assert err.signal == pytest.approx((256 ** 2 - 1) / 12)
    assert err.error == pytest.approx(6120 / 256) and err.offset == pytest.approx(0.0, abs=1e-9)
    assert err.sqnr_db == pytest.approx(23.588, abs=5e-4)
    assert 10 * math.log10(5461.25 / (6120 / 256)) == pytest.approx(23.588, abs=5e-4)


def test_noise_regimes_meet():
    """The exact noise window (sigma < step / 2) and the dithered form
    (sigma >= step / 2) agree where they meet; an ideal converter's error is
    the noise."""
    values = np.arange(400.0)
    pmf = np.exp(-0.5 * ((values - 150) / 40) ** 2)
    pmf /= pmf.sum()
    step = 511 / 31                                    # 5 bits, top 511
    below = conversion_error(values, pmf, 5, 511.0, 0.4999 * step)
    above = conversion_error(values, pmf, 5, 511.0, 0.5 * step)
    assert above.mean_square == pytest.approx(below.mean_square, rel=0.01)
    assert conversion_error(values, pmf, None, 511.0, 3.0).mean_square == pytest.approx(9.0)


def test_clipping_error_is_the_excess():
    """A sum above the full scale reads the top code: its error is top - S."""
    err = conversion_error(np.array([300.0]), np.array([1.0]), 8, 255.0)
    assert err.mean == pytest.approx(-45.0) and err.mean_square == pytest.approx(45.0 ** 2)


# -- the datapath a design has ----------------------------------------------------

def test_datapath_of_shipped_macros():
    fig5 = datapath_of(cimdse.load(FIG5))
    assert fig5.adc == Converter("adc", 8, 128, 0.5) and fig5.dac_bits == 2
    assert fig5.device == Device("cell", 0.0, 0.0)
    # a survey ADC converts the Outputs-reducing fanouts below it (3 folded columns x 768 rows)
    jia = datapath_of(cimdse.load("configs/macros/jia_jssc_2020.yaml"))
    assert jia.adc.rows == 2304 and jia.adc.bits == 8 and jia.adc.full_scale_fraction == 1.0
    assert datapath_of(cimdse.load("configs/macros/digital_baseline.yaml")).adc is None


def test_device_sigmas_are_declared_attributes():
    design = cimdse.load(FIG5, overrides={"cell.programming_sigma": 0.02,
                                          "cell.read_noise_sigma": 0.01,
                                          "adc.full_scale_fraction": 0.25})
    path = datapath_of(design)
    assert path.device == Device("cell", 0.02, 0.01)
    assert path.adc.full_scale_fraction == 0.25
    with pytest.raises(SpecError, match=r"programming_sigma.*\[0, 1\]"):
        cimdse.load(FIG5, overrides={"cell.programming_sigma": 1.5})
    with pytest.raises(SpecError, match="did you mean 'read_noise_sigma'"):
        cimdse.load(FIG5, overrides={"cell.read_noise_sigmaa": 0.1})
    survey = cimdse.load("configs/macros/isaac_isca_2016.yaml",
                         overrides={"adc.full_scale_fraction": 0.5})
    assert datapath_of(survey).adc.full_scale_fraction == 0.5


# -- analytic vs Monte-Carlo --------------------------------------------------------

#: (spec, ADC variable, overrides, layer, outputs): macro families and layers
#: the analytic SQNR is checked on (the 7x7 stem conv with signed inputs, a
#: 3x3 conv and a 1x1 downsample with ReLU inputs).
CASES = [
    (FIG5, "ADC_BITS", {}, "conv1", 1500),
    (FIG5, "ADC_BITS", {}, "layer2.0.downsample.0", 4000),
    (FIG5, "ADC_BITS", {"cell.programming_sigma": 0.05, "cell.read_noise_sigma": 0.03},
     "layer2.0.downsample.0", 4000),
    (NEUROSIM, "ADC_RESOLUTION", {}, "layer2.0.downsample.0", 4000),
]


@pytest.mark.parametrize("bits", [4, 5, 6, 7, 8])
@pytest.mark.parametrize("spec, variable, overrides, layer, outputs", CASES)
def test_analytic_sqnr_matches_monte_carlo(spec, variable, overrides, layer, outputs, bits):
    model = ErrorModel(cimdse.load(spec, overrides={variable: bits, **overrides}))
    lyr = _layer(layer)
    analytic = model.layer(lyr).sqnr_db
    mc = simulate(model.datapath, model.convention, lyr, outputs=outputs, seed=bits)
    assert abs(analytic - mc.sqnr_db) < 0.5, (analytic, mc.sqnr_db)


@pytest.mark.parametrize("bits", [6, 10])
def test_a_narrow_dac_rounds_the_input_slices(bits):
    """fig5's 2-bit input slices through a 1-bit DAC (levels 0 and 3): the
    rounding of every input is an error of its own, as in the simulation."""
    model = ErrorModel(cimdse.load(FIG5, overrides={"ADC_BITS": bits,
                                                    "dac_bank.resolution": 1}))
    assert model.datapath.dac_bits == 1
    lyr = _layer("layer2.0.downsample.0")
    err = model.layer(lyr)
    assert err.dac > 0.5 * err.error
    mc = simulate(model.datapath, model.convention, lyr, outputs=3000, seed=bits)
    assert abs(err.sqnr_db - mc.sqnr_db) < 0.5, (err.sqnr_db, mc.sqnr_db)


def test_monte_carlo_on_given_operands():
    """The simulation takes operand values (e.g. a profiled model's tensors)."""
    model = ErrorModel(cimdse.load(FIG5))
    lyr = _layer("layer2.0.downsample.0")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 60, size=(500, 64))
    w = rng.integers(-30, 31, size=(500, 64))
    got = simulate(model.datapath, model.convention, lyr, outputs=500, inputs=x, weights=w)
    assert got.outputs == 500 and math.isfinite(got.sqnr_db)
    with pytest.raises(MonteCarloError, match="shape"):
        simulate(model.datapath, model.convention, lyr, outputs=400, inputs=x, weights=w)


# -- laws -----------------------------------------------------------------------------

@pytest.mark.parametrize("layer", ["conv1", "layer1.0.conv1", "layer4.1.conv2"])
def test_sqnr_rises_with_adc_bits(layer):
    sqnr = [ErrorModel(cimdse.load(FIG5, overrides={"ADC_BITS": b})).sqnr_db(_layer(layer))
            for b in range(3, 13)]
    assert all(b > a for a, b in zip(sqnr, sqnr[1:])), sqnr


@pytest.mark.parametrize("bits", [6, 8, 10])
@pytest.mark.parametrize("attribute", ["cell.programming_sigma", "cell.read_noise_sigma"])
@pytest.mark.parametrize("layer", ["conv1", "layer1.0.conv1"])
def test_sqnr_falls_with_device_sigma(attribute, bits, layer):
    """(On a 4-bit ADC the device noise is far below a step, and a little of
    it can even dither the quantiser's rounding of sums that sit exactly on
    a decision level.)"""
    lyr = _layer(layer)
    sqnr = [ErrorModel(cimdse.load(FIG5, overrides={"ADC_BITS": bits, attribute: s})
                       ).sqnr_db(lyr) for s in (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)]
    assert all(b < a for a, b in zip(sqnr, sqnr[1:])), sqnr


def test_digital_datapath_adds_no_error():
    model = ErrorModel(cimdse.load("configs/macros/digital_baseline.yaml"))
    err = model.layer(_layer("layer1.0.conv1"))
    assert err.sqnr_db == math.inf and err.error == 0 and err.signal > 0


def test_network_sqnr_is_the_worst_layer():
    model = ErrorModel(cimdse.load(FIG5))
    layers = [model.layer(lyr) for lyr in RESNET.layers]
    assert network_sqnr_db(layers) == min(e.sqnr_db for e in layers)
    assert network_sqnr_db([]) == math.inf


def test_one_error_per_distinct_layer_statistics():
    """Layers of one shape and distributions share one computed error."""
    model = ErrorModel(cimdse.load(FIG5))
    errs = [model.layer(lyr) for lyr in RESNET.layers]
    assert len(model._cache) < len(errs)
    assert {e.name for e in errs} == {lyr.name for lyr in RESNET.layers}


def test_annotate_fills_the_result_rows():
    """The SQNR joins a network result: per layer, and the worst layer's in
    the design row."""
    from cimdse.accuracy import annotate
    from cimdse.mapping import evaluate as map_network
    design = cimdse.load(FIG5)
    layers = [RESNET.layer("conv1"), RESNET.layer("layer2.0.downsample.0")]
    result = map_network(design, layers)
    assert result.sqnr_db is None and result.record()["sqnr_db"] is None
    model = annotate(result, design, layers)
    per_layer = [model.sqnr_db(lyr) for lyr in layers]
    assert [lr.to_dict()["sqnr_db"] for lr in result.layers] == per_layer
    assert result.record()["sqnr_db"] == min(per_layer) == result.to_dict()["sqnr_db"]
