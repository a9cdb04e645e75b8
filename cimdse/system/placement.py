"""Placement of a network's layers over a system's macros: the result type,
the strategy contract and the registry of strategies.

A design picks its strategy with the variable ``PLACEMENT`` (the system
files in configs/systems/system/ define it): ``none`` keeps the per-layer
model (every layer in turn on the whole system), any other value names a
registered :class:`PlacementStrategy`. :func:`placements` lists them; a
package adds one by declaring its class in the ``cimdse.placements``
entry-point group (by the entry point's name), or in-process with
:func:`register_placement`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from cimdse import plugins
from cimdse.mapping.errors import MappingError
from cimdse.spec.errors import nearest

from .demand import LayerDemand, stage_reloads, stage_time_s

#: The value of ``PLACEMENT`` that keeps the per-layer model.
NO_PLACEMENT = "none"
ENTRY_POINT_GROUP = "cimdse.placements"


class PlacementError(MappingError):
    """A strategy returned a placement that breaks the contract, or cannot
    place this network (e.g. too large for an exact search)."""


@dataclass(frozen=True)
class Stage:
    """Consecutive layers (indices into the network, in order) sharing ``macros`` macros."""

    layers: tuple[int, ...]
    macros: int

    def demands(self, demands: Sequence[LayerDemand]) -> list[LayerDemand]:
        return [demands[i] for i in self.layers]

    def time_s(self, demands: Sequence[LayerDemand]) -> float:
        return stage_time_s(self.demands(demands), self.macros)

    def reloads(self, demands: Sequence[LayerDemand]) -> int:
        return stage_reloads(self.demands(demands), self.macros)


@dataclass(frozen=True)
class Placement:
    """The stages of a pipeline, in network order; stage ``g`` holds the
    macros after those of the stages before it."""

    stages: tuple[Stage, ...]

    @property
    def macros_used(self) -> int:
        return sum(s.macros for s in self.stages)

    def times_s(self, demands: Sequence[LayerDemand]) -> tuple[float, ...]:
        return tuple(s.time_s(demands) for s in self.stages)

    def objective(self, demands: Sequence[LayerDemand]) -> tuple[float, int, int, float]:
        """(slowest stage s, weight elements re-written per input, macros used,
        sum of stage times s): smaller is better, compared in this order."""
        times = self.times_s(demands)
        return (max(times), sum(s.reloads(demands) for s in self.stages), self.macros_used,
                sum(times))


class PlacementStrategy:
    """The contract of a placement strategy.

    ``place(demands, n_macros)`` receives the layers in network order (one
    :class:`~cimdse.system.demand.LayerDemand` each, never empty) and the
    system's macro count, and returns a :class:`Placement` that

    * covers every layer exactly once, in order, with stages of consecutive
      layers;
    * gives every stage at least one macro and all stages together at most
      ``n_macros``.

    Stage times and re-loads are :func:`~cimdse.system.demand.stage_time_s`
    and :func:`~cimdse.system.demand.stage_reloads` (a strategy prices
    nothing itself). A placement is better when its slowest stage is
    shorter (throughput first), then when it re-writes fewer weight elements
    per input (weights stay when re-loading them buys no throughput: when
    everything fits and the slowest stage allows, every layer is
    weight-stationary), then when it uses fewer macros, then when its stage
    times sum to less (:meth:`Placement.objective`). A strategy may be a heuristic;
    ``exact = True`` promises the best placement. It must be deterministic
    and leave its inputs alone, and may raise :class:`PlacementError` for a
    network it cannot place (the message says which strategy to use
    instead). ``name`` is the ``PLACEMENT`` value that selects it; the class
    docstring's first line is its description in :func:`placements`.
    """

    name: ClassVar[str] = ""
    exact: ClassVar[bool] = False

    def place(self, demands: Sequence[LayerDemand], n_macros: int) -> Placement:
        raise NotImplementedError


_REGISTRY: dict[str, type[PlacementStrategy]] = {}


def register_placement(cls: type[PlacementStrategy]) -> type[PlacementStrategy]:
    """Class decorator: make ``cls`` selectable as ``PLACEMENT: <cls.name>``."""
    if not (isinstance(cls, type) and issubclass(cls, PlacementStrategy)) or not cls.name:
        raise TypeError("a placement strategy subclasses PlacementStrategy and has a name")
    if cls.name == NO_PLACEMENT:
        raise TypeError(f"'{NO_PLACEMENT}' is reserved: it means no placement")
    _REGISTRY[cls.name] = cls
    return cls


def _builtins() -> None:
    from . import exact, greedy  # noqa: F401 - registers them


def placements() -> dict[str, str]:
    """``name -> description`` of every strategy a design can name (built-in,
    registered, installed), plus ``none``."""
    _builtins()
    out = {NO_PLACEMENT: "no placement: every layer in turn on the whole system "
                         "(the per-layer model)"}
    for name, cls in sorted(_REGISTRY.items()):
        out[name] = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    for entry in plugins.entry_points(ENTRY_POINT_GROUP):
        out.setdefault(entry.name, f"from {plugins.provider(entry)} ({entry.value})")
    return out


def placement_strategy(name: str) -> PlacementStrategy:
    """The strategy called ``name`` (a :class:`PlacementError` naming the
    nearest known one if there is none)."""
    _builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]()
    entry = plugins.find(ENTRY_POINT_GROUP, name=name)
    if entry is not None:
        cls = plugins.load(entry, f"placement strategy {name!r}", PlacementError)
        if not (isinstance(cls, type) and issubclass(cls, PlacementStrategy)):
            raise PlacementError(f"entry point {entry.value!r} is not a PlacementStrategy")
        return cls()
    known = list(placements())
    hint = nearest(name, known)
    raise PlacementError(f"unknown placement strategy {name!r}; known: {', '.join(known)}"
                         + (f" (did you mean {hint!r}?)" if hint else ""))


def check_placement(placement: Placement, demands: Sequence[LayerDemand], n_macros: int,
                    strategy: str = "") -> None:
    """Raise :class:`PlacementError` unless ``placement`` keeps the contract of
    :class:`PlacementStrategy`."""
    who = f"placement strategy {strategy!r}" if strategy else "placement"
    order = [i for s in placement.stages for i in s.layers]
    if order != list(range(len(demands))):
        raise PlacementError(f"{who}: stages must hold layers 0..{len(demands) - 1} once each, "
                             f"in order, got {order}")
    if any(s.macros < 1 for s in placement.stages):
        raise PlacementError(f"{who}: every stage needs at least one macro")
    if placement.macros_used > n_macros:
        raise PlacementError(f"{who}: uses {placement.macros_used} macros, the system has "
                             f"{n_macros}")
