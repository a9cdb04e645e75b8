"""Acceptance test of the hostile inputs the input-hardening issue lists:
each, run through the ``cimdse`` command in a child process capped at 1 GiB
of heap, exits 2 with one located ``error:`` line (or, for a valid input at
the edge of its range, a finite result), never a traceback.

The table lives in ``experiments/hostile_inputs.py`` and is shared with
``experiments/check_hostile_inputs.py``, which reports each case's wall time
and peak memory against the issue's 10 s / 1 GB bound. Here the timeout only
guards against a hang (CI machines are loaded); the wall time of each case is
recorded as the test's ``wall_s`` property (``--junitxml`` reports it).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HANG_GUARD_S = 30.0


def _table():
    sys.path.insert(0, str(REPO / "experiments"))
    try:
        return importlib.import_module("hostile_inputs")
    finally:
        sys.path.pop(0)


hostile = _table()
CASES = hostile.cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_ends_cleanly(case, tmp_path, record_property):
    outcome = hostile.run_case(case, tmp_path, timeout_s=HANG_GUARD_S)
    record_property("wall_s", round(outcome.wall_s, 3))
    assert hostile.problems(case, outcome, tmp_path) == [], hostile.describe(outcome)


def test_case_names_are_unique():
    assert len({c.name for c in CASES}) == len(CASES)


def test_every_shipped_macro_has_a_voltage_case():
    macros = {p.stem for p in (REPO / "configs" / "macros").glob("*.yaml")}
    assert macros and macros <= {c.name.removeprefix("VOLTAGE=50 on ") for c in CASES}


# ---------------------------------------------------------- the checker itself

ERROR_CASE = hostile.Case("x", ("check", "{dir}/spec.yaml"), "{dir}/spec.yaml:3:", "too large")


def _outcome(returncode=2, stdout="", stderr="", wall_s=0.5):
    return hostile.Outcome(returncode, stdout, stderr, wall_s, 0)


def test_checker_accepts_one_located_line(tmp_path):
    line = f"error: {tmp_path}/spec.yaml:3:9: variables.X: power too large\n"
    assert hostile.problems(ERROR_CASE, _outcome(stderr=line), tmp_path) == []


@pytest.mark.parametrize("outcome, problem", [
    (_outcome(returncode=None, wall_s=31.0), "still running"),
    (_outcome(returncode=1, stderr="Traceback (most recent call last):\n  ...\n"),
     "traceback"),
    (_outcome(stderr="error: {dir}/spec.yaml:3:9: too large\nerror: again\n"), "2 stderr lines"),
    (_outcome(stderr="error: {dir}/spec.yaml:4:1: too large\n"), "location"),
    (_outcome(stderr="error: too large ({dir}/spec.yaml:3:)\n"), "file:line:column"),
    (_outcome(stderr="error: {dir}/spec.yaml:3:1: bad\n"), "'too large' not in"),
    (_outcome(returncode=0, stdout="energy: nan pJ\n",
              stderr="error: {dir}/spec.yaml:3:1: too large\n"), "NaN or infinity"),
])
def test_checker_flags_what_the_issue_forbids(tmp_path, outcome, problem):
    outcome = hostile.Outcome(outcome.returncode, outcome.stdout,
                              outcome.stderr.replace("{dir}", str(tmp_path)), outcome.wall_s, 0)
    found = hostile.problems(ERROR_CASE, outcome, tmp_path)
    assert any(problem in p for p in found), found


def test_checker_requires_exit_0_of_a_valid_input(tmp_path):
    valid = hostile.Case("ok", ("evaluate", "x"), succeeds=True)
    assert hostile.problems(valid, _outcome(returncode=0, stdout="energy: 1 pJ"), tmp_path) == []
    assert hostile.problems(valid, _outcome(returncode=2), tmp_path) == [
        "exit status 2, expected 0"]


def test_child_memory_is_capped():
    """The cap is real: a child that asks for more than 1 GiB is refused."""
    child = subprocess.run([sys.executable, "-c", "bytearray(2 << 30)"], capture_output=True,
                           text=True, timeout=HANG_GUARD_S, preexec_fn=hostile.cap_memory)
    assert child.returncode != 0 and "MemoryError" in child.stderr
