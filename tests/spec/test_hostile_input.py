"""A spec file, a ``--set`` value and a sweep value are untrusted input: every
hostile one below ends, well within a hang guard, in a located SpecError (file,
line, column, field path) and never runs code or echoes a file it reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import cimdse
from cimdse import encoding
from cimdse.spec import SpecError, parse_set
from cimdse.spec import expressions as ex
from cimdse.spec import yaml_io
from cimdse.textfile import MAX_TEXT_FILE_BYTES

from guards import line_of, time_bound

#: Generous bound that only catches a hang (every case here takes well under 1 s).
HANG_GUARD_S = 10

BASE = """
variables:
  ROWS: 4
arch:
  nodes:
  - !Component
    name: cell
    class: rram_cell
    attributes: {cell_file: rram_example.cell, technology: 22}
    temporal_reuse: [Weights]
"""


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def with_variables(tmp_path: Path, lines: str) -> Path:
    """BASE with ``lines`` (already indented by two) added to its variables."""
    return write(tmp_path, BASE.replace("variables:\n", "variables:\n" + lines, 1))


def located_error(path: Path, **kwargs) -> SpecError:
    with time_bound(HANG_GUARD_S), pytest.raises(SpecError) as info:
        cimdse.load(path, **kwargs)
    return info.value


def test_base_spec_loads(tmp_path):
    assert cimdse.load(write(tmp_path, BASE)).node("cell").cls == "rram_cell"


# ---------------------------------------------------------------- expressions

HUGE = [
    ("((2**4096)**4096)**4096", "power too large"),
    ("pow(pow(2, 4096), 4096)", "power too large"),
    ("2 ** (2 ** 40)", "power too large"),
    ("prod([2**4096] * 100)", "product too large"),
    ("(2**30000) * (2**30000)", "product too large"),
    ("round(5, -10**6)", "round() to -1000000 digits"),
    ("int('9' * 20000)", "integers have at most"),
    ("int('1' * 9000, 2) * 2**30000", "product too large"),
    ("'a' * 100000 + 'a'", "text too large"),
    ("'a' * 10**12", "text too large"),
    ("[0] * 10**6", "list too large"),
    ("sum([[1] * 1000] * 1000, [])", "lists of lists"),
    ("'%0999999999d' % 1", "'%' formatting"),
    ("str([1] * 1000)", "str() takes a number or text"),
    ("float('nan')", "NaN"),
    ("inf - inf", "NaN"),
    ("(-8) ** 0.5", "complex"),
    ("pow(2, 10, 7)", "cannot evaluate"),
    ("abs(" * 160 + "1" + ")" * 160, "nested too deeply"),
    ("-" * 5000 + "1", "nested too deeply"),
    ("1 + " * 3000 + "1", "characters; the limit is"),
    ("+".join(["len('x' * 100000)"] * 30), "operations"),
    ("min(['x' * 50000, 'x' * 50000] * 5000)", "operations"),
]


@pytest.mark.parametrize("expr, words", HUGE)
def test_costly_expression_in_a_variable(tmp_path, expr, words):
    path = with_variables(tmp_path, f"  X: {json.dumps(expr)}\n")
    err = located_error(path)
    assert words in err.message
    assert (err.file, err.line, err.path) == (str(path), line_of(path, "  X: "), "variables.X")


@pytest.mark.parametrize("expr, words", HUGE[:4])
def test_costly_expression_in_an_attribute(tmp_path, expr, words):
    path = write(tmp_path, BASE.replace("technology: 22}", f"technology: {json.dumps(expr)}}}"))
    err = located_error(path)
    assert words in err.message and err.path == "arch.nodes[0].attributes.technology"


@pytest.mark.parametrize("expr, words", HUGE[:3] + HUGE[8:9])
def test_costly_set_value(tmp_path, expr, words):
    err = located_error(write(tmp_path, BASE), overrides=parse_set([f"ROWS={expr}"]))
    assert words in err.message and err.path == "variables.ROWS"


def test_limits_hold_across_variables(tmp_path):
    doubling = "  V0: \"'x' * 1000\"\n" + "".join(
        f"  V{i}: V{i - 1} + V{i - 1}\n" for i in range(1, 30))
    err = located_error(with_variables(tmp_path, doubling))
    assert "text too large" in err.message and err.path == "variables.V7"


def test_long_reference_chain_is_a_located_error(tmp_path):
    # written outermost first, so evaluating V399 walks the whole chain
    chain = "".join(f"  V{i}: V{i - 1} + 1\n" for i in range(399, 0, -1)) + "  V0: 1\n"
    err = located_error(with_variables(tmp_path, chain))
    assert "nested too deeply" in err.message and err.path.startswith("variables.V")


def test_total_work_of_a_spec_is_bounded(tmp_path):
    many = "  L: '[1] * 10000'\n" + "".join(
        f"  S{i}: sum(L) + min(L) + max(L)\n" for i in range(1000))
    err = located_error(with_variables(tmp_path, many))
    assert f"more than {ex.MAX_TOTAL_OPERATIONS} operations together" in err.message


def test_reasonable_expressions_are_not_limited(tmp_path):
    values = cimdse.load(with_variables(tmp_path, textwrap.indent(textwrap.dedent("""
        BIG: 2 ** 4096 // 2 ** 4090
        TEXT: "'ab' * 1000"
        TOTAL: sum([1, 2, 3] * 100)
        PRODUCT: prod([2] * 64)
        ROUNDED: round(1234.5678, 2)
        """), "  "))).variables
    assert values["BIG"] == 64 and len(values["TEXT"]) == 2000
    assert values["TOTAL"] == 600 and values["PRODUCT"] == 2 ** 64
    assert values["ROUNDED"] == 1234.57


def test_nan_literal_is_a_located_error(tmp_path):
    path = with_variables(tmp_path, "  X: .nan\n")
    err = located_error(path)
    assert "NaN" in err.message and err.line == line_of(path, "X: .nan")


# ---------------------------------------------------------------- YAML

def _laughs(name: str, indent: str = "  ") -> str:
    """Nine levels of nine aliases: 9**9 leaves when expanded."""
    lines = [f"{indent}{name}0: &{name}0 [x, x, x, x, x, x, x, x, x]\n"]
    for i in range(1, 10):
        refs = ", ".join([f"*{name}{i - 1}"] * 9)
        lines.append(f"{indent}{name}{i}: &{name}{i} [{refs}]\n")
    return "".join(lines)


def test_alias_bomb_in_variables(tmp_path):
    path = with_variables(tmp_path, _laughs("LOL"))
    err = located_error(path)
    assert f"more than the limit of {yaml_io.MAX_YAML_NODES}" in err.message
    assert err.file == str(path) and err.line is not None and err.column is not None


def test_alias_bomb_as_an_attribute(tmp_path):
    text = "anchors:\n" + _laughs("a") + BASE.replace("technology: 22}", "technology: *a9}")
    err = located_error(write(tmp_path, text))
    assert "aliases counted as copies" in err.message


@pytest.mark.parametrize("open_, close", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting(tmp_path, open_, close):
    path = with_variables(tmp_path, "  X: " + open_ * 2000 + "1" + close * 2000 + "\n")
    err = located_error(path)
    assert f"nested more than {yaml_io.MAX_YAML_DEPTH} levels" in err.message
    assert err.line == line_of(path, "  X: ")


def test_recursive_alias(tmp_path):
    err = located_error(with_variables(tmp_path, "  X: &x [1, *x]\n"))
    assert "recursive YAML alias" in err.message


def test_too_many_nodes(tmp_path):
    items = ", ".join(["1"] * (yaml_io.MAX_YAML_NODES + 10))
    err = located_error(with_variables(tmp_path, f"  X: [{items}]\n"))
    assert f"more than {yaml_io.MAX_YAML_NODES} YAML nodes" in err.message


@pytest.mark.parametrize("value, words", [
    ("2024-01-01", "as a date"),
    ("2024-01-01T10:00:00", "as a date"),
    ("!!binary aGVsbG8=", "!!binary"),
    ("!!set {a, b}", "!!set"),
])
def test_yaml_types_no_field_takes(tmp_path, value, words):
    path = with_variables(tmp_path, f"  X: {value}\n")
    err = located_error(path)
    assert words in err.message and (err.line, err.column) == (line_of(path, "  X: "), 6)


def test_quoted_date_is_text(tmp_path):
    assert cimdse.load(with_variables(tmp_path, "  X: '2024-01-01'\n")).variables["X"] == \
        "2024-01-01"


def test_set_value_is_parsed_under_the_same_limits():
    bomb = "[&a [1,1,1,1,1,1,1,1,1], " + ", ".join(
        f"&{b} [" + ",".join([f"*{a}"] * 9) + "]" for a, b in zip("abcde", "bcdef")) + "]"
    with time_bound(HANG_GUARD_S), pytest.raises(SpecError) as info:
        parse_set([f"X={bomb}"])
    assert info.value.path == "--set X" and "aliases counted as copies" in info.value.message
    with pytest.raises(SpecError, match="as a date") as info:
        parse_set(["X=2024-01-01"])
    assert info.value.path == "--set X"
    assert parse_set(["X=[1, 2]", "Y=a: b: c"]) == {"X": [1, 2], "Y": "a: b: c"}


# ---------------------------------------------------------------- files

@pytest.mark.parametrize("data, words, line, column", [
    ("variables:\n  X: 1\n".encode("utf-16"), "UTF-16", 1, 1),
    (b"variables:\n  X: \x00\x01\x02\n", "binary file", 2, 6),
    ("variables:\n  X: caf\xe9\n".encode("latin-1"), "not UTF-8 text (byte 0xe9", 2, 9),
])
def test_file_that_is_not_utf8_text(tmp_path, data, words, line, column):
    path = tmp_path / "spec.yaml"
    path.write_bytes(data)
    err = located_error(path)
    assert words in err.message and (err.file, err.line, err.column) == (str(path), line, column)


def test_file_over_the_size_cap(tmp_path):
    path = write(tmp_path, "#" + "x" * MAX_TEXT_FILE_BYTES + "\n" + BASE)
    err = located_error(path)
    assert f"more than the limit of {MAX_TEXT_FILE_BYTES} bytes" in err.message


def _fifo(tmp_path: Path, name: str = "fifo") -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / name
    os.mkfifo(path)
    return path


def test_spec_that_is_a_fifo_or_a_directory(tmp_path):
    for path in (_fifo(tmp_path), tmp_path):
        err = located_error(path)
        assert "not a regular file" in err.message or "a directory" in err.message


@pytest.mark.parametrize("target, words", [
    ("/dev/zero", "not a regular file"),
    ("a_dir", "a directory"),
    ("fifo", "not a regular file"),
    ("big.yaml", f"more than the limit of {MAX_TEXT_FILE_BYTES} bytes"),
])
def test_include_must_be_a_regular_file_within_the_cap(tmp_path, target, words):
    if target == "/dev/zero" and not Path(target).exists():
        pytest.skip("no /dev/zero")
    (tmp_path / "a_dir").mkdir()
    _fifo(tmp_path)
    (tmp_path / "big.yaml").write_text("#" * (MAX_TEXT_FILE_BYTES + 1))
    path = write(tmp_path, f"include: [{target}]\n" + BASE)
    err = located_error(path)
    assert words in err.message
    assert (err.file, err.line, err.path) == (str(path), 1, "include[0]")


def test_include_bomb_is_bounded(tmp_path):
    write(tmp_path, "variables: {Y: 1}\n", "leaf.yaml")
    write(tmp_path, "include: [" + ", ".join(["leaf.yaml"] * 20) + "]\n", "mid.yaml")
    path = write(tmp_path, "include: [" + ", ".join(["mid.yaml"] * 20) + "]\n" + BASE)
    err = located_error(path)
    assert f"more than {yaml_io.MAX_INCLUDED_FILES} files" in err.message


# ---------------------------------------------------------------- cell files

def _cell_spec(tmp_path: Path, value: str) -> Path:
    return write(tmp_path, BASE.replace("cell_file: rram_example.cell", f"cell_file: {value}"))


def test_relative_cell_file_is_relative_to_the_spec(tmp_path, monkeypatch):
    spec_dir, elsewhere = tmp_path / "spec", tmp_path / "elsewhere"
    spec_dir.mkdir(), elsewhere.mkdir()
    shipped = Path(encoding.__file__).parent / "components" / "data" / "rram_example.cell"
    (spec_dir / "mine.cell").write_text(shipped.read_text())
    monkeypatch.chdir(elsewhere)
    design = cimdse.load(_cell_spec(spec_dir, "mine.cell"))
    assert design.node("cell").attributes["cell_file"] == str((spec_dir / "mine.cell").resolve())


def test_cell_file_in_the_working_directory_is_not_used(tmp_path, monkeypatch):
    spec_dir, cwd = tmp_path / "spec", tmp_path / "cwd"
    spec_dir.mkdir(), cwd.mkdir()
    (cwd / "mine.cell").write_text("-CellArea (F^2): 40\n")
    monkeypatch.chdir(cwd)
    err = located_error(_cell_spec(spec_dir, "mine.cell"))
    assert "'mine.cell' not found" in err.message
    assert err.path == "arch.nodes[0].attributes.cell_file"


def test_cell_file_contents_are_never_echoed(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:TOP-SECRET:/root:/bin/sh\n")
    path = _cell_spec(tmp_path, json.dumps(f"'{secret}'"))
    err = located_error(path)
    assert "line 1 is not a cell parameter" in err.message and "TOP-SECRET" not in str(err)
    assert (err.line, err.path) == (line_of(path, "cell_file"),
                                    "arch.nodes[0].attributes.cell_file")


@pytest.mark.parametrize("name, words", [
    ("'/dev/zero'", "not a regular file"),
    ("'a_dir'", "a directory"),
    ("big.cell", f"more than the limit of {MAX_TEXT_FILE_BYTES} bytes"),
    ("'/no/such/file.cell'", "file not found"),
])
def test_cell_file_must_be_a_regular_file_within_the_cap(tmp_path, name, words):
    if name == "'/dev/zero'" and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "big.cell").write_text("#" * (MAX_TEXT_FILE_BYTES + 1))
    err = located_error(_cell_spec(tmp_path, json.dumps(name)))
    assert words in err.message and err.path == "arch.nodes[0].attributes.cell_file"


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("value, words", [
    ("true", "must be an encoding name, got a boolean True"),
    ("3", "must be an encoding name, got int 3"),
    ("'sys:exit'", "unknown encoding 'sys:exit'; valid: offset"),
    ("os.system", "never imported from a module path"),
])
def test_encoding_variable_must_name_an_encoding(tmp_path, value, words):
    path = with_variables(tmp_path, f"  INPUT_ENCODING: {value}\n")
    err = located_error(path)
    assert words in err.message
    assert (err.line, err.path) == (line_of(path, "INPUT_ENCODING"), "variables.INPUT_ENCODING")


def test_encoding_from_set_is_never_imported(tmp_path):
    path = with_variables(tmp_path, "  INPUT_ENCODING: offset\n")
    err = located_error(path, overrides=parse_set(["INPUT_ENCODING=sys:exit"]))
    assert "unknown encoding 'sys:exit'" in err.message and "offset_if_signed" in err.message


def test_registered_encoding_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setattr(encoding, "_PLUGINS", {})
    encoding.register_encoding("test_ones", lambda hist: [((1,), 1.0)])
    path = with_variables(tmp_path, "  WEIGHT_ENCODING: test_ones\n")
    assert cimdse.load(path).variables["WEIGHT_ENCODING"] == "test_ones"


@pytest.mark.parametrize("name, value", [("VALUE_RESAMPLE", "exact"),
                                         ("INPUT_POSITION", "true")])
def test_choice_variables(tmp_path, name, value):
    err = located_error(with_variables(tmp_path, f"  {name}: {value}\n"))
    assert f"variable '{name}' must be one of" in err.message


# ---------------------------------------------------------------- the CLI

CLI_CASES = {
    "alias bomb": ("spec", _laughs("LOL"), []),
    "power chain": ("spec", "  X: ((2**4096)**4096)**4096\n", []),
    "encoding sys:exit": ("spec", "  INPUT_ENCODING: offset\n",
                          ["--set", "INPUT_ENCODING=sys:exit"]),
    "include /dev/zero": ("include", "/dev/zero", []),
    "deep nesting": ("spec", "  X: " + "[" * 2000 + "]" * 2000 + "\n", []),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_check_exits_2_with_one_line(tmp_path, case):
    kind, text, args = CLI_CASES[case]
    if kind == "include":
        if not Path(text).exists():
            pytest.skip(f"no {text}")
        path = write(tmp_path, f"include: [{text}]\n" + BASE)
    else:
        path = with_variables(tmp_path, text)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cimdse.cli", "check", str(path), *args],
                          capture_output=True, text=True, timeout=60)
    assert time.monotonic() - start < 60
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert str(path) in lines[0] or "variables." in lines[0], proc.stderr
