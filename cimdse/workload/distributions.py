"""Operand value distributions: histograms, parametric defaults, bit views.

A :class:`Histogram` is a PMF over signed integers in CiMLoop's convention:
``L = 2**N - 1`` bins, zero-centred, bin ``i`` <-> value ``i - (L-1)/2``, so
an N-bit histogram spans ``[-(2**(N-1) - 1), 2**(N-1) - 1]``. The largest
magnitude ``2**(N-1) - 1`` is the *full scale* of the operand.

Units: every shape parameter of the parametric constructors (``scale``,
``sigma``, ``knee``) is a **fraction of full scale** (1.0 = the largest
representable magnitude), so a distribution keeps its shape when the bit
width changes. Tails beyond full scale saturate into the outermost bins
(quantisation with clipping).

Bit views (:func:`to_bit_probabilities`, :func:`from_bit_probabilities`)
treat values as plain integers (LSB units). :func:`rebin` is the only
operation that rescales values between bit widths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Callable, Iterable, Sequence

import numpy as np

from .errors import WorkloadError, suggest
from .kinds import KINDS, POSITIONS

ENCODINGS: tuple[str, ...] = ("magnitude", "offset", "twos_complement")
DEFAULT_BITS = 8

_erf = np.vectorize(math.erf, otypes=[float])


@dataclass(frozen=True, repr=False)
class Histogram:
    """Normalised PMF over ``2**N - 1`` zero-centred signed integer values.

    Construct from any sequence of non-negative numbers; it is normalised to
    sum 1 and stored as a tuple (so histograms are hashable).
    """

    probabilities: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", _validated(self.probabilities))

    def __repr__(self) -> str:
        return (f"Histogram(bits={self.bits}, mean={self.mean:.3g}, std={self.std:.3g}, "
                f"zero_mass={self.zero_mass:.3g}, signed={self.is_signed})")

    @classmethod
    def from_samples(cls, values: Iterable[int], bits: int) -> "Histogram":
        """Histogram of integer samples, clipped to the ``bits``-bit range."""
        full_scale = _full_scale(bits)
        codes = np.clip(np.rint(np.asarray(list(values), float)), -full_scale, full_scale)
        counts = np.bincount((codes + full_scale).astype(int), minlength=2 * full_scale + 1)
        return cls(tuple(counts.astype(float)))

    @cached_property
    def pmf(self) -> np.ndarray:
        """Probabilities as a read-only float array (index = bin)."""
        pmf = np.array(self.probabilities, dtype=float)
        pmf.setflags(write=False)
        return pmf

    @cached_property
    def values(self) -> np.ndarray:
        """Signed integer value of every bin."""
        values = np.arange(len(self.probabilities)) - self.full_scale
        values.setflags(write=False)
        return values

    @property
    def bits(self) -> int:
        """N, where the histogram has ``2**N - 1`` bins."""
        return (len(self.probabilities) + 1).bit_length() - 1

    @property
    def full_scale(self) -> int:
        """Largest representable magnitude, ``2**(N-1) - 1``."""
        return len(self.probabilities) // 2

    @property
    def is_signed(self) -> bool:
        """True if any probability mass lies on negative values."""
        return bool(np.any(self.pmf[: self.full_scale] > 0))

    @property
    def zero_mass(self) -> float:
        """P(value == 0)."""
        return float(self.pmf[self.full_scale])

    @property
    def mean(self) -> float:
        """Expected value (LSB units)."""
        return float(self.pmf @ self.values)

    @property
    def std(self) -> float:
        """Standard deviation (LSB units)."""
        return float(np.sqrt(self.pmf @ (self.values - self.mean) ** 2))

    @property
    def max_abs(self) -> int:
        """Largest magnitude that has non-zero probability."""
        return int(np.max(np.abs(self.values[self.pmf > 0])))


def _validated(probabilities: Sequence[float]) -> tuple[float, ...]:
    try:
        pmf = np.asarray(probabilities, dtype=float)
    except (TypeError, ValueError) as err:
        raise WorkloadError(f"histogram must be a list of numbers: {err}") from None
    if pmf.ndim != 1:
        raise WorkloadError(f"histogram must be one-dimensional, got shape {pmf.shape}")
    length = len(pmf)
    if length == 0 or length % 2 == 0 or (length + 1) & length:
        raise WorkloadError(f"histogram has {length} bins; it needs 2^N - 1 bins "
                            f"(1, 3, 7, 15, 31, 63, ...) centred on zero")
    if not np.all(np.isfinite(pmf)):
        raise WorkloadError("histogram contains NaN or infinite probabilities")
    if np.any(pmf < 0):
        raise WorkloadError(f"histogram has negative probabilities (min {pmf.min():g})")
    total = pmf.sum()
    if total <= 0:
        raise WorkloadError("histogram is all zeros; it needs some probability mass")
    return tuple(float(p) for p in pmf / total)


def _full_scale(bits: int) -> int:
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or bits < 1:
        raise WorkloadError(f"bits must be a positive integer, got {bits!r}")
    return 2 ** (int(bits) - 1) - 1


# -- parametric shapes ---------------------------------------------------------

def _from_cdf(bits: int, cdf: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Bin masses of a distribution given by its CDF over fractions of full
    scale; mass beyond full scale saturates into the outermost bins."""
    full_scale = _full_scale(bits)
    if full_scale < 1:
        raise WorkloadError("parametric distributions need bits >= 2")
    upper = (np.arange(-full_scale, full_scale + 1) + 0.5) / full_scale
    cumulative = np.concatenate([[0.0], cdf(upper[:-1]), [1.0]])
    return np.clip(np.diff(cumulative), 0.0, None)


def _check_positive(value: float, what: str) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise WorkloadError(f"{what} must be a positive number, got {value!r}")
    return float(value)


@lru_cache(maxsize=256)
def laplace(bits: int, scale: float = 0.1) -> Histogram:
    """Zero-mean Laplace; ``scale`` (the b parameter) in fractions of full scale."""
    b = _check_positive(scale, "scale")
    cdf = lambda x: np.where(x < 0, 0.5 * np.exp(np.minimum(x, 0) / b),
                             1 - 0.5 * np.exp(-np.maximum(x, 0) / b))
    return Histogram(tuple(_from_cdf(bits, cdf)))


@lru_cache(maxsize=256)
def gaussian(bits: int, sigma: float = 0.15) -> Histogram:
    """Zero-mean normal; ``sigma`` in fractions of full scale."""
    s = _check_positive(sigma, "sigma")
    return Histogram(tuple(_from_cdf(bits, lambda x: 0.5 * (1 + _erf(x / (s * math.sqrt(2)))))))


@lru_cache(maxsize=256)
def relu(bits: int, scale: float = 0.25, zero_mass: float = 0.5) -> Histogram:
    """Post-ReLU activation: P(0) = ``zero_mass`` exactly, no negative mass,
    positive values half-normal with std ``scale`` (fraction of full scale)."""
    s = _check_positive(scale, "scale")
    if not (isinstance(zero_mass, (int, float)) and 0.0 <= zero_mass <= 1.0):
        raise WorkloadError(f"zero_mass must be in [0, 1], got {zero_mass!r}")
    masses = _from_cdf(bits, lambda x: _erf(np.maximum(x, 0) / (s * math.sqrt(2))))
    full_scale = _full_scale(bits)
    positive = masses[full_scale + 1:]
    pmf = np.zeros_like(masses)
    pmf[full_scale] = zero_mass
    pmf[full_scale + 1:] = (1 - zero_mass) * positive / positive.sum()
    return Histogram(tuple(pmf))


@lru_cache(maxsize=256)
def gelu_like(bits: int, sigma: float = 0.25, knee: float = 0.25) -> Histogram:
    """GELU output of a zero-mean normal pre-activation (std ``sigma``).

    ``knee`` is the value (fraction of full scale) that GELU's unit input
    corresponds to: output = knee * gelu(x / knee). The result is skewed
    positive with a small negative tail down to about -0.17 * knee.
    """
    s, k = _check_positive(sigma, "sigma"), _check_positive(knee, "knee")
    full_scale = _full_scale(bits)
    z = np.linspace(-8.0, 8.0, max(20001, 16 * full_scale + 1))
    weight = np.exp(-0.5 * z * z)
    t = s * z / k
    out = k * t * 0.5 * (1 + _erf(t / math.sqrt(2)))
    codes = np.clip(np.rint(out * full_scale), -full_scale, full_scale).astype(int)
    return Histogram(tuple(np.bincount(codes + full_scale, weights=weight,
                                       minlength=2 * full_scale + 1)))


@lru_cache(maxsize=256)
def softmax_like(bits: int, scale: float = 0.02) -> Histogram:
    """Attention probabilities: non-negative, exponential with mean ``scale``
    (fraction of full scale), so most mass sits within a few LSBs of zero.

    Values round to the nearest integer, so the zero bin only collects
    [0, 0.5) LSB and can be smaller than bin 1 at coarse scales.
    """
    s = _check_positive(scale, "scale")
    return Histogram(tuple(_from_cdf(bits, lambda x: 1 - np.exp(-np.maximum(x, 0) / s))))


def default_distributions(layer_kind: str, position: str = "relu",
                          bits: int = DEFAULT_BITS) -> dict[str, Histogram]:
    """Per-tensor defaults for a layer of ``layer_kind`` whose inputs come from
    ``position`` (one of :data:`POSITIONS`):

    * ``image``: normalised pixels, gaussian(sigma=0.3)
    * ``relu``: post-ReLU, relu(scale=0.25, zero_mass=0.5)
    * ``gelu``: GELU/hard-swish outputs, gelu_like()
    * ``softmax``: attention probabilities, softmax_like()
    * ``signed``: LayerNorm / projection outputs, gaussian(sigma=0.15)

    Weights: laplace(scale=0.1) for conv/depthwise/linear; for ``matmul`` the
    weights are activations (keys/values), gaussian(sigma=0.15). Outputs are
    pre-activation sums: gaussian(sigma=0.15).
    """
    if layer_kind not in KINDS:
        raise WorkloadError(f"unknown layer kind {layer_kind!r}; valid: "
                            f"{', '.join(KINDS)}{suggest(str(layer_kind), KINDS)}")
    inputs = {"image": lambda: gaussian(bits, 0.3), "relu": lambda: relu(bits, 0.25, 0.5),
              "gelu": lambda: gelu_like(bits), "softmax": lambda: softmax_like(bits),
              "signed": lambda: gaussian(bits, 0.15)}
    if position not in inputs:
        raise WorkloadError(f"unknown input position {position!r}; valid: "
                            f"{', '.join(POSITIONS)}{suggest(str(position), POSITIONS)}")
    weights = gaussian(bits, 0.15) if layer_kind == "matmul" else laplace(bits, 0.1)
    return {"Inputs": inputs[position](), "Weights": weights, "Outputs": gaussian(bits, 0.15)}


# -- bit views -----------------------------------------------------------------

def _natural_width(hist: Histogram, encoding: str) -> int:
    return hist.bits - 1 if encoding == "magnitude" else hist.bits


def _codes(values: np.ndarray, width: int, encoding: str) -> np.ndarray:
    if encoding == "magnitude":
        return np.abs(values)
    if encoding == "offset":
        return values + 2 ** (width - 1) - 1
    return np.where(values < 0, values + 2 ** width, values)


def _representable(values: np.ndarray, width: int, encoding: str) -> np.ndarray:
    if encoding == "twos_complement":
        return (values >= -(2 ** (width - 1))) & (values <= 2 ** (width - 1) - 1)
    codes = _codes(values, width, encoding)
    return (codes >= 0) & (codes <= 2 ** width - 1)


def _check_encoding(encoding: str) -> None:
    if encoding not in ENCODINGS:
        raise WorkloadError(f"unknown encoding {encoding!r}; valid: "
                            f"{', '.join(ENCODINGS)}{suggest(str(encoding), ENCODINGS)}")


def to_bit_probabilities(hist: Histogram, bits: int | None = None,
                         encoding: str = "magnitude") -> np.ndarray:
    """P(bit = 1) for each bit of the encoded value, **MSB first**.

    Encodings: ``magnitude`` = |v| unsigned (the sign is left to the
    hardware; natural width N-1); ``offset`` = v + 2**(bits-1) - 1 unsigned
    (CiMLoop's offset encoding; natural width N); ``twos_complement`` (natural
    width N). ``bits`` defaults to the natural width; a different width
    zero/sign-extends, and every value with non-zero probability must fit
    (otherwise :func:`rebin` first).
    """
    _check_encoding(encoding)
    width = _natural_width(hist, encoding) if bits is None else int(bits)
    if width < 1:
        raise WorkloadError(f"{encoding} encoding of a {hist.bits}-bit histogram needs "
                            f"at least 1 bit, got width {width}")
    fits = _representable(hist.values, width, encoding)
    if np.any(hist.pmf[~fits] > 0):
        raise WorkloadError(f"values up to {hist.max_abs} do not fit a {width}-bit "
                            f"{encoding} encoding; rebin() the histogram first")
    codes = np.where(fits, _codes(hist.values, width, encoding), 0).astype(np.int64)
    shifts = np.arange(width - 1, -1, -1)
    return np.clip(hist.pmf @ ((codes[:, None] >> shifts) & 1), 0.0, 1.0)


def from_bit_probabilities(p_bits: Sequence[float], signed: bool = False,
                           encoding: str | None = None) -> Histogram:
    """Histogram of a value whose ``k`` bits (MSB first) are independent with
    P(bit = 1) = ``p_bits`` (CiMLoop's ``bit_distribution_2_hist``).

    The bits are read as ``encoding``: by default unsigned ``magnitude`` or,
    if ``signed``, ``twos_complement``. The result has ``k + 1`` bits, the
    smallest grid that holds every code of any of the encodings; it is the
    exact inverse of ``to_bit_probabilities(hist, bits=k, encoding=...)``.
    """
    encoding = encoding or ("twos_complement" if signed else "magnitude")
    _check_encoding(encoding)
    p = np.asarray(p_bits, dtype=float)
    if p.ndim != 1 or len(p) == 0 or not np.all((p >= -1e-9) & (p <= 1 + 1e-9)):
        raise WorkloadError(f"bit probabilities must be a non-empty list in [0, 1], got {p_bits!r}")
    p = np.clip(p, 0.0, 1.0)
    width = len(p)
    code_pmf = np.ones(1)
    for p1 in p:
        code_pmf = np.outer(code_pmf, [1 - p1, p1]).ravel()
    codes = np.arange(2 ** width)
    if encoding == "magnitude":
        values = codes
    elif encoding == "offset":
        values = codes - (2 ** (width - 1) - 1)
    else:
        values = np.where(codes >= 2 ** (width - 1), codes - 2 ** width, codes)
    full_scale = 2 ** width - 1
    pmf = np.zeros(2 * full_scale + 1)
    np.add.at(pmf, values + full_scale, code_pmf)
    return Histogram(tuple(pmf))


# -- rebinning -------------------------------------------------------------------

def _round_half_away(x: np.ndarray) -> np.ndarray:
    return (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int64)


def rebin(hist: Histogram, bits: int) -> Histogram:
    """The same distribution on a ``bits``-bit grid (value-level, full scale
    maps to full scale).

    Downsampling moves each value v to ``round(v * new_fs / old_fs)`` (half
    away from zero), merging neighbours. Upsampling spreads each value's mass
    evenly over the finer values that round back to it, so
    ``rebin(rebin(h, n + k), n) == h`` exactly. Zero always maps to zero
    alone: P(0) is preserved by upsampling (exact zeros stay exact).
    """
    old_fs, new_fs = hist.full_scale, _full_scale(bits)
    if new_fs == old_fs:
        return hist
    if new_fs < old_fs or old_fs == 0:
        return _downsample(hist, new_fs)
    return _upsample(hist, new_fs)


def _downsample(hist: Histogram, new_fs: int) -> Histogram:
    scale = new_fs / hist.full_scale if hist.full_scale else 0.0
    targets = _round_half_away(hist.values * scale) + new_fs
    pmf = np.zeros(2 * new_fs + 1)
    np.add.at(pmf, targets, hist.pmf)
    return Histogram(tuple(pmf))


def _upsample(hist: Histogram, new_fs: int) -> Histogram:
    fine = np.arange(-new_fs, new_fs + 1)
    owner = _round_half_away(fine * hist.full_scale / new_fs)
    owner[fine == 0] = 0
    share = np.bincount(owner + hist.full_scale, minlength=len(hist.pmf)).astype(float)
    pmf = hist.pmf[owner + hist.full_scale] / share[owner + hist.full_scale]
    nonzero_owner_of_zero = (owner == 0) & (fine != 0)
    pmf[nonzero_owner_of_zero] = 0.0
    pmf[new_fs] = hist.zero_mass
    return Histogram(tuple(pmf))
