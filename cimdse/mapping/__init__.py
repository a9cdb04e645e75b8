"""Mapping: mapspace, exact nest analysis (scalar reference and vectorised
batch evaluator), search, ActionTable, and whole-network evaluation.

Modules: :mod:`.problem` (layer as einsum), :mod:`.arch` (design -> loop
slots, levels, per-tensor chains; modelling decisions), :mod:`.mapping`
(Mapping), :mod:`.nest` (scalar reference semantics), :mod:`.residual`
(imperfect spatial factors: padded bounds, the real share of a count),
:mod:`.batch` (vectorised evaluator), :mod:`.mapspace` (factor tables,
constraints, loop orders), :mod:`.search` (exhaustive / random-pruned),
:mod:`.actions` (ActionTable), :mod:`.evaluate_layer` (evaluate).
"""

from cimdse.pricing import ActionTable, build_action_table
from .arch import Arch, build_arch
from .batch import BatchContext, BatchResult, Template, evaluate_batch
from .errors import MappingError, NoValidMappingError
from .evaluate_layer import LayerResult, NetworkResult, evaluate, map_layer
from .mapping import Mapping
from .mapspace import max_utilization_layer
from .nest import NestResult, analyze
from .problem import DIMS, Problem, problem_from_layer
from .search import SearchResult, SearchSettings, search

__all__ = ["ActionTable", "build_action_table", "Arch", "build_arch", "BatchContext",
           "BatchResult", "Template", "evaluate_batch", "MappingError", "NoValidMappingError",
           "LayerResult", "NetworkResult", "evaluate", "map_layer", "Mapping",
           "max_utilization_layer", "NestResult", "analyze", "DIMS", "Problem",
           "problem_from_layer", "SearchResult", "SearchSettings", "search"]
