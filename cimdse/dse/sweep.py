"""Sweep files: YAML -> a validated :class:`Sweep`.

A sweep file names a base spec (relative to the sweep file), fixed
overrides, the workload(s), the parameters to explore (each bound to a spec
variable, ``NODE.ATTR`` or ``mapper.KEY`` -- exactly the keys
``cimdse.load(path, overrides=...)`` accepts), objectives, constraints, the
Optuna sampler, a seed and a budget. Every problem is a :class:`SpecError`
with file:line:column and the field path, like spec errors::

    name: quickstart
    spec: ../examples/fig5_macro.yaml
    overrides: {VOLTAGE: 1.0}
    workloads: [{name: resnet18, layers: [layer1.0.conv1]}]
    parameters:
      ROWS: {type: categorical, choices: [64, 128, 256]}
      weight_code: {choices: [twos_complement, offset], bind: WEIGHT_ENCODING}
      offset_bits: {type: int, low: 1, high: 4, bind: BITS_PER_CELL,
                    when: "weight_code == 'offset'"}
    objectives: {energy_pj: minimize, latency_s: minimize}
    constraints: ["area_mm2 <= 2"]
    sampler: {name: nsga2, population_size: 8}
    seed: 0
    budget: {trials: 16, wall_time: 10m}
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..spec.errors import SpecError, nearest
from ..spec.expressions import ExpressionError, evaluate as evaluate_expression, names as expression_names, parse as parse_expression
from ..spec.model import Location
from ..spec.resolve import check_keys
from ..spec.yaml_io import IncludeRef, LocDict, LocList, load_yaml_file
from ..metrics import METRIC_NAMES as METRICS
from .fingerprint import files_digest, model_fingerprint, named_files, workload_files

TOP_KEYS = ("name", "description", "spec", "overrides", "workload", "workloads", "parameters",
            "objectives", "constraints", "sampler", "seed", "budget", "execution")
PARAM_KEYS = ("type", "low", "high", "step", "log", "choices", "bind", "when", "description")
PARAM_TYPES = ("int", "float", "categorical")
WORKLOAD_KEYS = ("name", "layers", "batch", "seq_len")
BUDGET_KEYS = ("trials", "wall_time")
EXECUTION_KEYS = ("batch", "chunk", "max_retries", "flush_rows", "flush_seconds", "timeout",
                  "memory_limit")
SAMPLERS = ("tpe", "nsga2", "nsga3", "gp", "random", "qmc", "grid", "bruteforce")
DIRECTIONS = {"minimize": "minimize", "min": "minimize", "maximize": "maximize", "max": "maximize"}
_CONSTRAINT_OPS = {ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">"}
_NAME_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_DURATION_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|sec|m|min|h|hr|d)?\s*$")
_DURATION_UNITS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


@functools.lru_cache(maxsize=1024)
def parsed(text: str) -> ast.Expression:
    """A checked expression tree (cached: constraints and conditions run per design)."""
    return parse_expression(text)


def evaluate_cached(text: str, values: Any) -> Any:
    """Evaluate a sandboxed expression over ``values`` (a mapping)."""
    def lookup(name: str) -> Any:
        if name not in values:
            raise ExpressionError(f"undefined name '{name}'", undefined=name)
        return values[name]
    return evaluate_expression(parsed(text), lookup, text)


def _at(loc: Location, path: str) -> Location:
    return Location(loc.file, loc.line, loc.column, path)


@dataclass(frozen=True)
class Parameter:
    """One swept parameter, bound to an override key of the base spec."""

    name: str
    type: str                      # int | float | categorical
    bind: str
    low: float | int | None = None
    high: float | int | None = None
    step: float | int | None = None
    log: bool = False
    choices: tuple = ()
    when: str | None = None
    location: Location = field(default=Location(), compare=False)

    @property
    def column(self) -> str:
        return f"p.{self.name}"

    def grid_values(self) -> list:
        """Every value this parameter can take (grid/bruteforce samplers)."""
        if self.type == "categorical":
            return list(self.choices)
        if self.step is None:
            raise SpecError(f"parameter '{self.name}' needs 'step' (or 'choices') for an "
                            "exhaustive sampler", self.location)
        if self.type == "int":
            return list(range(int(self.low), int(self.high) + 1, int(self.step)))
        count = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [self.low + i * self.step for i in range(count)]

    def check_values(self) -> list:
        """Values used to check that the binding loads (every choice, or low and high)."""
        return list(self.choices) if self.type == "categorical" else [self.low, self.high]


@dataclass(frozen=True)
class Objective:
    column: str
    direction: str                 # minimize | maximize


@dataclass(frozen=True)
class Constraint:
    """``lhs OP rhs`` over result columns; Optuna value ``<= 0`` means feasible."""

    text: str
    lhs: str
    op: str
    rhs: str
    location: Location = field(default=Location(), compare=False)

    def value(self, record: dict) -> float:
        left = float(evaluate_cached(self.lhs, record))
        right = float(evaluate_cached(self.rhs, record))
        return left - right if self.op in ("<=", "<") else right - left

    def satisfied(self, record: dict) -> bool:
        v = self.value(record)
        return v < 0 if self.op in ("<", ">") else v <= 0


@dataclass(frozen=True)
class WorkloadRef:
    """A workload as plain data: built-in name or file, optional layer filter."""

    name: str
    layers: tuple = ()             # layer names or indices; empty = all
    batch: int = 1
    seq_len: int | None = None
    location: Location = field(default=Location(), compare=False)

    def as_dict(self) -> dict:
        return {"name": self.name, "layers": list(self.layers), "batch": self.batch,
                "seq_len": self.seq_len}

    @property
    def label(self) -> str:
        return self.name if not self.layers else f"{self.name}[{','.join(map(str, self.layers))}]"


@dataclass(frozen=True)
class SamplerConfig:
    name: str
    options: dict = field(default_factory=dict)


#: Default time limit of one design's evaluation (s) and its memory limit (bytes).
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_MEMORY_LIMIT = 8 * 2**30


@dataclass(frozen=True)
class ExecutionConfig:
    batch: int | None = None       # trials per ask/tell batch; None = auto (see runner)
    chunk: int | None = None       # designs per Ray task; None = auto from measured eval time
    max_retries: int = 3
    flush_rows: int = 5000
    flush_seconds: float = 30.0
    timeout: float = DEFAULT_TIMEOUT_S          # per design, s (capped by budget.wall_time)
    memory_limit: int = DEFAULT_MEMORY_LIMIT    # per design, bytes beyond the worker's own


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file."""

    name: str
    spec_path: Path
    overrides: dict
    workloads: tuple[WorkloadRef, ...]
    parameters: tuple[Parameter, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    sampler: SamplerConfig = SamplerConfig("tpe")
    seed: int = 0
    trials: int = 100
    wall_time_s: float | None = None
    execution: ExecutionConfig = ExecutionConfig()
    description: str = ""
    source: str | None = None
    text: str = ""                 # the sweep file as written (copied into the results dir)

    @property
    def spec_hash(self) -> str:
        """Hash of everything a design's rows depend on beyond its overrides
        (part of every design_id, see :mod:`.fingerprint`): the cimdse version
        and its component data, the base spec, its includes and composed
        levels, every file those or the sweep's values name, and the workload
        files. Editing any of them gives new ids, so no stale row is reused."""
        h = hashlib.blake2b(digest_size=16)
        h.update(model_fingerprint().encode())
        specs = [*spec_files(self.spec_path), *self._composed_files()]
        for path in specs:
            h.update(path.read_bytes())
        h.update(files_digest(named_files(self._named_values(specs))).encode())
        for w in self.workloads:
            h.update(files_digest(workload_files(w.name)).encode())
        return h.hexdigest()

    def _named_values(self, specs: list[Path]) -> list[tuple[Path, Any]]:
        """(directory, data) of every spec file and of the sweep's values."""
        out: list[tuple[Path, Any]] = []
        for path in specs:
            try:
                out.append((path.parent, load_yaml_file(path)))
            except SpecError:
                continue
        values = [*self.overrides.values(), *(p.choices or () for p in self.parameters)]
        out.append((self.spec_path.parent, values))
        return out

    def _composed_files(self) -> list[Path]:
        """Files of the system / chip / tile levels the sweep may compose in
        (fixed ``compose.*`` overrides and every choice of a parameter bound
        to one), with their includes."""
        from ..spec.compose import COMPOSE_PREFIX, LEVELS, level_path, split_compose
        try:
            values: list[tuple[str, Any]] = list(split_compose(self.overrides)[1].items())
        except SpecError:
            values = []             # an unknown compose key: reported when a design loads
        for p in self.parameters:
            if p.bind.startswith(COMPOSE_PREFIX):
                values.extend((p.bind[len(COMPOSE_PREFIX):], c) for c in p.choices or ())
        out: list[Path] = []
        for level, value in values:
            if level not in LEVELS:
                continue
            try:
                path = level_path(level, value, self.spec_path.parent)
            except SpecError:
                continue            # reported when the design is loaded
            if path is not None:
                out.extend(spec_files(path))
        return out

    @property
    def directions(self) -> list[str]:
        return [o.direction for o in self.objectives]

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)


def spec_files(path: Path, _seen: tuple[Path, ...] = ()) -> list[Path]:
    """The spec file and, recursively, its ``include:`` files (in include order)."""
    path = Path(path).resolve()
    if path in _seen:
        return []
    out = [path]
    try:
        data = load_yaml_file(path)
    except SpecError:
        return out
    includes = data.get("include") if isinstance(data, dict) else None
    if isinstance(includes, str):
        includes = [includes]
    for item in [*(includes or []), *_node_includes(data)]:
        target = path.parent / str(item)
        if target.exists():
            out.extend(spec_files(target, (*_seen, path)))
    return out


def _node_includes(data: Any) -> list[str]:
    """Targets of the ``!Include FILE`` items of ``arch.nodes``."""
    arch = data.get("arch") if isinstance(data, dict) else None
    nodes = arch.get("nodes") if isinstance(arch, dict) else None
    return [n.target for n in nodes or [] if isinstance(n, IncludeRef)]


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
    spec_value = root["spec"]
    if not isinstance(spec_value, str):
        raise SpecError("'spec' must be a path to a spec file (relative to this sweep file)",
                        _at(root.loc("spec"), "spec"))
    spec_path = (path.parent / spec_value).resolve()
    if not spec_path.is_file():
        raise SpecError(f"spec file not found: {spec_value} (looked for {spec_path})",
                        _at(root.loc("spec"), "spec"))
    overrides = _overrides(root)
    workloads = _workloads(root)
    params = _parameters(root)
    objectives = _objectives(root)
    constraints = _constraints(root)
    sampler = _sampler(root, params)
    seed = _int(root, "seed", 0, minimum=0)
    trials, wall = _budget(root)
    execution = _execution(root)
    name = root.get("name", path.stem)
    if not isinstance(name, str) or not re.match(r"^[\w.-]+$", name):
        raise SpecError(f"'name' must be a simple name (letters, digits, _ . -), got {name!r}",
                        _at(root.loc("name"), "name"))
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
    return Sweep(name=name, spec_path=spec_path, overrides=overrides, workloads=workloads,
                 parameters=params, objectives=objectives, constraints=constraints,
                 sampler=sampler, seed=seed, trials=trials, wall_time_s=wall, execution=execution,
                 description=str(root.get("description", "")), source=str(path), text=text)


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
        if not _is_builtin(name):
            name = str((Path(root.where.file or ".").parent / name).resolve()) \
                if (Path(root.where.file or ".").parent / name).exists() else name
        out.append(WorkloadRef(name, tuple(layers), batch, seq_len, _at(loc, path)))
    return tuple(out)


def _is_builtin(name: str) -> bool:
    try:
        from ..workload.networks import canonical_name
    except ImportError:  # pragma: no cover
        return True
    return canonical_name(name) is not None


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
    kind = raw.get("type")
    if kind is None:
        kind = "categorical" if "choices" in raw else (
            "int" if all(isinstance(raw.get(k), int) and not isinstance(raw.get(k), bool)
                         for k in ("low", "high")) else "float")
    if kind not in PARAM_TYPES:
        raise SpecError(f"unknown parameter type {kind!r}; choose one of {', '.join(PARAM_TYPES)}",
                        _at(raw.loc("type"), f"{path}.type"), suggestion=nearest(str(kind), PARAM_TYPES))
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
        return Parameter(name, kind, bind, choices=tuple(choices), when=when, location=where)
    if "choices" in raw:
        raise SpecError(f"'choices' needs type categorical (this one is {kind})",
                        _at(raw.key_loc("choices"), f"{path}.choices"))
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
    return Parameter(name, kind, bind, bounds["low"], bounds["high"], bounds.get("step"), log,
                     when=when, location=where)


def _number(value: Any) -> Any:
    """YAML 1.1 reads ``1e3`` as text: accept numeric text for numbers."""
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f.is_integer() and re.match(r"^[+-]?\d+$", value.strip()) else f
    return value


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


def _objectives(root: LocDict) -> tuple[Objective, ...]:
    raw = root["objectives"]
    items: list[tuple[str, str, Location, str]] = []
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
    out = []
    for col, direction, loc, path in items:
        _check_column(col, _at(loc, path))
        if direction not in DIRECTIONS:
            raise SpecError(f"direction must be minimize or maximize, got {direction!r}",
                            _at(loc, path), suggestion=nearest(str(direction), DIRECTIONS))
        out.append(Objective(col, DIRECTIONS[direction]))
    if len({o.column for o in out}) != len(out):
        raise SpecError("an objective is listed twice", _at(root.loc("objectives"), "objectives"))
    return tuple(out)


def _check_column(col: Any, where: Location) -> None:
    if not isinstance(col, str) or not (col in METRICS or re.match(r"^e\.\w+$", col)):
        raise SpecError(f"unknown result column {col!r}; columns: {', '.join(METRICS)}, "
                        "e.<component>", where, suggestion=nearest(str(col), METRICS))


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
        for p in params:
            if name == "grid" and p.when is not None:
                raise SpecError("the grid sampler cannot handle conditional parameters; use "
                                "sampler: bruteforce", _at(p.location, f"parameters.{p.name}.when"))
            if p.type == "float" and p.step is None:
                raise SpecError(f"sampler {name} needs 'step' on float parameter '{p.name}'",
                                _at(p.location, f"parameters.{p.name}"))
    return SamplerConfig(name, options)


def sampler_options(name: str) -> list[str]:
    """Constructor options a sweep file may pass to a sampler (seed is set by the sweep)."""
    import optuna
    cls = {"tpe": optuna.samplers.TPESampler, "nsga2": optuna.samplers.NSGAIISampler,
           "nsga3": optuna.samplers.NSGAIIISampler, "gp": optuna.samplers.GPSampler,
           "random": optuna.samplers.RandomSampler, "qmc": optuna.samplers.QMCSampler,
           "grid": optuna.samplers.GridSampler, "bruteforce": optuna.samplers.BruteForceSampler}[name]
    skip = {"self", "seed", "search_space", "constraints_func", "independent_sampler",
            "mutation", "crossover", "elite_population_selection_strategy",
            "child_generation_strategy", "after_trial_strategy", "gamma", "weights"}
    return [p for p in inspect.signature(cls).parameters if p not in skip]


def _int(section: LocDict, key: str, default: int, minimum: int | None = None,
         path: str | None = None) -> int:
    value = section.get(key, default)
    where = _at(section.loc(key), path or key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"'{key}' must be an integer, got {value!r}", where)
    if minimum is not None and value < minimum:
        raise SpecError(f"'{key}' must be >= {minimum}, got {value}", where)
    return value


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"10m"``, ``"2h"`` -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _DURATION_RE.match(str(value))
    if not m:
        raise ValueError(f"bad duration {value!r}; write e.g. 90, 90s, 10m, 2h")
    return float(m.group(1)) * _DURATION_UNITS[m.group(2)]


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
            try:
                values[key] = parse_duration(section[key])
            except ValueError as err:
                raise SpecError(str(err), _at(section.loc(key), f"execution.{key}")) from None
            if not (0 <= values[key] if key == "flush_seconds" else 0 < values[key]) \
                    or not math.isfinite(values[key]):
                raise SpecError(f"'{key}' must be a finite duration (timeout > 0), got "
                                f"{section[key]!r}", _at(section.loc(key), f"execution.{key}"))
    if "memory_limit" in section:
        try:
            values["memory_limit"] = parse_size(section["memory_limit"])
        except ValueError as err:
            raise SpecError(str(err), _at(section.loc("memory_limit"),
                                          "execution.memory_limit")) from None
    return ExecutionConfig(**values)


_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
               "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


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


def check_workloads(sweep: Sweep) -> None:
    """Build every workload (with its layer filter) once, so a misspelt network or
    layer fails at the sweep file's line instead of in every design."""
    import json
    from ..errors import CimdseError
    from .evaluation import _network, is_max_utilization
    for w in sweep.workloads:
        if is_max_utilization(w.as_dict()):
            if w.as_dict().get("layers"):
                raise SpecError("workload max_utilization is one layer built per design; "
                                "it takes no 'layers'", w.location)
            continue
        try:
            _network(json.dumps(w.as_dict(), sort_keys=True))
        except CimdseError as err:
            raise SpecError(str(err), w.location) from None


def check_bindings(sweep: Sweep) -> None:
    """Load the base spec with the fixed overrides and each parameter's binding set
    to a representative value, so bad bindings fail before any design is evaluated.
    A failing binding is reported at the parameter's line in the sweep file."""
    from ..spec import load
    try:
        load(sweep.spec_path, sweep.overrides)
    except SpecError as err:
        raise SpecError(f"base spec with the fixed overrides does not load: {err}",
                        Location(sweep.source, None, None, "overrides")) from None
    for p in sweep.parameters:
        for value in p.check_values():
            overrides = dict(sweep.overrides)
            overrides[p.bind] = value
            try:
                load(sweep.spec_path, overrides)
            except SpecError as err:
                raise SpecError(f"binding '{p.bind}' = {value!r} does not load: "
                                f"{err.message}", _at(p.location, f"parameters.{p.name}.bind"),
                                suggestion=err.suggestion) from None
