"""Operands in the units the datapath works in: one LSB of the encoded code.

The array multiplies unsigned slice codes and the digital back end
shift-adds the converted column sums, slice k of an operand weighted by its
place ``2**(bits below it)`` (:func:`slice_gains`); offsets, signs and the
parts of a differential pair are undone digitally and exactly, so the error
of the output in code LSBs is the error of the code-domain dot product.

The ideal output is the dot product of the operand *values* the encoding
represents, measured in the same code LSBs (:func:`operand_moments`): the
layer's histogram on the grid the encoding uses -- re-binned value-exactly
(``VALUE_RESAMPLE: value``) or scaled by ``2**(bits - width)`` when the
code keeps the histogram's MSBs or pads LSBs (``cimloop``) -- times the code
LSBs per value step of the encoding (2 for the bipolar XNOR digits, 1 for
binary codes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cimdse.encoding import EncodedHistogram, bit_matrix, natural_width, resolve_encoding
from cimdse.statistics import OperandEncoding
from cimdse.workload.distributions import Histogram, rebin

#: Code LSBs per value step of encodings whose code is not the value plus a
#: constant: XNOR digits are +-1 (Jia et al., JSSC 2020), so the value moves
#: by 2 x a bit's weight when the bit flips.
_CODE_STEPS_PER_VALUE = {"xnor": 2.0, "zero_gated_xnor": 2.0}


def slice_gains(widths: tuple[int, ...] | list[int]) -> np.ndarray:
    """Shift-add weight of each slice (MSB slice first): 2**(bits below it)."""
    below = np.cumsum([0, *reversed(list(widths))])[:-1][::-1]
    return 2.0 ** below


@dataclass(frozen=True)
class SliceMoments:
    """Joint moments of one operand's slice codes (MSB slice first): ``mean[k]``
    = E[a_k], ``second[k, k']`` = E[a_k a_k'], and of the rounding
    ``a'_k - a_k`` a DAC applies, shift-added: ``rounding`` = (E[D], E[D^2])."""

    mean: np.ndarray
    second: np.ndarray
    rounding: tuple[float, float] = (0.0, 0.0)

    def code(self, gains: np.ndarray) -> tuple[float, float]:
        """(E[X], E[X^2]) of the shift-added code X = sum_k g_k a_k."""
        return float(gains @ self.mean), float(gains @ self.second @ gains)


def slice_moments(enc: EncodedHistogram, widths: tuple[int, ...] | list[int],
                  levels: list[int | None] | None = None) -> SliceMoments:
    """:class:`SliceMoments` of ``enc`` sliced into ``widths``; ``levels[k]``
    (DAC levels - 1, None: exact) rounds slice k to that many steps of its
    full scale. Padded bits are independent with their probabilities (their
    rounding is taken at the slice's mean code)."""
    bits = int(sum(widths))
    beta = bit_matrix(enc, bits)
    p = enc.probabilities
    top = 2 ** max(widths) - 1
    means, variances, rounded = [], [], []
    start = 0
    for k, w in enumerate(widths):
        place = 2.0 ** np.arange(w - 1, -1, -1)
        part = beta[:, start:start + w]
        mean = part @ place
        var = (part * (1 - part)) @ (place * place)
        step = None if levels is None else levels[k]
        if step is not None:
            shifted = np.rint(mean * step / top) * top / step
            rounded.append(shifted - mean)
            mean, var = shifted, np.zeros_like(var)
        else:
            rounded.append(np.zeros_like(mean))
        means.append(mean)
        variances.append(var)
        start += w
    mu = np.stack(means, axis=1)                     # (entries, K)
    second = (mu * p[:, None]).T @ mu + np.diag(p @ np.stack(variances, axis=1))
    d = np.stack(rounded, axis=1) @ slice_gains(widths)
    return SliceMoments(p @ mu, second, (float(p @ d), float(p @ (d * d))))


def operand_moments(hist: Histogram, operand: OperandEncoding,
                    resample: str) -> tuple[float, float]:
    """(E[v], E[v^2]) of the operand values in code LSBs (see the module docstring)."""
    name, _ = resolve_encoding(operand.encoding)
    if name.endswith("_if_signed"):
        name = name[: -len("_if_signed")] if hist.is_signed else "magnitude"
    width = natural_width(hist, operand.encoding)
    scale = _CODE_STEPS_PER_VALUE.get(name, 1.0)
    grid = hist
    if operand.bits != width:
        target = hist.bits + operand.bits - width
        if resample == "value" and target >= 1:
            grid = rebin(hist, target)
        else:
            scale *= 2.0 ** (operand.bits - width)
    values = grid.values.astype(float) * scale
    return float(grid.pmf @ values), float(grid.pmf @ (values * values))


def output_variance(inputs: tuple[float, float], weights: tuple[float, float],
                    reduction: int) -> float:
    """Variance of a dot product of ``reduction`` independent (input x
    weight) products with the given (mean, mean square) moments."""
    (mx, sx), (mw, sw) = inputs, weights
    return reduction * max(sx * sw - (mx * mw) ** 2, 0.0)


__all__ = ["SliceMoments", "operand_moments", "output_variance", "slice_gains", "slice_moments"]
