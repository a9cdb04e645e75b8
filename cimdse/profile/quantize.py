"""Symmetric per-tensor quantisation of real tensors to a layer's bit width,
in the convention of :mod:`cimdse.workload.distributions`.

An N-bit operand has full scale ``F = 2**(N-1) - 1``; a tensor's largest
magnitude maps to full scale, so one LSB is ``max|x| / F`` (the tensor's
*scale*, in the tensor's own unit) and a value's code is ``round(x /
scale)`` (half to even, as :meth:`Histogram.from_samples`). The histogram of
the codes is the operand's distribution; an all-zero tensor has scale 0 and
all its mass on zero.
"""

from __future__ import annotations

import numpy as np

from ..bounds import MAX_OPERAND_BITS
from ..workload import Histogram
from .errors import ProfileError

DEFAULT_BITS = 8
MIN_BITS = 2  # 1 bit leaves a single (zero) bin


def check_bits(bits: object) -> int:
    """``bits`` as an int within MIN_BITS..MAX_OPERAND_BITS."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) \
            or not MIN_BITS <= bits <= MAX_OPERAND_BITS:
        raise ProfileError(f"bits must be an integer from {MIN_BITS} to {MAX_OPERAND_BITS}, "
                           f"got {bits!r}")
    return int(bits)


def full_scale(bits: int) -> int:
    """Largest code of a ``bits``-bit symmetric operand."""
    return 2 ** (bits - 1) - 1


def scale_of(max_abs: float, bits: int) -> float:
    """Real value of one LSB when ``max_abs`` maps to full scale."""
    return float(max_abs) / full_scale(bits)


def codes(values: np.ndarray, scale: float, bits: int) -> np.ndarray:
    """Integer codes of ``values`` (int8 up to 8 bits, else int16)."""
    fs = full_scale(bits)
    dtype = np.int8 if bits <= 8 else np.int16
    if scale == 0:
        return np.zeros(np.shape(values), dtype=dtype)
    scaled = np.rint(np.asarray(values, dtype=np.float64) / scale)
    return np.clip(scaled, -fs, fs).astype(dtype)


def counts(code_array: np.ndarray, bits: int) -> np.ndarray:
    """Occurrences of every code ``-F..F`` (index = code + F)."""
    fs = full_scale(bits)
    return np.bincount(code_array.ravel().astype(np.int64) + fs, minlength=2 * fs + 1)


def histogram(code_counts: np.ndarray) -> Histogram:
    """The normalised histogram of accumulated code counts."""
    return Histogram(tuple(np.asarray(code_counts, dtype=float)))
