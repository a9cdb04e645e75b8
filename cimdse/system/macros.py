"""The macros of a design: how many, one macro on its own, the weights one
holds, and the network and activation store above them.

The tile levels replicate the macro with the container :data:`MACRO_FANOUT`
(``macro_in_tile``, configs/systems/tile/); its instances are the system's
macros (every mesh above it, tiles, routers, chips, multiplies them). A
design without that container is one macro. Macros are numbered in mesh
order, outermost first (chip, router group, tile, macro in the tile), so
neighbouring numbers share the innermost groups.

Writing weights into a macro takes a row of its array per cycle: the
weight store's instances under the macro's fanouts that share their inputs
(``spatial_reuse`` lists Inputs: the cells of one wordline) are written
together, one element each per cycle (``write_bandwidth`` elements when
the weight store declares one, the mapper's convention), at the macro's
cycle time; e.g. 16 weights per cycle, 512 cycles for a whole Macro D.

Above the macros:

* a **hop** is a component that carries activations (Inputs or Outputs
  coalesce or pass through it) and stores nothing: a router, a
  chip-to-chip link. Each of its instances serves a run of macros and
  connects the groups of the first mesh below it (its ports): data between
  two macros in one port's group does not cross it, between two ports of
  one instance crosses it once, between instances crosses both;
* the **activation store** is the outermost component keeping Inputs (the
  global buffer); a store without a capacity (DRAM) never fills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from cimdse.mapping.arch import DEFAULT_CYCLE_SECONDS, capacity_of
from cimdse.spec.model import Design, Node

MACRO_FANOUT = "macro_in_tile"


@dataclass(frozen=True)
class Hop:
    """A network component between macros (module docstring)."""

    name: str
    macros_per_instance: int
    macros_per_port: int

    def crossings(self, a: int, b: int) -> int:
        """Times data from macro ``a`` to macro ``b`` crosses this component."""
        if a // self.macros_per_port == b // self.macros_per_port:
            return 0
        return 1 if a // self.macros_per_instance == b // self.macros_per_instance else 2

    def mean_crossings(self, first_a: int, count_a: int, first_b: int, count_b: int) -> float:
        """Crossings averaged over every (macro of run a, macro of run b) pair."""
        same_port = _pairs(first_a, count_a, first_b, count_b, self.macros_per_port)
        same_instance = _pairs(first_a, count_a, first_b, count_b, self.macros_per_instance)
        pairs = count_a * count_b
        return ((same_instance - same_port) + 2 * (pairs - same_instance)) / pairs


def _pairs(first_a: int, count_a: int, first_b: int, count_b: int, size: int) -> int:
    """Pairs of the two macro runs that fall in one group of ``size`` macros."""
    def per_group(first: int, count: int) -> dict[int, int]:
        out: dict[int, int] = {}
        m = first
        while m < first + count:
            group = m // size
            end = min(first + count, (group + 1) * size)
            out[group] = end - m
            m = end
        return out
    a, b = per_group(first_a, count_a), per_group(first_b, count_b)
    return sum(n * b.get(g, 0) for g, n in a.items())


@dataclass(frozen=True)
class ActivationStore:
    """The outermost store of activations above the macros."""

    name: str
    macros_per_instance: int
    capacity: float             # elements per instance


@dataclass(frozen=True)
class Macros:
    """The macros of a design (module docstring)."""

    count: int
    #: one macro without the levels above it (the design itself when it is one macro)
    alone: Design
    #: weight elements (slices counted) one macro holds
    capacity: int
    #: instances of each component inside the macro, per macro
    per_macro: dict[str, float]
    hops: tuple[Hop, ...] = ()
    store: ActivationStore | None = None
    #: weight elements one macro writes per cycle, and its cycle (s)
    write_parallel: float = 1.0
    cycle_s: float = DEFAULT_CYCLE_SECONDS

    def write_s(self, elements: float) -> float:
        """Time one macro takes to write ``elements`` weight elements."""
        return math.ceil(elements / self.write_parallel) * self.cycle_s

    def used_by(self, instances: dict[str, int]) -> int:
        """Macros a mapping uses, from the instances of the macro's components
        it uses (the component with one instance per macro counts them exactly)."""
        counts = [math.ceil(instances[c] / per) for c, per in self.per_macro.items()
                  if c in instances and per > 0]
        return max(1, min(self.count, max(counts, default=1)))


def macros_of(design: Design) -> Macros:
    """The macros of ``design`` (module docstring)."""
    names = [n.name for n in design.nodes]
    if MACRO_FANOUT not in names:
        return Macros(1, design, _capacity(design.nodes, 1), _per_macro(design.nodes, 1),
                      write_parallel=_write_parallel(design.nodes), cycle_s=_cycle_s(design))
    cut = names.index(MACRO_FANOUT)
    count = design.nodes[cut].instances
    inside, above = design.nodes[cut + 1:], design.nodes[:cut + 1]
    alone = replace(design, nodes=_alone(inside))
    return Macros(count, alone, _capacity(inside, count), _per_macro(inside, count),
                  _hops(above, count), _store(above, count), _write_parallel(alone.nodes),
                  _cycle_s(alone))


def _weight_store(nodes: tuple[Node, ...]) -> Node | None:
    keepers = [n for n in nodes if n.is_component and "Weights" in n.temporal_reuse]
    return keepers[-1] if keepers else None


def _write_parallel(nodes: tuple[Node, ...]) -> float:
    """Weight elements one macro writes per cycle (module docstring); ``nodes``
    are one macro's."""
    store = _weight_store(nodes)
    if store is None:
        return 1.0
    above = nodes[:nodes.index(store) + 1]
    rows = math.prod(n.fanout for n in above if n.fanout > 1 and "Inputs" in n.spatial_reuse)
    bandwidth = store.attributes.get("write_bandwidth")
    return float(rows) * (float(bandwidth) if bandwidth else 1.0)


def _cycle_s(design: Design) -> float:
    last = design.components[-1] if design.components else None
    return float(last.attributes.get("cycle_seconds", DEFAULT_CYCLE_SECONDS)) if last else \
        DEFAULT_CYCLE_SECONDS


def _alone(nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    kept = {n.name for n in nodes}
    out, instances = [], 1
    for node in nodes:
        instances *= node.fanout
        out.append(replace(node, instances=instances,
                           parents=tuple(p for p in node.parents if p in kept)))
    return tuple(out)


def _capacity(nodes: tuple[Node, ...], count: int) -> int:
    inner = _weight_store(nodes)
    if inner is None:
        return 1
    per_instance = capacity_of(inner) or 1.0
    return max(1, int(per_instance * inner.instances // count))


def _per_macro(nodes: tuple[Node, ...], count: int) -> dict[str, float]:
    return {n.name: n.instances / count for n in nodes if n.is_component}


def _hops(above: tuple[Node, ...], count: int) -> tuple[Hop, ...]:
    out = []
    for i, node in enumerate(above):
        carries = (node.coalesce | node.no_coalesce) & {"Inputs", "Outputs"}
        if not node.is_component or node.temporal_reuse or not carries:
            continue
        below = next((n for n in above[i + 1:] if n.fanout > 1), None)
        port = count // below.instances if below is not None else count // node.instances
        out.append(Hop(node.name, count // node.instances, max(1, port)))
    return tuple(out)


def _store(above: tuple[Node, ...], count: int) -> ActivationStore | None:
    keepers = [n for n in above if n.is_component and "Inputs" in n.temporal_reuse]
    if not keepers:
        return None
    outer = keepers[0]
    capacity = capacity_of(outer)
    if capacity is None:
        return None
    return ActivationStore(outer.name, count // outer.instances, capacity)
