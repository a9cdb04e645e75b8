"""The rule for shared data: skipped when absent, failed when absent under CI."""

from __future__ import annotations

import pytest

from shared_data import require_shared, running_in_ci


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("yes", True),
                                             ("", False), ("false", False), ("0", False)])
def test_ci_variable_values(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert running_in_ci() is expected


def test_missing_shared_data_fails_under_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must provide it"):
        require_shared(tmp_path / "absent")


def test_missing_shared_data_skips_outside_ci(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="shared data not found"):
        require_shared(tmp_path / "absent")


def test_present_shared_data_is_returned(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    assert require_shared(tmp_path) == tmp_path
