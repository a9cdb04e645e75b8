"""Encodings and bit slicing: from an operand histogram to :class:`ValueStats`.

This is step 2-4 of CiMLoop's statistical energy model (Andrulis et al.,
ISPASS 2024, Sec. III-C/D and Algorithm 1; the CiMLoop artifact (mit-emze/cimloop)):

1. a :class:`~cimdse.workload.distributions.Histogram` (PMF over signed
   integers, ``2**n - 1`` zero-centred bins) is **encoded**: every bin with
   non-zero probability becomes a bit vector (MSB first) with its
   probability -- an :class:`EncodedHistogram`;
2. the encoded bits are **sliced** into slices of ``bits_per_slice`` bits
   (bits per DAC conversion for inputs, bits per cell for weights);
3. the result, a :class:`ValueStats`, is what a component model sees:
   P(bit = 1) per bit, the mean normalised slice value (CiMLoop's x-bar /
   c-bar), the slice-value PMF and, through :func:`column_sum_pmf`, the PMF
   of analog column sums.

Encodings (names accepted by :func:`encode`)
--------------------------------------------

Let the histogram have ``n`` bits (``2**n - 1`` bins), value ``v`` in
``[-(2**(n-1) - 1), 2**(n-1) - 1]``.

================================  ========  =================================================
name                              width     code
================================  ========  =================================================
``offset``                        n         ``v + 2**(n-1) - 1`` unsigned (zero -> 011..1)
``magnitude``                     n - 1     ``|v|`` (sign handled by the hardware)
``twos_complement``               n         ``v mod 2**n``
``sign_magnitude``                n         sign bit (1 = negative), then ``|v|`` on n-1 bits
``two_part_magnitude``            n - 1     differential pair: each value -> (``|v|``, p/2)
                                            and (0...0, p/2) (CiMLoop's averaged device pair)
``xnor``                          n + 2     bipolar (+-1) digits of weights 2**(n-1)..1, 1/2, 1/2
``zero_gated_xnor``               n + 2     as ``xnor`` but value 0 -> all zeros
``offset_if_signed``              n | n-1   ``offset`` if the histogram has negative mass, else
                                            ``magnitude``
``two_part_magnitude_if_signed``  n - 1     ``two_part_magnitude`` if signed else ``magnitude``
``twos_complement_if_signed``     n | n-1   likewise
``sign_magnitude_if_signed``      n | n-1   likewise
``xnor_if_signed``                n+2|n-1   likewise
``zero_gated_xnor_if_signed``     n+2|n-1   likewise
================================  ========  =================================================

CiMLoop names (``offset_encode_hist``, ``two_part_magnitude_encode_if_signed_hist``...)
are accepted as aliases. Other encodings are **plug-ins**, known by name
only: a function registered from Python with :func:`register_encoding`, or
one an installed package declares in the entry-point group
``cimdse.encodings`` (``[project.entry-points."cimdse.encodings"]
my_code = "mypkg.codes:my_code"``), loaded when a spec first names it. A
spec, ``--set`` or sweep value is only ever looked up among these names:
nothing is imported because data names it. An encoding function is called
with the :class:`Histogram` and returns an :class:`EncodedHistogram` or an
iterable of ``(bits, probability)`` pairs (bits MSB first, all the same
length). Python code may also pass such a function itself wherever an
encoding is taken.

Slicing and resolution mismatch (the CiMLoop artifact (mit-emze/cimloop))
----------------------------------------------------------

The operand has ``bits`` encoded bits; the encoded histogram has
``width`` bits. Two modes:

* ``resample="cimloop"`` (default, CiMLoop's rule, commit "Pad bits with
  average bit value"): when ``bits > width`` the missing LSBs of each entry
  are padded with that entry's *average bit value* (the histogram is read
  as a coarse view of a finer operand, so extra precision shows up as LSBs
  with the same density of ones); when ``bits < width`` only the first
  (MSB) ``bits`` bits are kept. Padded bits are fractional for the means;
  for PMFs they are treated as independent Bernoulli bits with that
  probability, which keeps every mean identical to CiMLoop's.
* ``resample="value"``: the histogram is first re-binned value-exactly
  (:func:`cimdse.workload.distributions.rebin`) to the grid whose
  encoding is exactly ``bits`` wide, then encoded with no padding or
  truncation (every bit is an integer 0/1).

Slice widths: ``bits // bits_per_slice`` slices of ``bits_per_slice`` bits
then one remainder slice (MSB slices first). Normalisation follows CiMLoop:
every slice is divided by the largest slice's full scale
``2**max_width - 1`` (so a narrow remainder slice is biased low --
the CiMLoop artifact (mit-emze/cimloop) quirk) unless ``partial_slices_use_full_range``.

Statistics are computed once per (layer, tensor, component view) and are
immutable and hashable by identity; component models read them through
``energy_pj(action, stats)`` where ``stats`` maps a tensor name
(``"Inputs"``, ``"Weights"``, ``"Outputs"``) to a :class:`ValueStats`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from . import plugins
from .errors import CimdseError
from .workload.distributions import Histogram, rebin
from .workload.errors import suggest

log = logging.getLogger(__name__)

RESAMPLE_MODES: tuple[str, ...] = ("cimloop", "value")

#: Default cap on the number of support points of a column-sum PMF. Beyond
#: it the sum is approximated by a discretised normal (central limit).
MAX_SUM_SUPPORT = 1 << 16


class EncodingError(CimdseError, ValueError):
    """An encoding name, plug-in or slicing request is invalid."""


# -- encoded histograms ----------------------------------------------------------

@dataclass(frozen=True, eq=False)
class EncodedHistogram:
    """Bit vectors (rows, MSB first, values 0/1) with their probabilities.

    ``signed`` records whether the source histogram had negative mass.
    """

    bits: np.ndarray          # (entries, width) uint8
    probabilities: np.ndarray  # (entries,) summing to 1
    encoding: str = ""
    signed: bool = False

    def __post_init__(self) -> None:
        bits = np.asarray(self.bits)
        probs = np.asarray(self.probabilities, dtype=float)
        if bits.ndim != 2 or probs.ndim != 1 or len(bits) != len(probs) or len(probs) == 0:
            raise EncodingError(
                f"encoding {self.encoding!r} produced {bits.shape} bits for "
                f"{probs.shape} probabilities; expected (entries, width) and (entries,)")
        if not np.all(np.isin(bits, (0, 1))):
            raise EncodingError(f"encoding {self.encoding!r} produced bits other than 0/1")
        if np.any(probs < 0) or not np.isfinite(probs).all() or probs.sum() <= 0:
            raise EncodingError(f"encoding {self.encoding!r} produced invalid probabilities")
        bits = bits.astype(np.uint8)
        probs = probs / probs.sum()
        bits.setflags(write=False)
        probs.setflags(write=False)
        object.__setattr__(self, "bits", bits)
        object.__setattr__(self, "probabilities", probs)

    @property
    def width(self) -> int:
        return int(self.bits.shape[1])

    def entries(self) -> list[tuple[str, float]]:
        """``[("0110", p), ...]`` -- handy for inspection and tests."""
        return [("".join(map(str, row)), float(p))
                for row, p in zip(self.bits, self.probabilities)]


def _to_bits(codes: np.ndarray, width: int) -> np.ndarray:
    shifts = np.arange(width - 1, -1, -1)
    return ((codes.astype(np.int64)[:, None] >> shifts) & 1).astype(np.uint8)


def _support(hist: Histogram) -> tuple[np.ndarray, np.ndarray]:
    keep = hist.pmf > 0
    return hist.values[keep].astype(np.int64), hist.pmf[keep]


def _need_width(hist: Histogram, width: int, name: str) -> None:
    if width < 1:
        raise EncodingError(f"{name} encoding of a {hist.bits}-bit histogram "
                            f"({len(hist.pmf)} bins) leaves no bits; use a wider histogram")


def encode_offset(hist: Histogram) -> EncodedHistogram:
    n = hist.bits
    values, probs = _support(hist)
    return EncodedHistogram(_to_bits(values + 2 ** (n - 1) - 1, n), probs, "offset", hist.is_signed)


def encode_magnitude(hist: Histogram) -> EncodedHistogram:
    width = hist.bits - 1
    _need_width(hist, width, "magnitude")
    values, probs = _support(hist)
    return EncodedHistogram(_to_bits(np.abs(values), width), probs, "magnitude", hist.is_signed)


def encode_twos_complement(hist: Histogram) -> EncodedHistogram:
    n = hist.bits
    values, probs = _support(hist)
    return EncodedHistogram(_to_bits(np.mod(values, 2 ** n), n), probs,
                            "twos_complement", hist.is_signed)


def encode_sign_magnitude(hist: Histogram) -> EncodedHistogram:
    n = hist.bits
    values, probs = _support(hist)
    sign = (values < 0).astype(np.uint8)[:, None]
    mag = _to_bits(np.abs(values), n - 1) if n > 1 else np.zeros((len(values), 0), np.uint8)
    return EncodedHistogram(np.hstack([sign, mag]), probs, "sign_magnitude", hist.is_signed)


def encode_two_part_magnitude(hist: Histogram) -> EncodedHistogram:
    mag = encode_magnitude(hist)
    bits = np.vstack([mag.bits, np.zeros_like(mag.bits)])
    probs = np.concatenate([mag.probabilities, mag.probabilities]) / 2
    return EncodedHistogram(bits, probs, "two_part_magnitude", hist.is_signed)


def _xnor_digits(value: int, n: int) -> list[int]:
    # Bipolar digits d_j in {-1,+1} of weights 2**(n-1)..1, 1/2, 1/2 with
    # sum d_j w_j = v (Jia et al., JSSC 2020): greedy, bit = [remainder > 0].
    weights = [2.0 ** j for j in range(n - 1, -1, -1)] + [0.5, 0.5]
    remainder, digits = float(value), []
    for w in weights:
        bit = 1 if remainder > 0 else 0
        remainder -= w * (2 * bit - 1)
        digits.append(bit)
    if remainder != 0:
        raise EncodingError(f"value {value} has no {n + 2}-digit XNOR encoding")
    return digits


def encode_xnor(hist: Histogram) -> EncodedHistogram:
    n = hist.bits
    values, probs = _support(hist)
    bits = np.array([_xnor_digits(int(v), n) for v in values], dtype=np.uint8)
    return EncodedHistogram(bits, probs, "xnor", hist.is_signed)


def encode_zero_gated_xnor(hist: Histogram) -> EncodedHistogram:
    enc = encode_xnor(hist)
    values, _ = _support(hist)
    bits = np.array(enc.bits)
    bits[values == 0] = 0
    return EncodedHistogram(bits, enc.probabilities, "zero_gated_xnor", hist.is_signed)


def _if_signed(signed_fn: Callable[[Histogram], EncodedHistogram], name: str):
    def encode(hist: Histogram) -> EncodedHistogram:
        out = signed_fn(hist) if hist.is_signed else encode_magnitude(hist)
        return EncodedHistogram(out.bits, out.probabilities, name, hist.is_signed)
    encode.__name__ = f"encode_{name}"
    encode.__doc__ = f"{signed_fn.__name__} if the histogram is signed, else magnitude."
    return encode


ENCODINGS: dict[str, Callable[[Histogram], EncodedHistogram]] = {
    "offset": encode_offset,
    "magnitude": encode_magnitude,
    "twos_complement": encode_twos_complement,
    "sign_magnitude": encode_sign_magnitude,
    "two_part_magnitude": encode_two_part_magnitude,
    "xnor": encode_xnor,
    "zero_gated_xnor": encode_zero_gated_xnor,
}
for _name, _fn in list(ENCODINGS.items()):
    if _name != "magnitude":
        ENCODINGS[f"{_name}_if_signed"] = _if_signed(_fn, f"{_name}_if_signed")

#: CiMLoop's function names (slicing_encoding.py) -> our names.
ALIASES: dict[str, str] = {
    "offset_encode_hist": "offset",
    "magnitude_encode_hist": "magnitude",
    "two_part_magnitude_encode_hist": "two_part_magnitude",
    "offset_encode_if_signed_hist": "offset_if_signed",
    "two_part_magnitude_encode_if_signed_hist": "two_part_magnitude_if_signed",
    "xnor_encode_hist": "xnor",
    "zero_gated_xnor_encode_hist": "zero_gated_xnor",
    "differential": "two_part_magnitude",
    "twos_comp": "twos_complement",
}


#: Entry-point group through which an installed package adds encodings.
ENTRY_POINT_GROUP = "cimdse.encodings"
_PLUGINS: dict[str, Callable[[Histogram], Any]] = {}


def register_encoding(name: str, function: Callable[[Histogram], Any]) -> None:
    """Make ``function`` the encoding called ``name`` in specs, ``--set`` and sweeps."""
    if not isinstance(name, str) or not name.isidentifier():
        raise EncodingError(f"encoding name {name!r} must be an identifier")
    if name in ENCODINGS or name in ALIASES:
        raise EncodingError(f"encoding name {name!r} is a built-in encoding")
    if not callable(function):
        raise EncodingError(f"encoding {name!r} must be a function, got {function!r}")
    if _PLUGINS.get(name, function) is not function:
        raise EncodingError(f"encoding {name!r} is registered twice")
    _PLUGINS[name] = function


def available_encodings() -> list[str]:
    """Every encoding name a spec may use: built-ins, registered, installed."""
    installed = [ep.name for ep in plugins.entry_points(ENTRY_POINT_GROUP)]
    return list(dict.fromkeys([*ENCODINGS, *_PLUGINS, *sorted(installed)]))


def resolve_encoding(encoding: str | Callable) -> tuple[str, Callable[[Histogram], Any]]:
    """``(name, function)`` for a built-in name, CiMLoop alias, plug-in name
    (registered or installed) or a callable given from Python."""
    if callable(encoding):
        return getattr(encoding, "__name__", "user"), encoding
    if not isinstance(encoding, str) or not encoding:
        raise EncodingError(f"encoding must be a name, got {encoding!r}")
    name = ALIASES.get(encoding, encoding)
    if name in ENCODINGS:
        return name, ENCODINGS[name]
    if name not in _PLUGINS:
        _load_installed(name)
    if name in _PLUGINS:
        return name, _PLUGINS[name]
    raise EncodingError(_unknown_message(encoding))


def _load_installed(name: str) -> None:
    """Register the installed entry point called ``name``, if there is one."""
    entry = plugins.find(ENTRY_POINT_GROUP, name=name)
    if entry is not None:
        register_encoding(name, plugins.load(entry, f"encoding {name!r}", EncodingError))


def _unknown_message(encoding: str) -> str:
    valid = available_encodings()
    text = (f"unknown encoding {encoding!r}; valid: {', '.join(valid)}"
            f"{suggest(encoding, valid + list(ALIASES))}")
    if ":" in encoding or "." in encoding:
        text += ("; encodings are never imported from a module path: register the function "
                 "with cimdse.encoding.register_encoding or an installed package's "
                 f"'{ENTRY_POINT_GROUP}' entry point")
    return text


def encode(hist: Histogram, encoding: str | Callable = "offset") -> EncodedHistogram:
    """Encode ``hist`` (see the module docstring for the names)."""
    if not isinstance(hist, Histogram):
        hist = Histogram(tuple(hist))
    name, fn = resolve_encoding(encoding)
    out = fn(hist)
    if isinstance(out, EncodedHistogram):
        return out
    try:
        pairs = list(out)
        bits = np.array([list(b) for b, _ in pairs], dtype=float)
        probs = np.array([float(p) for _, p in pairs])
    except (TypeError, ValueError) as err:
        raise EncodingError(f"encoding function {name!r} must return an EncodedHistogram or "
                            f"(bits, probability) pairs of equal-length bits: {err}") from None
    return EncodedHistogram(bits, probs, name, hist.is_signed)


def natural_width(hist: Histogram, encoding: str | Callable = "offset") -> int:
    """Encoded width of ``hist`` under ``encoding`` before padding/truncation."""
    return encode(hist, encoding).width


# -- slicing ---------------------------------------------------------------------

def slice_widths(bits: int, bits_per_slice: int) -> list[int]:
    """MSB-first slice widths: ``bits // s`` slices of ``s`` bits and a remainder."""
    if bits < 1 or bits_per_slice < 1:
        raise EncodingError(f"bits ({bits}) and bits_per_slice ({bits_per_slice}) must be >= 1")
    s = min(bits_per_slice, bits)
    widths = [s] * (bits // s)
    if bits % s:
        widths.append(bits % s)
    return widths


def n_slices(bits: int, bits_per_slice: int) -> int:
    """ceil(bits / bits_per_slice): the size of the problem's X (inputs) or
    Y (weights) slice dimension."""
    return len(slice_widths(bits, bits_per_slice))


def bit_matrix(enc: EncodedHistogram, bits: int) -> np.ndarray:
    """(entries, bits) P(bit=1) per entry after CiMLoop padding/truncation."""
    b = enc.bits.astype(float)
    if enc.width >= bits:
        return b[:, :bits]
    pad = b.mean(axis=1, keepdims=True) if enc.width else np.zeros((len(b), 1))
    return np.hstack([b, np.repeat(pad, bits - enc.width, axis=1)])


def value_exact(hist: Histogram, encoding: str | Callable, bits: int) -> EncodedHistogram:
    width0 = natural_width(hist, encoding)
    grid = hist.bits + (bits - width0)
    if grid < 1:
        raise EncodingError(f"cannot encode on {bits} bits: needs a {grid}-bit grid")
    if grid != hist.bits:
        hist = rebin(hist, grid)
    enc = encode(hist, encoding)
    if enc.width != bits:  # e.g. an *_if_signed encoding whose branch changed
        return EncodedHistogram(bit_matrix(enc, bits).round(), enc.probabilities,
                                enc.encoding, enc.signed)
    return enc


def _independent_bits_pmf(p: np.ndarray) -> np.ndarray:
    """PMFs (entries, 2**w) over the w-bit codes of independent bits with
    P(bit j = 1) = p[:, j] (MSB first): the Kronecker product of the
    per-bit [1 - p, p] vectors, built MSB to LSB."""
    out = np.ones((p.shape[0], 1))
    for j in range(p.shape[1]):
        bit = np.stack([1 - p[:, j], p[:, j]], axis=1)
        out = (out[:, :, None] * bit[:, None, :]).reshape(p.shape[0], -1)
    return out


@dataclass(frozen=True, eq=False)
class ValueStats:
    """Value statistics of one tensor as seen by a component.

    * ``bits``: encoded bits of the operand; ``bits_per_slice``; ``n_slices``;
      ``slice_widths`` (MSB slice first).
    * ``p_one``: P(bit = 1) per encoded bit, MSB first (CiMLoop's
      ``*_BIT_DISTRIBUTION``).
    * ``mean_slice_value``: mean normalised slice value in [0, 1], averaged
      over slices (CiMLoop's ``AVERAGE_INPUT_VALUE`` / ``AVERAGE_WEIGHT_VALUE``,
      x-bar / c-bar); ``per_slice_mean``: the same per slice.
    * ``slice_pmf``: PMF over integer slice values ``0 .. 2**bits_per_slice - 1``
      averaged over slices (a remainder slice only populates its low codes).
    * ``encoding``, ``signed``: provenance.
    """

    bits: int
    bits_per_slice: int
    n_slices: int
    p_one: np.ndarray
    mean_slice_value: float
    slice_pmf: np.ndarray
    per_slice_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slice_widths: tuple[int, ...] = ()
    encoding: str = ""
    signed: bool = False

    def __post_init__(self) -> None:
        for name in ("p_one", "slice_pmf", "per_slice_mean"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def full_scale(self) -> int:
        """Largest integer slice value, ``2**bits_per_slice - 1``."""
        return 2 ** self.bits_per_slice - 1

    @cached_property
    def mean_slice_code(self) -> float:
        """Mean integer slice value (LSB units), from ``slice_pmf``."""
        return float(self.slice_pmf @ np.arange(len(self.slice_pmf)))

    @cached_property
    def bit_flip_probability(self) -> float:
        """Mean over bits of p(1-p): the P(0->1) of a bit between two
        independent values (CiMLoop's ``bit_flip_probability``)."""
        return float(np.mean(self.p_one * (1 - self.p_one)))

    def column_sum_pmf(self, weights: "ValueStats", rows: int,
                       max_support: int = MAX_SUM_SUPPORT) -> tuple[np.ndarray, np.ndarray]:
        """PMF of an analog column sum of ``rows`` (input slice x weight
        slice) products; ``self`` is the input. See :func:`column_sum_pmf`."""
        return column_sum_pmf(self, weights, rows, max_support)

    def __repr__(self) -> str:
        return (f"ValueStats(bits={self.bits}, bits_per_slice={self.bits_per_slice}, "
                f"n_slices={self.n_slices}, mean={self.mean_slice_value:.4g}, "
                f"encoding={self.encoding!r})")


def value_stats(hist: Histogram | Sequence[float], encoding: str | Callable = "offset",
                bits: int | None = None, bits_per_slice: int | None = None, *,
                resample: str = "cimloop",
                partial_slices_use_full_range: bool = False) -> ValueStats:
    """Encode ``hist``, slice it, and return its :class:`ValueStats`.

    ``bits`` defaults to the encoding's natural width; ``bits_per_slice``
    defaults to ``bits`` (one slice); it is capped at ``bits`` as in
    CiMLoop's ``min(DAC_RESOLUTION, ENCODED_INPUT_BITS)``.
    """
    if not isinstance(hist, Histogram):
        hist = Histogram(tuple(hist))
    if resample not in RESAMPLE_MODES:
        raise EncodingError(f"resample must be one of {RESAMPLE_MODES}, got {resample!r}")
    enc = encode(hist, encoding)
    bits = enc.width if bits is None else int(bits)
    if bits < 1:
        raise EncodingError(f"bits must be >= 1, got {bits}")
    if resample == "value" and bits != enc.width:
        enc = value_exact(hist, encoding, bits)
    bits_per_slice = bits if bits_per_slice is None else min(int(bits_per_slice), bits)
    return stats_from_encoded(enc, bits, bits_per_slice,
                              partial_slices_use_full_range=partial_slices_use_full_range)


def stats_from_encoded(enc: EncodedHistogram, bits: int, bits_per_slice: int, *,
                       partial_slices_use_full_range: bool = False) -> ValueStats:
    """:class:`ValueStats` of an already encoded histogram (CiMLoop rules)."""
    return stats_from_bits(bit_matrix(enc, bits), enc.probabilities, bits, bits_per_slice,
                            enc.encoding, enc.signed, partial_slices_use_full_range)


def stats_from_bits(beta: np.ndarray, probs: np.ndarray, bits: int, bits_per_slice: int,
                     encoding: str, signed: bool, full_range: bool) -> ValueStats:
    """beta: (entries, bits) P(bit = 1) per entry (0/1 or padded means)."""
    widths = slice_widths(bits, bits_per_slice)
    p_one = probs @ beta
    top = max(widths)
    per_slice, pmf = [], np.zeros(2 ** top)
    start = 0
    for w in widths:
        norm = max(2 ** (w if full_range else top) - 1, 1)
        place = 2 ** np.arange(w - 1, -1, -1)
        per_slice.append(float(p_one[start:start + w] @ place) / norm)
        part = beta[:, start:start + w]
        if np.all((part == 0) | (part == 1)):       # exact bits: one code per entry
            np.add.at(pmf, (part @ place).astype(np.int64), probs)
        else:                                        # padded bits: Bernoulli mixture
            pmf[: 2 ** w] += probs @ _independent_bits_pmf(part)
        start += w
    pmf /= len(widths)
    return ValueStats(bits=bits, bits_per_slice=top, n_slices=len(widths), p_one=p_one,
                      mean_slice_value=float(np.mean(per_slice)), slice_pmf=pmf,
                      per_slice_mean=np.array(per_slice), slice_widths=tuple(widths),
                      encoding=encoding, signed=signed)


def uniform_stats(bits: int = 8, bits_per_slice: int | None = None) -> ValueStats:
    """Statistics of uniformly distributed codes (every bit P(1) = 1/2): the
    documented default when a value-dependent model gets no statistics."""
    bits_per_slice = bits if bits_per_slice is None else min(bits_per_slice, bits)
    return stats_from_bits(np.full((1, bits), 0.5), np.ones(1), bits, bits_per_slice,
                            "uniform", False, False)


_POINTS: dict[tuple[int, int], ValueStats] = {}


def point_stats(code: int, bits_per_slice: int) -> ValueStats:
    """Degenerate statistics: one slice of ``bits_per_slice`` bits holding
    ``code`` with probability 1 -- what one action sees of one value (the
    value-level reference prices every action on these)."""
    key = (int(code), int(bits_per_slice))
    got = _POINTS.get(key)
    if got is None:
        w = int(bits_per_slice)
        fs = max(2 ** w - 1, 1)
        p_one = ((int(code) >> np.arange(w - 1, -1, -1)) & 1).astype(float)
        pmf = np.zeros(2 ** w)
        pmf[int(code)] = 1.0
        got = ValueStats(bits=w, bits_per_slice=w, n_slices=1, p_one=p_one,
                         mean_slice_value=int(code) / fs, slice_pmf=pmf,
                         per_slice_mean=np.array([int(code) / fs]), slice_widths=(w,),
                         encoding="point")
        _POINTS[key] = got
    return got


# -- analog column sums ------------------------------------------------------------

def product_pmf(inputs: ValueStats, weights: ValueStats) -> np.ndarray:
    """PMF over integer products (input slice) x (weight slice), assuming
    the two operands are independent (CiMLoop Sec. III-C assumption)."""
    a, b = inputs.slice_pmf, weights.slice_pmf
    out = np.zeros((len(a) - 1) * (len(b) - 1) + 1)
    prod = np.multiply.outer(np.arange(len(a)), np.arange(len(b))).ravel()
    np.add.at(out, prod, np.multiply.outer(a, b).ravel())
    return out


def column_sum_pmf(inputs: ValueStats, weights: ValueStats, rows: int,
                   max_support: int = MAX_SUM_SUPPORT) -> tuple[np.ndarray, np.ndarray]:
    """``(values, pmf)`` of the sum over ``rows`` active rows of independent
    (input slice x weight slice) products, in LSB units (0 ..
    rows * full_scale_in * full_scale_w).

    Exact (the ``rows``-fold convolution power computed in one real FFT)
    when the support fits ``max_support`` points; otherwise a normal
    approximation with the exact mean and variance, discretised on
    ``max_support`` evenly spaced values over the full range (``values``
    are then not all integers). Tiny negative FFT round-off is clipped.
    """
    if rows < 1:
        raise EncodingError(f"rows must be >= 1, got {rows}")
    one = product_pmf(inputs, weights)
    top = (len(one) - 1) * rows
    if top + 1 <= max_support:
        if rows == 1:
            return np.arange(len(one), dtype=float), one
        size = 1 << int(math.ceil(math.log2(top + 1)))
        pmf = np.fft.irfft(np.fft.rfft(one, size) ** rows, size)[: top + 1]
        pmf = np.clip(pmf, 0.0, None)
        return np.arange(top + 1, dtype=float), pmf / pmf.sum()
    support = np.arange(len(one))
    mean1 = float(one @ support)
    var1 = float(one @ (support - mean1) ** 2)
    mean, std = rows * mean1, math.sqrt(rows * var1)
    values = np.linspace(0.0, float(top), max_support)
    if std == 0:
        pmf = np.zeros(max_support)
        pmf[int(np.argmin(np.abs(values - mean)))] = 1.0
        return values, pmf
    pmf = np.exp(-0.5 * ((values - mean) / std) ** 2)
    log.debug("column sum of %d rows has %d values; normal approximation on %d points",
              rows, top + 1, max_support)
    return values, pmf / pmf.sum()


def magnitude_pmf(hist: Histogram) -> np.ndarray:
    """PMF over ``|v|`` = 0 .. full scale (zero counted once; CiMLoop's
    ``hist_to_magnitude`` counts the zero bin twice, the CiMLoop artifact (mit-emze/cimloop))."""
    fs = hist.full_scale
    out = hist.pmf[fs:].copy()
    out[1:] += hist.pmf[:fs][::-1]
    return out


def stats_of(stats: Mapping[str, ValueStats] | None, tensor: str) -> ValueStats | None:
    """``stats[tensor]``, or None when no statistics (or none for ``tensor``)
    were given. ``stats`` must be None or a mapping tensor name -> ValueStats."""
    if stats is None:
        return None
    if not isinstance(stats, Mapping):
        raise TypeError(f"component statistics must be a mapping tensor name -> ValueStats "
                        f"(e.g. {{'Inputs': ...}}), got {type(stats).__name__}")
    got = stats.get(tensor)
    if got is not None and not isinstance(got, ValueStats):
        raise TypeError(f"statistics for {tensor!r} must be a ValueStats, got "
                        f"{type(got).__name__}")
    return got


__all__ = [
    "ALIASES", "ENCODINGS", "MAX_SUM_SUPPORT", "RESAMPLE_MODES",
    "EncodedHistogram", "EncodingError", "ValueStats",
    "column_sum_pmf", "encode", "magnitude_pmf", "n_slices", "natural_width",
    "point_stats", "product_pmf", "resolve_encoding", "slice_widths", "stats_from_encoded",
    "stats_of", "uniform_stats", "value_stats",
]
