"""The analog error model: the output error a design's datapath adds to
each layer, as an SQNR next to the energy.

It sits between the layer statistics (:mod:`cimdse.statistics`) and
the evaluation (:mod:`cimdse.evaluate`), and reads the same encodings,
slices and column-sum PMFs the energy is priced with.

Modules: :mod:`.datapath` (what the model reads of a design: the ADC, the
DACs, the cell's variation), :mod:`.converter` (the error of one ADC
conversion: quantisation, clipping, noise), :mod:`.operands` (operands in
code LSBs: shift-add gains, code moments, the ideal output's variance),
:mod:`.layer` (one layer's error and SQNR, the per-design cache, the
network's SQNR), :mod:`.montecarlo` (the same datapath value by value, on
sampled or given operands: the check of the analytic model).
"""

from .converter import ConversionError, conversion_error
from .datapath import Converter, Datapath, Device, datapath_of
from .layer import ErrorModel, LayerError, annotate, layer_error, network_sqnr_db, sqnr_db

__all__ = ["ConversionError", "Converter", "Datapath", "Device", "ErrorModel", "LayerError",
           "annotate", "conversion_error", "datapath_of", "layer_error", "network_sqnr_db",
           "sqnr_db"]
