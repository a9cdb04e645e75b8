"""Fixtures of the macro tests."""

from __future__ import annotations

import pytest

import cimdse
from macro_helpers import MACROS


@pytest.fixture(scope="session")
def peak():
    """max_utilization result of a macro under overrides, computed once per case."""
    cache = {}

    def get(name, **overrides):
        key = (name, tuple(sorted(overrides.items())))
        if key not in cache:
            cache[key] = cimdse.evaluate(MACROS / f"{name}.yaml", overrides=overrides)
        return cache[key]
    return get
