"""Former home of the layer statistics and the ActionTable builder, kept only so
that code importing them from here keeps working: the statistics live in
:mod:`cimdse.statistics`, the ActionTable and its builder in
:mod:`cimdse.pricing`. Import from there."""

from cimdse.pricing import (ActionTable, PricingError, TableCache, build_action_table,
                            component_model, component_rows)
from cimdse.statistics import (DEFAULT_BITS, DEFAULT_ENCODING, ENCODING_VARIABLES,
                               EncodingConvention, LayerStats, OperandEncoding,
                               StatisticsError, encoded_operand, layer_distributions,
                               layer_stats, mixture, reduction_size, row_capacity,
                               signed_parts, slice_stats, stats_of_encoded)

__all__ = ["ActionTable", "DEFAULT_BITS", "DEFAULT_ENCODING", "ENCODING_VARIABLES",
           "EncodingConvention", "LayerStats", "OperandEncoding", "PricingError",
           "StatisticsError", "TableCache", "build_action_table", "component_model",
           "component_rows", "encoded_operand", "layer_distributions", "layer_stats",
           "mixture", "reduction_size", "row_capacity", "signed_parts", "slice_stats",
           "stats_of_encoded"]
