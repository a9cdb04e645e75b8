"""Fixtures of the DSE tests: one local Ray per session, sweep-file helpers."""

from __future__ import annotations

import textwrap

import pytest

from dse_helpers import FIG5


@pytest.fixture(scope="session")
def ray_local():
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR", namespace="cimdse-dse-tests")
    yield ray
    ray.shutdown()


@pytest.fixture
def write_sweep(tmp_path):
    """Write a sweep file next to a copy of fig5_macro.yaml; returns its path."""
    spec = tmp_path / "fig5_macro.yaml"
    spec.write_text(FIG5.read_text())

    def write(body: str, name: str = "sweep.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(body).lstrip("\n"))
        return path
    return write

