"""Per-layer value statistics: a layer's operand distributions, encoded and
sliced with the design's encoding convention, as the components see them.

Statistics (CiMLoop's Algorithm 1, the CiMLoop artifact (mit-emze/cimloop))
--------------------------------------------------------------
:func:`layer_stats` turns a layer's Inputs / Weights / Outputs histograms
(:meth:`~cimdse.workload.Layer.resolved_distributions`; defaults for
missing tensors) into :class:`LayerStats` with the design's encoding
convention (:class:`EncodingConvention`, read from the spec variables
listed in :data:`ENCODING_VARIABLES`). Statistics are **slice-resolved**:
one :class:`~cimdse.encoding.ValueStats` per input slice and per weight
slice. A component's energy per action is the mean, over every (input
slice, weight slice) pair, of ``energy_pj(action, {"Inputs": in_k,
"Weights": w_j, "Outputs": out})``: every pair occurs equally often in the
X x Y slice space, so for models linear in the statistics this equals
CiMLoop's slice-averaged statistics exactly, and for models that are not
(an ADC converting column sums: the sum's PMF is a convolution power of the
per-row product PMF) it avoids mixing MSB and LSB slices in one sum.

Rows of a column sum: a model that consumes ``column_sum``
(:attr:`~cimdse.components.ComponentModel.consumes`; ``sar_adc``)
converts the sum of ``rows`` products. A bitline only sums products of one
output, so the rows a layer can fill are the largest product c x r x s <=
``rows`` of divisors of its C, R and S (:func:`row_capacity`; e.g. 96 of 128
rows for a 3x3 convolution over 64 channels, 49 for a 7x7 one over 3). The
builder prices the model with ``rows`` = that capacity and scales its
``full_scale_fraction`` by ``rows / capacity`` so the ADC keeps the full
scale it was designed for (idle rows add nothing to the sum). The value
depends on the layer shape only, so the table the mapper searches with is
mapping-invariant. Once the mapper has chosen a mapping that fills fewer
rows than the capacity, :meth:`TableCache.for_mapping` prices that mapping's
exact counts with a table for the rows it fills (compute instances per ADC
instance): one more table per (statistics, filled rows), never one per
candidate mapping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

import numpy as np

from cimdse.encoding import (EncodedHistogram, ValueStats, bit_matrix, encode,
                             stats_from_bits, stats_from_encoded, value_exact)
from cimdse.errors import CimdseError
from cimdse.spec.model import Design


class StatisticsError(CimdseError, ValueError):
    """Value statistics that cannot be formed (e.g. mixing padded encodings)."""


@lru_cache(maxsize=4096)
def _divisors(n: int) -> tuple[int, ...]:
    """Divisors of ``n`` in increasing order (trial division to sqrt n)."""
    small, large = [], []
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            small.append(d)
            if d != n // d:
                large.append(n // d)
    return tuple(small + large[::-1])



#: Spec variables that define how operands are encoded and sliced (all optional):
#: ``INPUT_ENCODING`` / ``WEIGHT_ENCODING`` / ``OUTPUT_ENCODING``: encoding names of
#: :mod:`cimdse.encoding`; ``INPUT_BITS`` / ``WEIGHT_BITS`` / ``OUTPUT_BITS``: encoded
#: operand widths; input slice width = ``INPUT_BITS_PER_SLICE``, else ``DAC_BITS``,
#: else one slice; weight slice width = ``WEIGHT_BITS_PER_SLICE``, else
#: ``BITS_PER_CELL``, else one slice; ``VALUE_RESAMPLE``: ``value`` or ``cimloop``
#: (:func:`encoded_operand`); ``INPUT_POSITION``: which default input distribution a
#: layer without histograms gets (:func:`cimdse.workload.default_distributions`);
#: ``SIGNED_INPUT_PARTS`` / ``SIGNED_WEIGHT_PARTS`` (default 1): the parts a
#: *signed* operand of a layer is split into, each taking its own slices (2: a
#: positive and a negative pulse train / column, CiMLoop's ``ENCODED_*_BITS =
#: *_BITS x (2 if is_hist_signed(*_HIST) else 1)``): the layer's encoded width
#: and its input (X) or weight (Y) slices are multiplied by it
#: (:func:`signed_parts`).
ENCODING_VARIABLES = ("INPUT_ENCODING", "WEIGHT_ENCODING", "OUTPUT_ENCODING", "INPUT_BITS",
                      "WEIGHT_BITS", "OUTPUT_BITS", "INPUT_BITS_PER_SLICE", "DAC_BITS",
                      "WEIGHT_BITS_PER_SLICE", "BITS_PER_CELL", "VALUE_RESAMPLE",
                      "INPUT_POSITION", "SIGNED_INPUT_PARTS", "SIGNED_WEIGHT_PARTS")
# CiMLoop's default encoding function, offset_encode_if_signed_hist (the CiMLoop artifact (mit-emze/cimloop)).
DEFAULT_ENCODING = "offset_if_signed"
# CiMLoop's default operand width, 8 bits (the CiMLoop artifact (mit-emze/cimloop)).
DEFAULT_BITS = 8

@dataclass(frozen=True)
class OperandEncoding:
    """How one tensor is encoded: encoding name, operand bits, slice width."""

    encoding: str
    bits: int
    bits_per_slice: int
    #: parts a signed operand is split into (each takes ``bits`` bits)
    signed_parts: int = 1

    def for_histogram(self, hist) -> "OperandEncoding":
        """This operand for one layer's histogram: ``bits x signed_parts``
        encoded bits when the histogram is signed."""
        if self.signed_parts == 1 or not getattr(hist, "is_signed", False):
            return self
        return OperandEncoding(self.encoding, self.bits * self.signed_parts,
                               self.bits_per_slice)


@dataclass(frozen=True)
class EncodingConvention:
    """The design's operand encodings (see :data:`ENCODING_VARIABLES`)."""

    inputs: OperandEncoding
    weights: OperandEncoding
    outputs: OperandEncoding
    resample: str = "value"
    position: str = "relu"

    @classmethod
    def from_design(cls, design: Design) -> "EncodingConvention":
        v = design.variables

        def get(name: str, default: Any) -> Any:
            value = v.get(name)
            return default if value is None else value

        in_bits = int(get("INPUT_BITS", DEFAULT_BITS))
        w_bits = int(get("WEIGHT_BITS", DEFAULT_BITS))
        out_bits = int(get("OUTPUT_BITS", DEFAULT_BITS))
        in_slice = int(get("INPUT_BITS_PER_SLICE", get("DAC_BITS", in_bits)))
        w_slice = int(get("WEIGHT_BITS_PER_SLICE", get("BITS_PER_CELL", w_bits)))
        return cls(OperandEncoding(str(get("INPUT_ENCODING", DEFAULT_ENCODING)), in_bits,
                                   min(in_slice, in_bits), int(get("SIGNED_INPUT_PARTS", 1))),
                   OperandEncoding(str(get("WEIGHT_ENCODING", DEFAULT_ENCODING)), w_bits,
                                   min(w_slice, w_bits), int(get("SIGNED_WEIGHT_PARTS", 1))),
                   OperandEncoding(str(get("OUTPUT_ENCODING", DEFAULT_ENCODING)), out_bits,
                                   out_bits),
                   str(get("VALUE_RESAMPLE", "value")), str(get("INPUT_POSITION", "relu")))


def encoded_operand(hist, operand: OperandEncoding, resample: str = "value"
                    ) -> EncodedHistogram:
    """``hist`` encoded for ``operand``.

    ``resample="value"``: re-binned value-exactly to the grid whose encoding
    is exactly ``operand.bits`` wide, so every entry is a 0/1 code (what the
    value-level reference samples from). ``"cimloop"``: the natural encoding;
    padding / truncation happen in the statistics (CiMLoop's rule).
    """
    enc = encode(hist, operand.encoding)
    if enc.width == operand.bits or resample != "value":
        return enc
    return value_exact(hist, operand.encoding, operand.bits)


def slice_stats(enc: EncodedHistogram, bits: int, bits_per_slice: int
                ) -> tuple[ValueStats, ...]:
    """One :class:`ValueStats` per slice of ``enc`` (MSB slice first).

    Each is the view of a converter or cell handling that slice only: one
    slice of the slice's width whose ``full_scale`` is the full slice's
    (a narrow remainder slice only populates low codes) and whose mean is the
    operand's normalised per-slice mean (the CiMLoop artifact (mit-emze/cimloop)).
    """
    whole = stats_from_encoded(enc, bits, bits_per_slice)
    if whole.n_slices == 1:
        return (whole,)
    beta = bit_matrix(enc, bits)
    top = whole.bits_per_slice
    out, start = [], 0
    for k, w in enumerate(whole.slice_widths):
        sub = stats_from_bits(beta[:, start:start + w], enc.probabilities, w, w,
                               enc.encoding, enc.signed, False)
        pmf = np.zeros(2 ** top)
        pmf[: len(sub.slice_pmf)] = sub.slice_pmf
        mean = float(whole.per_slice_mean[k])
        out.append(ValueStats(bits=w, bits_per_slice=top, n_slices=1, p_one=sub.p_one,
                              mean_slice_value=mean, slice_pmf=pmf,
                              per_slice_mean=np.array([mean]), slice_widths=(w,),
                              encoding=enc.encoding, signed=enc.signed))
        start += w
    return tuple(out)


@dataclass(frozen=True, eq=False)
class LayerStats:
    """Slice-resolved value statistics of one layer under one convention.

    ``inputs`` / ``weights``: one ValueStats per slice (MSB first);
    ``outputs``: one slice; ``encoded``: tensor -> EncodedHistogram on the
    operand width (what the value-level reference samples); ``reduction``:
    the rows a bitline sums for this layer (:func:`row_capacity`, or C x R x
    S); ``key``: hashable identity of the statistics.
    """

    inputs: tuple[ValueStats, ...]
    weights: tuple[ValueStats, ...]
    outputs: ValueStats
    encoded: Mapping[str, EncodedHistogram]
    reduction: int
    key: tuple

    def pairs(self):
        """Every (input slice, weight slice) view as a stats mapping."""
        for ins in self.inputs:
            for ws in self.weights:
                yield {"Inputs": ins, "Weights": ws, "Outputs": self.outputs}


def layer_distributions(layer: Any, position: str = "relu") -> dict[str, Any]:
    """The layer's histograms with defaults for missing tensors (a mapper
    ``Problem`` has none: conv defaults)."""
    if hasattr(layer, "resolved_distributions"):
        return layer.resolved_distributions(position)
    from cimdse.workload import default_distributions
    return default_distributions("conv", position)


def reduction_size(layer: Any) -> int:
    """C x R x S: the products one output sums (per group)."""
    dims = dict(layer.dims)
    return int(dims.get("C", 1) * dims.get("R", 1) * dims.get("S", 1))


def row_capacity(rows: int, layer: Any) -> int:
    """Largest c x r x s <= ``rows`` with c | C, r | R, s | S: the rows of one
    bitline a layer can fill with products of a single output."""
    dims = dict(layer.dims)
    best = 1
    for c in _divisors(int(dims.get("C", 1))):
        if c > rows:
            break
        for r in _divisors(int(dims.get("R", 1))):
            if c * r > rows:
                break
            for s_ in _divisors(int(dims.get("S", 1))):
                if c * r * s_ > rows:
                    break
                best = max(best, c * r * s_)
    return best


_STATS_CACHE: dict[tuple, LayerStats] = {}
_STATS_CACHE_MAX = 512   # entries (ours: bounds memory; a network has tens of layers)


def layer_stats(convention: EncodingConvention | Design, layer: Any = None, *,
                distributions: Mapping[str, Any] | None = None,
                reduction: int | None = None) -> LayerStats:
    """:class:`LayerStats` of ``layer`` (or of explicit ``distributions``).

    Cached by (convention, histogram tuples, reduction): identical layers
    share one object.
    """
    conv = (EncodingConvention.from_design(convention) if isinstance(convention, Design)
            else convention)
    dists = dict(distributions) if distributions is not None else \
        layer_distributions(layer, conv.position)
    red = reduction if reduction is not None else (reduction_size(layer) if layer is not None
                                                   else 1)
    key = (conv, tuple((t, dists[t].probabilities) for t in ("Inputs", "Weights", "Outputs")),
           red)
    got = _STATS_CACHE.get(key)
    if got is not None:
        return got
    conv = _for_layer(conv, dists)
    encoded = {}
    for tensor, operand in (("Inputs", conv.inputs), ("Weights", conv.weights),
                            ("Outputs", conv.outputs)):
        encoded[tensor] = encoded_operand(dists[tensor], operand, conv.resample)
    stats = stats_of_encoded(conv, encoded, red, key)
    if len(_STATS_CACHE) >= _STATS_CACHE_MAX:
        _STATS_CACHE.clear()
    _STATS_CACHE[key] = stats
    return stats


def _for_layer(conv: EncodingConvention, dists: Mapping[str, Any]) -> EncodingConvention:
    """``conv`` with each signed operand split into its ``signed_parts``."""
    ins = conv.inputs.for_histogram(dists["Inputs"])
    ws = conv.weights.for_histogram(dists["Weights"])
    if ins is conv.inputs and ws is conv.weights:
        return conv
    return EncodingConvention(ins, ws, conv.outputs, conv.resample, conv.position)


def signed_parts(design: Design, layer: Any) -> tuple[int, int]:
    """(input, weight) slice multipliers of ``layer`` on ``design``: the
    ``SIGNED_*_PARTS`` of each operand whose histogram is signed, else 1.

    Example: Sinangil (both 2) on a ResNet-18 conv layer (post-ReLU inputs,
    signed weights): (1, 2) -- every weight takes a positive and a negative
    column, so the layer needs twice the array activations and conversions.
    """
    conv = EncodingConvention.from_design(design)
    if conv.inputs.signed_parts == conv.weights.signed_parts == 1:
        return 1, 1
    dists = layer_distributions(layer, conv.position)
    return (conv.inputs.for_histogram(dists["Inputs"]).bits // conv.inputs.bits,
            conv.weights.for_histogram(dists["Weights"]).bits // conv.weights.bits)


def stats_of_encoded(conv: EncodingConvention, encoded: Mapping[str, EncodedHistogram],
                     reduction: int, key: tuple = ()) -> LayerStats:
    """:class:`LayerStats` of already encoded Inputs / Weights / Outputs."""
    return LayerStats(
        inputs=slice_stats(encoded["Inputs"], conv.inputs.bits, conv.inputs.bits_per_slice),
        weights=slice_stats(encoded["Weights"], conv.weights.bits,
                            conv.weights.bits_per_slice),
        outputs=stats_from_encoded(encoded["Outputs"], conv.outputs.bits,
                                   conv.outputs.bits_per_slice),
        encoded=dict(encoded), reduction=reduction, key=key or ("encoded", id(encoded)))


def mixture(encoded: list[EncodedHistogram], bits: int) -> EncodedHistogram:
    """Equal-weight mixture of encoded histograms (each on ``bits`` bits,
    CiMLoop padding / truncation applied per histogram first)."""
    rows = [bit_matrix(e, bits) for e in encoded]
    probs = [e.probabilities / len(encoded) for e in encoded]
    beta = np.vstack(rows)
    if not np.all((beta == 0) | (beta == 1)):
        raise StatisticsError("mixing padded (fractional-bit) encodings is not supported; "
                           "use VALUE_RESAMPLE: value")
    return EncodedHistogram(beta, np.concatenate(probs), encoded[0].encoding,
                            any(e.signed for e in encoded))
