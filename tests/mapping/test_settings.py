"""The mapper settings have one set of defaults: the spec's."""

from __future__ import annotations

import dataclasses

from cimdse.mapping import SearchSettings
from cimdse.spec.model import MapperSettings


def test_search_settings_default_to_the_spec_mapper_settings():
    spec, search = MapperSettings(), SearchSettings()
    for field in dataclasses.fields(MapperSettings):
        assert getattr(search, field.name) == getattr(spec, field.name), field.name


def test_the_mapper_takes_slice_counts_from_the_design_not_its_variables():
    from dataclasses import replace

    import cimdse
    from cimdse.mapping.evaluate_layer import _with_slices
    from cimdse.mapping.problem import problem_from_layer
    from cimdse.spec.model import SliceCounts
    design = cimdse.load("configs/macros/colonnade_jssc_2021.yaml")
    assert design.slices == SliceCounts(inputs=8, weights=15)       # N_*_SLICES of the spec
    layer = cimdse.workload.linear("fc", 64, 64)
    problem = problem_from_layer(layer)
    typed = replace(design, slices=SliceCounts(inputs=2, weights=3))
    got = _with_slices(problem, typed, "design", layer)
    assert (got.dims["X"], got.dims["Y"]) == (2, 3)
