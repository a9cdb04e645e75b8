"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_data import CIMLOOP_WORKLOADS, require_shared


@pytest.fixture(scope="session")
def cimloop_workloads() -> Path:
    """The profiled CiMLoop workloads (one folder per network); skipped when
    absent, failed when absent under CI (:mod:`shared_data`)."""
    return require_shared(CIMLOOP_WORKLOADS)
