"""Scalar reference nest analysis: exact access counts of one mapping.

This is the readable definition the vectorised evaluator (:mod:`.batch`)
must reproduce exactly, and that the brute-force simulator in the tests
checks. Semantics (see also :mod:`.arch` for levels, slots and chains):

* **Tile** of a chain member at position ``p``: per dim, the product of its
  factors at slots ``>= p``; per tensor rank, extent ``1 + sum(coef*(t-1))``
  (input halos included); size ``|W|`` = product of extents. Tiles are
  axis-aligned boxes (the bounding box of the touched coordinates, like
  Timeloop's AAHR), so strided holes count as part of the tile.
* **Requests per instance** a member sends to its parent in the chain:

  - ``keep`` (temporal reuse; a buffer holding one tile): the first tile,
    then at every step of the temporal loops above it only the new elements
    ``|W_now minus W_prev|`` (exact set difference of two boxes). With the
    loops above ordered inner to outer (``n_i`` iterations, translation
    ``v_i`` per increment), a step of type ``j`` (loop ``j`` increments, the
    inner ones wrap) translates the tile by ``tau_j = v_j - sum_{i<j}
    (n_i-1) v_i`` and happens ``(n_j-1) * prod_{i>j} n_i`` times; its cost is
    ``|W| - prod_r max(0, e_r - |tau_j,r|)``.
  - ``coalesce`` (no storage across timesteps; identical accesses within one
    iteration of the loops above merge): ``|W|`` per iteration of all
    temporal loops above (Timeloop's no_temporal_reuse: the whole tile is
    requested every timestep, even if a keeping level below would not have
    needed all of it).
  - ``compute``: one element per iteration point, i.e. ``|W| = 1`` per
    iteration of all temporal loops.
  - ``pass`` (no_coalesce): every arrival is forwarded one-for-one.

* **Arrivals per instance** at a parent = the child's requests per instance
  x, per spatial slot between them, the number of distinct child tiles: the
  full fanout factor when the slot's node does not list the tensor in
  ``spatial_reuse`` (unicast), else the number of distinct tile origins
  (multicast of identical tiles for Inputs/Weights, spatial reduction of
  identical output tiles for Outputs; overlapping but unequal halo tiles get
  no credit, as in Timeloop). Instances of a member = product of the spatial
  factors above it; totals = per-instance x instances.
* **Actions** per member and tensor (``A`` = arrivals, ``R`` = requests,
  both totals): ``keep`` Inputs/Weights: ``read = A``, ``write = R``
  (fills; none at the backing store). ``keep`` Outputs, Timeloop's
  accounting with first-read elision: ``update = A``; ``read = A - P``
  (every update but the very first of each element reads the partial sum
  it accumulates into); ``write = R - P`` (partial sums brought back from
  the parent when an evicted output returns; none at the backing store);
  ``P`` is the partition size, the elements one instance ever holds, x
  instances. ``coalesce``: Outputs ``update = A``, others ``read = A``.
  ``pass``: ``read = A`` for every tensor (a conversion or drive per
  value). The last component gets ``compute`` = iteration points = MACs x
  X x Y.
* **Cycles** = max(compute steps, max over levels and directions of actions
  per instance / bandwidth), where compute steps = product of all temporal
  factors. **Utilization** = iteration points / (cycles x hardware compute
  instances).
* **Validity**: spatial loops fit the mesh (see :mod:`.arch`) and use >=
  min_utilization x fanout per spatial slot; sum of kept tiles <= capacity
  per level.

Relation to Timeloop: for perfectly factorised mappings these counts equal
Timeloop's (tests/mapping/test_timeloop_golden.py reproduces two published
runs exactly, halo fills included). One rule differs by design: Timeloop's
stride-change heuristic (a sliding window loses its overlap credit after a
stationary step) is not applied; every step gets the exact set difference.

Imperfect (residual) spatial factors (:mod:`.residual`): a spatial factor
may leave a remainder, the loops above then run the ceiling and the last
pass is partial. The nest runs over the **padded bounds** ``N'`` (the
product of each dim's factors) and the points whose coordinate is ``>= N``
are phantom: they do not exist (no MAC; phantom rows are never driven,
phantom weights never stored, phantom outputs never converted). Counts:

* every count above, on ``N'``, is scaled per padded dim by the **real share
  of its events** (:func:`~.residual.real_count`). An event is a request of
  one instance at one time; per slot its digit is FREE (it runs over all
  its values), ZERO (the event happens at value 0 only) or NONZERO:

  - tile digits (slots inside the requester): FREE if the tensor indexes
    the dim (the tile carries those coordinates: only the real ones count),
    else ZERO (the tile is requested if any of it is real);
  - fanout digits above the requester: FREE, except at a fanout between
    the requester and the member counting its arrivals where the tensor is
    multicast or reduced and does not index the dim: ZERO (the copies
    merge: one output sum per column whatever the rows of a pass);
  - temporal digits above the requester: ``keep``: the first tile at all
    ZERO; a step of loop ``j`` (``j`` increments, the loops inside wrap)
    the loops inside ZERO, ``j`` NONZERO, those outside FREE;
    ``coalesce`` and ``compute``: FREE (every iteration); ``pass`` forwards
    the events it receives;
  - the partition size ``P``: fanout digits above FREE, every other digit
    FREE if the tensor indexes the dim, else ZERO.

  A tile with ``u >= 1`` real points along the dim holds ``a + b u``
  elements of its rank (``b`` the dim's coefficient, ``a = 1 - b`` + the
  other term's extent), so the real content of the events is ``b`` x their
  real points + ``a`` x their real tiles (for a plain coordinate, ``b = 1``
  and ``a = 0``: the real points). A tensor's traffic thus follows its real
  elements, while per-pass actions of a tensor the padded dim does not
  index keep the real number of passes (one ADC conversion per output
  column per pass, partial passes included);
* ``compute`` = the real iteration points; compute steps = the product of
  the temporal factors (a partial pass takes a full step); tiles and
  capacity: the largest real tile (per dim ``min(t, N)`` points: phantom
  elements take no storage); instances, mesh fit, min_utilization and
  leakage: the padded fanout (what a pass occupies); **cycles** = max(steps,
  actions of the busiest instance / bandwidth), the busiest instance being
  the one at fanout index 0 (real in every pass: the same events with its
  own fanout digits ZERO).

These counts equal those of the real points alone (the brute-force
simulator of tests/mapping/brute.py runs only the real points; an idle
instance keeps its tile), except in two cases:

1. *Sliding windows*: a padded dim inside a two-term rank (Inputs'
   ``p*stride + r*dilation``) of a tensor whose tiles or multicast groups
   span it: the overlap of consecutive windows and the distinct window
   origins at a multicast fanout are those of the padded nest (an
   approximation, rounded down; exact where a tile is one point along the
   dim, e.g. at the compute and at the row drivers it feeds: every real row
   is driven once per input).
2. *Idle return*: an instance a partial pass leaves idle keeps its tile;
   when it resumes with a tile overlapping the one it held (possible when
   one of the dim's loops is the innermost loop that changes the tensor's
   tile, with loops the tensor does not index outside it), it reloads less
   than the padded nest charges (an over-count; weight-stationary orders,
   the passes outermost, avoid it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from cimdse.spec.model import TENSORS

from .arch import BACKING, COMPUTE, Arch, Member, fits_mesh
from .errors import MappingError
from .gating import leak_instances
from .mapping import Mapping
from .problem import Problem
from .residual import FREE, NONZERO, ZERO, real_count, scale


@dataclass
class NestResult:
    """Counts of one mapping. ``tensor_counts[(member, tensor, action)]``
    includes the backing store; ``counts[(component, action)]`` sums tensors
    over real components only."""

    tensor_counts: dict[tuple[str, str, str], int]
    counts: dict[tuple[str, str], int]
    steps: int
    cycles: float
    utilization: float
    tiles: dict[tuple[str, str], int]
    instances: dict[str, int]
    violations: list[str] = field(default_factory=list)
    #: leaking instances per level (power gating, :mod:`.gating`); empty: all
    leak_instances: dict[str, float] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.violations


def analyze(arch: Arch, problem: Problem, mapping: Mapping) -> NestResult:
    """Exact counts of ``mapping`` (see module docstring)."""
    mapping.validate(arch, problem)
    ctx = _Context(arch, problem, mapping)
    tensor_counts: dict[tuple[str, str, str], int] = {}
    tiles: dict[tuple[str, str], int] = {}
    busy: dict[tuple[str, str, str], int] = {}
    for tensor in TENSORS:
        _tensor(ctx, tensor, tensor_counts, tiles, busy)
    counts = _component_counts(arch, tensor_counts, problem)
    inst = {lv.name: ctx.instances(lv.position) for lv in arch.levels}
    steps = math.prod(mapping.factors[s][d] for s in arch.temporal_slots
                      for d in range(len(problem.bounds)))
    if ctx.padded:
        cycles = _cycles_busiest(arch, busy, steps)
    else:
        cycles = _cycles(arch, counts, inst, steps)
    util = problem.operations / (cycles * arch.compute_instances)
    return NestResult(tensor_counts, counts, steps, cycles, util, tiles, inst,
                      _violations(arch, problem, mapping, tiles),
                      leak_instances(arch, ctx.instances))


@dataclass(frozen=True)
class _Term:
    """Part of a count, per instance of the member it is recorded at: its
    padded ``value`` and how its events sit in the nest (module docstring):
    the requester's ``position`` (its tile is the slots >= it), the class of
    the temporal digits above it (``kind``: "first", "all", "content" or
    ``j`` = a step of its ``j``-th loop above, outermost first) and the
    fanout slots whose copies merged on the way (``merged``)."""

    value: int
    position: int
    kind: str | int
    merged: frozenset[int] = frozenset()


class _Context:
    def __init__(self, arch: Arch, problem: Problem, mapping: Mapping):
        self.arch, self.mapping = arch, mapping
        self.real = problem.bounds
        f = mapping.factors
        n_slots, n_dims = len(f), len(problem.bounds)
        bounds = mapping.padded_bounds()
        #: dims whose factors leave a remainder (the nest runs over padded bounds)
        self.padded = [d for d in range(n_dims) if bounds[d] != problem.bounds[d]]
        self.problem = replace(problem, bounds=bounds) if self.padded else problem
        suffix = [[1] * n_dims for _ in range(n_slots + 1)]
        for s in range(n_slots - 1, -1, -1):
            suffix[s] = [suffix[s + 1][d] * f[s][d] for d in range(n_dims)]
        self.suffix = suffix

    def instances(self, position: int) -> int:
        f = self.mapping.factors
        return math.prod(math.prod(f[s]) for s in self.arch.spatial_slots if s < position)

    def loops_above(self, position: int) -> list[tuple[int, int]]:
        """Temporal loops above ``position`` as (slot, dim), outermost first."""
        return [(s, d) for s in self.arch.temporal_slots if s < position
                for d in self.mapping.orders[s]]

    def extents(self, ranks, position: int, real: bool = False) -> list[int]:
        t = self.suffix[position]
        if real:
            t = [min(x, b) for x, b in zip(t, self.real)]
        return [1 + sum(c * (t[d] - 1) for d, c in rank) for rank in ranks]

    def total(self, terms: list[_Term], tensor: str, times: int = 1,
              busiest: int | None = None) -> int:
        """Real count of ``terms`` x ``times``; ``busiest``: the count of the
        instance at fanout index 0 above that position (per instance)."""
        if not self.padded:
            return sum(t.value for t in terms) * times
        out = 0
        for t in terms:
            v = t.value * times
            for d in self.padded:
                v = scale(v, *self.share(t, tensor, d, busiest))
            out += v
        return out

    def share(self, t: _Term, tensor: str, d: int, busiest: int | None) -> tuple[int, int]:
        """(real, padded) content of the events of ``t`` along padded dim ``d``.

        A tile with ``u >= 1`` real points along ``d`` has ``a + b u``
        elements along its rank (``b`` = the coefficient of ``d``, ``a`` = ``1
        - b`` + the other term's extent), so the real content is ``b`` x the
        real points + ``a`` x the real tiles."""
        radices = [row[d] for row in self.mapping.factors]
        ab = self.content(tensor, d, self.partition_extents(t.position) if t.kind == "content"
                          else self.suffix[t.position])
        zero = real_count(radices, self.real[d], self._classes(t, tensor, d, busiest, ZERO))
        if ab is None:
            return zero
        a, b = ab
        free = real_count(radices, self.real[d], self._classes(t, tensor, d, busiest, FREE))
        if a == 0 and b == 1:
            return free
        return b * free[0] + a * zero[0], b * free[1] + a * zero[1]

    def content(self, tensor: str, d: int, t) -> tuple[int, int] | None:
        """``(a, b)`` of the rank of ``tensor`` holding ``d`` for per-dim
        extents ``t`` (see :meth:`share`); None if the tensor does not index ``d``."""
        for rank in self.problem.ranks(tensor):
            live = [(dd, c) for dd, c in rank if self.problem.bounds[dd] > 1]
            for dd, c in live:
                if dd == d:
                    return 1 - c + sum(c2 * (t[d2] - 1) for d2, c2 in live if d2 != d), c
        return None

    def partition_extents(self, position: int) -> list[int]:
        f = self.mapping.factors
        t = list(self.problem.bounds)
        for s in self.arch.spatial_slots:
            if s < position:
                t = [t[d] // f[s][d] for d in range(len(t))]
        return t

    def _classes(self, t: _Term, tensor: str, d: int, busiest: int | None,
                 tile: int) -> list[int]:
        indexed = d in self.problem.relevant(tensor)
        index = {loop: i for i, loop in enumerate(self.loops_above(t.position))}
        out = []
        for s, slot in enumerate(self.arch.slots):
            if s >= t.position:
                c = tile
            elif slot.is_spatial:
                merged = s in t.merged and not indexed
                c = ZERO if merged or (busiest is not None and s < busiest) else FREE
            elif t.kind == "first":
                c = ZERO
            elif t.kind == "all":
                c = FREE
            elif t.kind == "content":
                c = tile
            else:
                i = index[(s, d)]
                c = FREE if i < t.kind else NONZERO if i == t.kind else ZERO
            out.append(c)
        return out


def fills(ctx: _Context, ranks, position: int) -> int:
    """Requests per instance of a level keeping the tensor (delta model)."""
    return sum(t.value for t in fill_terms(ctx, ranks, position))


def fill_terms(ctx: _Context, ranks, position: int) -> list[_Term]:
    """:func:`fills` as the first tile plus one term per step type."""
    ext = ctx.extents(ranks, position)
    tile = math.prod(ext)
    loops = ctx.loops_above(position)
    f = ctx.mapping.factors
    n = [f[s][d] for s, d in loops]
    outer = [1] * len(loops)  # product of n over loops outside loop j
    for j in range(1, len(loops)):
        outer[j] = outer[j - 1] * n[j - 1]
    acc = [0] * len(ranks)  # sum over loops inside j of (n_i - 1) * v_i
    terms = [_Term(tile, position, "first")]
    for j in range(len(loops) - 1, -1, -1):
        s, d = loops[j]
        v = _translation(ctx, ranks, s, d)
        if n[j] > 1:
            tau = [v[r] - acc[r] for r in range(len(ranks))]
            overlap = math.prod(max(0, e - abs(t)) for e, t in zip(ext, tau))
            if tile - overlap:
                terms.append(_Term((n[j] - 1) * outer[j] * (tile - overlap), position, j))
            acc = [acc[r] + (n[j] - 1) * v[r] for r in range(len(ranks))]
    return terms


def _translation(ctx: _Context, ranks, s: int, d: int) -> list[int]:
    step = ctx.suffix[s + 1][d]
    return [sum(c * step for dd, c in rank if dd == d) for rank in ranks]


def distinct_tiles(ctx: _Context, ranks, tensor: str, s: int) -> int:
    """Distinct child tiles at spatial slot ``s`` (all children if unicast)."""
    f = ctx.mapping.factors[s]
    if tensor not in ctx.arch.slots[s].reuse:
        return math.prod(f)
    out = 1
    for rank in ranks:
        if len(rank) == 1:
            out *= f[rank[0][0]]
        elif len(rank) == 2:
            (d1, c1), (d2, c2) = rank
            x, y = c1 * ctx.suffix[s + 1][d1], c2 * ctx.suffix[s + 1][d2]
            g = math.gcd(x, y)
            out *= f[d1] * f[d2] - max(0, f[d1] - y // g) * max(0, f[d2] - x // g)
        else:
            raise MappingError("ranks with more than two terms are not supported")
    return out


def requests(ctx: _Context, ranks, member: Member, arrivals: list[_Term]) -> list[_Term]:
    """Requests per instance that ``member`` sends to its parent."""
    if member.mode == "keep":
        return fill_terms(ctx, ranks, member.position)
    if member.mode == "pass":
        return arrivals
    above = math.prod(ctx.mapping.factors[s][d] for s, d in ctx.loops_above(member.position))
    return [_Term(math.prod(ctx.extents(ranks, member.position)) * above, member.position,
                  "all")]


def _tensor(ctx: _Context, tensor: str, out: dict, tiles: dict, busy: dict) -> None:
    ranks = ctx.problem.ranks(tensor)
    chain = ctx.arch.chain(tensor)
    arrivals: list[_Term] = []  # per instance, arriving at chain[i] from below
    for i in range(len(chain) - 1, -1, -1):
        m = chain[i]
        inst = ctx.instances(m.position)
        if m.mode == "keep":
            tiles[(m.name, tensor)] = math.prod(ctx.extents(ranks, m.position, real=True))
        if i == 0:
            req = [_Term(math.prod(ctx.extents(ranks, m.position)), m.position, "first")]
        else:
            req = requests(ctx, ranks, m, arrivals)
        part = []
        if m.mode == "keep":
            part = [_Term(partition(ctx, ranks, m.position), m.position, "content")]
        _record(out, m, tensor, ctx.total(arrivals, tensor, inst), ctx.total(req, tensor, inst),
                ctx.total(part, tensor, inst))
        if ctx.padded:
            p = m.position
            _record(busy, m, tensor, ctx.total(arrivals, tensor, busiest=p),
                    ctx.total(req, tensor, busiest=p), ctx.total(part, tensor, busiest=p))
        if i > 0:
            parent = chain[i - 1]
            between = [s for s in ctx.arch.spatial_slots if parent.position <= s < m.position]
            copies = math.prod(distinct_tiles(ctx, ranks, tensor, s) for s in between)
            merged = frozenset(s for s in between if tensor in ctx.arch.slots[s].reuse)
            arrivals = [replace(t, value=t.value * copies, merged=t.merged | merged)
                        for t in req]


def partition(ctx: _Context, ranks, position: int) -> int:
    """Elements one instance at ``position`` ever holds (Timeloop's partition
    size): the tensor's footprint over all loops but the spatial ones above."""
    t = ctx.partition_extents(position)
    return math.prod(1 + sum(c * (t[d] - 1) for d, c in rank) for rank in ranks)


def _record(out: dict, m: Member, tensor: str, a: int, r: int, part: int) -> None:
    if m.mode == "compute":
        return
    if m.mode == "keep":
        if tensor == "Outputs":
            out[(m.name, tensor, "update")] = a
            out[(m.name, tensor, "read")] = a - part
            if m.name != BACKING:
                out[(m.name, tensor, "write")] = r - part
        else:
            out[(m.name, tensor, "read")] = a
            if m.name != BACKING:
                out[(m.name, tensor, "write")] = r
    elif m.mode == "coalesce" and tensor == "Outputs":
        out[(m.name, tensor, "update")] = a
    else:
        out[(m.name, tensor, "read")] = a


def _component_counts(arch: Arch, tensor_counts, problem: Problem) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for (name, _t, action), c in tensor_counts.items():
        if name in (BACKING, COMPUTE):
            continue
        counts[(name, action)] = counts.get((name, action), 0) + c
    counts[(arch.compute, "compute")] = counts.get((arch.compute, "compute"), 0) \
        + problem.operations
    return counts


def _cycles(arch: Arch, counts, inst: dict[str, int], steps: int) -> float:
    cycles = float(steps)
    for lv in arch.levels:
        if lv.read_bandwidth is not None:
            need = counts.get((lv.name, "read"), 0) / inst[lv.name] / lv.read_bandwidth
            cycles = max(cycles, need)
        if lv.write_bandwidth is not None:
            w = counts.get((lv.name, "write"), 0) + counts.get((lv.name, "update"), 0)
            cycles = max(cycles, w / inst[lv.name] / lv.write_bandwidth)
    return cycles


def _cycles_busiest(arch: Arch, busy: dict, steps: int) -> float:
    """:func:`_cycles` with the busiest instance's actions (padded mappings)."""
    per: dict[tuple[str, str], int] = {}
    for (name, _t, action), c in busy.items():
        per[(name, action)] = per.get((name, action), 0) + c
    cycles = float(steps)
    for lv in arch.levels:
        if lv.read_bandwidth is not None:
            cycles = max(cycles, per.get((lv.name, "read"), 0) / lv.read_bandwidth)
        if lv.write_bandwidth is not None:
            w = per.get((lv.name, "write"), 0) + per.get((lv.name, "update"), 0)
            cycles = max(cycles, w / lv.write_bandwidth)
    return cycles


def _violations(arch: Arch, problem: Problem, mapping: Mapping, tiles) -> list[str]:
    out = []
    for s in arch.spatial_slots:
        slot = arch.slots[s]
        used = math.prod(mapping.factors[s])
        if not fits_mesh(mapping.factors[s], slot.mesh):
            out.append(f"spatial fanout of '{slot.node}': loops of {used} do not fit "
                       f"{slot.mesh[0]}x{slot.mesh[1]}")
        elif used < slot.min_utilization * slot.limit:
            out.append(f"min_utilization of '{slot.node}': uses {used} of {slot.limit}")
    for lv in arch.levels:
        if lv.capacity is None:
            continue
        need = sum(tiles.get((lv.name, t), 0) for t in TENSORS)
        if need > lv.capacity:
            out.append(f"capacity of '{lv.name}': tiles need {need} > {lv.capacity:g}")
    return out
