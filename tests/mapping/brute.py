"""Brute-force loop-nest simulator: the oracle for the nest analyses.

It enumerates every iteration of the whole nest, keeps the real points only
(a residual spatial factor pads a dim: points whose coordinate is beyond
the bound are phantom and do nothing), builds each chain member's
tile as an explicit set of tensor coordinates per (instance, time) (tiles
are bounding boxes of the touched coordinates, as Timeloop's AAHR), and
counts traffic literally: a keeping level requests ``tile_now - tile_prev``;
a coalescing level requests its whole tile at every iteration of the loops
above it (no temporal reuse; all accesses within one iteration merge, and
the simulator checks that every arrival lies in that tile); a pass-through
level forwards every arrival; the compute requests one element per
iteration. At each spatial slot between a parent and a child, children
requesting the same elements at the same time merge (multicast /
reduction) when the slot's node lists the tensor in ``spatial_reuse``;
otherwise they are all counted. Output reads replay the updates (all but
the first update of each element read a partial sum); output fills count
elements re-entering a tile. An instance with no real point at some time
is idle and keeps its tile; :attr:`Sim.idle_returns` lists the tensors
where an instance resumed after an idle stretch with a tile overlapping the
one it held (the case the closed form over-counts, see
cimdse/mapping/nest.py).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from cimdse.mapping.arch import BACKING, Arch
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.problem import Problem

TENSORS = ("Inputs", "Weights", "Outputs")


def _loops(arch: Arch, mapping: Mapping, n_dims: int):
    loops = []
    for s, slot in enumerate(arch.slots):
        order = range(n_dims) if slot.is_spatial else mapping.orders[s]
        for d in order:
            loops.append((s, d, mapping.factors[s][d], slot.is_spatial))
    return loops


def _project(problem: Problem, tensor: str, coord) -> tuple:
    return tuple(sum(c * coord[d] for d, c in rank) for rank in problem.ranks(tensor))


class Sim:
    def __init__(self, arch: Arch, problem: Problem, mapping: Mapping):
        self.arch, self.problem, self.mapping = arch, problem, mapping
        nd = len(problem.bounds)
        self.loops = _loops(arch, mapping, nd)
        strides = []
        for i, (s, d, n, _sp) in enumerate(self.loops):
            st = 1
            for s2, d2, n2, _ in self.loops[i + 1:]:
                if d2 == d:
                    st *= n2
            strides.append(st)
        self.points = []  # (idx tuple, coord) of the real points
        for idx in itertools.product(*[range(n) for (_, _, n, _) in self.loops]):
            coord = [0] * nd
            for i, (s, d, n, sp) in enumerate(self.loops):
                coord[d] += idx[i] * strides[i]
            if all(c < b for c, b in zip(coord, problem.bounds)):
                self.points.append((idx, tuple(coord)))
        self.idle_returns: set[str] = set()

    def key(self, idx, position: int):
        sp = tuple(idx[i] for i, l in enumerate(self.loops) if l[3] and l[0] < position)
        tm = tuple(idx[i] for i, l in enumerate(self.loops) if not l[3] and l[0] < position)
        return sp, tm

    def tiles(self, tensor: str, position: int):
        """{instance key: {time key: set of elements}}."""
        out: dict = defaultdict(lambda: defaultdict(set))
        for idx, coord in self.points:
            sp, tm = self.key(idx, position)
            out[sp][tm].add(_project(self.problem, tensor, coord))
        return {sp: {tm: _hull(e) for tm, e in by_t.items()} for sp, by_t in out.items()}

    def run(self):
        counts, tiles = {}, {}
        for tensor in TENSORS:
            self._tensor(tensor, counts, tiles)
        return counts, tiles

    def _tensor(self, tensor, counts, tiles):
        chain = self.arch.chain(tensor)
        # {child instance key: stream}; a stream lists (origin, time, elements),
        # origin = the unicast fanout indices the request came through
        streams = None
        child_pos = None
        for i in range(len(chain) - 1, -1, -1):
            m = chain[i]
            tl = self.tiles(tensor, m.position)
            if m.mode == "keep":  # the largest tile any instance holds
                tiles[(m.name, tensor)] = max(len(e) for by_t in tl.values()
                                              for e in by_t.values())
            arrivals = {} if streams is None else self._arrive(tensor, streams, child_pos,
                                                               m.position)
            a_total = sum(len(e) for st in arrivals.values() for _, _, e in st)
            mine = {}
            radices = [n for s, _d, n, sp in self.loops if not sp and s < m.position]
            for inst, by_time in tl.items():
                mine[inst] = self._requests(m, tensor, by_time, arrivals.get(inst, ()), radices)
            r_total = sum(len(e) for st in mine.values() for _, _, e in st)
            self._record(counts, m, tensor, a_total, r_total, tl, arrivals)
            streams, child_pos = mine, m.position

    def _requests(self, m, tensor, by_time, arrived, radices):
        times = sorted(by_time)
        if m.mode == "keep":
            out, prev, last = [], set(), None
            for t in times:
                if last is not None and by_time[t] & prev and _rank(t, radices) > last + 1:
                    self.idle_returns.add(tensor)
                out.append(((), t, frozenset(by_time[t] - prev)))
                prev, last = by_time[t], _rank(t, radices)
            return tuple(out)
        if m.mode == "pass":
            return tuple(sorted(arrived, key=lambda x: (x[1], x[0], sorted(x[2]))))
        if m.mode == "compute":
            return tuple(((), t, frozenset(by_time[t])) for t in times)
        # coalesce: merges every access within one iteration of the loops above
        # and keeps nothing across them (Timeloop's no_temporal_reuse): it
        # requests its whole tile each iteration; what arrived must fit in it.
        k = len(times[0])
        for _o, t, e in arrived:
            assert e <= by_time[t[:k]]
        return tuple(((), t, frozenset(by_time[t])) for t in times)

    def _arrive(self, tensor, streams, child_pos, parent_pos):
        """Per parent instance: the (origin, time, elements) arriving. Fanout
        by fanout, inner first (as Timeloop compares each fanout's children):
        at a multicast / reduction fanout, children whose requests at a time
        are identical (or a part of another child's, when phantom points
        leave a child only part of them) send them once; at a unicast one
        every child's requests go up, tagged with its index (their
        ``origin``)."""
        spatial = [s for s in self.arch.spatial_slots if parent_pos <= s < child_pos]
        nloops = {s: sum(1 for l in self.loops if l[0] == s) for s in spatial}
        level = {}
        for k, stream in streams.items():
            node = defaultdict(list)  # time -> [(origin, elements)]
            for origin, t, e in stream:
                if e:
                    node[t].append((origin, e))
            level[k] = node
        for s in reversed(spatial):
            grouped = defaultdict(list)
            for k, node in level.items():
                cut = len(k) - nloops[s]
                grouped[k[:cut]].append((k[cut:], node))
            reuse = tensor in self.arch.slots[s].reuse
            merged_level = {}
            for parent, children in grouped.items():
                merged = defaultdict(list)
                times = {t for _idx, node in children for t in node}
                for t in times:
                    if reuse:
                        for bundle in _maximal([Counter(node.get(t, ())) for _i, node in children]):
                            merged[t].extend(bundle.elements())
                    else:
                        for idx, node in children:
                            merged[t].extend((idx + o, e) for o, e in node.get(t, ()))
                merged_level[parent] = merged
            level = merged_level
        return {k: [(o, t, e) for t, entries in node.items() for o, e in entries]
                for k, node in level.items()}

    def _record(self, counts, m, tensor, a, r, tl, arrivals):
        if m.mode == "compute":
            return
        if m.mode == "keep":
            if tensor == "Outputs":
                counts[(m.name, tensor, "update")] = a
                counts[(m.name, tensor, "read")] = _rmw_reads(tl, arrivals)
                if m.name != BACKING:
                    counts[(m.name, tensor, "write")] = _psum_refills(tl)
            else:
                counts[(m.name, tensor, "read")] = a
                if m.name != BACKING:
                    counts[(m.name, tensor, "write")] = r
        elif m.mode == "coalesce" and tensor == "Outputs":
            counts[(m.name, tensor, "update")] = a
        else:
            counts[(m.name, tensor, "read")] = a


def _hull(elements) -> set:
    """The bounding box of a set of coordinates (tiles are boxes, as Timeloop's AAHR)."""
    lo = [min(e[r] for e in elements) for r in range(len(next(iter(elements))))]
    hi = [max(e[r] for e in elements) for r in range(len(lo))]
    return set(itertools.product(*[range(a, b + 1) for a, b in zip(lo, hi)]))


def _maximal(bundles):
    """The distinct bundles (multisets of requests) not contained in another."""
    kept: list[Counter] = []
    for b in sorted(bundles, key=lambda c: -sum(c.values())):
        if b and not any(all(k[x] >= n for x, n in b.items()) for k in kept):
            kept.append(b)
    return kept


def _rank(t, radices) -> int:
    """Position of time ``t`` (loop indices, outermost first) in the padded nest."""
    r = 0
    for i, n in zip(t, radices):
        r = r * n + i
    return r


def _rmw_reads(tl, arrivals) -> int:
    """Updates that find an earlier partial sum of their element (the very
    first update of each element at an instance is a plain write)."""
    reads = 0
    for inst, by_time in tl.items():
        seen: set = set()
        for _o, _t, e in sorted(arrivals.get(inst, ()), key=lambda x: x[1]):
            for x in e:
                if x in seen:
                    reads += 1
                else:
                    seen.add(x)
    return reads


def _psum_refills(tl) -> int:
    """Outputs re-entering a tile after having been resident before (their
    partial sums come back from the parent)."""
    fills = 0
    for by_time in tl.values():
        prev, ever = set(), set()
        for t in sorted(by_time):
            fills += len((by_time[t] - prev) & ever)
            ever |= by_time[t]
            prev = by_time[t]
    return fills


def simulate(arch: Arch, problem: Problem, mapping: Mapping):
    """``(tensor_counts, tiles)`` in the layout of :class:`NestResult`."""
    return Sim(arch, problem, mapping).run()
