"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from example_plugin import install_example_plugin
from shared_data import CIMLOOP_WORKLOADS, require_shared


@pytest.fixture(scope="session")
def cimloop_workloads() -> Path:
    """The profiled CiMLoop workloads (one folder per network); skipped when
    absent, failed when absent under CI (:mod:`shared_data`)."""
    return require_shared(CIMLOOP_WORKLOADS)


def pytest_collection_finish(session) -> None:
    # Install before any test runs: the workers of a local Ray see PYTHONPATH only
    # as it was when that Ray started.
    if any("example_plugin" in getattr(item, "fixturenames", ()) for item in session.items):
        install_example_plugin()


@pytest.fixture(scope="session")
def example_plugin() -> Path:
    """Where the example component plug-in is installed (:mod:`example_plugin`)."""
    return install_example_plugin()
