"""Resolved design: the frozen, fully evaluated form of a spec.

A :class:`Design` is what every later stage (mapper, energy model, DSE)
consumes. All variables and expressions are evaluated, attributes inherited
from enclosing containers are merged in, and every node knows its instance
count. Nothing here refers back to YAML.

Hierarchy semantics (CiMLoop's container hierarchy):

* ``nodes`` is ordered outermost first; a container contains every node
  after it, so the list is a chain of nested levels.
* A node's ``mesh_x * mesh_y`` replicates it and everything after it; the
  spatial fanout it creates sits *just above* the node.
* Per component and tensor (``Inputs``, ``Weights``, ``Outputs``) exactly one
  of ``temporal_reuse`` (stores the tensor across timesteps), ``coalesce``
  (no storage between timesteps, but identical accesses within a timestep
  merge into one parent access), ``no_coalesce`` (pass-through: every access
  from below is an action and is forwarded) holds; a tensor in none of them
  bypasses the component.
* ``spatial_reuse`` of a node with a fanout lists the tensors that may be
  multicast (Inputs, Weights) or spatially reduced (Outputs) across its
  instances; the others are unicast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Mapping

TENSORS: tuple[str, ...] = ("Inputs", "Weights", "Outputs")
#: Problem dims a constraint may name: the einsum dims plus the slice dims
#: X (input slices, indexes Inputs only) and Y (weight slices, Weights only).
PROBLEM_DIMS: tuple[str, ...] = ("N", "G", "C", "M", "R", "S", "P", "Q", "X", "Y")
#: Node attributes the mapper reads itself (:mod:`cimdse.mapping.arch`:
#: capacities, bandwidths, the cycle time), whatever the component model.
MAPPER_ATTRIBUTES: frozenset[str] = frozenset({
    "size", "depth", "width", "datawidth", "read_bandwidth", "write_bandwidth",
    "cycle_seconds"})


def frozen_mapping(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only view of a copy of ``items`` (kept in insertion order)."""
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Location:
    """Where a value came from: file, 1-based line and column, field path."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.file or "<overrides>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


@dataclass(frozen=True)
class FactorConstraint:
    """``dim op value`` on a loop factor, ``op`` one of ``=``, ``<=``, ``>=``."""

    dim: str
    op: str
    value: int

    def allows(self, factor: int) -> bool:
        if self.op == "=":
            return factor == self.value
        if self.op == "<=":
            return factor <= self.value
        return factor >= self.value

    def __str__(self) -> str:
        return f"{self.dim}{self.op}{self.value}"


@dataclass(frozen=True)
class LoopConstraints:
    """Constraints on the temporal loops at a component, or on the spatial
    loops of a node's fanout.

    ``factors``: per-dim factor constraints. ``factors_only``: when not None,
    only these dims may have a factor > 1 here (an empty tuple forbids every
    loop). ``loop_order``: dims listed outermost first; they take the
    innermost positions in that relative order, unlisted dims sit above them.
    ``no_iteration_over``: tensors whose dims must all have factor 1 here.
    ``must_iterate_over``: tensors; dims indexing none of them must be 1.
    """

    factors: tuple[FactorConstraint, ...] = ()
    factors_only: tuple[str, ...] | None = None
    loop_order: tuple[str, ...] = ()
    no_iteration_over: tuple[str, ...] = ()
    must_iterate_over: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self == LoopConstraints()


@dataclass(frozen=True)
class Constraints:
    """All mapping constraints of one node.

    ``max_utilization`` gives, per dim, the factor the node contributes to a
    workload that exactly fills the hardware (CiMLoop's max-utilization run).
    ``min_utilization``: a mapping that uses less than this fraction of the
    node's fanout is rejected (0 = no limit).
    """

    temporal: LoopConstraints = field(default_factory=LoopConstraints)
    spatial: LoopConstraints = field(default_factory=LoopConstraints)
    max_utilization: Mapping[str, int] = field(default_factory=frozen_mapping)
    min_utilization: float = 0.0


@dataclass(frozen=True)
class Node:
    """One resolved node of the hierarchy (a container or a component)."""

    name: str
    kind: str  # "container" | "component"
    cls: str | None  # component model class; None for containers
    attributes: Mapping[str, Any]  # own attributes merged over inherited ones
    mesh_x: int
    mesh_y: int
    temporal_reuse: frozenset[str]
    coalesce: frozenset[str]
    no_coalesce: frozenset[str]
    spatial_reuse: frozenset[str]
    constraints: Constraints
    instances: int  # product of all enclosing meshes and its own
    parents: tuple[str, ...]  # enclosing containers, outermost first
    location: Location
    energy_scale: float = 1.0
    area_scale: float = 1.0
    #: physical copies of a component that share its actions (CiMLoop's
    #: n_instances outside a mesh): multiply its area and its leakage
    copies: float = 1.0
    #: a container whose instances are power-gated when a mapping leaves them
    #: idle (CiMLoop's has_power_gating; see cimdse.mapping.gating)
    power_gated: bool = False

    @property
    def is_container(self) -> bool:
        return self.kind == "container"

    def energy_factor(self, action: str) -> float:
        """Multiplier of the model's pJ per ``action``: ``energy_scale``, and for
        ``leak`` also ``copies`` (copies share the actions but all leak)."""
        return self.energy_scale * (self.copies if action == "leak" else 1.0)

    @property
    def area_factor(self) -> float:
        """Multiplier of the model's area: ``area_scale`` x ``copies``."""
        return self.area_scale * self.copies

    @property
    def is_component(self) -> bool:
        return self.kind == "component"

    @property
    def fanout(self) -> int:
        """Spatial fanout this node creates (its own mesh)."""
        return self.mesh_x * self.mesh_y

    @property
    def tensors(self) -> frozenset[str]:
        """Tensors that act on this component (all but the bypassed ones)."""
        return self.temporal_reuse | self.coalesce | self.no_coalesce

    def bypasses(self, tensor: str) -> bool:
        return tensor not in self.tensors


#: What the mapper minimises, and how it searches (``mapper.metric``, ``mapper.algorithm``).
MAPPER_METRICS: tuple[str, ...] = ("energy", "delay", "edp", "pareto")
MAPPER_ALGORITHMS: tuple[str, ...] = ("exhaustive", "random")


@dataclass(frozen=True)
class MapperSettings:
    """Mapper options of a spec (see ``mapper:`` in the spec reference): the
    one definition of their defaults (:class:`cimdse.mapping.SearchSettings`
    takes them from here)."""

    metric: str = "edp"  # energy | delay | edp | pareto
    algorithm: str = "exhaustive"  # exhaustive | random
    max_evaluations: int = 2_000_000
    timeout_s: float = 60.0
    victory_condition: int = 2000
    seed: int = 0
    #: spatial factors may leave a remainder (residual factorisation: the
    #: loops above run the ceiling, the last pass is partial)
    imperfect_spatial: bool = True


@dataclass(frozen=True)
class SliceCounts:
    """How many slices an operand is cut into before the array sees it: the
    input slices applied one after another (``N_INPUT_SLICES``) and the
    weight slices stored side by side (``N_WEIGHT_SLICES``), for an unsigned
    operand. The mapper gets them as problem dims X and Y (times the signed
    parts of a signed operand)."""

    inputs: int = 1
    weights: int = 1

    #: the spec variables they are read from
    VARIABLES: ClassVar[tuple[str, str]] = ("N_INPUT_SLICES", "N_WEIGHT_SLICES")

    @classmethod
    def from_variables(cls, values: Mapping[str, Any]) -> "SliceCounts":
        x, y = (values.get(name, 1) for name in cls.VARIABLES)
        return cls(int(x), int(y))


@dataclass(frozen=True)
class Design:
    """A fully resolved CiM design."""

    name: str
    variables: Mapping[str, Any]
    nodes: tuple[Node, ...]
    mapper: MapperSettings = field(default_factory=MapperSettings)
    slices: SliceCounts = field(default_factory=SliceCounts)
    source: str | None = None  # the spec file loaded
    overrides: Mapping[str, Any] = field(default_factory=frozen_mapping)
    #: values the models accept only as an extrapolation (e.g. a supply far
    #: from the node's nominal), one sentence each
    notes: tuple[str, ...] = ()

    @property
    def components(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_component)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def fanouts(self) -> tuple[Node, ...]:
        """Nodes that create a spatial fanout > 1, outermost first."""
        return tuple(n for n in self.nodes if n.fanout > 1)
