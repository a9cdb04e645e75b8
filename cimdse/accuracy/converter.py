"""The error of one ADC conversion: quantisation and clipping of an analog
column sum, with Gaussian noise added to the sum before the converter.

An ADC of ``bits`` bits and full scale ``top`` (in column-sum LSBs: one
input-slice LSB x one weight-slice LSB) has the codes 0 .. L = 2**bits - 1
and the step ``top / L``; it reads the analog value u as
``Q(u) = step * clip(rint(u / step), 0, L)``, the code mapping of the SAR
model (:meth:`cimdse.components.converters.SarADC.code_pmf`). Sums above
``top`` clip to the top code, negative values (noise below an empty column)
to code 0.

:func:`conversion_error` gives the mean and mean square of
``Q(S + n) - S`` over a column-sum PMF of S and noise n ~ N(0, sigma(S)^2)
(the standard deviation may grow with the sum), how it follows S (its
Hermite coefficients) and the share of the noise the converter passes: exactly (a sum over the PMF,
the noise integrated per code with the normal CDF) where the noise is
narrower than half a step; with wider noise the quantiser is dithered by
it, its granular error is independent of the signal with variance
step^2 / 12, and only the clipping needs the noise's distribution
(closed-form moments of a clipped normal). The same smooth form serves a
column-sum PMF given on a grid coarser than an eighth of a step (the
normal approximation of :func:`cimdse.encoding.column_sum_pmf` for very
large sums), whose values are not the integers the sums take.

Worked example (the hand-computed case of the tests): S uniform over the
integers 0..255, a 4-bit ADC with ``top = 255`` (step 17), no noise. Code 0
takes S = 0..8 (errors 0..8), codes 1..14 take 17 sums each (errors -8..8),
code 15 takes 247..255: the squared errors sum to 204 + 14 x 408 + 204 =
6120 over 256 sums, a mean square of 23.906 LSB^2 (the uniform-quantiser
step^2 / 12 is 24.08). The signal variance is (256^2 - 1) / 12 = 5461.25,
so the SQNR is 10 log10(5461.25 / 23.906) = 23.59 dB, where the
textbook 6.02 b dB of a full-scale uniform signal gives 24.08 dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Half-width of the exact noise window, in noise sigmas: the probability a
#: Gaussian lands beyond it is 1.2e-15.
_WINDOW_SIGMAS = 8.0


#: Hermite orders of the error kept to correlate conversions: the first,
#: the error's covariance with the sum. Higher orders rest on jointly normal
#: sums, which sums of a few non-zero products are not: they over-correlate
#: sparse sums (order 2 puts sinangil_jssc_2021 on a 4-bit ADC 1.7 dB below
#: the value-level simulation).
HERMITE_ORDERS = 1


@dataclass(frozen=True)
class ConversionError:
    """``mean`` = E[e] and ``mean_square`` = E[e^2] of the error e =
    Q(S + n) - S of one conversion, in column-sum LSBs and LSBs^2.

    ``hermite[m - 1]`` = E[e He_m(z)] / sqrt(m!) with z the standardised
    sum and He_m the Hermite polynomials: how the error follows the sum
    (order 1 is Cov(e, S) / std(S): a coarse quantiser's dead zone returns
    -S). Two conversions whose sums are correlated (with correlation rho,
    e.g. through a shared input slice) have errors correlated by about
    sum_m rho^m h_m h'_m (the Hermite expansion of jointly normal sums).
    ``noise_gain`` = Cov(e, n) / sigma^2 is the share of the noise the
    converter passes (1 through a fine or an ideal one, 0 where the noise
    never crosses a decision level)."""

    mean: float
    mean_square: float
    hermite: tuple[float, ...] = (0.0,) * HERMITE_ORDERS
    noise_gain: float = 1.0

    @property
    def covariance(self) -> float:
        """Cov(e, S) / std(S): the first Hermite coefficient."""
        return self.hermite[0]

    @property
    def variance(self) -> float:
        return max(self.mean_square - self.mean * self.mean, 0.0)


def adc_step(bits: int, top: float) -> float:
    """Step of an ADC of ``bits`` bits whose top code reads ``top``."""
    return float(top) / (2 ** int(bits) - 1)


def conversion_error(values: np.ndarray, pmf: np.ndarray, bits: int | None, top: float,
                     sigma: float | np.ndarray = 0.0) -> ConversionError:
    """Error of converting column sums ``values`` (PMF ``pmf``) plus noise of
    standard deviation ``sigma`` (one value, or one per sum: noise that
    grows with the sum) with an ADC of ``bits`` bits and full scale ``top``
    (see the module docstring). ``bits=None``: an ideal converter (the noise
    is the whole error)."""
    values = np.asarray(values, dtype=float)
    pmf = np.asarray(pmf, dtype=float)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), values.shape)
    keep = pmf > 0
    values, sigma, pmf = values[keep], sigma[keep], pmf[keep] / pmf[keep].sum()
    if bits is None:
        return ConversionError(0.0, float(np.dot(pmf, sigma * sigma)))
    step = adc_step(bits, top)
    top_code = 2 ** int(bits) - 1
    spacing = _grid_spacing(values)
    if spacing:
        values, sigma, pmf = _coarsened(values, sigma, pmf, spacing, step)
        spacing = _grid_spacing(values)
    mean, square, gain = np.zeros_like(values), np.zeros_like(values), np.ones_like(values)
    smooth = (sigma >= step / 2) | (spacing > step / 8)
    # noise that never reaches a decision level leaves the code as it is
    level = (np.clip(np.rint(values / step - 0.5), 0, top_code - 1) + 0.5) * step
    exact = ~smooth & (np.abs(values - level) >= _WINDOW_SIGMAS * sigma)
    window = ~smooth & ~exact
    if smooth.any():
        mean[smooth], square[smooth], gain[smooth] = _smooth(values[smooth], step, float(top),
                                                             sigma[smooth])
    if exact.any():
        err = step * np.clip(np.rint(values[exact] / step), 0, top_code) - values[exact]
        mean[exact], square[exact], gain[exact] = err, err * err, 0.0
    if window.any():
        mean[window], square[window], gain[window] = _windowed(values[window], step, top_code,
                                                               sigma[window])
    e = float(np.dot(pmf, mean))          # np.dot: far faster than @ on long vectors here
    noise = pmf * sigma * sigma           # the gain of the noise power, where it is
    total = float(noise.sum())
    return ConversionError(e, float(np.dot(pmf, square)), _hermite(values, pmf, mean),
                           float(np.dot(noise, gain)) / total if total > 0 else 1.0)


def _hermite(values, pmf, mean) -> tuple[float, ...]:
    """E[e He_m(z)] / sqrt(m!) for m = 1 .. HERMITE_ORDERS, from E[e | S]."""
    centre = float(np.dot(pmf, values))
    spread = math.sqrt(max(float(np.dot(pmf, (values - centre) ** 2)), 0.0))
    if spread == 0:
        return (0.0,) * HERMITE_ORDERS
    z = (values - centre) / spread
    prev, cur = np.ones_like(z), z                      # He_0, He_1
    out = []
    for m in range(1, HERMITE_ORDERS + 1):
        out.append(float(np.dot(pmf, mean * cur)) / math.sqrt(math.factorial(m)))
        prev, cur = cur, z * cur - m * prev             # He_{m+1} = z He_m - m He_{m-1}
    return tuple(out)


def _grid_spacing(values: np.ndarray) -> float:
    """0 for sums on the integers (exact PMFs), else the spacing of the grid."""
    if len(values) < 2 or np.all(values == np.rint(values)):
        return 0.0
    return float(np.min(np.diff(values)))


def _coarsened(values, sigma, pmf, spacing, step):
    """A smooth PMF on a grid (the normal approximation of a very large sum)
    merged into groups spaced at most step / 16 and a quarter of the noise
    (of the sums but the lowest 0.1 % of the mass): finer than anything the
    converter resolves."""
    target = step / 16
    noisy = sigma > 0
    if noisy.any():
        order = np.argsort(sigma[noisy])
        mass = np.cumsum(pmf[noisy][order])
        low = min(int(np.searchsorted(mass / mass[-1], 1e-3)), len(order) - 1)
        target = min(target, float(sigma[noisy][order][low]) / 4)
    group = int(target // spacing)
    if group < 2:
        return values, sigma, pmf
    n = len(values) // group * group
    mass = pmf[:n].reshape(-1, group).sum(axis=1)
    weight = np.where(mass > 0, mass, 1.0)
    merged = [(x[:n] * pmf[:n]).reshape(-1, group).sum(axis=1) / weight for x in (values, sigma)]
    tail = slice(n, None)
    keep = mass > 0
    return (np.concatenate([merged[0][keep], values[tail]]),
            np.concatenate([merged[1][keep], sigma[tail]]),
            np.concatenate([mass[keep], pmf[tail]]))


def _windowed(s, step, top_code, sigma):
    """Exact E[e | S], E[e^2 | S] and noise gain per sum: every code within 8
    sigma of the sum, weighted by the normal probability of the noisy sum
    landing in its interval."""
    from scipy.special import ndtr
    k = int(math.ceil(_WINDOW_SIGMAS * float(sigma.max()) / step)) + 1
    centre = np.clip(np.rint(s / step), 0, top_code)
    codes = centre[:, None] + np.arange(-k, k + 1)[None, :]
    valid = (codes >= 0) & (codes <= top_code)
    low = np.where(codes <= 0, -np.inf, (codes - 0.5) * step)
    high = np.where(codes >= top_code, np.inf, (codes + 0.5) * step)
    col, sig = s[:, None], sigma[:, None]
    prob = np.where(valid, ndtr((high - col) / sig) - ndtr((low - col) / sig), 0.0)
    err = codes * step - col
    # Stein: Cov(Q(S + n), n) = sigma^2 E[Q'(S + n)], Q' = step x a delta per decision level
    crossing = np.where(valid & (codes < top_code),
                        np.exp(-0.5 * (((codes + 0.5) * step - col) / sig) ** 2), 0.0)
    gain = step / (sigma * math.sqrt(2 * math.pi)) * np.sum(crossing, axis=1)
    return np.sum(prob * err, axis=1), np.sum(prob * err * err, axis=1), gain


def _smooth(s, step, top, sigma):
    """Dithered quantiser: granular error step^2 / 12 independent of the
    signal where the noisy sum is in range; clipping at 0 and ``top`` from
    the moments of a clipped normal (sigma 0: of the sum itself)."""
    from scipy.special import ndtr
    noisy = sigma > 0
    sig = np.where(noisy, sigma, 1.0)
    a = np.where(noisy, (0.0 - s) / sig, np.where(s < 0, np.inf, -np.inf))
    b = np.where(noisy, (top - s) / sig, np.where(s > top, -np.inf, np.inf))
    pa, pb = ndtr(a), ndtr(b)
    da, db = _density(a), _density(b)
    p_low, p_high, p_mid = pa, 1.0 - pb, pb - pa
    n_mid = np.where(noisy, sigma * (da - db), 0.0)
    n2_mid = np.where(noisy, sigma * sigma * (p_mid + _times(a, da) - _times(b, db)), 0.0)
    mean = n_mid - s * p_low + (top - s) * p_high
    square = n2_mid + step * step / 12.0 * p_mid + s * s * p_low + (top - s) ** 2 * p_high
    return mean, square, p_mid


def _density(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _times(z: np.ndarray, density: np.ndarray) -> np.ndarray:
    """z * phi(z) with 0 where z is infinite (phi vanishes faster)."""
    return np.where(np.isfinite(z), z * density, 0.0)


__all__ = ["HERMITE_ORDERS", "ConversionError", "adc_step", "conversion_error"]
