"""Every CLI command ends cleanly on bad input: exit status 2, one line on
stderr, no traceback. The commands run as a user runs them, in a subprocess."""

from __future__ import annotations

import errno
import subprocess
import sys
from pathlib import Path

import pytest

from cimdse.cli import os_error_text
from cimdse.validation import load_references

REPO = Path(__file__).resolve().parents[1]
QUICKSTART = REPO / "configs" / "sweeps" / "quickstart.yaml"
#: the macros the shipped reference files have rows for, as the error lists them
WITH_ROWS = ", ".join(sorted({r.macro for r in load_references()}))


def cimdse(*args: str, cwd: Path = REPO, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cimdse.cli", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                          timeout=120)


def assert_one_line_error(done: subprocess.CompletedProcess, *expected: str) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.returncode == 2, done.stderr
    assert lines[0].startswith("error: ")
    for text in expected:
        assert text in lines[0]
    return lines[0]


def test_validate_a_macro_without_reference_rows_lists_those_with_rows():
    line = assert_one_line_error(cimdse("validate", "--macro", "isaac_isca_2016"),
                                 "'isaac_isca_2016' has no published reference rows")
    assert line.endswith(f"macros with rows: {WITH_ROWS}")


def test_validate_a_misspelt_macro_suggests_the_nearest_name():
    assert_one_line_error(cimdse("validate", "--macro", "wang_vlsi_202", "--json"),
                          "unknown macro 'wang_vlsi_202'", "did you mean 'wang_vlsi_2022'?",
                          WITH_ROWS)


def test_validate_with_a_missing_reference_table_names_it(tmp_path):
    missing = tmp_path / "figures.csv"
    assert_one_line_error(cimdse("validate", "--references", str(missing)),
                          f"cannot read reference table {missing}", "No such file")


def test_validate_with_a_file_that_is_not_a_reference_table(tmp_path):
    table = tmp_path / "other.csv"
    table.write_text("name,value\nx,1\n")
    assert_one_line_error(cimdse("validate", "--references", str(table)),
                          str(table), "missing column(s) macro, metric")


def test_validate_with_a_bad_reference_value_names_the_row(tmp_path):
    table = tmp_path / "bad.csv"
    table.write_text("macro,metric,reference_value,family,quantity,role\n"
                     "jia_jssc_2020,peak,fast,throughput,tops,prediction\n")
    assert_one_line_error(cimdse("validate", "--references", str(table)),
                          f"{table}: data row 1")


def test_macros_from_a_missing_directory(tmp_path):
    assert_one_line_error(cimdse("macros", "--dir", str(tmp_path / "none")),
                          str(tmp_path / "none"), "is not a directory")


def test_macros_from_a_directory_without_specs(tmp_path):
    assert_one_line_error(cimdse("macros", "--dir", str(tmp_path)), "no macro specs")


def test_evaluate_an_unknown_macro_name_lists_the_shipped_ones():
    assert_one_line_error(cimdse("evaluate", "wang_vlsi", "--json"),
                          "unknown macro 'wang_vlsi'", "wang_vlsi_2022")


def test_accuracy_with_a_layer_out_of_range():
    assert_one_line_error(cimdse("accuracy", "jia_jssc_2020", "--layer", "99"),
                          "--layer 99 out of range: resnet18 has 21 layers")


@pytest.mark.parametrize("option", ["--vectors", "--cols"])
def test_accuracy_with_an_empty_tile(option):
    assert_one_line_error(cimdse("accuracy", "jia_jssc_2020", "--layer", "0", option, "0"),
                          f"{option} must be a positive integer")


def test_sweep_into_an_unwritable_out_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert_one_line_error(cimdse("sweep", str(QUICKSTART), "--trials", "1",
                                 "--out", str(blocker / "results")), str(blocker / "results"))


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_behind_stdout_is_one_line():
    with open("/dev/full", "w") as full:
        done = cimdse("macros", "--json", stdout=full)
    assert_one_line_error(done, "standard output: No space left on device")


def test_os_error_text_names_the_path_or_the_output_options():
    named = OSError(errno.EACCES, "Permission denied", "/results/x")
    assert os_error_text(named) == "/results/x: Permission denied"
    anonymous = OSError(errno.ENOSPC, "No space left on device")
    assert os_error_text(anonymous, ["/results/sweep"]).startswith(
        "/results/sweep: No space left on device (free some space")
