"""The hostile inputs of issue 12 ("Why"), each run as a user runs it: the
``cimdse`` command in a child process with its memory capped.

Every case must end with exit status 2 and exactly one stderr line
``error: <location>: ...`` that names where the problem is (``file:line`` or
the ``--set``/field path), without a traceback and without NaN or infinity
in the output. :func:`run_case` runs one case and returns what happened;
:func:`problems` lists what is wrong with that outcome. The table is shared
by ``experiments/check_hostile_inputs.py`` (wall time and peak memory
against the issue's 10 s / 1 GB bound) and ``tests/test_issue_inputs.py``.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"
QUICKSTART = REPO / "configs" / "sweeps" / "quickstart.yaml"
MACROS = REPO / "configs" / "macros"
WANG = MACROS / "wang_vlsi_2022.yaml"
SPEC = "spec.yaml"          # the name every case's own spec file is written under
SWEEP = "sweep.yaml"

#: The issue's bounds for one input.
TIME_BOUND_S = 10.0
MEMORY_BOUND_BYTES = 1 << 30

_NON_FINITE = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)
_LOCATED = re.compile(r"^error: (?:\S+:\d+:\d+: |<overrides>: )")


@dataclass(frozen=True)
class Case:
    """One hostile input: ``cimdse`` arguments and the files they read.

    ``{dir}`` in ``argv`` and ``where`` stands for the case's working
    directory; ``files`` maps a file name there to its text or bytes.
    ``where`` must appear in the error line and ``words`` in its message;
    the line starts with a ``file:line:column`` or ``<overrides>`` location
    unless ``from_argument`` (the location is a command-line value ``where``
    names). A case that ``succeeds`` (a valid input at the edge of its range)
    must instead exit 0 with finite numbers.
    """

    name: str
    argv: tuple[str, ...]
    where: str = ""
    words: str = ""
    files: dict[str, str | bytes] = field(default_factory=dict)
    succeeds: bool = False
    from_argument: bool = False

    def __post_init__(self):
        if not self.succeeds and not self.where:
            raise ValueError(f"case {self.name!r}: an error case names its location")


@dataclass(frozen=True)
class Outcome:
    returncode: int | None          # None: killed by the timeout
    stdout: str
    stderr: str
    wall_s: float
    peak_rss_bytes: int             # the child's ru_maxrss (0 where unknown)


# ------------------------------------------------------------------ spec texts

def _fig5_text() -> str:
    return FIG5.read_text()


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise ValueError(f"{needle!r} not in the spec text")


def _set_line(text: str, prefix: str, value: str) -> str:
    """``text`` with the first line starting ``prefix`` (e.g. ``'  ROWS:'``)
    given ``value``; the line's comment goes, so the value stands alone."""
    pattern = re.compile(rf"^{re.escape(prefix)} .*$", re.MULTILINE)
    if not pattern.search(text):
        raise ValueError(f"no line starting {prefix!r}")
    return pattern.sub(lambda _: f"{prefix} {value}", text, count=1)


def _spec_case(name: str, prefix: str, value: str, words: str = "") -> Case:
    """Fig. 5 with one line changed; the error must point at that line."""
    text = _set_line(_fig5_text(), prefix, value)
    line = _line_of(text, f"{prefix} {value}".splitlines()[-1])
    return Case(name, ("check", f"{{dir}}/{SPEC}"), f"{{dir}}/{SPEC}:{line}:", words,
                {SPEC: text})


def _variables_case(name: str, lines: str, words: str) -> Case:
    """Fig. 5 with ``lines`` added at the top of its variables; the error
    names the spec file (``words`` names the variable's line or path)."""
    text = _fig5_text().replace("variables:\n", "variables:\n" + lines, 1)
    return Case(name, ("check", f"{{dir}}/{SPEC}"), f"{{dir}}/{SPEC}:", words, {SPEC: text})


def _laughs(name: str, indent: str = "  ") -> str:
    """A billion laughs: nine levels of nine aliases (9**9 leaves expanded)."""
    lines = [f"{indent}{name}0: &{name}0 [x, x, x, x, x, x, x, x, x]\n"]
    for level in range(1, 10):
        refs = ", ".join([f"*{name}{level - 1}"] * 9)
        lines.append(f"{indent}{name}{level}: &{name}{level} [{refs}]\n")
    return "".join(lines)


def _doubling_text(count: int = 40) -> str:
    """String concatenation that doubles per variable (2**40 characters)."""
    return "  S0: \"'x' * 1000\"\n" + "".join(
        f"  S{i}: S{i - 1} + S{i - 1}\n" for i in range(1, count))


def _expression_cases() -> list[Case]:
    bombs = [
        ("power tower", "((2**4096)**4096)**4096", "power too large"),
        ("nested pow", "pow(pow(2, 4096), 4096)", "power too large"),
        ("huge exponent", "2 ** (2 ** 40)", "power too large"),
        ("prod chain", "prod([2**4096] * 100)", "product too large"),
        ("round chain", "round(5, -10**6)", "digits"),
        ("text repeat", "\"'a' * 10**12\"", "text too large"),
        ("percent format width", "\"'%0999999999d' % 1\"", "'%' formatting"),
        ("format() width", "\"format(1, '0999999999d')\"", ""),
        ("str.format width", "\"'{:0999999999d}'.format(1)\"", ""),
    ]
    cases = [_spec_case(f"ROWS: {label}", "  ROWS:", value, words)
             for label, value, words in bombs]
    cases.append(_variables_case("string concatenation chain", _doubling_text(),
                                 "text too large"))
    return cases


def _yaml_cases() -> list[Case]:
    bomb_attribute = "anchors:\n" + _laughs("a") + _set_line(
        _fig5_text(), "      depth:", "*a9")
    nested = "[" * 2000 + "1" + "]" * 2000
    return [
        _variables_case("alias bomb in variables", _laughs("LOL"), "aliases"),
        Case("alias bomb as an attribute", ("check", f"{{dir}}/{SPEC}"), f"{{dir}}/{SPEC}:",
             "aliases", {SPEC: bomb_attribute}),
        _spec_case("2000-deep nesting", "  ROWS:", nested, "nested more than"),
        Case("include /dev/zero", ("check", f"{{dir}}/{SPEC}"), f"{{dir}}/{SPEC}:1:",
             "not a regular file", {SPEC: "include: [/dev/zero]\n" + _fig5_text()}),
        Case("binary spec file", ("check", f"{{dir}}/{SPEC}"), f"{{dir}}/{SPEC}:",
             "binary", {SPEC: _fig5_text().encode()[:200] + b"\x00\x01\x02\xff\xfe" * 50}),
        Case("UTF-16 spec file", ("check", f"{{dir}}/{SPEC}"), f"{{dir}}/{SPEC}:1:",
             "UTF-16", {SPEC: _fig5_text().encode("utf-16")}),
    ]


def _value_cases() -> list[Case]:
    return [
        _spec_case("OUTPUT_BITS: 1e9", "  OUTPUT_BITS:", "1e9", "OUTPUT_BITS"),
        _spec_case("n_adcs: .nan", "      n_adcs:", ".nan", "NaN"),
        _spec_case("ARRAY_COLS: -.inf", "  ARRAY_COLS:", "-.inf", "finite"),
        _spec_case("WEIGHT_BITS: 1e-30", "  WEIGHT_BITS:", "1e-30", "WEIGHT_BITS"),
        _spec_case("a date where a number belongs", "  TECHNOLOGY:", "2024-01-01", "date"),
        _spec_case("INPUT_ENCODING: true", "  INPUT_ENCODING:", "true", "encoding"),
        _spec_case("area_scale: .inf", "    area_scale:", ".inf", "finite"),
        _spec_case("cell_file quoted /etc/passwd", "      r_on:",
                   "10e3\n      cell_file: \"'/etc/passwd'\"", "cell_file"),
        _spec_case("cell_file /etc/passwd", "      r_on:",
                   "10e3\n      cell_file: /etc/passwd", "cell_file"),
    ]


def _wang(name: str, setting: str, words: str) -> Case:
    """``--set`` on the shipped Wang macro: a bad variable is located at the
    override, a bad value a model reads at the line of the attribute."""
    variable = setting.split("=", 1)[0]
    where = f"{WANG}:" if variable in _WANG_READ_BY_A_MODEL else f"<overrides>: variables.{variable}"
    return Case(name, ("evaluate", str(WANG), "--set", setting), where, words)


#: Wang variables whose bad value is found where a node attribute reads it.
_WANG_READ_BY_A_MODEL = ("DAC_UNIT_RESISTANCE", "VOLTAGE")


def _override_cases() -> list[Case]:
    wang = [
        ("ARRAY_ROWS=1e9 on Wang", "ARRAY_ROWS=1e9", "[1, 1048576]"),
        ("OUTPUT_BITS=1e9 on Wang", "OUTPUT_BITS=1e9", "[1, 16]"),
        ("INPUT_BITS_PER_SLICE=.inf on Wang", "INPUT_BITS_PER_SLICE=.inf", "finite"),
        ("DAC_UNIT_RESISTANCE=0 on Wang", "DAC_UNIT_RESISTANCE=0", "ohm"),
        ("ADC_AREA_SCALE=.nan on Wang", "ADC_AREA_SCALE=.nan", "NaN"),
        ("VOLTAGE=5 on Wang", "VOLTAGE=5", "nominal supply at 22 nm"),
    ]
    cases = [_wang(name, setting, words) for name, setting, words in wang]
    cases.append(Case("ARRAY_ROWS=2**20 on Wang (the largest in range)",
                      ("evaluate", str(WANG), "--set", "ARRAY_ROWS=1048576"), succeeds=True))
    fig5 = str(FIG5)
    cases += [
        Case("--set adc.resolutoin=4", ("evaluate", fig5, "--set", "adc.resolutoin=4"),
             "--set adc.resolutoin", "did you mean 'resolution'"),
        Case("--set adc.read_energy=2.5", ("evaluate", fig5, "--set", "adc.read_energy=2.5"),
             "--set adc.read_energy", "read_energy"),
        Case("--set INPUT_ENCODING=sys:exit",
             ("check", fig5, "--set", "INPUT_ENCODING=sys:exit"), "INPUT_ENCODING",
             "unknown encoding 'sys:exit'"),
        Case("--set adc.n_adcs=1e308", ("evaluate", fig5, "--set", "adc.n_adcs=1e308"),
             "n_adcs", "[1, 1048576]"),
    ]
    return cases


def _voltage_cases() -> list[Case]:
    """Every shipped macro; the error is at the line of the first attribute
    that reads VOLTAGE, in the macro or a file it includes."""
    specs = sorted(MACROS.glob("*.yaml")) + [FIG5]
    return [Case(f"VOLTAGE=50 on {spec.stem}", ("evaluate", str(spec), "--set", "VOLTAGE=50"),
                 f"{REPO / 'configs'}/", "nominal supply") for spec in specs]


def _sweep_text(**changes: str) -> str:
    """The quickstart sweep on the shipped Fig. 5 spec with lines replaced
    (``changes``: the prefix of a line -> the text that replaces it)."""
    text = QUICKSTART.read_text().replace("../examples/fig5_macro.yaml", str(FIG5))
    for prefix, new in changes.items():
        text = re.sub(rf"^{re.escape(prefix)}.*$", lambda _: new, text, count=1,
                      flags=re.MULTILINE)
    return text


def _sweep_cases() -> list[Case]:
    argv = ("sweep", f"{{dir}}/{SWEEP}", "--address", "serial", "--no-progress",
            "--out", "{dir}/results")
    typo = _sweep_text(**{"  DAC_BITS:": "  DAC_BITS: {type: categorical, choices: [1, 2, 4]}\n"
                          "  r_on: {type: float, low: 1.0e3, high: 1.0e5, bind: cell.r_onn}"})
    no_time = _sweep_text(**{"  wall_time:": "  wall_time: 0"})
    return [
        Case("sweep bind: cell.r_onn", argv, f"{{dir}}/{SWEEP}:{_line_of(typo, 'r_onn')}:",
             "did you mean 'r_on'", {SWEEP: typo}),
        Case("sweep wall_time: 0", argv, f"{{dir}}/{SWEEP}:{_line_of(no_time, 'wall_time')}:",
             "wall_time", {SWEEP: no_time}),
    ]


def _validate_cases() -> list[Case]:
    return [
        Case("validate --macro isaac_isca_2016", ("validate", "--macro", "isaac_isca_2016"),
             "macro 'isaac_isca_2016'", "no published reference rows", from_argument=True),
        Case("validate --macro typo", ("validate", "--macro", "wang_vlsi_202"),
             "macro 'wang_vlsi_202'", "did you mean 'wang_vlsi_2022'", from_argument=True),
    ]


def cases() -> list[Case]:
    """Every hostile input of the issue, in the order the issue names them."""
    return (_expression_cases() + _yaml_cases() + _value_cases() + _override_cases()
            + _voltage_cases() + _sweep_cases() + _validate_cases())


# ------------------------------------------------------------------ running

def cap_memory() -> None:
    """In the child: at most MEMORY_BOUND_BYTES of heap (RLIMIT_DATA)."""
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_BOUND_BYTES, MEMORY_BOUND_BYTES))


def _materialize(case: Case, workdir: Path) -> list[str]:
    for name, content in case.files.items():
        target = workdir / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return [arg.replace("{dir}", str(workdir)) for arg in case.argv]


def run_case(case: Case, workdir: Path, timeout_s: float) -> Outcome:
    """Run ``cimdse`` on ``case`` in ``workdir`` (a fresh, empty directory)."""
    argv = _materialize(case, workdir)
    out_path, err_path = workdir / ".stdout", workdir / ".stderr"
    start = time.monotonic()
    with out_path.open("w") as out, err_path.open("w") as err:
        child = subprocess.Popen([sys.executable, "-m", "cimdse.cli", *argv], cwd=workdir,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 preexec_fn=cap_memory)
        returncode, rusage = _wait(child, start + timeout_s)
    wall = time.monotonic() - start
    return Outcome(returncode, out_path.read_text(errors="replace"),
                   err_path.read_text(errors="replace"), wall, rusage.ru_maxrss * 1024)


def _wait(child: subprocess.Popen, deadline: float) -> tuple[int | None, resource.struct_rusage]:
    """Reap ``child`` with its own resource usage; kill it at ``deadline``
    (returning None for its status)."""
    killed = False
    while True:
        pid, status, rusage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return (None if killed else child.returncode), rusage
        if time.monotonic() > deadline and not killed:
            child.kill()
            killed = True
        time.sleep(0.01)


def problems(case: Case, outcome: Outcome, workdir: Path) -> list[str]:
    """What is wrong with ``outcome`` (empty when the case ended cleanly)."""
    if outcome.returncode is None:
        return [f"still running after {outcome.wall_s:.1f} s (killed)"]
    found = []
    if "Traceback" in outcome.stderr:
        found.append("traceback on stderr")
    if _NON_FINITE.search(outcome.stdout):
        found.append("NaN or infinity in the output")
    if case.succeeds:
        if outcome.returncode != 0:
            found.append(f"exit status {outcome.returncode}, expected 0")
        return found
    return found + _error_line_problems(case, outcome, workdir)


def _error_line_problems(case: Case, outcome: Outcome, workdir: Path) -> list[str]:
    found = []
    if outcome.returncode != 2:
        found.append(f"exit status {outcome.returncode}, expected 2")
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    if len(lines) != 1:
        found.append(f"{len(lines)} stderr lines, expected 1")
    line = lines[0] if lines else ""
    where = case.where.replace("{dir}", str(workdir))
    if not line.startswith("error: "):
        found.append("stderr does not start with 'error: '")
    elif not case.from_argument and not _LOCATED.match(line):
        found.append("the error line does not start with a file:line:column or <overrides>")
    if where not in line:
        found.append(f"location {where!r} not in the error line")
    if case.words and case.words not in line:
        found.append(f"{case.words!r} not in the error line")
    return found


def describe(outcome: Outcome) -> str:
    """The exit status and the tail of stderr, for a failure message."""
    return json.dumps({"returncode": outcome.returncode, "stderr": outcome.stderr[-2000:]})
