"""The mapper's view of a design: loop slots, levels and per-tensor chains.

Modelling decisions (the semantics every evaluator in this package follows):

* **Levels** are the enabled components of the :class:`~cimdse.spec.model.Design`,
  outermost first. Containers are not levels. An implicit, zero-cost
  **backing store** (:data:`BACKING`) sits above the first node and holds
  every tensor; it is never reported as a component.
* **Slots.** The loop nest is a list of slots, outermost first: the
  backing store's temporal slot, then per node in order: a *spatial* slot if
  the node's mesh ``mesh_x * mesh_y`` is > 1 (the fanout sits just above the
  node), then a *temporal* slot if the node is a component that keeps
  (``temporal_reuse``) at least one tensor.
  Components that only coalesce, pass through or bypass have no temporal
  loops of their own.
* A level's **position** ``p`` splits the slots: slots ``>= p`` form its tile
  (its own temporal loops are inside it), temporal slots ``< p`` are the
  loops above it, spatial slots ``< p`` replicate it.
* **Per tensor chain**: the backing store, then every component the tensor
  does not bypass, with mode ``keep`` (temporal_reuse), ``coalesce`` or
  ``pass`` (no_coalesce), then the compute (one MAC per iteration point,
  tile = one point) at position ``len(slots)``.
* **Spatial fit**: each spatial loop of a slot goes whole to the mesh's X
  or Y axis; some split must give products <= ``mesh_x`` and <= ``mesh_y``
  (a 1-D mesh just bounds the product).
* **Capacity** (elements) of a keeping level: attribute ``size`` if given,
  else ``depth * width / datawidth`` when ``depth`` and ``width`` are given
  (``datawidth`` defaults to 1, CiMLoop's bit-per-element convention), else
  unlimited. The tiles of all kept tensors must fit together.
* **Bandwidth**: ``read_bandwidth`` / ``write_bandwidth`` in elements per
  cycle per instance (absent = unlimited). ``read`` actions use the read
  bandwidth, ``write`` and ``update`` actions the write bandwidth.
* **Power gating**: a container with ``power_gated: true`` makes each of
  its instances a domain that leaks only when the mapping uses it
  (:mod:`.gating`); a level records the innermost such container.
* **Cycle time**: the last component's (inherited) ``cycle_seconds``
  attribute, default 1 ns.
* **Constraints**: a component's ``constraints.temporal`` apply to its
  temporal slot, a node's ``constraints.spatial`` to its spatial slot.
  Temporal constraints on containers or on components without a temporal
  slot are ignored (logged at debug level). ``min_utilization`` of a node
  with a fanout bounds the used fraction of that fanout.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field

import numpy as np

from cimdse.spec.model import Design, LoopConstraints, Node, TENSORS

from .errors import MappingError

log = logging.getLogger(__name__)

BACKING = "<backing store>"
COMPUTE = "<compute>"
DEFAULT_CYCLE_SECONDS = 1e-9


@dataclass(frozen=True)
class Slot:
    """One group of loops: temporal (at a level) or spatial (a node's fanout)."""

    kind: str  # "temporal" | "spatial"
    node: str  # owner node name (BACKING for the backing store's slot)
    limit: int = 0  # spatial fanout of the hardware (0 for temporal slots)
    mesh: tuple[int, int] = (1, 1)  # (mesh_x, mesh_y) of a spatial slot
    constraints: LoopConstraints = field(default_factory=LoopConstraints)
    reuse: frozenset[str] = frozenset()  # spatial: tensors multicast / reduced
    min_utilization: float = 0.0

    @property
    def is_spatial(self) -> bool:
        return self.kind == "spatial"


@dataclass(frozen=True)
class Level:
    """A component as the mapper sees it."""

    name: str
    position: int
    temporal_slot: int | None
    modes: tuple[tuple[str, str], ...]  # (tensor, keep|coalesce|pass)
    capacity: float | None
    read_bandwidth: float | None
    write_bandwidth: float | None
    instances: int  # hardware instances
    #: slot position below the innermost power-gated container holding this
    #: level (None: not gated) and that container's instances (its domains)
    gate_position: int | None = None
    gate_instances: int = 1

    def mode(self, tensor: str) -> str | None:
        return dict(self.modes).get(tensor)


@dataclass(frozen=True)
class Member:
    """One element of a tensor's chain (outermost first)."""

    name: str  # component name, BACKING or COMPUTE
    mode: str  # keep | coalesce | pass | compute
    position: int


@dataclass(frozen=True)
class Arch:
    """Slots, levels and chains derived from a Design (mapping-independent)."""

    slots: tuple[Slot, ...]
    levels: tuple[Level, ...]
    chains: tuple[tuple[str, tuple[Member, ...]], ...]
    compute: str  # the last component (charged the compute actions)
    compute_instances: int
    cycle_seconds: float

    def chain(self, tensor: str) -> tuple[Member, ...]:
        return dict(self.chains)[tensor]

    @property
    def temporal_slots(self) -> tuple[int, ...]:
        return tuple(i for i, s in enumerate(self.slots) if not s.is_spatial)

    @property
    def spatial_slots(self) -> tuple[int, ...]:
        return tuple(i for i, s in enumerate(self.slots) if s.is_spatial)

    def level(self, name: str) -> Level:
        for lv in self.levels:
            if lv.name == name:
                return lv
        raise KeyError(name)

    def describe_slot(self, i: int) -> str:
        s = self.slots[i]
        where = "the backing store" if s.node == BACKING else f"'{s.node}'"
        return f"{s.kind} loops of {where}"


def capacity_of(node: Node) -> float | None:
    """Capacity in elements from ``size`` or ``depth * width / datawidth``."""
    a = node.attributes
    if a.get("size") is not None:
        return float(a["size"])
    if a.get("depth") is not None and a.get("width") is not None:
        return float(a["depth"]) * float(a["width"]) / float(a.get("datawidth", 1) or 1)
    return None


def _bandwidth(node: Node, key: str) -> float | None:
    value = node.attributes.get(key)
    if value is None:
        return None
    if float(value) <= 0:
        raise MappingError(f"component '{node.name}': {key} must be > 0, got {value!r}")
    return float(value)


def _modes(node: Node) -> tuple[tuple[str, str], ...]:
    out = []
    for t in TENSORS:
        if t in node.temporal_reuse:
            out.append((t, "keep"))
        elif t in node.coalesce:
            out.append((t, "coalesce"))
        elif t in node.no_coalesce:
            out.append((t, "pass"))
    return tuple(out)


def build_arch(design: Design) -> Arch:
    """Slots, levels and tensor chains of ``design`` (see module docstring)."""
    components = design.components
    if not components:
        raise MappingError(f"design '{design.name}' has no component")
    slots: list[Slot] = [Slot("temporal", BACKING)]
    levels: list[Level] = []
    gates: dict[str, tuple[int, int]] = {}  # gated container -> (position, instances)
    for node in design.nodes:
        if node.fanout > 1:
            slots.append(Slot("spatial", node.name, node.fanout, (node.mesh_x, node.mesh_y),
                              node.constraints.spatial, frozenset(node.spatial_reuse),
                              float(node.constraints.min_utilization or 0.0)))
        elif not node.constraints.spatial.is_empty:
            log.debug("node %s has spatial constraints but no fanout; ignored", node.name)
        if node.is_container:
            _note_ignored_temporal(node)
            if node.power_gated:
                gates[node.name] = (len(slots), node.instances)
            continue
        levels.append(_level(node, slots, _gate_of(node, gates)))
    chains = tuple((t, _chain(t, levels, len(slots))) for t in TENSORS)
    last = components[-1]
    cycle = float(last.attributes.get("cycle_seconds", DEFAULT_CYCLE_SECONDS))
    return Arch(tuple(slots), tuple(levels), chains, last.name, last.instances, cycle)


def _gate_of(node: Node, gates: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    """(position, instances) of the innermost power-gated container holding node."""
    inner = [gates[p] for p in node.parents if p in gates]
    return inner[-1] if inner else None


def _level(node: Node, slots: list[Slot], gate: tuple[int, int] | None = None) -> Level:
    modes = _modes(node)
    position = len(slots)
    temporal = None
    if node.temporal_reuse:
        temporal = len(slots)
        slots.append(Slot("temporal", node.name, constraints=node.constraints.temporal))
    else:
        _note_ignored_temporal(node)
    cap = capacity_of(node) if node.temporal_reuse else None
    gate_position, gate_instances = gate if gate is not None else (None, 1)
    return Level(node.name, position, temporal, modes, cap,
                 _bandwidth(node, "read_bandwidth"), _bandwidth(node, "write_bandwidth"),
                 node.instances, gate_position, gate_instances)


def _note_ignored_temporal(node: Node) -> None:
    if not node.constraints.temporal.is_empty:
        log.debug("node %s has temporal constraints but no temporal loops; ignored",
                  node.name)


def _chain(tensor: str, levels: list[Level], n_slots: int) -> tuple[Member, ...]:
    members = [Member(BACKING, "keep", 0)]
    for lv in levels:
        mode = lv.mode(tensor)
        if mode is not None:
            members.append(Member(lv.name, mode, lv.position))
    members.append(Member(COMPUTE, "compute", n_slots))
    return tuple(members)


def fits_mesh(factors, mesh: tuple[int, int]) -> bool:
    """Whether spatial loop factors fit a mesh: each loop goes whole to X or
    Y; the X loops' product must be <= mesh_x and the Y loops' <= mesh_y."""
    mx, my = mesh
    live = [f for f in factors if f > 1]
    total = math.prod(live)
    if mx == 1 or my == 1:
        return total <= mx * my
    return any(math.prod(c) <= mx and total // math.prod(c) <= my
               for k in range(len(live) + 1) for c in itertools.combinations(live, k))


def fits_mesh_batch(f: np.ndarray, mesh: tuple[int, int]) -> np.ndarray:
    """:func:`fits_mesh` for factor rows ``f[B, dims]`` (log-space subset sums;
    integer products differ by >= 1, so the 1e-9 tolerance is exact)."""
    mx, my = mesh
    total = np.prod(f, axis=1)
    ok = total <= max(mx, my)  # everything on the larger axis
    if mx == 1 or my == 1:
        return total <= mx * my
    hard = np.flatnonzero(~ok & (total <= mx * my))
    if len(hard) == 0:
        return ok
    g = f[hard]
    live = np.flatnonzero((g > 1).any(axis=0))
    logf = np.log(g[:, live].astype(np.float64))
    masks = ((np.arange(2 ** len(live))[:, None] >> np.arange(len(live))) & 1)
    log_x = np.einsum("bk,mk->bm", logf, masks.astype(np.float64))  # no BLAS threads
    log_y = np.log(total[hard].astype(np.float64))[:, None] - log_x
    fit = (log_x <= np.log(mx) + 1e-9) & (log_y <= np.log(my) + 1e-9)
    ok[hard] = fit.any(axis=1)
    return ok


__all__ = ["Arch", "Slot", "Level", "Member", "build_arch", "capacity_of", "fits_mesh",
           "fits_mesh_batch", "BACKING", "COMPUTE"]
