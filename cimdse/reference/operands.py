"""Operand samples for the value-level reference: actual encoded values.

An :class:`OperandSample` is a tile of the array as the hardware sees it:
``vectors`` input vectors of ``rows`` encoded inputs (one per wordline) and
``cols`` weight columns of ``rows`` encoded weights, every value as its
encoded bits (MSB first) and, sliced, as integer slice codes.

Two sources:

* :func:`synthesize`: values drawn with a seeded numpy Generator from the
  layer's encoded histograms (:class:`~cimdse.mapping.actions.LayerStats`
  ``encoded``), i.e. from the same distributions the statistical model
  uses, independently per value;
* :func:`from_arrays`: real integer arrays (e.g. a profiled input patch
  matrix and a weight matrix), encoded value by value with the design's
  convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cimdse.encoding import bit_matrix, resolve_encoding, slice_widths
from cimdse.statistics import EncodingConvention, OperandEncoding, encoded_operand
from cimdse.workload.distributions import Histogram


def _codes(bits: np.ndarray, widths: tuple[int, ...]) -> np.ndarray:
    """Integer slice codes (..., n_slices) of bit arrays (..., bits), MSB first."""
    out, start = [], 0
    for w in widths:
        place = 2 ** np.arange(w - 1, -1, -1)
        out.append(bits[..., start:start + w].astype(np.int64) @ place)
        start += w
    return np.stack(out, axis=-1)


@dataclass(frozen=True, eq=False)
class OperandSample:
    """Encoded inputs ``(vectors, rows, in_bits)`` and weights ``(rows, cols,
    w_bits)`` (uint8, MSB first) with their slice widths."""

    input_bits: np.ndarray
    weight_bits: np.ndarray
    input_widths: tuple[int, ...]
    weight_widths: tuple[int, ...]

    @property
    def rows(self) -> int:
        return int(self.input_bits.shape[1])

    @cached_property
    def input_slices(self) -> np.ndarray:
        """(vectors, rows, X) input slice codes (MSB slice first)."""
        return _codes(self.input_bits, self.input_widths)

    @cached_property
    def weight_slices(self) -> np.ndarray:
        """(rows, cols, Y) weight slice codes (MSB slice first)."""
        return _codes(self.weight_bits, self.weight_widths)

    def column_sums(self, rows: int | None = None) -> np.ndarray:
        """(vectors, cols, X, Y) analog column sums over the first ``rows``
        rows: sum_r input_slice[v, r, x] * weight_slice[r, c, y]."""
        r = self.rows if rows is None else rows
        return np.einsum("vrx,rcy->vcxy", self.input_slices[:, :r], self.weight_slices[:r],
                         optimize=True)


def _sample_bits(enc, bits: int, shape: tuple[int, ...], rng: np.random.Generator
                 ) -> np.ndarray:
    beta = bit_matrix(enc, bits)                   # (entries, bits) P(bit = 1)
    idx = rng.choice(len(enc.probabilities), size=shape, p=enc.probabilities)
    p = beta[idx]
    if np.all((beta == 0) | (beta == 1)):
        return p.astype(np.uint8)
    return (rng.random(p.shape) < p).astype(np.uint8)   # padded LSBs (CiMLoop rule)


def synthesize(stats, convention: EncodingConvention, rows: int, vectors: int, cols: int,
               seed: int | np.random.Generator = 0) -> OperandSample:
    """Sample a ``vectors x rows`` input tile and a ``rows x cols`` weight
    tile from a layer's encoded histograms (``stats.encoded``)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ci, cw = convention.inputs, convention.weights
    ins = _sample_bits(stats.encoded["Inputs"], ci.bits, (vectors, rows), rng)
    ws = _sample_bits(stats.encoded["Weights"], cw.bits, (rows, cols), rng)
    return OperandSample(ins, ws, tuple(slice_widths(ci.bits, ci.bits_per_slice)),
                         tuple(slice_widths(cw.bits, cw.bits_per_slice)))


def encode_values(values: np.ndarray, grid_bits: int, operand: OperandEncoding,
                  rng: np.random.Generator, resample: str = "value") -> np.ndarray:
    """Encoded bits ``values.shape + (operand.bits,)`` of integer ``values``
    on a ``grid_bits``-bit histogram grid (CiMLoop convention: values in
    ``[-(2**(grid_bits-1) - 1), 2**(grid_bits-1) - 1]``).

    Each distinct value is encoded as a point-mass histogram; an
    ``*_if_signed`` encoding follows the signedness of the whole array.
    Encodings that spread a value over several codes (two-part magnitude,
    value re-binning to a finer grid) pick one per occurrence at random with
    the encoding's probabilities.
    """
    values = np.asarray(values).astype(np.int64)
    fs = 2 ** (grid_bits - 1) - 1
    if np.any(np.abs(values) > fs):
        raise ValueError(f"values must lie within +-{fs} for a {grid_bits}-bit grid")
    name, _ = resolve_encoding(operand.encoding)
    if name.endswith("_if_signed"):
        name = name[: -len("_if_signed")] if np.any(values < 0) else "magnitude"
    op = OperandEncoding(name, operand.bits, operand.bits_per_slice)
    out = np.zeros(values.shape + (operand.bits,), np.uint8)
    for v in np.unique(values):
        pmf = np.zeros(2 * fs + 1)
        pmf[v + fs] = 1.0
        enc = encoded_operand(Histogram(tuple(pmf)), op, resample)
        where = np.nonzero(values == v)
        beta = bit_matrix(enc, operand.bits)
        pick = rng.choice(len(enc.probabilities), size=len(where[0]), p=enc.probabilities)
        p = beta[pick]
        out[where] = (rng.random(p.shape) < p) if not np.all((beta == 0) | (beta == 1)) else p
    return out


def from_arrays(inputs: np.ndarray, weights: np.ndarray, convention: EncodingConvention,
                grid_bits: int = 8, weight_grid_bits: int | None = None,
                seed: int = 0) -> OperandSample:
    """An :class:`OperandSample` of real integer operands: ``inputs`` of
    shape ``(vectors, rows)`` (one input vector per row of the tile, e.g.
    im2col patches) on a ``grid_bits``-bit grid and ``weights`` of shape
    ``(rows, cols)`` on a ``weight_grid_bits``-bit grid (default: the same)."""
    inputs, weights = np.atleast_2d(inputs), np.atleast_2d(weights)
    if inputs.shape[1] != weights.shape[0]:
        raise ValueError(f"inputs {inputs.shape} and weights {weights.shape} disagree on rows")
    rng = np.random.default_rng(seed)
    ci, cw = convention.inputs, convention.weights
    return OperandSample(encode_values(inputs, grid_bits, ci, rng, convention.resample),
                         encode_values(weights, weight_grid_bits or grid_bits, cw, rng,
                                       convention.resample),
                         tuple(slice_widths(ci.bits, ci.bits_per_slice)),
                         tuple(slice_widths(cw.bits, cw.bits_per_slice)))
