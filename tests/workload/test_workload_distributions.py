"""Histograms: validation, parametric shapes, bit views, rebinning, defaults."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimdse.workload import (Histogram, WorkloadError, default_distributions,
                             from_bit_probabilities, gaussian, gelu_like, laplace, rebin, relu,
                             softmax_like, to_bit_probabilities)

SIGNED = Histogram([1, 2, 3, 4, 3, 2, 1])     # the CiMLoop artifact (mit-emze/cimloop) worked example
UNSIGNED = Histogram([0, 0, 0, 3, 2, 1, 0])


# -- construction ---------------------------------------------------------------

def test_normalises_and_exposes_values():
    assert math.isclose(sum(SIGNED.probabilities), 1.0)
    assert SIGNED.pmf[3] == pytest.approx(0.25)
    assert list(SIGNED.values) == [-3, -2, -1, 0, 1, 2, 3]
    assert SIGNED.bits == 3 and SIGNED.full_scale == 3
    assert SIGNED.is_signed and not UNSIGNED.is_signed
    assert SIGNED.mean == pytest.approx(0.0)
    assert UNSIGNED.mean == pytest.approx((2 * 1 + 1 * 2) / 6)
    assert UNSIGNED.max_abs == 2 and SIGNED.max_abs == 3
    assert UNSIGNED.zero_mass == pytest.approx(0.5)
    assert Histogram([5]).bits == 1


def test_hashable_and_read_only():
    assert hash(Histogram([1, 2, 1])) == hash(Histogram([2, 4, 2]))
    with pytest.raises(ValueError):
        SIGNED.pmf[0] = 1.0
    assert "bits=3" in repr(SIGNED)


@pytest.mark.parametrize("bad, message", [
    ([1, 2], "2 bins"),
    ([1, 2, 3, 4, 5], "5 bins"),
    ([], "0 bins"),
    ([1, -1, 1], "negative"),
    ([1, float("nan"), 1], "NaN"),
    ([0, 0, 0], "all zeros"),
    ([[1, 1, 1]], "one-dimensional"),
    (["a", 1, 1], "list of numbers"),
])
def test_rejects_bad_histograms(bad, message):
    with pytest.raises(WorkloadError, match=message):
        Histogram(bad)


def test_from_samples():
    hist = Histogram.from_samples([0, 0, 1, -1, 9], bits=3)   # 9 clips to 3
    assert list(hist.pmf * 5) == pytest.approx([0, 0, 1, 2, 1, 0, 1])


# -- parametric defaults --------------------------------------------------------

ALL_SHAPES = [laplace, gaussian, relu, gelu_like, softmax_like]


@pytest.mark.parametrize("shape", ALL_SHAPES)
@pytest.mark.parametrize("bits", [2, 3, 5, 8, 10])
def test_parametric_shapes_sum_to_one(shape, bits):
    hist = shape(bits)
    assert hist.bits == bits
    assert sum(hist.probabilities) == pytest.approx(1.0)
    assert np.all(hist.pmf >= 0)


@pytest.mark.parametrize("shape", [laplace, gaussian])
def test_weight_shapes_are_symmetric_and_peaked(shape):
    pmf = shape(8).pmf
    assert np.allclose(pmf, pmf[::-1])
    assert np.argmax(pmf) == 127
    assert shape(8).mean == pytest.approx(0.0, abs=1e-9)


def test_scale_is_a_fraction_of_full_scale():
    # sigma = 0.2 of full scale is ~0.2 * 127 LSBs at 8 bits, ~0.2 * 2047 at 12.
    assert gaussian(8, 0.2).std == pytest.approx(0.2 * 127, rel=0.02)
    assert gaussian(12, 0.2).std / 2047 == pytest.approx(gaussian(8, 0.2).std / 127, rel=0.02)
    assert laplace(8, 0.1).std == pytest.approx(math.sqrt(2) * 0.1 * 127, rel=0.03)


@pytest.mark.parametrize("zero_mass", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_relu_has_no_negative_mass_and_given_zero_mass(zero_mass):
    hist = relu(8, scale=0.2, zero_mass=zero_mass)
    assert not hist.is_signed and np.all(hist.pmf[:127] == 0)
    assert hist.zero_mass == pytest.approx(zero_mass, abs=1e-12)


def test_gelu_like_has_a_small_negative_tail():
    hist = gelu_like(8)
    negative = hist.pmf[:127].sum()
    assert hist.is_signed and 0 < negative < 0.5
    assert hist.mean > 0
    assert -hist.values[hist.pmf > 0].min() <= 0.17 * 0.25 * 127 + 1   # tail to ~-0.17*knee


def test_softmax_like_is_non_negative_and_concentrated_near_zero():
    hist = softmax_like(8)                                # mean 0.02 of full scale
    assert not hist.is_signed
    assert hist.mean == pytest.approx(0.02 * 127, rel=0.05)
    assert np.all(np.diff(hist.pmf[128:]) <= 1e-12)          # decreasing from 1 LSB on
    assert hist.pmf[127:127 + 13].sum() > 0.95            # within 10 % of full scale
    assert hist.zero_mass > 0.15


def test_bad_parameters():
    with pytest.raises(WorkloadError, match="scale"):
        laplace(8, scale=0)
    with pytest.raises(WorkloadError, match="zero_mass"):
        relu(8, zero_mass=1.5)
    with pytest.raises(WorkloadError, match="bits >= 2"):
        gaussian(1)


def test_default_distributions():
    cnn = default_distributions("conv", "relu")
    assert set(cnn) == {"Inputs", "Weights", "Outputs"}
    assert not cnn["Inputs"].is_signed and cnn["Weights"].is_signed and cnn["Outputs"].is_signed
    assert default_distributions("conv", "image")["Inputs"].is_signed
    assert default_distributions("linear", "gelu")["Inputs"] == gelu_like(8)
    av = default_distributions("matmul", "softmax")
    assert av["Inputs"] == softmax_like(8) and av["Weights"] == gaussian(8, 0.15)
    assert default_distributions("conv", bits=5)["Weights"].bits == 5
    with pytest.raises(WorkloadError, match="did you mean 'softmax'"):
        default_distributions("matmul", "sofmax")
    with pytest.raises(WorkloadError, match="did you mean 'linear'"):
        default_distributions("lienar")


# -- bit views ------------------------------------------------------------------

def test_bit_probabilities_match_cimloop_examples():
    # the CiMLoop artifact (mit-emze/cimloop) worked examples, MSB first.
    assert to_bit_probabilities(SIGNED, encoding="offset") == pytest.approx([0.375, 0.5, 0.5])
    assert to_bit_probabilities(SIGNED) == pytest.approx([0.375, 0.5])       # magnitude
    assert to_bit_probabilities(UNSIGNED, encoding="offset") == pytest.approx([.5, .5, 2 / 3])
    assert to_bit_probabilities(UNSIGNED) == pytest.approx([1 / 6, 1 / 3])


def test_twos_complement_and_widths():
    hist = Histogram([0, 1, 0, 0, 0, 0, 1])        # values -2 and +3, equally likely
    # -2 -> 110, +3 -> 011
    assert to_bit_probabilities(hist, encoding="twos_complement") == pytest.approx([.5, 1, .5])
    # sign-extended to 5 bits: -2 -> 11110, +3 -> 00011
    assert to_bit_probabilities(hist, bits=5, encoding="twos_complement") == pytest.approx(
        [.5, .5, .5, 1, .5])
    with pytest.raises(WorkloadError, match="rebin"):
        to_bit_probabilities(hist, bits=1, encoding="magnitude")   # |3| needs 2 bits
    with pytest.raises(WorkloadError, match="did you mean 'offset'"):
        to_bit_probabilities(hist, encoding="ofset")


bit_probs = st.lists(st.floats(0.0, 1.0), min_size=1, max_size=7)


@settings(max_examples=60, deadline=None, database=None)
@given(p=bit_probs, encoding=st.sampled_from(["magnitude", "offset", "twos_complement"]))
def test_independent_bits_round_trip_exactly(p, encoding):
    hist = from_bit_probabilities(p, encoding=encoding)
    assert hist.bits == len(p) + 1
    assert sum(hist.probabilities) == pytest.approx(1.0)
    back = to_bit_probabilities(hist, bits=len(p), encoding=encoding)
    assert back == pytest.approx(p, abs=1e-9)
    again = from_bit_probabilities(back, encoding=encoding)
    assert again.pmf == pytest.approx(hist.pmf, abs=1e-12)


@settings(max_examples=30, deadline=None, database=None)
@given(p=bit_probs)
def test_signed_flag_selects_twos_complement(p):
    assert from_bit_probabilities(p, signed=True) == from_bit_probabilities(
        p, encoding="twos_complement")
    unsigned = from_bit_probabilities(p)
    assert not unsigned.is_signed
    assert to_bit_probabilities(unsigned) == pytest.approx(p, abs=1e-9)   # natural width


def test_from_bit_probabilities_validation():
    with pytest.raises(WorkloadError, match="in \\[0, 1\\]"):
        from_bit_probabilities([0.5, 1.5])
    with pytest.raises(WorkloadError, match="in \\[0, 1\\]"):
        from_bit_probabilities([])


# -- rebinning ------------------------------------------------------------------

def test_downsample_merges_by_rounding():
    # 7 -> 3 bins: full scale 3 -> 1; v -> round(v / 3) half away from zero:
    # -3,-2 -> -1; -1,0,1 -> 0; 2,3 -> 1
    assert rebin(SIGNED, 2).pmf == pytest.approx(np.array([3, 10, 3]) / 16)


def test_upsample_keeps_zero_and_spreads_evenly():
    up = rebin(UNSIGNED, 4)          # full scale 3 -> 7
    assert up.zero_mass == pytest.approx(UNSIGNED.zero_mass)
    assert sum(up.probabilities) == pytest.approx(1.0)
    # fine w rounds back to round(w * 3 / 7): 1 -> 0 (left empty: zero stays
    # alone), {2, 3} -> 1, {4, 5} -> 2, {6, 7} -> 3
    assert up.pmf[7:] == pytest.approx([0.5, 0, 1 / 6, 1 / 6, 1 / 12, 1 / 12, 0, 0])
    assert rebin(SIGNED, 3) is SIGNED


@pytest.mark.parametrize("hist", [SIGNED, UNSIGNED, relu(5), laplace(6), gelu_like(5)])
@pytest.mark.parametrize("extra", [1, 2, 4])
def test_up_then_down_is_exact(hist, extra):
    up = rebin(hist, hist.bits + extra)
    assert up.bits == hist.bits + extra and sum(up.probabilities) == pytest.approx(1.0)
    assert rebin(up, hist.bits).pmf == pytest.approx(hist.pmf, abs=1e-12)


def test_rebin_preserves_shape_roughly():
    fine = gaussian(10, 0.2)
    coarse = rebin(fine, 6)
    assert coarse.std / coarse.full_scale == pytest.approx(fine.std / fine.full_scale, rel=0.05)
    assert coarse.pmf == pytest.approx(gaussian(6, 0.2).pmf, abs=0.01)
    assert rebin(fine, 1).pmf == pytest.approx([1.0])
