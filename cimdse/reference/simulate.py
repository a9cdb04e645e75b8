"""Value-level energies: every action priced on the values it really sees.

For one layer, :func:`value_level_energies` takes an
:class:`~cimdse.reference.operands.OperandSample` and evaluates the *same*
component models as the statistical model, but per action, on degenerate
statistics (a point mass at the actual value; :func:`point_stats`), then
averages the energies. Because each model is evaluated on single values,
no statistic is averaged before the model sees it -- the opposite order of
the statistical model (average statistics, then evaluate once).

To stay fast, actions that see the same value(s) are grouped: the model is
evaluated once per distinct view and weighted by how many actions have it
(exactly the per-action average).

What each action sees, by component class (the "view"):

* ``pair`` (``rram_cell``, ``sram_cell``): one cell activation sees one
  input slice code and the weight slice code stored in the cell; every
  (vector, row, column, input slice, weight slice) of the tile is one
  activation.
* ``input sequence`` (``dac_c2c``, ``dac_r2r``, ``dac_pwm``,
  ``dac_pulse_count``): one DAC conversion sees its input slice code and
  the code it converted before (its input register toggles): each row's DAC
  converts the slices of successive input vectors, slices MSB first (bit-
  serial order, the X loop innermost as the mapper places it). Ladder DACs
  add the flip-flop energy of the register bits that rise (0 -> 1), the
  per-action counterpart of CiMLoop's ``bit_flip_probability`` term.
* ``column sum`` (``sar_adc`` with ``rows`` > 0): one conversion sees the
  actual sum, over the tile's rows (the rows the mapping fills), of input
  slice x weight slice products of one vector, one column, one (input
  slice, weight slice) pair, quantised like
  :meth:`cimdse.components.converters.SarADC.code_pmf` with the ADC's
  designed full scale (``rows`` x slice full scales x
  ``full_scale_fraction`` of the spec).
* every other class is priced with the layer statistics, identically to
  the statistical model (the built-in buffer, adder, survey ADC and other
  digital models do not read data values); :func:`view_of` says which.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from cimdse.components import ACTIONS
from cimdse.encoding import ValueStats
from cimdse.mapping.actions import LayerStats, component_model, component_rows

from .operands import OperandSample

log = logging.getLogger(__name__)

PAIR_CLASSES = frozenset({"rram_cell", "sram_cell"})
LADDER_CLASSES = frozenset({"dac_c2c", "dac_r2r"})
SEQUENCE_CLASSES = LADDER_CLASSES | frozenset({"dac_pwm", "dac_pulse_count"})
COLUMN_SUM_CLASSES = frozenset({"sar_adc"})


def view_of(node) -> str:
    """``pair``, ``input_sequence``, ``column_sum`` or ``statistics``."""
    if node.cls in PAIR_CLASSES:
        return "pair"
    if node.cls in SEQUENCE_CLASSES:
        return "input_sequence"
    if node.cls in COLUMN_SUM_CLASSES and component_rows(node) is not None:
        return "column_sum"
    return "statistics"


_POINTS: dict[tuple[int, int], ValueStats] = {}


def point_stats(code: int, bits_per_slice: int) -> ValueStats:
    """Degenerate :class:`ValueStats`: one slice holding ``code`` with
    probability 1 (``bits_per_slice`` bits, MSB first)."""
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


def _weighted(energies: dict[Any, float], counts: dict[Any, float]) -> float:
    total = sum(counts.values())
    return math.fsum(energies[k] * n for k, n in counts.items()) / total if total else 0.0


def _pair_counts(sample: OperandSample, rows: int) -> dict[tuple[int, int], float]:
    xs, ws = sample.input_slices[:, :rows], sample.weight_slices[:rows]
    nx = int(xs.max()) + 1
    nw = int(ws.max()) + 1
    # per row: histogram of input codes (over vectors, slices) and weight codes
    a = np.stack([np.bincount(xs[:, r].ravel(), minlength=nx) for r in range(rows)])
    b = np.stack([np.bincount(ws[r].ravel(), minlength=nw) for r in range(rows)])
    joint = a.T.astype(float) @ b.astype(float)          # (nx, nw)
    return {(i, j): float(joint[i, j]) for i in range(nx) for j in range(nw) if joint[i, j]}


def _sequence_counts(sample: OperandSample, rows: int) -> dict[tuple[int, int], float]:
    xs = sample.input_slices[:, :rows]                    # (vectors, rows, X)
    seq = np.transpose(xs, (1, 0, 2)).reshape(rows, -1)  # per row: v-major, x-minor
    prev = np.concatenate([np.zeros((rows, 1), np.int64), seq[:, :-1]], axis=1)
    n = int(seq.max()) + 1
    pairs = np.bincount((prev * n + seq).ravel(), minlength=n * n)
    return {(int(k // n), int(k % n)): float(c) for k, c in enumerate(pairs) if c}


def _rising(prev: int, cur: int) -> int:
    return bin(~prev & cur).count("1")


def value_level_energies(design, stats: LayerStats, sample: OperandSample
                         ) -> tuple[dict[tuple[str, str], float], dict[str, str]]:
    """pJ per action per (component, action), averaged over the actions the
    ``sample`` tile produces, and the view used per component."""
    energy: dict[tuple[str, str], float] = {}
    views: dict[str, str] = {}
    top_in = max(sample.input_widths)
    top_w = max(sample.weight_widths)
    for node in design.components:
        view = view_of(node)
        views[node.name] = view
        model = component_model(node, stats.reduction)
        rows = sample.rows
        out = stats.outputs
        for action in ACTIONS:
            if action == "leak" or view == "statistics":
                pairs = list(stats.pairs()) if action != "leak" else [next(stats.pairs())]
                e = math.fsum(model.energy_pj(action, p) for p in pairs) / len(pairs)
            elif view == "pair":
                counts = _pair_counts(sample, rows)
                es = {(i, j): model.energy_pj(action, {"Inputs": point_stats(i, top_in),
                                                       "Weights": point_stats(j, top_w),
                                                       "Outputs": out})
                      for i, j in counts}
                e = _weighted(es, counts)
            elif view == "input_sequence":
                counts = _sequence_counts(sample, rows)
                ff = model._flip_flop_pj() if (node.cls in LADDER_CLASSES
                                               and action == "read") else 0.0
                scale = model.attrs.get("energy_scale", 1.0)
                es = {(p, c): model.energy_pj(action, {"Inputs": point_stats(c, top_in)})
                      + ff * _rising(p, c) * scale for p, c in counts}
                e = _weighted(es, counts)
            else:  # column_sum
                e = _column_sum_energy(node, model, action, stats, sample, rows, top_in, top_w)
            energy[(node.name, action)] = float(e) * node.energy_factor(action)
    return energy, views


def _column_sum_energy(node, model, action, stats, sample, rows, top_in, top_w) -> float:
    designed = component_model(node)                      # the ADC as designed (full scale)
    n_bits = designed.n_bits
    n_codes = 2 ** n_bits
    sums = sample.column_sums(rows)
    top = (designed.attrs["rows"] * (2 ** top_in - 1) * (2 ** top_w - 1)
           * designed.attrs["full_scale_fraction"])
    # the quantiser of SarADC.code_pmf: full scale -> top code, clipped
    codes = np.clip(np.rint(sums / max(top, 1e-30) * (n_codes - 1)), 0, n_codes - 1)
    hist = np.bincount(codes.astype(np.int64).ravel(), minlength=n_codes)
    given = {k: v for k, v in designed.attrs.items() if v is not None}  # None: not given
    plain = type(designed)({**given, "rows": 0})  # converts given Outputs codes
    es = {c: plain.energy_pj(action, {"Outputs": point_stats(c, n_bits)})
          for c in np.nonzero(hist)[0]}
    return _weighted(es, {c: float(hist[c]) for c in es})
