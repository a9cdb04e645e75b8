"""Vectorised nest analysis: the counts of :mod:`.nest` for a batch of mappings.

Input: one :class:`Template` (the loop order of every temporal slot) and an
int array ``F[B, slots, dims]`` of loop factors. Output: a
:class:`BatchResult` with per-(component, action) counts ``[B, K]``, compute
steps, cycles, utilisation and a validity code per mapping. Every formula is
the one of :mod:`.nest` (read its docstring for the semantics), written with
whole-batch numpy operations; there is no per-mapping Python loop.

The template may also be given per mapping, as an int array of loop orders
``[B, slots, dims]`` (the search does this, so one call covers mixed loop
orders). Per call, loop positions whose factor is 1 in every mapping of the
batch are dropped (they change nothing).

Mappings with residual spatial factors (:mod:`.residual`) are analysed on
their padded bounds and each count is scaled by the real share of its
events, term by term as in :mod:`.nest` (the first tile and each step type
of a keeping level's fills, per tensor and member); a batch without them
takes the perfect-factorisation path unchanged.

Speed-ups that keep the counts exact: for tensors without a sliding window
a step reloads all of a tile or nothing, so fills are ``|W|`` x the product
of the loops from the innermost non-trivial relevant loop outwards (no
per-step geometry); with a window only the two-term ranks need coordinates
(int32 when the rank extents allow). No BLAS calls (they would spawn
threads for tiny products).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cimdse.spec.model import TENSORS

from .arch import BACKING, Arch, Member, fits_mesh_batch
from .errors import MappingError
from .problem import Problem
from .residual import FREE, NONZERO, ZERO, real_count_batch, scale_batch

VALID = 0  # validity code; >0 = index into BatchContext.reasons (1-based)


@dataclass(frozen=True)
class Template:
    """Loop order (dim indices, outermost first) of every temporal slot."""

    orders: tuple[tuple[int, ...], ...]


def action_keys(arch: Arch) -> tuple[tuple[str, str], ...]:
    """The (component, action) columns of the count matrices, in a fixed order."""
    keys = []
    for lv in arch.levels:
        for tensor, mode in lv.modes:
            for action in _actions(mode, tensor):
                if (lv.name, action) not in keys:
                    keys.append((lv.name, action))
    if (arch.compute, "compute") not in keys:
        keys.append((arch.compute, "compute"))
    return tuple(keys)


def _actions(mode: str, tensor: str) -> tuple[str, ...]:
    if mode == "keep":
        return ("update", "read", "write") if tensor == "Outputs" else ("read", "write")
    if mode == "coalesce" and tensor == "Outputs":
        return ("update",)
    return ("read",)


class BatchContext:
    """Mapping-independent arrays for one (arch, problem)."""

    def __init__(self, arch: Arch, problem: Problem):
        self.arch, self.problem = arch, problem
        self.n_slots, self.n_dims = len(arch.slots), len(problem.bounds)
        self.keys = action_keys(arch)
        self.col = {k: i for i, k in enumerate(self.keys)}
        self.ranks = {t: _live_ranks(problem, t) for t in TENSORS}
        self.coef = {t: _coef_matrix(self.ranks[t], self.n_dims) for t in TENSORS}
        # tile coordinates are bounded by the largest rank extent: int32 when safe
        widest = max(1 + sum(c * (problem.bounds[d] - 1) for d, c in rank)
                     for t in TENSORS for rank in problem.ranks(t))
        self.cdtype = np.int32 if widest < 2 ** 29 else np.int64
        # halo path: two-term ranks need coordinates; single-term ("boxy") ranks
        # only need to know whether one of their loops moved
        self.halo_ranks = {t: [r for r, rank in enumerate(self.ranks[t]) if len(rank) > 1]
                           for t in TENSORS}
        self.coef32 = {t: self.coef[t][:, self.halo_ranks[t]].astype(self.cdtype)
                       for t in TENSORS}
        self.boxy_dims = {t: np.array([any(len(rank) == 1 and rank[0][0] == d
                                           for rank in self.ranks[t])
                                       for d in range(self.n_dims)]) for t in TENSORS}
        # tensors whose tiles are either equal or disjoint after a step (no halo)
        self.boxy = {t: all(len(r) == 1 for r in self.ranks[t]) for t in TENSORS}
        self.relevant = {t: np.array([d in problem.relevant(t) for d in range(self.n_dims)])
                         for t in TENSORS}
        self.spatial = np.array([s.is_spatial for s in arch.slots])
        self.bounds = np.array(problem.bounds, dtype=np.int64)
        self.temporal_idx = np.array(arch.temporal_slots, dtype=np.intp)
        self.limits = np.array([s.limit for s in arch.slots if s.is_spatial], dtype=np.int64)
        self.min_use = np.array([s.min_utilization * s.limit for s in arch.slots
                                 if s.is_spatial])
        self.reasons = tuple(
            [f"spatial fanout of '{s.node}'" for s in arch.slots if s.is_spatial]
            + [f"min_utilization of '{s.node}'" for s in arch.slots if s.is_spatial]
            + [f"capacity of '{lv.name}'" for lv in arch.levels if lv.capacity is not None])


def _live_ranks(problem: Problem, tensor: str):
    """Ranks without their unit-bound terms; ranks of extent 1 dropped."""
    out = []
    for rank in problem.ranks(tensor):
        live = tuple((d, c) for d, c in rank if problem.bounds[d] > 1)
        if live:
            out.append(live)
    return tuple(out)


def _coef_matrix(ranks, n_dims: int) -> np.ndarray:
    c = np.zeros((n_dims, max(1, len(ranks))), dtype=np.int64)
    for r, rank in enumerate(ranks):
        for d, k in rank:
            c[d, r] += k
    return c


@dataclass
class BatchResult:
    keys: tuple[tuple[str, str], ...]
    counts: np.ndarray  # [B, K] int64
    steps: np.ndarray  # [B] int64
    cycles: np.ndarray  # [B] float64
    utilization: np.ndarray  # [B] float64
    code: np.ndarray  # [B] int: 0 valid, else 1 + index into reasons
    reasons: tuple[str, ...]
    tensor_counts: dict | None = None

    @property
    def valid(self) -> np.ndarray:
        return self.code == VALID


def evaluate_batch(ctx: BatchContext, template: Template | np.ndarray, F: np.ndarray,
                   detail: bool = False, check_mesh: bool = True) -> BatchResult:
    """Counts of every mapping in ``F[B, slots, dims]`` under ``template``.

    ``template`` may also be an int array ``[B, slots, dims]`` giving every
    mapping its own loop orders (rows of spatial slots are ignored); the
    search uses that form so one call covers mixed templates.
    ``check_mesh=False`` skips the mesh-fit check (for callers that already
    filtered on :func:`~cimdse.mapping.arch.fits_mesh_batch`).
    """
    F = np.asarray(F, dtype=np.int64)
    if F.ndim != 3 or F.shape[1:] != (ctx.n_slots, ctx.n_dims):
        raise MappingError(f"factor array must be [B, {ctx.n_slots}, {ctx.n_dims}], "
                           f"got {F.shape}")
    ev = _Eval(ctx, template, F)
    tensor_counts: dict = {}
    counts = np.zeros((F.shape[0], len(ctx.keys)), dtype=np.int64)
    tiles = {}
    for tensor in TENSORS:
        if ev.residual is None:
            ev.tensor(tensor, counts, tensor_counts, tiles)
        else:
            ev.residual.tensor(tensor, counts, tensor_counts, tiles)
    counts[:, ctx.col[(ctx.arch.compute, "compute")]] += ctx.problem.operations
    steps = np.prod(F[:, ctx.temporal_idx, :], axis=(1, 2))
    if ev.residual is None:
        cycles = ev.cycles(counts, steps)
    else:
        cycles = ev.residual.cycles(steps)
    util = ctx.problem.operations / (cycles * ctx.arch.compute_instances)
    code = ev.validity(tiles, check_mesh)
    return BatchResult(ctx.keys, counts, steps, cycles, util, code, ctx.reasons,
                       tensor_counts if detail else None)


class _Eval:
    def __init__(self, ctx: BatchContext, template: Template, F: np.ndarray):
        self.ctx, self.F = ctx, F
        B, S, D = F.shape
        rev = np.cumprod(F[:, ::-1, :], axis=1)[:, ::-1, :]
        self.suffix = np.concatenate([rev, np.ones((B, 1, D), dtype=np.int64)], axis=1)
        self._ext: dict = {}
        self.slot_prod = np.prod(F, axis=2)  # [B, S]
        sp = np.where(ctx.spatial[None, :], self.slot_prod, 1)
        self.inst = np.concatenate([np.ones((B, 1), dtype=np.int64),
                                    np.cumprod(sp, axis=1)], axis=1)  # inst[:, p]
        spf = np.where(ctx.spatial[None, :, None], F, 1)
        self.spatial_prefix = np.concatenate([np.ones((B, 1, D), dtype=np.int64),
                                              np.cumprod(spf, axis=1)], axis=1)
        tslots = np.array(ctx.arch.temporal_slots, dtype=np.intp)
        ls = np.repeat(tslots, D)
        if isinstance(template, Template):
            ld = np.concatenate([np.asarray(template.orders[s], dtype=np.intp)
                                 for s in tslots]) if len(tslots) else np.zeros(0, np.intp)
            ld = np.broadcast_to(ld, (B, len(ls)))
        else:
            ld = np.asarray(template, dtype=np.intp)[:, tslots, :].reshape(B, -1)
        rows = np.arange(B)[:, None]
        n = F.reshape(B, S * D)[rows, ls[None, :] * D + ld]
        active = np.flatnonzero((n > 1).any(axis=0))
        self.ls, self.ld, self.n = ls[active], ld[:, active], n[:, active]
        nm1 = self.n - 1
        self.above = np.ones((B, self.n.shape[1] + 1), dtype=np.int64)
        np.cumprod(self.n, axis=1, out=self.above[:, 1:])
        self.steps_w = nm1 * self.above[:, :-1]  # occurrences of each step type
        self.nm1 = nm1
        flat = self.suffix.reshape(B, (S + 1) * D)
        self.stride = flat[rows, (self.ls[None, :] + 1) * D + self.ld]  # [B, L]
        self.cdtype, self.coef32 = ctx.cdtype, ctx.coef32
        padded = self.suffix[:, 0, :] != ctx.bounds[None, :]
        #: the residual-factor path (None: every mapping is a perfect factorisation)
        self.residual = _Residual(self, padded) if padded.any() else None
        self.stride32 = self.stride.astype(self.cdtype)
        self.nm1_32 = nm1.astype(self.cdtype)

    def n_above(self, position: int) -> int:
        return int(np.searchsorted(self.ls, position))  # loops in slots < position

    def extents(self, tensor: str, position: int) -> np.ndarray:
        key = (tensor, position)
        if key not in self._ext:
            t = self.suffix[:, position, :]
            cols = [1 + sum(c * (t[:, d] - 1) for d, c in rank)
                    for rank in self.ctx.ranks[tensor]]
            self._ext[key] = (np.stack(cols, axis=1) if cols
                              else np.ones((len(t), 1), dtype=np.int64))
        return self._ext[key]

    def fills(self, tensor: str, position: int, ext: np.ndarray, tile: np.ndarray):
        L = self.n_above(position)
        if L == 0:
            return tile.copy()
        if self.ctx.boxy[tensor]:
            return self._fills_boxy(tensor, L, tile)
        return self._fills_halo(tensor, L, ext, tile)

    def _fills_boxy(self, tensor: str, L: int, tile: np.ndarray):
        """Without halos a step reloads all or nothing: |W| x product of the
        loops from the innermost non-trivial relevant one outwards."""
        rel = self.ctx.relevant[tensor][self.ld[:, :L]]
        hit = rel & (self.n[:, :L] > 1)
        last = L - 1 - np.argmax(hit[:, ::-1], axis=1)
        reloads = np.where(hit.any(axis=1), self.above[np.arange(len(tile)), last + 1], 1)
        return tile * reloads

    def _fills_halo(self, tensor: str, L: int, ext: np.ndarray, tile: np.ndarray,
                    per_step: bool = False):
        # coordinates are bounded by the rank extents (int32 when the context
        # says so); products are taken in int64
        ctx = self.ctx
        halo = ctx.halo_ranks[tensor]
        coef = self.coef32[tensor][self.ld[:, :L]]  # [B, L, halo ranks]
        v = self.stride32[:, :L, None] * coef
        w = np.cumsum(self.nm1_32[:, :L, None] * v, axis=1, dtype=self.cdtype)
        acc = w[:, L - 1:L, :] - w  # sum over loops inside j
        gap = ext[:, halo].astype(self.cdtype)[:, None, :] - np.abs(v - acc)
        overlap = np.prod(np.maximum(gap, 0), axis=2, dtype=np.int64)
        # a boxy rank overlaps fully iff none of its loops at or inside j moves
        boxy = [r for r in range(ext.shape[1]) if r not in halo]
        if boxy:
            hit = ctx.boxy_dims[tensor][self.ld[:, :L]] & (self.n[:, :L] > 1)
            last = np.where(hit.any(axis=1), L - 1 - np.argmax(hit[:, ::-1], axis=1), -1)
            still = np.arange(L)[None, :] > last[:, None]
            overlap = overlap * np.prod(ext[:, boxy], axis=1)[:, None] * still
        steps = self.steps_w[:, :L] * (tile[:, None] - overlap)
        if per_step:
            return steps
        return tile + np.sum(steps, axis=1)

    def distinct(self, tensor: str, s: int) -> np.ndarray:
        f = self.F[:, s, :]
        if tensor not in self.ctx.arch.slots[s].reuse:
            return self.slot_prod[:, s]
        out = np.ones(f.shape[0], dtype=np.int64)
        for rank in self.ctx.ranks[tensor]:
            if len(rank) == 1:
                out *= f[:, rank[0][0]]
                continue
            (d1, c1), (d2, c2) = rank
            f1, f2 = f[:, d1], f[:, d2]
            x, y = c1 * self.suffix[:, s + 1, d1], c2 * self.suffix[:, s + 1, d2]
            g = np.gcd(x, y)
            out *= f1 * f2 - np.maximum(0, f1 - y // g) * np.maximum(0, f2 - x // g)
        return out

    def requests(self, tensor: str, m: Member, arrivals, ext, tile):
        if m.mode == "keep":
            return self.fills(tensor, m.position, ext, tile)
        if m.mode == "pass":
            return arrivals
        return tile * self.above[:, self.n_above(m.position)]

    def tensor(self, tensor: str, counts, tensor_counts, tiles) -> None:
        ctx = self.ctx
        chain = ctx.arch.chain(tensor)
        arrivals = None
        for i in range(len(chain) - 1, -1, -1):
            m = chain[i]
            ext = self.extents(tensor, m.position)
            tile = np.prod(ext, axis=1)
            if m.mode == "keep":
                tiles[(m.name, tensor)] = tile
            req = tile if i == 0 else self.requests(tensor, m, arrivals, ext, tile)
            if m.mode != "compute":
                inst = self.inst[:, m.position]
                part = 0
                if m.mode == "keep" and tensor == "Outputs":
                    part = self.partition(tensor, m.position) * inst
                self.record(counts, tensor_counts, m, tensor, arrivals * inst, req * inst, part)
            if i > 0:
                parent = chain[i - 1]
                arrivals = req
                for s in ctx.arch.spatial_slots:
                    if parent.position <= s < m.position:
                        arrivals = arrivals * self.distinct(tensor, s)

    def partition(self, tensor: str, position: int) -> np.ndarray:
        """Elements one instance at ``position`` ever holds (see :mod:`.nest`)."""
        t = self.partition_extents(position)
        out = np.ones(len(t), dtype=np.int64)
        for rank in self.ctx.ranks[tensor]:
            out *= 1 + sum(c * (t[:, d] - 1) for d, c in rank)
        return out

    def partition_extents(self, position: int) -> np.ndarray:
        """Per-dim extents of the partition at ``position`` ``[B, dims]``."""
        if self.residual is None:
            return self.ctx.bounds[None, :] // self.spatial_prefix[:, position, :]
        return self.suffix[:, 0, :] // self.spatial_prefix[:, position, :]

    def record(self, counts, tensor_counts, m: Member, tensor: str, a, r, part) -> None:
        for action, value in _items(m, tensor, a, r, part):
            tensor_counts[(m.name, tensor, action)] = value
            if m.name != BACKING:
                counts[:, self.ctx.col[(m.name, action)]] += value

    def cycles(self, counts, steps) -> np.ndarray:
        cycles = steps.astype(np.float64)
        col = self.ctx.col
        for lv in self.ctx.arch.levels:
            inst = self.inst[:, lv.position]
            if lv.read_bandwidth is not None and (lv.name, "read") in col:
                need = counts[:, col[(lv.name, "read")]] / inst / lv.read_bandwidth
                cycles = np.maximum(cycles, need)
            if lv.write_bandwidth is not None:
                w = np.zeros_like(steps)
                for a in ("write", "update"):
                    if (lv.name, a) in col:
                        w = w + counts[:, col[(lv.name, a)]]
                cycles = np.maximum(cycles, w / inst / lv.write_bandwidth)
        return cycles

    def validity(self, tiles, check_mesh: bool) -> np.ndarray:
        ctx = self.ctx
        sp = self.slot_prod[:, ctx.spatial]
        no = np.zeros(len(self.F), dtype=bool)
        checks = [~fits_mesh_batch(self.F[:, s, :], ctx.arch.slots[s].mesh) if check_mesh
                  else no for s in ctx.arch.spatial_slots]
        checks += [sp[:, i] < ctx.min_use[i] for i in range(sp.shape[1])]
        for lv in ctx.arch.levels:
            if lv.capacity is not None:
                need = sum(tiles.get((lv.name, t), 0) for t in TENSORS)
                checks.append(need > lv.capacity)
        code = np.zeros(self.F.shape[0], dtype=np.int64)
        for i in range(len(checks) - 1, -1, -1):
            code = np.where(checks[i], i + 1, code)
        return code


def _items(m: Member, tensor: str, a, r, part) -> list:
    """(action, count) pairs a member records for one tensor (see :mod:`.nest`)."""
    if m.mode == "keep":
        if tensor == "Outputs":
            items = [("update", a), ("read", a - part)]
            if m.name != BACKING:
                items.append(("write", r - part))
            return items
        return [("read", a)] + ([("write", r)] if m.name != BACKING else [])
    if m.mode == "coalesce" and tensor == "Outputs":
        return [("update", a)]
    return [("read", a)]


@dataclass(frozen=True)
class _Terms:
    """One part of a count (see ``_Term`` in :mod:`.nest`), for a batch:
    ``value`` ``[B]`` or ``[B, K]`` (per instance), the requester's
    ``position``, the ``kind`` of its temporal digits ("first", "all",
    "content", "stationary" with ``last`` = the innermost reloading loop,
    or "steps": one column per loop above, outermost first) and the
    fanouts whose copies merged on the way (``merged``)."""

    value: np.ndarray
    position: int
    kind: str
    merged: frozenset = frozenset()
    last: np.ndarray | None = None


class _Residual:
    """The counts of :mod:`.nest` for a batch holding residual factorisations."""

    def __init__(self, ev: _Eval, padded: np.ndarray):
        self.ev, self.ctx = ev, ev.ctx
        ctx, F = ev.ctx, ev.F
        B, S, D = F.shape
        self.padded = padded
        self.dims = [d for d in range(D) if padded[:, d].any()]
        self.busy: dict = {}
        self._counts: dict = {}
        widest = max(int(np.max(1 + sum(c * (ev.suffix[:, 0, d] - 1) for d, c in rank)))
                     for t in TENSORS for rank in ctx.ranks[t])
        if widest >= 2 ** 29 and ev.cdtype != np.int64:  # padded extents outgrow int32
            ev.cdtype = np.int64
            ev.coef32 = {t: c.astype(np.int64) for t, c in ev.coef32.items()}
        # per padded dim, over the mappings that pad it: the slots where one
        # of them has a factor > 1, their factors, the real bound's digits
        # and the loop index of each temporal digit among the loops above
        # (-1: not a loop)
        L = ev.n.shape[1]
        pos = np.full((B, S, D), -1, dtype=np.int64)
        pos[np.arange(B)[:, None], ev.ls[None, :], ev.ld] = np.arange(L)[None, :]
        self.rows, self.slots, self.f, self.digit, self.pos = {}, {}, {}, {}, {}
        for d in self.dims:
            rows = np.flatnonzero(padded[:, d])
            live = np.flatnonzero((F[rows, :, d] > 1).any(axis=0))
            f = F[rows[:, None], live[None, :], d]
            w = ev.suffix[rows[:, None], live[None, :] + 1, d]
            self.rows[d], self.slots[d], self.f[d] = rows, live, f
            self.digit[d] = (ctx.problem.bounds[d] // w) % f
            self.pos[d] = pos[rows[:, None], live[None, :], d]

    def _static(self, t: _Terms, indexed: bool, d: int, busiest: int | None, tile: int):
        """Per live slot of ``d``: its digit class, or None where it varies
        with the mapping (the temporal digits of "stationary" and "steps")."""
        out = []
        for s in self.slots[d]:
            if s >= t.position:
                c = tile
            elif self.ctx.arch.slots[s].is_spatial:
                merged = s in t.merged and not indexed
                c = ZERO if merged or (busiest is not None and s < busiest) else FREE
            elif t.kind in ("first", "all", "content"):
                c = {"first": ZERO, "all": FREE, "content": tile}[t.kind]
            elif t.kind == "stationary":
                # a dim the tensor indexes has every loop at or outside the last reload
                c = FREE if indexed else None
            else:
                c = None
            out.append(c)
        return tuple(out)

    def count(self, t: _Terms, tensor: str, d: int, busiest: int | None, tile: int):
        """``real_count`` of the events of ``t`` along ``d`` over the mappings
        that pad ``d``, shaped like its value there (memoised per batch)."""
        indexed = d in self.ctx.problem.relevant(tensor)
        static = self._static(t, indexed, d, busiest, tile)
        if None not in static:
            real, part = self._static_count(d, static)
            return (real, part) if t.value.ndim == 1 else (real[:, None], part[:, None])
        if t.kind == "stationary":
            key = (d, static, id(t.last))
            if key not in self._counts:
                last = t.last[self.rows[d]]
                cls = np.stack([np.broadcast_to(
                    c if c is not None else np.where(self.pos[d][:, k] <= last, FREE, ZERO),
                    self.f[d].shape[:1]) for k, c in enumerate(static)], axis=-1)
                self._counts[key] = real_count_batch(self.f[d], self.digit[d], cls) + (t.last,)
            return self._counts[key][:2]
        # a step of loop j: the dim's loops outside j FREE, j NONZERO, inside ZERO.
        # Per mapping only 2m + 1 patterns exist (m = the dim's loops above):
        # count each once and pick per step
        key = (d, static, t.value.shape)
        if key not in self._counts:
            dyn = [k for k, c in enumerate(static) if c is None]
            self._counts[key] = self._steps_count(d, static, dyn, t.value.shape[1])
        return self._counts[key]

    def _steps_count(self, d: int, static: tuple, dyn: list[int], K: int):
        m = len(dyn)
        patterns = []  # F0, NZ1, F1, NZ2, ...: the dim's first c loops FREE (+ one NONZERO)
        for c in range(m + 1):
            for nz in ((False,) if c == 0 else (True, False)):
                cls = list(static)
                for i, k in enumerate(dyn):
                    cls[k] = FREE if i < c - nz else NONZERO if i == c - 1 and nz else ZERO
                patterns.append(cls)
        cls = np.broadcast_to(np.array(patterns, dtype=np.int64)[None],
                              (len(self.f[d]),) + (len(patterns), len(static)))
        real, part = real_count_batch(self.f[d], self.digit[d], cls)
        pos = np.maximum.accumulate(self.pos[d][:, dyn], axis=1)  # [rows, m]
        j = np.arange(K)[None, None, :]
        outside = np.sum(pos[:, :, None] < j, axis=1)  # [rows, K]
        at = np.take_along_axis(pos, np.minimum(outside, m - 1), axis=1)
        pick = 2 * outside + ((outside < m) & (at == j[:, 0, :]))
        return (np.take_along_axis(real, pick, axis=1), np.take_along_axis(part, pick, axis=1))

    def _static_count(self, d: int, static: tuple):
        """(real, part) per padding mapping for fixed digit classes."""
        key = (d, static)
        if key not in self._counts:
            if all(c == FREE for c in static):  # every coordinate: N of N'
                whole = self.ev.suffix[self.rows[d], 0, d]
                self._counts[key] = (np.full_like(whole, self.ctx.problem.bounds[d]), whole)
            else:
                cls = np.broadcast_to(np.array(static, dtype=np.int64), self.f[d].shape)
                self._counts[key] = real_count_batch(self.f[d], self.digit[d], cls)
        return self._counts[key]

    def share(self, t: _Terms, tensor: str, d: int, busiest: int | None):
        """(real, padded) content of the events of ``t`` along ``d`` over the
        mappings that pad it (see ``_Context.share`` in :mod:`.nest`)."""
        ab = self.content(t, tensor, d)
        if ab is None:
            return self.count(t, tensor, d, busiest, ZERO)
        a, b = ab
        free = self.count(t, tensor, d, busiest, FREE)
        if np.isscalar(a) and a == 0 and b == 1:
            return free
        zero = self.count(t, tensor, d, busiest, ZERO)
        if t.value.ndim == 2 and not np.isscalar(a):
            a = a[:, None]
        return b * free[0] + a * zero[0], b * free[1] + a * zero[1]

    def content(self, t: _Terms, tensor: str, d: int):
        """``(a, b)`` of the rank holding ``d`` (``a`` per padding mapping)."""
        for rank in self.ctx.ranks[tensor]:
            for dd, c in rank:
                if dd == d:
                    others = [(d2, c2) for d2, c2 in rank if d2 != d]
                    if not others:
                        return 1 - c, c
                    ext = (self.ev.partition_extents(t.position) if t.kind == "content"
                           else self.ev.suffix[:, t.position, :])[self.rows[d]]
                    return 1 - c + sum(c2 * (ext[:, d2] - 1) for d2, c2 in others), c
        return None

    def total(self, terms: list[_Terms], tensor: str, times=1,
              busiest: int | None = None) -> np.ndarray:
        out = np.zeros(len(self.ev.F), dtype=np.int64)
        for t in terms:
            v = t.value * (times if np.isscalar(times) or t.value.ndim == 1
                           else times[:, None])
            for d in self.dims:
                rows = self.rows[d]
                v[rows] = scale_batch(v[rows], *self.share(t, tensor, d, busiest))
            out += v if v.ndim == 1 else np.sum(v, axis=1)
        return out

    def requests(self, tensor: str, m: Member, arrivals: list[_Terms], ext, tile):
        ev = self.ev
        if m.mode == "pass":
            return arrivals
        if m.mode == "keep":
            L = ev.n_above(m.position)
            if L == 0:
                return [_Terms(tile.copy(), m.position, "first")]
            if self.ctx.boxy[tensor]:
                rel = self.ctx.relevant[tensor][ev.ld[:, :L]]
                hit = rel & (ev.n[:, :L] > 1)
                last = np.where(hit.any(axis=1), L - 1 - np.argmax(hit[:, ::-1], axis=1), -1)
                return [_Terms(ev._fills_boxy(tensor, L, tile), m.position, "stationary",
                               last=last)]
            steps = ev._fills_halo(tensor, L, ext, tile, per_step=True)
            return [_Terms(tile.copy(), m.position, "first"), _Terms(steps, m.position, "steps")]
        return [_Terms(tile * ev.above[:, ev.n_above(m.position)], m.position, "all")]

    def tensor(self, tensor: str, counts, tensor_counts, tiles) -> None:
        ev, ctx = self.ev, self.ctx
        chain = ctx.arch.chain(tensor)
        arrivals: list[_Terms] = []
        bandwidth = {lv.name for lv in ctx.arch.levels
                     if lv.read_bandwidth is not None or lv.write_bandwidth is not None}
        for i in range(len(chain) - 1, -1, -1):
            m = chain[i]
            ext = ev.extents(tensor, m.position)
            tile = np.prod(ext, axis=1)
            if m.mode == "keep":
                tiles[(m.name, tensor)] = self.real_tile(tensor, m.position)
            req = ([_Terms(tile, m.position, "first")] if i == 0
                   else self.requests(tensor, m, arrivals, ext, tile))
            if m.mode != "compute":
                inst = ev.inst[:, m.position]
                part_terms = []
                if m.mode == "keep" and tensor == "Outputs":
                    part_terms = [_Terms(ev.partition(tensor, m.position), m.position,
                                         "content")]
                a = self.total(arrivals, tensor, inst)
                r = a if req is arrivals else self.total(req, tensor, inst)
                ev.record(counts, tensor_counts, m, tensor, a, r,
                          self.total(part_terms, tensor, inst))
                if m.name in bandwidth:
                    p = m.position
                    self.record_busy(m, tensor, self.total(arrivals, tensor, busiest=p),
                                     self.total(req, tensor, busiest=p),
                                     self.total(part_terms, tensor, busiest=p))
            if i > 0:
                parent = chain[i - 1]
                copies = 1
                merged = set()
                for s in ctx.arch.spatial_slots:
                    if parent.position <= s < m.position:
                        copies = copies * ev.distinct(tensor, s)
                        if tensor in ctx.arch.slots[s].reuse:
                            merged.add(s)
                arrivals = [_Terms(t.value * (copies if t.value.ndim == 1 or np.isscalar(copies)
                                              else copies[:, None]),
                                   t.position, t.kind, t.merged | merged, t.last)
                            for t in req]

    def real_tile(self, tensor: str, position: int) -> np.ndarray:
        """The largest real tile: per dim ``min(t, N)`` points."""
        t = np.minimum(self.ev.suffix[:, position, :], self.ctx.bounds[None, :])
        out = np.ones(len(t), dtype=np.int64)
        for rank in self.ctx.ranks[tensor]:
            out = out * (1 + sum(c * (t[:, d] - 1) for d, c in rank))
        return out

    def record_busy(self, m: Member, tensor: str, a, r, part) -> None:
        for action, value in _items(m, tensor, a, r, part):
            self.busy[(m.name, action)] = self.busy.get((m.name, action), 0) + value

    def cycles(self, steps) -> np.ndarray:
        cycles = steps.astype(np.float64)
        for lv in self.ctx.arch.levels:
            if lv.read_bandwidth is not None and (lv.name, "read") in self.busy:
                cycles = np.maximum(cycles, self.busy[(lv.name, "read")] / lv.read_bandwidth)
            if lv.write_bandwidth is not None:
                w = np.zeros_like(steps)
                for a in ("write", "update"):
                    if (lv.name, a) in self.busy:
                        w = w + self.busy[(lv.name, a)]
                cycles = np.maximum(cycles, w / lv.write_bandwidth)
        return cycles
