"""Data the suite reads from ``shared/`` beside the checkout.

The profiled CiMLoop workloads are not part of the repository: they live in
``shared/workloads/cimloop/`` next to it. A test that needs shared data gets
it through :func:`require_shared` (or the ``cimloop_workloads`` fixture of
``tests/conftest.py``): without it the test is skipped on a developer's
machine but fails under CI (``CI`` set), where the directory is always
provided, so a missing copy can never pass quietly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CIMLOOP_WORKLOADS = REPO.parent / "shared" / "workloads" / "cimloop"


def running_in_ci() -> bool:
    """Whether the ``CI`` environment variable is set (to anything but a
    false-like value)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_shared(path: Path) -> Path:
    """``path`` if it exists; else fail under CI, skip elsewhere."""
    if path.exists():
        return path
    message = f"shared data not found: {path} (expected beside the checkout)"
    if running_in_ci():
        pytest.fail(message + "; CI must provide it", pytrace=False)
    pytest.skip(message)
