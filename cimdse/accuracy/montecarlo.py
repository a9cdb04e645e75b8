"""The datapath value by value: the check of the analytic error model.

:func:`simulate` runs operand values through an explicit model of the
datapath a :class:`~.datapath.Datapath` describes, one output at a time:
encode every value (the design's encoding and width), slice it, sum the
products of each (input slice, weight slice) pair over the rows of a
conversion, add the device noise (a programming error frozen per cell and
weight slice, read noise per conversion), round input slices to a narrower
DAC's levels, quantise and clip in the ADC, shift-add the conversions and
compare with the exact dot product of the operand values. Nothing here uses
the PMFs or closed forms of :mod:`.layer` and :mod:`.converter`.

Operands are drawn from the layer's distributions (bounded: ``outputs``
dot products of N = C x R x S products each), or given as integer arrays
of shape (outputs, N) on the histograms' grids (e.g. real tensors of a
profiled model). Signed parts are encoded as the statistics encode them
(one wider code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cimdse.encoding import (bit_matrix, encode, natural_width, resolve_encoding,
                             slice_widths)
from cimdse.errors import CimdseError
from cimdse.statistics import (EncodingConvention, OperandEncoding, layer_distributions,
                               reduction_size, row_capacity)
from cimdse.workload.distributions import Histogram, rebin

from .datapath import Datapath
from .layer import sqnr_db

#: Outputs :func:`simulate` samples by default (ours: the SQNR estimate's
#: sampling error is then about 0.1 dB).
DEFAULT_OUTPUTS = 4000
#: Largest operand array :func:`simulate` builds: outputs x products x
#: encoded bits of the wider operand (ours: about 0.2 GB of arrays).
MAX_BITS = 1 << 25


class MonteCarloError(CimdseError, ValueError):
    """A simulation that cannot be set up as asked."""


@dataclass(frozen=True)
class MonteCarloResult:
    """SQNR of the simulated outputs: the sample variances of the ideal
    outputs and of the error (code LSBs^2), the error's mean (code LSBs),
    over ``outputs``."""

    sqnr_db: float
    signal: float
    error: float
    offset: float
    outputs: int


@dataclass(frozen=True)
class _Operand:
    """One tensor as the datapath sees it: the grid the encoding uses, code
    LSBs per grid step, and each grid value's encoded entries."""

    grid: Histogram
    scale: float
    bits: int
    widths: tuple[int, ...]
    table: dict[int, tuple[np.ndarray, np.ndarray]]   # value -> (bits per entry, probs)


#: Code LSBs per value step of the bipolar XNOR digits (a flipped bit moves
#: the value by twice its weight).
_XNOR = ("xnor", "zero_gated_xnor")


def _operand(hist: Histogram, operand: OperandEncoding, resample: str) -> _Operand:
    width = natural_width(hist, operand.encoding)
    name, _ = resolve_encoding(operand.encoding)
    if name.endswith("_if_signed"):     # follows the sign of the whole tensor
        name = name[: -len("_if_signed")] if hist.is_signed else "magnitude"
    grid, scale = hist, 2.0 if name in _XNOR else 1.0
    if operand.bits != width:
        if resample == "value":
            grid = rebin(hist, hist.bits + operand.bits - width)
        else:
            scale *= 2.0 ** (operand.bits - width)
    table = {}
    for v in grid.values[grid.pmf > 0]:
        point = np.zeros(len(grid.pmf))
        point[int(v) + grid.full_scale] = 1.0
        enc = encode(Histogram(tuple(point)), name)
        table[int(v)] = (bit_matrix(enc, operand.bits), enc.probabilities)
    return _Operand(grid, scale, operand.bits,
                    tuple(slice_widths(operand.bits, operand.bits_per_slice)), table)


def _codes(op: _Operand, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Slice codes (..., n_slices) of grid ``values`` (MSB slice first)."""
    bits = np.zeros(values.shape + (op.bits,), dtype=np.uint8)
    for v in np.unique(values):
        where = np.nonzero(values == v)
        beta, probs = op.table[int(v)]
        pick = rng.choice(len(probs), size=len(where[0]), p=probs)
        p = beta[pick]
        bits[where] = (rng.random(p.shape) < p) if np.any((p > 0) & (p < 1)) else p
    out, start = [], 0
    for w in op.widths:
        place = 2 ** np.arange(w - 1, -1, -1, dtype=np.int32)
        out.append(bits[..., start:start + w].astype(np.int32) @ place)
        start += w
    return np.stack(out, axis=-1)


def simulate(datapath: Datapath, convention: EncodingConvention, layer: Any,
             outputs: int = DEFAULT_OUTPUTS, seed: int = 0,
             inputs: np.ndarray | None = None,
             weights: np.ndarray | None = None) -> MonteCarloResult:
    """SQNR of ``outputs`` dot products of ``layer`` through ``datapath``
    (see the module docstring); ``inputs`` / ``weights``: operand values
    (outputs, N) on the layer's histogram grids instead of samples."""
    rng = np.random.default_rng(seed)
    n = reduction_size(layer)
    dists = layer_distributions(layer, convention.position)
    bits = max(convention.inputs.for_histogram(dists["Inputs"]).bits,
               convention.weights.for_histogram(dists["Weights"]).bits)
    if outputs < 2 or outputs * n * bits > MAX_BITS:
        raise MonteCarloError(f"simulate 2 to {MAX_BITS // (n * bits)} outputs of {n} "
                              f"products of {bits}-bit operands, not {outputs}")
    ops = []
    for tensor, operand, given in (("Inputs", convention.inputs, inputs),
                                   ("Weights", convention.weights, weights)):
        hist = dists[tensor]
        op = _operand(hist, operand.for_histogram(hist), convention.resample)
        if given is None:
            values = rng.choice(op.grid.values, size=(outputs, n), p=op.grid.pmf)
        else:
            values = _on_grid(np.asarray(given), hist, op.grid, outputs, n)
        ops.append((op, values))
    (x_op, x), (w_op, w) = ops
    a = _codes(x_op, x, rng)                        # (outputs, N, K)
    b = _codes(w_op, w, rng)                        # (outputs, N, J)
    ideal = np.einsum("on,on->o", x * x_op.scale, w * w_op.scale)
    got, exact = _datapath(datapath, a, b, x_op, w_op, layer, rng)
    error = got - exact
    signal = float(np.var(ideal))
    variance = float(np.var(error))
    return MonteCarloResult(sqnr_db(signal, variance), signal, variance, float(np.mean(error)),
                            outputs)


def _on_grid(values: np.ndarray, hist: Histogram, grid: Histogram, outputs: int,
             n: int) -> np.ndarray:
    if values.shape != (outputs, n):
        raise MonteCarloError(f"operands must have shape ({outputs}, {n}), got {values.shape}")
    if np.any(np.abs(values) > hist.full_scale):
        raise MonteCarloError(f"operands must lie within +-{hist.full_scale}")
    if grid is hist:
        return values.astype(np.int64)
    fine = np.arange(-grid.full_scale, grid.full_scale + 1)
    pick = np.rint(values * grid.full_scale / hist.full_scale).astype(np.int64)
    return np.clip(pick, fine[0], fine[-1])


def _shift_add(sums: np.ndarray, in_widths, w_widths) -> np.ndarray:
    """sum_kj 2**(place_k + place_j) sums[..., k, j] (MSB slices first)."""
    def places(widths):
        return 2.0 ** (np.cumsum([0, *reversed(widths)])[:-1][::-1])
    return np.einsum("...kj,k,j->...", sums, places(in_widths), places(w_widths))


def _datapath(datapath: Datapath, a, b, x_op: _Operand, w_op: _Operand, layer, rng):
    """(converted, exact) shift-added outputs (outputs,) of slice codes a, b,
    one conversion of ``rows`` rows at a time."""
    adc = datapath.adc
    fs_in = 2 ** max(x_op.widths) - 1
    fs_w = 2 ** max(w_op.widths) - 1
    levels = None
    if adc is not None and datapath.dac_bits is not None \
            and datapath.dac_bits < max(x_op.widths):
        levels = 2 ** datapath.dac_bits - 1
    rows = row_capacity(adc.rows, layer) if adc is not None else a.shape[1]
    device = datapath.device
    frozen = rng.normal(0.0, device.programming_sigma, size=b.shape) \
        if adc is not None and device.programming_sigma > 0 else None
    top = adc.top(fs_in, fs_w) if adc is not None else 0.0
    got = np.zeros(a.shape[0])
    exact = np.zeros(a.shape[0])
    for start in range(0, a.shape[1], rows):
        part = slice(start, start + rows)
        aa, bb = a[:, part].astype(float), b[:, part].astype(float)
        ideal = np.einsum("ork,orj->okj", aa, bb)
        exact += _shift_add(ideal, x_op.widths, w_op.widths)
        if adc is None:
            got += _shift_add(ideal, x_op.widths, w_op.widths)
            continue
        if levels is not None:
            aa = np.rint(aa * levels / fs_in) * fs_in / levels
        sums = np.einsum("ork,orj->okj", aa, bb)
        if frozen is not None:
            sums += np.einsum("ork,orj->okj", aa, bb * frozen[:, part])
        if device.read_noise_sigma > 0:
            spread = np.sqrt(np.einsum("ork,orj->okj", aa * aa, bb * bb))
            sums += device.read_noise_sigma * spread * rng.standard_normal(sums.shape)
        if adc.bits is not None:
            step = top / (2 ** adc.bits - 1)
            sums = step * np.clip(np.rint(sums / step), 0, 2 ** adc.bits - 1)
        got += _shift_add(sums, x_op.widths, w_op.widths)
    return got, exact


__all__ = ["DEFAULT_OUTPUTS", "MAX_BITS", "MonteCarloError", "MonteCarloResult", "simulate"]
