"""Sweep files: YAML -> a validated :class:`~.schema.Sweep`.

Every problem is a :class:`SpecError` with file:line:column and the field
path, like spec errors. The checks here need only the sweep file; whether
the bindings load and the workloads build is checked by :mod:`.checks`.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from typing import Any

from ..metrics import METRIC_NAMES
from ..spec.errors import SpecError, nearest
from ..spec.expressions import ExpressionError, names as expression_names, parse as parse_expression
from ..spec.model import Location
from ..spec.resolve import check_keys
from ..spec.yaml_io import LocDict, LocList, load_yaml_file
from ..workload.networks import canonical_name
from .samplers import SAMPLERS, sampler_options
from .schema import (Constraint, ExecutionConfig, Objective, Parameter, SamplerConfig, Sweep,
                     WorkloadRef)

TOP_KEYS = ("name", "description", "spec", "overrides", "workload", "workloads", "parameters",
            "objectives", "constraints", "sampler", "seed", "budget", "execution")
PARAM_KEYS = ("type", "low", "high", "step", "log", "choices", "bind", "when", "description")
PARAM_TYPES = ("int", "float", "categorical")
WORKLOAD_KEYS = ("name", "layers", "batch", "seq_len")
BUDGET_KEYS = ("trials", "wall_time")
EXECUTION_KEYS = ("batch", "chunk", "max_retries", "flush_rows", "flush_seconds", "timeout",
                  "memory_limit")
DIRECTIONS = {"minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize"}
_CONSTRAINT_OPS = {ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">"}
_NAME_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|sec|m|min|h|hr|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
               "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


def _at(loc: Location, path: str) -> Location:
    return Location(loc.file, loc.line, loc.column, path)


# ----------------------------------------------------------------- the file

def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; errors are :class:`SpecError` with file:line:path."""
    path = Path(path)
    root = load_yaml_file(path)
    text = path.read_text()
    if not isinstance(root, LocDict):
        raise SpecError("a sweep file must be a mapping at the top level",
                        getattr(root, "where", Location(file=str(path))))
    return parse_sweep(root, path, text)


def parse_sweep(root: LocDict, path: Path, text: str = "") -> Sweep:
    check_keys(root, TOP_KEYS, "")
    for key in ("spec", "parameters", "objectives"):
        if key not in root:
            raise SpecError(f"missing required key '{key}'", _at(root.where, key))
    spec_path = _spec_path(root, path)
    overrides = _overrides(root)
    workloads = _workloads(root)
    params = _parameters(root)
    objectives = read_objectives(root)
    constraints = _constraints(root)
    sampler = _sampler(root, params)
    seed = _int(root, "seed", 0, minimum=0)
    trials, wall = _budget(root)
    execution = _execution(root)
    name = _name(root, path)
    _check_bound_once(params, overrides)
    return Sweep(name=name, spec_path=spec_path, overrides=overrides, workloads=workloads,
                 parameters=params, objectives=objectives, constraints=constraints,
                 sampler=sampler, seed=seed, trials=trials, wall_time_s=wall, execution=execution,
                 description=str(root.get("description", "")), source=str(path), text=text)


def _spec_path(root: LocDict, path: Path) -> Path:
    spec_value = root["spec"]
    if not isinstance(spec_value, str):
        raise SpecError("'spec' must be a path to a spec file (relative to this sweep file)",
                        _at(root.loc("spec"), "spec"))
    spec_path = (path.parent / spec_value).resolve()
    if not spec_path.is_file():
        raise SpecError(f"spec file not found: {spec_value} (looked for {spec_path})",
                        _at(root.loc("spec"), "spec"))
    return spec_path


def _name(root: LocDict, path: Path) -> str:
    name = root.get("name", path.stem)
    if not isinstance(name, str) or not re.match(r"^[\w.-]+$", name):
        raise SpecError(f"'name' must be a simple name (letters, digits, _ . -), got {name!r}",
                        _at(root.loc("name"), "name"))
    return name


def _check_bound_once(params: tuple[Parameter, ...], overrides: dict) -> None:
    """Each override key is set by at most one unconditional parameter, and
    never by both a parameter and a fixed override."""
    bound = {}
    for p in params:
        if p.when is None and p.bind in bound:
            raise SpecError(f"parameters '{bound[p.bind]}' and '{p.name}' both set '{p.bind}' "
                            "unconditionally", _at(p.location, f"parameters.{p.name}.bind"))
        if p.when is None:
            bound[p.bind] = p.name
        if p.bind in overrides:
            raise SpecError(f"'{p.bind}' is both a fixed override and bound by parameter "
                            f"'{p.name}'", _at(p.location, f"parameters.{p.name}.bind"))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _mapping(root: LocDict, key: str, path: str | None = None) -> LocDict:
    value = root[key]
    if not isinstance(value, LocDict):
        raise SpecError(f"'{key}' must be a mapping", _at(root.loc(key), path or key))
    return value


def _int(section: LocDict, key: str, default: int, minimum: int | None = None,
         path: str | None = None) -> int:
    value = section.get(key, default)
    where = _at(section.loc(key), path or key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"'{key}' must be an integer, got {value!r}", where)
    if minimum is not None and value < minimum:
        raise SpecError(f"'{key}' must be >= {minimum}, got {value}", where)
    return value


def _number(value: Any) -> Any:
    """YAML 1.1 reads ``1e3`` as text: accept numeric text for numbers."""
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f.is_integer() and re.match(r"^[+-]?\d+$", value.strip()) else f
    return value


# ----------------------------------------------------------------- overrides, workloads

def _overrides(root: LocDict) -> dict:
    if root.get("overrides") is None:
        return {}
    section = _mapping(root, "overrides")
    for key in section:
        if not isinstance(key, str) or not _NAME_RE.match(key):
            raise SpecError(f"override key {key!r} must be VARIABLE or NODE.ATTR",
                            _at(section.key_loc(key), f"overrides.{key}"))
    return _plain(section)


def _workloads(root: LocDict) -> tuple[WorkloadRef, ...]:
    if "workload" in root and "workloads" in root:
        raise SpecError("give either 'workload' or 'workloads', not both",
                        _at(root.key_loc("workloads"), "workloads"))
    key = "workloads" if "workloads" in root else "workload"
    if key not in root:
        raise SpecError("missing required key 'workloads' (e.g. [resnet18])",
                        _at(root.where, "workloads"))
    raw = root[key]
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise SpecError("'workloads' must name at least one workload", _at(root.loc(key), key))
    out = []
    for i, item in enumerate(items):
        path = f"{key}[{i}]" if isinstance(raw, list) else key
        loc = raw.loc(i) if isinstance(raw, LocList) else root.loc(key)
        if isinstance(item, str):
            out.append(WorkloadRef(item, location=_at(loc, path)))
            continue
        if not isinstance(item, LocDict):
            raise SpecError("a workload is a name or a mapping {name, layers, batch, seq_len}",
                            _at(loc, path))
        out.append(_workload(item, path, _at(loc, path), Path(root.where.file or ".").parent))
    return tuple(out)


def _workload(item: LocDict, path: str, where: Location, directory: Path) -> WorkloadRef:
    """A workload mapping; a name that is no built-in network and names a file
    next to the sweep file becomes that file's absolute path."""
    check_keys(item, WORKLOAD_KEYS, path)
    if not isinstance(item.get("name"), str):
        raise SpecError("a workload needs 'name' (built-in network or workload file)",
                        _at(item.where, f"{path}.name"))
    layers = item.get("layers", [])
    if isinstance(layers, (str, int)):
        layers = [layers]
    if not isinstance(layers, list) or not all(isinstance(x, (str, int)) and
                                               not isinstance(x, bool) for x in layers):
        raise SpecError("'layers' must be a list of layer names or indices",
                        _at(item.loc("layers"), f"{path}.layers"))
    batch = _int(item, "batch", 1, minimum=1, path=f"{path}.batch")
    seq_len = item.get("seq_len")
    if seq_len is not None:
        seq_len = _int(item, "seq_len", 1, minimum=1, path=f"{path}.seq_len")
    name = item["name"]
    if canonical_name(name) is None and (directory / name).exists():
        name = str((directory / name).resolve())
    return WorkloadRef(name, tuple(layers), batch, seq_len, where)


# ----------------------------------------------------------------- parameters

def _parameters(root: LocDict) -> tuple[Parameter, ...]:
    section = _mapping(root, "parameters")
    if not section:
        raise SpecError("'parameters' is empty; list at least one parameter to sweep",
                        _at(root.loc("parameters"), "parameters"))
    out: list[Parameter] = []
    for name, raw in section.items():
        path = f"parameters.{name}"
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise SpecError(f"parameter name {name!r} must be an identifier (dots allowed)",
                            _at(section.key_loc(name), path))
        if isinstance(raw, list):  # shorthand: NAME: [choices]
            fresh = LocDict(choices=raw)
            fresh.where = section.loc(name)
            fresh.value_locs["choices"] = section.loc(name)
            raw = fresh
        if not isinstance(raw, LocDict):
            raise SpecError("a parameter is a mapping {type, low, high, ...} or a list of choices",
                            _at(section.loc(name), path))
        check_keys(raw, PARAM_KEYS, path)
        out.append(_parameter(name, raw, path, [p.name for p in out]))
    return tuple(out)


def _parameter(name: str, raw: LocDict, path: str, earlier: list[str]) -> Parameter:
    where = _at(raw.where, path)
    kind = _kind(raw, path)
    bind = raw.get("bind", name)
    if not isinstance(bind, str) or not _NAME_RE.match(bind):
        raise SpecError(f"'bind' must be VARIABLE, NODE.ATTR or mapper.KEY, got {bind!r}",
                        _at(raw.loc("bind"), f"{path}.bind"))
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise SpecError("'log' must be true or false", _at(raw.loc("log"), f"{path}.log"))
    when = raw.get("when")
    if when is not None:
        when = _condition(raw, path, earlier)
    if kind == "categorical":
        return Parameter(name, kind, bind, choices=_choices(raw, path), when=when, location=where)
    if "choices" in raw:
        raise SpecError(f"'choices' needs type categorical (this one is {kind})",
                        _at(raw.key_loc("choices"), f"{path}.choices"))
    bounds = _bounds(raw, path, kind, log)
    return Parameter(name, kind, bind, bounds["low"], bounds["high"], bounds.get("step"), log,
                     when=when, location=where)


def _kind(raw: LocDict, path: str) -> str:
    """The parameter's type, inferred when not given: categorical with
    ``choices``, else int when both bounds are integers, else float."""
    kind = raw.get("type")
    if kind is None:
        kind = "categorical" if "choices" in raw else (
            "int" if all(isinstance(raw.get(k), int) and not isinstance(raw.get(k), bool)
                         for k in ("low", "high")) else "float")
    if kind not in PARAM_TYPES:
        raise SpecError(f"unknown parameter type {kind!r}; choose one of {', '.join(PARAM_TYPES)}",
                        _at(raw.loc("type"), f"{path}.type"), suggestion=nearest(str(kind), PARAM_TYPES))
    return kind


def _choices(raw: LocDict, path: str) -> tuple:
    for key in ("low", "high", "step", "log"):
        if key in raw:
            raise SpecError(f"'{key}' does not apply to a categorical parameter (use 'choices')",
                            _at(raw.key_loc(key), f"{path}.{key}"))
    choices = raw.get("choices")
    if not isinstance(choices, list) or not choices:
        raise SpecError("a categorical parameter needs a non-empty list 'choices'",
                        _at(raw.loc("choices") if "choices" in raw else raw.where, f"{path}.choices"))
    for i, c in enumerate(choices):
        if not (c is None or isinstance(c, (str, int, float, bool))):
            raise SpecError("choices must be plain scalars (number, string, bool)",
                            _at(choices.loc(i) if isinstance(choices, LocList) else raw.where,
                                f"{path}.choices[{i}]"))
    if len(set(map(repr, choices))) != len(choices):
        raise SpecError("duplicate value in 'choices'", _at(raw.loc("choices"), f"{path}.choices"))
    return tuple(choices)


def _bounds(raw: LocDict, path: str, kind: str, log: bool) -> dict[str, int | float]:
    """``low``, ``high`` and the optional ``step`` of an int or float parameter."""
    bounds = {}
    for key in ("low", "high", "step"):
        value = _number(raw.get(key))
        if value is None:
            if key == "step":
                continue
            raise SpecError(f"a {kind} parameter needs '{key}'", _at(raw.where, f"{path}.{key}"))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (kind == "int" and not float(value).is_integer()):
            raise SpecError(f"'{key}' must be {'an integer' if kind == 'int' else 'a number'}, "
                            f"got {value!r}", _at(raw.loc(key), f"{path}.{key}"))
        bounds[key] = int(value) if kind == "int" else float(value)
    if bounds["low"] > bounds["high"]:
        raise SpecError(f"low ({bounds['low']}) is greater than high ({bounds['high']})",
                        _at(raw.loc("low"), f"{path}.low"))
    if log and bounds["low"] <= 0:
        raise SpecError("a log-scale parameter needs low > 0", _at(raw.loc("low"), f"{path}.low"))
    if "step" in bounds:
        if bounds["step"] <= 0:
            raise SpecError("'step' must be positive", _at(raw.loc("step"), f"{path}.step"))
        if log:
            raise SpecError("'step' and 'log: true' cannot be combined",
                            _at(raw.loc("step"), f"{path}.step"))
    return bounds


def _condition(raw: LocDict, path: str, earlier: list[str]) -> str:
    text = raw["when"]
    where = _at(raw.loc("when"), f"{path}.when")
    if not isinstance(text, str):
        raise SpecError("'when' must be an expression over earlier parameters, e.g. "
                        "\"weight_code == 'offset'\"", where)
    try:
        tree = parse_expression(text)
    except ExpressionError as err:
        raise SpecError(str(err), where) from None
    for n in expression_names(tree):
        if n not in earlier:
            raise SpecError(f"'when' refers to '{n}', which is not a parameter defined above "
                            f"this one (earlier parameters: {', '.join(earlier) or 'none'})",
                            where, suggestion=nearest(n, earlier))
    return text


# ----------------------------------------------------------------- objectives, constraints

def read_objectives(root: LocDict) -> tuple[Objective, ...]:
    """The ``objectives`` of a sweep file's top-level mapping."""
    out = []
    for col, direction, loc, path in _objective_items(root):
        _check_column(col, _at(loc, path))
        if direction not in DIRECTIONS:
            raise SpecError(f"direction must be minimize or maximize, got {direction!r}",
                            _at(loc, path), suggestion=nearest(str(direction), DIRECTIONS))
        out.append(Objective(col, DIRECTIONS[direction]))
    if len({o.column for o in out}) != len(out):
        raise SpecError("an objective is listed twice", _at(root.loc("objectives"), "objectives"))
    return tuple(out)


def _objective_items(root: LocDict) -> list[tuple[Any, Any, Location, str]]:
    """(column, direction, location, path) of each objective as written:
    ``{COLUMN: DIRECTION, ...}`` or a list of ``COLUMN`` / ``{COLUMN: DIRECTION}``."""
    raw = root["objectives"]
    items: list[tuple[Any, Any, Location, str]] = []
    if isinstance(raw, LocDict):
        for col, direction in raw.items():
            items.append((col, direction, raw.key_loc(col), f"objectives.{col}"))
    elif isinstance(raw, LocList):
        for i, item in enumerate(raw):
            if isinstance(item, str):
                items.append((item, "minimize", raw.loc(i), f"objectives[{i}]"))
            elif isinstance(item, LocDict) and len(item) == 1:
                (col, direction), = item.items()
                items.append((col, direction, raw.loc(i), f"objectives[{i}]"))
            else:
                raise SpecError("an objective is COLUMN or {COLUMN: minimize|maximize}",
                                _at(raw.loc(i), f"objectives[{i}]"))
    else:
        raise SpecError("'objectives' must map result columns to minimize/maximize",
                        _at(root.loc("objectives"), "objectives"))
    if not items:
        raise SpecError("'objectives' is empty", _at(root.loc("objectives"), "objectives"))
    return items


def _check_column(col: Any, where: Location) -> None:
    if not isinstance(col, str) or not (col in METRIC_NAMES or re.match(r"^e\.\w+$", col)):
        raise SpecError(f"unknown result column {col!r}; columns: {', '.join(METRIC_NAMES)}, "
                        "e.<component>", where, suggestion=nearest(str(col), METRIC_NAMES))


def _constraints(root: LocDict) -> tuple[Constraint, ...]:
    raw = root.get("constraints")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw_items, locs = [raw], [root.loc("constraints")]
    elif isinstance(raw, LocList):
        raw_items, locs = list(raw), [raw.loc(i) for i in range(len(raw))]
    else:
        raise SpecError("'constraints' must be a list of comparisons like 'area_mm2 <= 2'",
                        _at(root.loc("constraints"), "constraints"))
    out = []
    for i, (text, loc) in enumerate(zip(raw_items, locs)):
        out.append(parse_constraint(text, _at(loc, f"constraints[{i}]")))
    return tuple(out)


def parse_constraint(text: Any, where: Location = Location()) -> Constraint:
    """``"area_mm2 <= 2"`` -> :class:`Constraint` (one of <=, <, >=, >)."""
    if not isinstance(text, str):
        raise SpecError(f"a constraint is a comparison like 'area_mm2 <= 2', got {text!r}", where)
    try:
        tree = parse_expression(text)
    except ExpressionError as err:
        raise SpecError(f"bad constraint: {err}", where) from None
    body = tree.body
    if not (isinstance(body, ast.Compare) and len(body.ops) == 1
            and type(body.ops[0]) in _CONSTRAINT_OPS):
        raise SpecError(f"bad constraint {text!r}: write one comparison 'EXPR <= EXPR' "
                        "(operators <=, <, >=, >)", where)
    for n in expression_names(tree):
        _check_column(n, where)
    seg = ast.get_source_segment
    src = text.strip()
    lhs, rhs = seg(src, body.left), seg(src, body.comparators[0])
    return Constraint(text, lhs, _CONSTRAINT_OPS[type(body.ops[0])], rhs, where)


# ----------------------------------------------------------------- sampler

def _sampler(root: LocDict, params: tuple[Parameter, ...]) -> SamplerConfig:
    raw = root.get("sampler", "tpe")
    loc = root.loc("sampler") if "sampler" in root else root.where
    options: dict = {}
    if isinstance(raw, LocDict):
        if "name" not in raw:
            raise SpecError(f"'sampler' needs 'name' (one of {', '.join(SAMPLERS)})",
                            _at(raw.where, "sampler.name"))
        name = raw["name"]
        loc = raw.loc("name")
        options = {k: _plain(v) for k, v in raw.items() if k != "name"}
        opt_locs = {k: raw.key_loc(k) for k in options}
    else:
        name, opt_locs = raw, {}
    if name not in SAMPLERS:
        raise SpecError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}",
                        _at(loc, "sampler" if not isinstance(raw, LocDict) else "sampler.name"),
                        suggestion=nearest(str(name), SAMPLERS))
    allowed = sampler_options(name)
    for key in options:
        if key not in allowed:
            raise SpecError(f"unknown option '{key}' for sampler {name}; valid: "
                            f"{', '.join(allowed) or 'none'}", _at(opt_locs[key], f"sampler.{key}"),
                            suggestion=nearest(key, allowed))
    if name in ("grid", "bruteforce"):
        _check_exhaustive(name, params)
    return SamplerConfig(name, options)


def _check_exhaustive(name: str, params: tuple[Parameter, ...]) -> None:
    """The grid and brute-force samplers enumerate every value: floats need a step,
    and the grid cannot skip inactive parameters."""
    for p in params:
        if name == "grid" and p.when is not None:
            raise SpecError("the grid sampler cannot handle conditional parameters; use "
                            "sampler: bruteforce", _at(p.location, f"parameters.{p.name}.when"))
        if p.type == "float" and p.step is None:
            raise SpecError(f"sampler {name} needs 'step' on float parameter '{p.name}'",
                            _at(p.location, f"parameters.{p.name}"))


# ----------------------------------------------------------------- budget, execution

def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"10m"``, ``"2h"`` -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _DURATION_RE.match(str(value))
    if not m:
        raise ValueError(f"bad duration {value!r}; write e.g. 90, 90s, 10m, 2h")
    return float(m.group(1)) * _DURATION_UNITS[m.group(2)]


def parse_size(value: Any) -> int:
    """``1073741824``, ``"512MiB"``, ``"4GiB"``, ``"2GB"`` -> bytes (at least 1 MiB)."""
    if isinstance(value, bool):
        raise ValueError(f"bad size {value!r}; write e.g. 512MiB, 4GiB")
    if isinstance(value, (int, float)):
        size = float(value)
    else:
        m = _SIZE_RE.match(str(value))
        if not m:
            raise ValueError(f"bad size {value!r}; write e.g. 512MiB, 4GiB")
        size = float(m.group(1)) * _SIZE_UNITS[m.group(2)]
    if not 2**20 <= size < 2**50:
        raise ValueError(f"size {value!r} is outside 1 MiB .. 1 PiB")
    return int(size)


def _budget(root: LocDict) -> tuple[int, float | None]:
    if root.get("budget") is None:
        return 100, None
    section = _mapping(root, "budget")
    check_keys(section, BUDGET_KEYS, "budget")
    trials = _int(section, "trials", 100, minimum=1, path="budget.trials")
    wall = section.get("wall_time")
    if wall is not None:
        try:
            wall = parse_duration(wall)
        except ValueError as err:
            raise SpecError(str(err), _at(section.loc("wall_time"), "budget.wall_time")) from None
        if not 0 < wall < math.inf:
            raise SpecError(f"'wall_time' must be a positive, finite duration, got "
                            f"{section['wall_time']!r} (omit it for no time budget)",
                            _at(section.loc("wall_time"), "budget.wall_time"))
    return trials, wall


def _execution(root: LocDict) -> ExecutionConfig:
    if root.get("execution") is None:
        return ExecutionConfig()
    section = _mapping(root, "execution")
    check_keys(section, EXECUTION_KEYS, "execution")
    values: dict[str, Any] = {}
    for key in ("batch", "chunk", "max_retries", "flush_rows"):
        if key in section and section[key] is not None:
            values[key] = _int(section, key, 0, minimum=0 if key == "max_retries" else 1,
                               path=f"execution.{key}")
    for key in ("flush_seconds", "timeout"):
        if key in section:
            values[key] = _execution_seconds(section, key)
    if "memory_limit" in section:
        try:
            values["memory_limit"] = parse_size(section["memory_limit"])
        except ValueError as err:
            raise SpecError(str(err), _at(section.loc("memory_limit"),
                                          "execution.memory_limit")) from None
    return ExecutionConfig(**values)


def _execution_seconds(section: LocDict, key: str) -> float:
    """``flush_seconds`` (finite, >= 0) or ``timeout`` (finite, > 0)."""
    where = _at(section.loc(key), f"execution.{key}")
    try:
        seconds = parse_duration(section[key])
    except ValueError as err:
        raise SpecError(str(err), where) from None
    if not (0 <= seconds if key == "flush_seconds" else 0 < seconds) or not math.isfinite(seconds):
        raise SpecError(f"'{key}' must be a finite duration (timeout > 0), got "
                        f"{section[key]!r}", where)
    return seconds
