"""Whole systems: the layers of a network placed over a system's macros and
pipelined.

After every layer is mapped (:mod:`cimdse.mapping`), :func:`pipeline_of`
turns the network result into a :class:`Pipeline`: each layer's demand on
one macro (:mod:`.demand`), a placement of the layers over the macros by a
pluggable strategy (:mod:`.placement`: the contract, the registry;
:mod:`.greedy`, :mod:`.exact`), the design's macros, network hops and
activation store (:mod:`.macros`), and what the placement moves: weight
re-loads, interconnect traffic, activation buffers (:mod:`.build`).
:class:`SystemResult` is the network result with its pipeline.
"""

from .build import PipelineInfeasible, layer_demands, pipeline_of, placement_settings
from .demand import LayerDemand, fits, stage_time_s
from .macros import MACRO_FANOUT, Macros, macros_of
from .pipeline import Pipeline, StageReport
from .placement import (NO_PLACEMENT, Placement, PlacementError, PlacementStrategy, Stage,
                        check_placement, placement_strategy, placements, register_placement)
from .result import SystemResult

__all__ = ["pipeline_of", "placement_settings", "layer_demands", "PipelineInfeasible",
           "LayerDemand", "fits", "stage_time_s", "MACRO_FANOUT", "Macros", "macros_of",
           "Pipeline", "StageReport", "NO_PLACEMENT", "Placement", "PlacementError",
           "PlacementStrategy", "Stage", "check_placement", "placement_strategy",
           "placements", "register_placement", "SystemResult"]
