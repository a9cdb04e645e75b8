"""What a sweep file says, as frozen dataclasses: the :class:`Sweep` and its
parameters, objectives, constraints, workloads, sampler and execution
settings. :mod:`.parser` builds them from YAML, with located errors::

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

Each parameter is bound to an override key of the base spec (a spec
variable, ``NODE.ATTR`` or ``mapper.KEY``: exactly the keys
``cimdse.load(path, overrides=...)`` accepts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from ..spec.errors import SpecError
from ..spec.model import Location
from .expressions import evaluate_cached
from .fingerprint import context_hash

#: Default time limit of one design's evaluation (s) and its memory limit (bytes).
DEFAULT_TIMEOUT_S = 600.0
DEFAULT_MEMORY_LIMIT = 8 * 2**30


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


@dataclass(frozen=True)
class ExecutionConfig:
    batch: int | None = None       # trials per ask/tell batch; None = auto (see study)
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
        return context_hash(self.spec_path, self.overrides,
                            [(p.bind, p.choices) for p in self.parameters],
                            [w.name for w in self.workloads])

    @property
    def directions(self) -> list[str]:
        return [o.direction for o in self.objectives]

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)
