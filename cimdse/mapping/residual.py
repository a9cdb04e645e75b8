"""Imperfect (residual) spatial factors: padded bounds and the real share of a count.

A spatial slot may take a factor that does not divide what is left of a dim
(Timeloop's Ruby-S mapspace: residual factors on spatial loops only). Read a
dim's factors inner to outer with ``rem``, the bound still to cover,
starting at the dim's bound ``N``:

* a temporal factor ``f`` divides ``rem``: ``rem = rem / f``;
* a spatial factor ``1 <= f <= rem`` need not: ``rem = ceil(rem / f)``, i.e.
  the loops above run ``ceil(rem / f)`` iterations and the last one is a
  partial pass;
* the outermost slot (always temporal: the backing store) takes the rest,
  so ``rem`` ends at 1.

The loop nest then runs over the **padded bound** ``N' = prod(f)``: the
mixed-radix coordinate ``c = sum_s j_s * w_s`` (digit ``j_s`` in ``[0,
f_s)``, weight ``w_s`` = product of the factors inside slot ``s``) takes every
value in ``[0, N')``, and the points with ``c >= N`` are **phantom**: they do
not exist (no MAC, no data, no request). The real points are exactly
``c < N``: the ceilings nest, so every partial pass is the last one of its
loops and the real coordinates stay a prefix.

**Real share of a count.** A count of the padded nest is a sum over events
(an element requested at some instance and time); each event is a set of
digit values. For one dim, every slot's digit is in one of three classes:
:data:`FREE` (the count runs over all its values: instances, times that
trigger the event, tile coordinates the event carries), :data:`ZERO` (the
event happens at digit 0 only: loops that wrap before it, tile coordinates a
tensor does not index, fanout copies merged by multicast) or
:data:`NONZERO` (the loop whose increment is the event: values ``1..f-1``).
:func:`real_count` counts the digit assignments allowed by the classes whose
coordinate (ZERO digits at 0) is real, ``real``, against all of them,
``part``; the real count is the padded one x ``real / part``
(:func:`scale`), per padded dim. For a count whose events factor over the
dims this is exact; see :mod:`.nest` for which counts do.

:func:`real_count_batch` is the same count for a batch (one mapping per row),
with no Python loop over mappings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

FREE, ZERO, NONZERO = 0, 1, 2


def residual_error(factors: Sequence[int], spatial: Sequence[bool], bound: int) -> str | None:
    """Why ``factors`` (one dim, outermost slot first) are not a residual
    factorisation of ``bound``; None when they are (perfect ones included)."""
    if any(f < 1 for f in factors):
        return f"factors {tuple(factors)} must be >= 1"
    rem = bound
    for s in range(len(factors) - 1, -1, -1):
        f = factors[s]
        if spatial[s] and f <= rem:
            rem = -(-rem // f)
        elif rem % f == 0:
            rem //= f
        else:
            kind = "spatial factor exceeds" if spatial[s] else "temporal factor does not divide"
            return (f"{kind} the {rem} iterations left at slot {s} "
                    f"(factors {tuple(factors)}, bound {bound})")
    if rem != 1:
        return (f"factors {tuple(factors)} multiply to {math.prod(factors)}, "
                f"bound is {bound}")
    return None


def digit_sizes(radix: int, cls: int) -> tuple[int, int]:
    """(lowest value, number of values) a digit of ``radix`` takes in class ``cls``."""
    if cls == ZERO:
        return 0, 1
    if cls == NONZERO:
        return 1, radix - 1
    return 0, radix


def real_count(radices: Sequence[int], bound: int, classes: Sequence[int]) -> tuple[int, int]:
    """``(real, part)``: digit assignments allowed by ``classes`` whose
    coordinate is below ``bound``, and all allowed assignments. ``radices``
    are the dim's factors, outermost slot first; ``bound`` < their product."""
    sizes = [digit_sizes(f, c) for f, c in zip(radices, classes)]
    part = math.prod(n for _, n in sizes)
    if part == 0:
        return 0, 0
    weight, rest, real, tight = math.prod(radices), part, 0, True
    for f, (lo, n) in zip(radices, sizes):
        weight //= f
        rest //= n
        digit = (bound // weight) % f
        if tight:
            real += max(0, min(digit - lo, n)) * rest
        tight = tight and lo <= digit < lo + n
    return real, part


def scale(value: int, real: int, part: int) -> int:
    """``value x real / part`` rounded down; exact when ``part`` divides
    ``value`` (the remainder's share is taken in double precision, the same
    operations as :func:`scale_batch`)."""
    if part == 0:
        return 0
    q, r = divmod(value, part)
    return q * real + (math.floor(float(r) * (real / part)) if r else 0)


def real_count_batch(f: np.ndarray, digit: np.ndarray, cls: np.ndarray):
    """:func:`real_count` for every row: ``f`` and ``digit`` (the bound's digit
    per slot) are ``[B, S]``, ``cls`` is ``[B, S]`` or ``[B, K, S]`` (K counts
    per mapping); returns ``(real, part)`` shaped like ``cls`` without S."""
    if cls.ndim == 3:
        f, digit = f[:, None, :], digit[:, None, :]
    S = cls.shape[-1]
    lo = (cls == NONZERO).astype(np.int64)
    n = np.where(cls == ZERO, 1, f - lo)
    # a few slots, many mappings: loop over the slots, not along the short axis
    rest = [None] * S
    acc = np.ones(cls.shape[:-1], dtype=np.int64)
    for s in range(S - 1, -1, -1):
        rest[s] = acc
        acc = acc * n[..., s]
    real = np.zeros(cls.shape[:-1], dtype=np.int64)
    tight = np.ones(cls.shape[:-1], dtype=bool)
    for s in range(S):
        below = np.clip(digit[..., s] - lo[..., s], 0, n[..., s])
        real = real + np.where(tight, below * rest[s], 0)
        tight = tight & (digit[..., s] >= lo[..., s]) & (digit[..., s] - lo[..., s] < n[..., s])
    return np.where(acc > 0, real, 0), acc


def scale_batch(value: np.ndarray, real, part) -> np.ndarray:
    """:func:`scale` elementwise (``part == 0`` only comes with ``value == 0``)."""
    safe = np.maximum(part, 1)
    q, r = np.divmod(value, safe)
    out = q * real
    if r.any():
        out = out + np.floor(r.astype(np.float64) * (real / safe)).astype(np.int64)
    return out


__all__ = ["FREE", "NONZERO", "ZERO", "digit_sizes", "real_count", "real_count_batch",
           "residual_error", "scale", "scale_batch"]
