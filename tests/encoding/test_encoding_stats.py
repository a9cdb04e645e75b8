"""Encodings, slicing and ValueStats against CiMLoop's derived values
(the CiMLoop artifact (mit-emze/cimloop) table worked examples) and hand cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cimdse.encoding import (ENCODINGS, EncodingError, column_sum_pmf, encode, magnitude_pmf,
                             n_slices, product_pmf, slice_widths, uniform_stats, value_stats)
from cimdse.workload.distributions import Histogram, rebin

H = lambda probs: Histogram(tuple(probs))  # noqa: E731
WAN = [5, 5, 6, 6, 7, 7, 8, 8, 8, 7, 7, 6, 6, 5, 5]

# Default (iso) histograms of each macro (variables_iso.yaml at CiMLoop HEAD),
# encoding, encoded bits, bits per slice -> AVERAGE_*_VALUE of the table.
SECTION_2_8 = [
    ("basic_analog in", [0, 0, 0, 3, 2, 1, 0], "offset", 8, 8, 8, 1, 0.527669),
    ("basic_analog w", [1] * 15, "offset", 8, 8, 8, 1, 0.466667),
    ("jia in", [0, 0, 0, 8, 4, 2, 1], "offset_if_signed", 8, 1, 1, 8, 0.266667),
    ("jia w", [1] * 15, "offset", 8, 1, 1, 8, 0.466667),
    ("sinangil in", [0, 0, 0, 3, 2, 1, 0], "two_part_magnitude_if_signed", 4, 4, 4, 1, 0.227778),
    ("sinangil w", [0] * 7 + [1] * 8, "two_part_magnitude_if_signed", 4, 4, 4, 1, 0.5),
    ("wan in", WAN, "magnitude", 7, 1, 1, 7, 0.5),
    ("wan w", WAN, "two_part_magnitude_if_signed", 8, 4, 4, 2, 0.245833),
    ("wang in", [1] * 15, "offset", 8, 8, 8, 1, 0.466667),
    ("colonnade in", [1] * 7, "offset", 1, 1, 1, 1, 0.428571),
    ("colonnade w", [1] * 7, "offset", 8, 1, 1, 8, 0.428571),
    ("isaac in", [0, 0, 0, 3, 1, 0, 0], "offset", 16, 1, 1, 16, 0.583333),
    ("isaac w", [0, 1, 3, 4, 3, 1, 0], "offset", 16, 2, 2, 8, 0.467593),
    ("raella in", [0, 0, 0, 3, 1, 0, 0], "two_part_magnitude_if_signed", 8, 1, 1, 8, 0.125),
    ("raella w", [0, 1, 3, 4, 3, 1, 0], "two_part_magnitude", 16, 6, 6, 3, 0.117284),
    ("albireo w", [1] * 15, "two_part_magnitude_if_signed", 8, 8, 8, 1, 0.266667),
]


@pytest.mark.parametrize("label,hist,enc,bits,bps,exp_bps,exp_slices,expected", SECTION_2_8,
                         ids=[row[0] for row in SECTION_2_8])
def test_section_2_8_average_values(label, hist, enc, bits, bps, exp_bps, exp_slices, expected):
    stats = value_stats(H(hist), enc, bits, bps)
    assert stats.mean_slice_value == pytest.approx(expected, abs=5e-7)
    assert stats.bits_per_slice == exp_bps
    assert stats.n_slices == exp_slices
    assert stats.slice_pmf.sum() == pytest.approx(1.0)
    # The slice PMF's mean equals the CiMLoop average (normalised by the largest slice).
    assert stats.mean_slice_code / stats.full_scale == pytest.approx(expected, abs=5e-7)


SIGNED = [1, 2, 3, 4, 3, 2, 1]
UNSIGNED = [0, 0, 0, 3, 2, 1, 0]

# worked examples: hist, encoding, avg 8b slice, avg 1b slices, P(bit=1) (8 bits).
SECTION_4_2 = [
    (SIGNED, "offset", 0.4322, 0.4583, [.375, .5, .5, .458, .458, .458, .458, .458]),
    (SIGNED, "magnitude", 0.4218, 0.4375, [.375, .5, .438]),
    (SIGNED, "two_part_magnitude", 0.2109, 0.2188, [.188, .25, .219]),
    (SIGNED, "xnor", 0.4871, 0.6000, [.375, .625, .5, .5, 1.0, .6, .6, .6]),
    (SIGNED, "zero_gated_xnor", 0.3639, 0.4000, [.375, .375, .25, .25, .75, .4, .4, .4]),
    (UNSIGNED, "offset", 0.5277, 0.5556, [.5, .5, .667, .556, .556, .556, .556, .556]),
    (UNSIGNED, "magnitude", 0.2291, 0.2500, [.167, .333, .25]),
    (UNSIGNED, "two_part_magnitude_if_signed", 0.2291, 0.2500, [.167, .333, .25]),
    (UNSIGNED, "offset_if_signed", 0.2291, 0.2500, [.167, .333, .25]),
]


@pytest.mark.parametrize("hist,enc,avg8,avg1,p_one", SECTION_4_2,
                         ids=[f"{'s' if h is SIGNED else 'u'}-{e}" for h, e, *_ in SECTION_4_2])
def test_section_4_2_examples(hist, enc, avg8, avg1, p_one):
    assert value_stats(H(hist), enc, 8, 8).mean_slice_value == pytest.approx(avg8, abs=1e-4)
    one_bit = value_stats(H(hist), enc, 8, 1)
    assert one_bit.mean_slice_value == pytest.approx(avg1, abs=1e-4)
    assert one_bit.p_one[: len(p_one)] == pytest.approx(p_one, abs=1e-3)


def test_encoded_entries_match_spec():
    assert [b for b, _ in encode(H(SIGNED), "offset").entries()] == \
        ["000", "001", "010", "011", "100", "101", "110"]
    assert [b for b, _ in encode(H(SIGNED), "xnor").entries()] == \
        ["01001", "01011", "01101", "01111", "10001", "10011", "10101"]
    zg = dict(encode(H(SIGNED), "zero_gated_xnor").entries())
    assert "00000" in zg and "01111" not in zg
    unsigned = encode(H(UNSIGNED), "offset").entries()
    assert [b for b, _ in unsigned] == ["011", "100", "101"]
    assert [p for _, p in unsigned] == pytest.approx([0.5, 1 / 3, 1 / 6])


def test_twos_complement_and_sign_magnitude_by_hand():
    hist = H([1, 0, 0, 1, 0, 0, 1])   # values -3, 0, 3 on 3 bits
    tc = dict(encode(hist, "twos_complement").entries())
    assert tc == pytest.approx({"101": 1 / 3, "000": 1 / 3, "011": 1 / 3})
    sm = dict(encode(hist, "sign_magnitude").entries())
    assert sm == pytest.approx({"111": 1 / 3, "000": 1 / 3, "011": 1 / 3})
    # unsigned data: *_if_signed falls back to magnitude (one bit fewer)
    assert encode(H(UNSIGNED), "twos_complement_if_signed").width == 2
    assert encode(H(SIGNED), "twos_complement_if_signed").width == 3


def test_aliases_and_errors():
    assert encode(H(SIGNED), "offset_encode_hist").encoding == "offset"
    with pytest.raises(EncodingError, match="unknown encoding 'ofset'.*offset"):
        encode(H(SIGNED), "ofset")


def test_slicing_widths_and_partial_slice_quirk():
    assert slice_widths(8, 3) == [3, 3, 2]
    assert n_slices(8, 3) == 3 and n_slices(7, 1) == 7 and n_slices(8, 16) == 1
    stats = value_stats(H([1] * 15), "offset", 8, 3)
    #: uniform histogram -> [0.467, 0.467, 0.200] (2-bit slice normalised by 7)
    assert stats.per_slice_mean == pytest.approx([7 / 15, 7 / 15, 0.2], abs=1e-3)
    full = value_stats(H([1] * 15), "offset", 8, 3, partial_slices_use_full_range=True)
    assert full.per_slice_mean[2] == pytest.approx(0.2 * 7 / 3, abs=1e-3)


def test_padding_and_truncation_rules():
    # 3-bit offset codes padded to 8 bits with each entry's mean bit
    hist = H([0, 0, 0, 0, 0, 1, 0])   # single value +2 -> code 101 (mean bit 2/3)
    stats = value_stats(hist, "offset", 8, 1)
    assert stats.p_one == pytest.approx([1, 0, 1] + [2 / 3] * 5)
    # narrower operand keeps the MSBs
    assert value_stats(hist, "offset", 2, 1).p_one == pytest.approx([1, 0])
    # padded bits are Bernoulli for the PMF: 1 padded bit in a 4-bit slice
    pmf = value_stats(hist, "offset", 4, 4).slice_pmf
    assert pmf[0b1010] == pytest.approx(1 / 3) and pmf[0b1011] == pytest.approx(2 / 3)


def test_value_exact_mode_uses_integer_bits():
    hist = H([0, 0, 0, 0, 0, 1, 0])
    exact = value_stats(hist, "offset", 8, 8, resample="value")
    direct = value_stats(rebin(hist, 8), "offset", 8, 8)     # already 8 bits: no padding
    assert exact.p_one == pytest.approx(direct.p_one)
    assert exact.slice_pmf == pytest.approx(direct.slice_pmf)
    # value-level: mean offset code = E[v] + 2**7 - 1 on the 8-bit grid
    assert exact.mean_slice_value == pytest.approx((rebin(hist, 8).mean + 127) / 255)
    # CiMLoop's bit-level padding (101 + five 2/3 bits) differs -- the quirk
    assert value_stats(hist, "offset", 8, 8).mean_slice_value == pytest.approx(
        (0b10100000 + 31 * 2 / 3) / 255)
    with pytest.raises(EncodingError):
        value_stats(hist, "offset", 8, 8, resample="bogus")


def test_uniform_stats():
    u = uniform_stats(8, 4)
    assert u.mean_slice_value == pytest.approx(0.5)
    assert u.p_one == pytest.approx([0.5] * 8)
    assert u.slice_pmf == pytest.approx(np.full(16, 1 / 16))
    assert u.bit_flip_probability == pytest.approx(0.25)


def test_column_sum_pmf_small_by_hand():
    ones = value_stats(H([0, 1, 1]), "magnitude", 1, 1)      # P(1) = 1/2
    prod = product_pmf(ones, ones)
    assert prod == pytest.approx([0.75, 0.25])
    values, pmf = column_sum_pmf(ones, ones, 3)
    assert values == pytest.approx([0, 1, 2, 3])
    # Binomial(3, 1/4)
    assert pmf == pytest.approx([27 / 64, 27 / 64, 9 / 64, 1 / 64])
    v, p = ones.column_sum_pmf(ones, 1)
    assert p == pytest.approx([0.75, 0.25])


def test_column_sum_pmf_matches_repeated_convolution_and_caps():
    ins = value_stats(H([0, 0, 0, 3, 2, 1, 0]), "offset", 4, 2)
    ws = value_stats(H([1] * 15), "offset", 4, 2)
    one = product_pmf(ins, ws)
    ref = np.array([1.0])
    for _ in range(20):
        ref = np.convolve(ref, one)
    values, pmf = column_sum_pmf(ins, ws, 20)
    assert pmf == pytest.approx(ref, abs=1e-12)
    mean = 20 * float(one @ np.arange(len(one)))
    v_big, p_big = column_sum_pmf(ins, ws, 20, max_support=50)   # normal approximation
    assert len(p_big) == 50 and p_big.sum() == pytest.approx(1.0)
    assert float(v_big @ p_big) == pytest.approx(mean, rel=0.02)


def test_magnitude_pmf():
    assert magnitude_pmf(H(SIGNED)) == pytest.approx(np.array([4, 6, 4, 2]) / 16)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=15, max_size=15).filter(lambda x: sum(x) > 0.01),
       st.sampled_from(sorted(ENCODINGS)), st.integers(1, 12), st.integers(1, 8))
def test_properties(probs, enc, bits, bps):
    stats = value_stats(H(probs), enc, bits, bps)
    assert 0.0 <= stats.mean_slice_value <= 1.0 + 1e-12
    assert np.all((stats.p_one >= -1e-12) & (stats.p_one <= 1 + 1e-12))
    assert stats.slice_pmf.sum() == pytest.approx(1.0)
    assert stats.n_slices == -(-bits // min(bps, bits))
    assert stats.mean_slice_code / stats.full_scale == pytest.approx(stats.mean_slice_value,
                                                                     abs=1e-9)
