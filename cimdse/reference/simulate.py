"""Value-level energies: every action priced on the values it really sees.

For one layer, :func:`value_level_energies` takes an
:class:`~cimdse.reference.operands.OperandSample` and evaluates the *same*
component models as the statistical model, but per action, on degenerate
statistics (a point mass at the actual value, :func:`cimdse.encoding.point_stats`),
then averages the energies. Because each model is evaluated on single values,
no statistic is averaged before the model sees it -- the opposite order of
the statistical model (average statistics, then evaluate once).

To stay fast, actions that see the same value(s) are grouped: the model is
evaluated once per distinct view and weighted by how many actions have it
(exactly the per-action average).

What each action sees is what its model declares it consumes
(:attr:`cimdse.components.ComponentModel.consumes`, the "view"):

* ``pair`` (``rram_cell``, ``sram_cell``): one cell activation sees one
  input slice code and the weight slice code stored in the cell; every
  (vector, row, column, input slice, weight slice) of the tile is one
  activation.
* ``input_sequence`` (``dac_c2c``, ``dac_r2r``, ``dac_pwm``,
  ``dac_pulse_count``): one DAC conversion sees its input slice code and
  the code it converted before (its input register toggles): each row's DAC
  converts the slices of successive input vectors, slices MSB first (bit-
  serial order, the X loop innermost as the mapper places it). The model's
  ``transition_energy_pj`` adds what the change of code costs (ladder DACs:
  the flip-flop energy of the register bits that rise, 0 -> 1, the
  per-action counterpart of CiMLoop's ``bit_flip_probability`` term).
* ``column_sum`` (``sar_adc``, with ``rows`` > 0): one conversion sees the
  actual sum, over the tile's rows (the rows the mapping fills), of input
  slice x weight slice products of one vector, one column, one (input
  slice, weight slice) pair; the model as designed (its own ``rows`` and
  ``full_scale_fraction``) prices them with ``column_sum_energy_pj``.
* ``statistics``: every other model is priced with the layer statistics,
  identically to the statistical model (the built-in buffer, adder, survey
  ADC and other digital models do not read data values); :func:`view_of`
  says which view a component gets.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from cimdse.components import ACTIONS, get_model
from cimdse.encoding import point_stats
from cimdse.pricing import component_model, component_rows
from cimdse.statistics import LayerStats

from .operands import OperandSample

log = logging.getLogger(__name__)

def view_of(node) -> str:
    """``pair``, ``input_sequence``, ``column_sum`` or ``statistics``: what the
    model of ``node`` consumes (a ``column_sum`` model without ``rows`` reads
    the layer's Outputs statistics)."""
    view = get_model(node.cls).consumes
    if view == "column_sum" and component_rows(node) is None:
        return "statistics"
    return view


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
                es = {(p, c): model.energy_pj(action, {"Inputs": point_stats(c, top_in)})
                      + model.transition_energy_pj(action, p, c) for p, c in counts}
                e = _weighted(es, counts)
            else:  # column_sum: the model as designed (its full scale) converts the sums
                e = component_model(node).column_sum_energy_pj(
                    action, sample.column_sums(rows), 2 ** top_in - 1, 2 ** top_w - 1)
            energy[(node.name, action)] = float(e) * node.energy_factor(action)
    return energy, views

