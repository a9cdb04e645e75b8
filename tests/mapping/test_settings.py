"""The mapper settings have one set of defaults: the spec's."""

from __future__ import annotations

import dataclasses

from cimdse.mapping import SearchSettings
from cimdse.spec.model import MapperSettings


def test_search_settings_default_to_the_spec_mapper_settings():
    spec, search = MapperSettings(), SearchSettings()
    for field in dataclasses.fields(MapperSettings):
        assert getattr(search, field.name) == getattr(spec, field.name), field.name
