"""Value-level reference: the same component models, evaluated action by
action on actual operand values, to measure the statistical model's error.

* :mod:`.operands`: operand tiles (sampled from a layer's distributions, or
  real arrays), encoded and sliced;
* :mod:`.simulate`: per-action energies on the values each action sees;
* :mod:`.accuracy`: per-layer statistical vs value-level vs fixed-energy
  energies on the same action counts (``cimdse accuracy``).
"""

from .accuracy import (AccuracyError, AccuracyReport, LayerAccuracy, accuracy, exact_bits,
                       network_stats)
from .operands import OperandSample, encode_values, from_arrays, synthesize
from .simulate import point_stats, value_level_energies, view_of

__all__ = ["AccuracyError", "AccuracyReport", "LayerAccuracy", "accuracy", "exact_bits",
           "network_stats", "OperandSample", "encode_values", "from_arrays", "synthesize", "point_stats",
           "value_level_energies", "view_of"]
