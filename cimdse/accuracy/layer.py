"""The output error one layer's datapath adds, and its SQNR.

Per layer, from the statistics the energy is priced with
(:func:`cimdse.statistics.layer_stats`: the same encodings, slices and
column-sum PMFs), for a design's :class:`~.datapath.Datapath`:

* **rows and passes**: a conversion sums ``rows`` = the rows the layer can
  fill on the ADC's line (:func:`~cimdse.statistics.row_capacity`, as
  the ActionTable); an output's N = C x R x S products take
  ``passes = N / rows`` conversions per (input slice, weight slice) pair.
* **one conversion** of slice pair (k, j): the column-sum PMF of ``rows``
  (input slice k x weight slice j) products plus device noise (every cell's
  current off by a relative sigma, sigma^2 = sigma_p^2 + sigma_r^2: a sum S
  gets the variance ``sigma^2 E[a^2 b^2 | S]``, taken as ``sigma^2 S E[a^2]
  E[b^2] / (E[a] E[b])``, exact for 1-bit slices), converted by the ADC of
  ``bits`` bits and full scale ``full_scale_fraction x design rows x largest
  slice product``: quantisation, clipping and the noise integrated exactly
  over the PMF (:mod:`.converter`).
* **shift-add**: the error of pair (k, j) enters the output with weight
  ``g_k g_j`` (:func:`~.operands.slice_gains`). Conversions are independent
  but for the part of their errors that follows the sums (a coarse ADC's
  dead zone returns -S), which correlates conversions sharing an input or
  a weight slice: their error variances add, with those covariances.
  Programming variation is frozen in a cell that every input slice reads:
  its errors across input slices are correlated, as far as each conversion
  passes its noise (a quantiser coarser than the noise absorbs it); read
  noise is fresh per read.
* **DACs** narrower than an input slice round each slice code a to the
  nearest of their levels: the column sums see the rounded code, and the
  output gets the rounding error D = sum_k g_k (a'_k - a_k) of every input
  times its weight code W: variance ``N Var(D W)``.
* **signal**: the variance of the ideal output, ``N Var(x w)`` from the
  layer's input and weight distributions in the same units
  (:func:`~.operands.operand_moments`).

``sqnr_db = 10 log10(signal / error variance)``. The signal is a variance,
so the error is too: the error's mean over a layer's outputs (``offset``,
e.g. the clipped excess, or the rounding of an ADC whose step is not a
whole number of column-sum units) is one constant shift of every output,
which the layer's bias absorbs. +inf when the datapath adds no error (a
digital design, or an ADC that resolves every sum with no noise), -inf
when the ideal output is constant but the datapath errs.

Assumptions: operands are independent across rows and of each other (the
statistics' assumption, CiMLoop Sec. III-C); conversions are correlated
only through the part of their errors linear in their sums and through
the frozen programming error (higher-order dependences, e.g. of the
clipping of sums that share inputs, are left out); the device noise of a
sum is Gaussian given the sum; a cell's conductance is linear in its level
with zero conductance at level 0; offsets, signs and differential pairs
are undone digitally and exactly (:mod:`.operands`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cimdse.encoding import ValueStats, column_sum_pmf
from cimdse.pricing import TableCache
from cimdse.statistics import (EncodingConvention, LayerStats, layer_distributions,
                               reduction_size, row_capacity)
from cimdse.spec.model import Design

from .converter import HERMITE_ORDERS, conversion_error
from .datapath import Datapath, datapath_of
from .operands import operand_moments, output_variance, slice_gains, slice_moments

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerError:
    """The output error of one layer on one design.

    Error variances are in squared code LSBs of the output (the units of
    ``signal``): ``error`` is the total, ``quantization`` the ADC alone
    (quantisation and clipping of the noiseless sums), ``device`` the cell
    variation and read noise alone (before any conversion), ``dac`` the
    rounding of input slices; ``offset`` is the error's mean (code LSBs).
    ``rows`` are summed per conversion, ``passes`` conversions per output
    and slice pair, ``conversions`` per output in all.
    """

    name: str
    sqnr_db: float
    signal: float
    error: float
    offset: float = 0.0
    quantization: float = 0.0
    device: float = 0.0
    dac: float = 0.0
    rows: int = 0
    passes: int = 0
    conversions: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "sqnr_db": self.sqnr_db, "signal": self.signal,
                "error": self.error, "offset": self.offset,
                "quantization": self.quantization, "device": self.device,
                "dac": self.dac, "rows": self.rows, "passes": self.passes,
                "conversions": self.conversions}


def sqnr_db(signal: float, error: float) -> float:
    """10 log10(signal / error) of two variances; +inf without error, -inf
    for a constant signal with error."""
    if error <= 0:
        return math.inf
    if signal <= 0:
        return -math.inf
    return 10.0 * math.log10(signal / error)


def network_sqnr_db(layers) -> float:
    """The network's SQNR: the worst (lowest) layer's ``sqnr_db`` -- every
    layer's output is at least this clean. ``layers``: LayerErrors or numbers."""
    values = [getattr(x, "sqnr_db", x) for x in layers]
    return min(values) if values else math.inf


class ErrorModel:
    """The error of every layer of one design, computed once per distinct
    layer statistics (like :class:`~cimdse.pricing.TableCache`)."""

    def __init__(self, design: Design):
        self.design = design
        self.datapath: Datapath = datapath_of(design)
        self._tables = TableCache(design)
        self.convention = self._tables.convention
        self._cache: dict[tuple, LayerError] = {}
        self._passes: dict[tuple, Any] = {}

    def layer(self, layer: Any) -> LayerError:
        """The :class:`LayerError` of ``layer`` (a workload Layer or a Problem)."""
        n = reduction_size(layer)
        adc = self.datapath.adc
        dists = layer_distributions(layer, self.convention.position)
        if adc is None:
            key = ("digital", tuple(dists[t].probabilities for t in ("Inputs", "Weights")), n)
            stats, rows = None, 0
        else:
            # the statistics the ActionTable is priced with (one cached object):
            # the slices do not depend on the rows, which are the ADC's own
            stats, rows = self._tables.stats(layer), row_capacity(adc.rows, layer)
            key = (stats.key, rows, n)
        got = self._cache.get(key)
        if got is None:
            got = layer_error(self.datapath, self.convention, stats, n, dists, rows,
                              passes_cache=self._passes)
            self._cache[key] = got
        name = getattr(layer, "name", "")
        return got if got.name == name else replace(got, name=name)

    def sqnr_db(self, layer: Any) -> float:
        return self.layer(layer).sqnr_db


def annotate(result, design: Design, layers) -> ErrorModel:
    """Set the ``sqnr_db`` of every layer result of ``result`` (a
    :class:`~cimdse.mapping.NetworkResult` of ``layers``, in order); returns
    the :class:`ErrorModel` that computed them."""
    model = ErrorModel(design)
    for lr, lyr in zip(result.layers, layers):
        lr.sqnr_db = model.sqnr_db(lyr)
    return model


def layer_error(datapath: Datapath, convention: EncodingConvention, stats: LayerStats | None,
                reduction: int, distributions, rows: int, name: str = "",
                passes_cache: dict | None = None) -> LayerError:
    """The :class:`LayerError` of a layer of ``reduction`` products per
    output, ``rows`` of them summed per conversion, with the slice statistics
    ``stats`` (None for a digital datapath; see the module docstring).
    ``passes_cache`` keeps the error of one pass per (statistics, rows) for
    layers that differ only in their number of passes."""
    signal = _signal(convention, distributions, reduction)
    if datapath.adc is None:
        return LayerError(name, sqnr_db(signal, 0.0), signal, 0.0)
    key = (stats.key, rows)
    one = passes_cache.get(key) if passes_cache is not None else None
    if one is None:
        one = _pass_error(datapath, stats, rows)
        if passes_cache is not None:
            passes_cache[key] = one
    n = reduction
    passes = max(1, n // rows)
    frozen = n * one.frozen
    dac = n * max(one.dac_square - one.dac_mean ** 2, 0.0)
    total = passes * one.variance + frozen + dac
    offset = passes * one.bias + n * one.dac_mean
    conversions = passes * len(stats.inputs) * len(stats.weights)
    return LayerError(name, sqnr_db(signal, total), signal, float(total), float(offset),
                      float(passes * one.quant_variance), float(passes * one.noise + frozen),
                      float(dac), rows, passes, conversions)


@dataclass(frozen=True)
class _PassError:
    """One pass of ``rows`` rows through every (input slice, weight slice)
    conversion, shift-added: error ``variance`` and mean ``bias`` with the
    device noise, ``quant_variance`` without it, the device noise variance ``noise``; per
    product: the frozen programming error across input slices (``frozen``),
    the DAC rounding times the weight code (``dac_mean`` = E[D] E[W],
    ``dac_square`` = E[D^2] E[W^2])."""

    variance: float
    bias: float
    noise: float
    quant_variance: float
    frozen: float
    dac_mean: float
    dac_square: float


def _pass_error(datapath: Datapath, stats: LayerStats, rows: int) -> _PassError:
    in_widths = [s.bits for s in stats.inputs]
    w_widths = [s.bits for s in stats.weights]
    in_gain, w_gain = slice_gains(in_widths), slice_gains(w_widths)
    levels = [_levels(datapath.dac_bits, s) for s in stats.inputs]
    a = slice_moments(stats.encoded["Inputs"], in_widths, levels)
    b = slice_moments(stats.encoded["Weights"], w_widths)
    sums = [[_column_sum(ins, scale, ws, rows) for ws in stats.weights]
            for ins, scale in (_dac_rounded(s, lv) for s, lv in zip(stats.inputs, levels))]
    device = datapath.device
    relative = device.programming_sigma ** 2 + device.read_noise_sigma ** 2
    top = datapath.adc.top(stats.inputs[0].full_scale, stats.weights[0].full_scale)
    variance, bias, noise, passed = _conversions(datapath.adc.bits, top, sums, a, b, in_gain,
                                                 w_gain, rows, relative)
    quant = variance if relative == 0 else \
        _conversions(datapath.adc.bits, top, sums, a, b, in_gain, w_gain, rows, 0.0)[0]
    # the frozen error of a cell, read by every input slice, as far as each
    # conversion passes it: sum_j g_j^2 E[b_j^2] (t' E[a a'] t - sum_k t_k^2 E[a_k^2])
    frozen = 0.0
    for j in range(len(w_gain)):
        t = in_gain * passed[:, j]
        frozen += w_gain[j] ** 2 * b.second[j, j] * (
            float(t @ a.second @ t) - float(np.sum(t * t * np.diag(a.second))))
    frozen = device.programming_sigma ** 2 * max(frozen, 0.0)
    d_mean, d_sq = a.rounding
    w_mean, w_sq = b.code(w_gain)
    return _PassError(variance, bias, noise, quant, frozen, d_mean * w_mean, d_sq * w_sq)


def _column_sum(ins: ValueStats, scale: float, ws: ValueStats, rows: int):
    values, pmf = column_sum_pmf(ins, ws, rows)
    return values * scale, pmf


def _conversions(bits, top, sums, a, b, in_gain, w_gain, rows, relative):
    """(error variance, error mean, device-noise variance, noise gains) of
    one pass's shift-added conversions: per conversion its exact error
    variance; across conversions the part of the errors that follows the
    sums (their Hermite coefficients), correlated as the sums are through
    the operands they share (Cov(S_kj, S_k'j') = rows (E[a_k a_k']
    E[b_j b_j'] - E[a_k] E[a_k'] E[b_j] E[b_j'])); the share of its noise
    each conversion passes (K x J)."""
    n_in, n_w = len(in_gain), len(w_gain)
    follow = np.zeros((HERMITE_ORDERS, n_in * n_w))
    passed = np.ones((n_in, n_w))
    residual = bias = noise = 0.0
    for k, row in enumerate(sums):
        for j, (values, pmf) in enumerate(row):
            gain = in_gain[k] * w_gain[j]
            # the noise of sum S: relative x sqrt(sum of a^2 b^2 over its rows),
            # E[a^2 b^2] / E[a b] per unit of S (exact for 1-bit slices)
            mean_product = a.mean[k] * b.mean[j]
            spread = a.second[k, k] * b.second[j, j] / mean_product if mean_product > 0 else 0.0
            sigma = np.sqrt(relative * spread * np.clip(values, 0.0, None))
            err = conversion_error(values, pmf, bits, top, sigma)
            h = np.array(err.hermite)
            residual += gain * gain * max(err.variance - float(h @ h), 0.0)
            follow[:, k * n_w + j] = gain * h
            passed[k, j] = err.noise_gain
            bias += gain * err.mean
            noise += gain * gain * rows * relative * a.second[k, k] * b.second[j, j]
    cov = rows * (np.kron(a.second, b.second)
                  - np.kron(np.outer(a.mean, a.mean), np.outer(b.mean, b.mean)))
    std = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    scale = np.outer(std, std)
    rho = np.divide(cov, scale, out=np.zeros_like(cov), where=scale > 0)
    shared = sum(float(u @ (rho ** (m + 1)) @ u) for m, u in enumerate(follow))
    return residual + max(shared, 0.0), bias, noise, passed


def _signal(convention: EncodingConvention, dists, reduction: int) -> float:
    ins, ws = dists["Inputs"], dists["Weights"]
    return output_variance(
        operand_moments(ins, convention.inputs.for_histogram(ins), convention.resample),
        operand_moments(ws, convention.weights.for_histogram(ws), convention.resample),
        reduction)


def _levels(dac_bits: int | None, stats: ValueStats) -> int | None:
    """DAC levels - 1 if the DAC is narrower than the slice, else None."""
    if dac_bits is None or dac_bits >= stats.bits_per_slice:
        return None
    return 2 ** dac_bits - 1


def _dac_rounded(stats: ValueStats, levels: int | None) -> tuple[ValueStats, float]:
    """The input slice as the DAC drives it: statistics over DAC level
    indices and the slice codes per level (1: the DAC resolves the slice)."""
    if levels is None:
        return stats, 1.0
    fs = stats.full_scale
    index = np.rint(np.arange(fs + 1) * levels / fs).astype(int)
    pmf = np.zeros(levels + 1)
    np.add.at(pmf, index, stats.slice_pmf[: fs + 1])
    return replace(stats, slice_pmf=pmf), fs / levels


__all__ = ["ErrorModel", "LayerError", "annotate", "layer_error", "network_sqnr_db",
           "sqnr_db"]
