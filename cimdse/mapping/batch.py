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
        ev.tensor(tensor, counts, tensor_counts, tiles)
    counts[:, ctx.col[(ctx.arch.compute, "compute")]] += ctx.problem.operations
    steps = np.prod(F[:, ctx.temporal_idx, :], axis=(1, 2))
    cycles = ev.cycles(counts, steps)
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
        self.stride32 = self.stride.astype(ctx.cdtype)
        self.nm1_32 = nm1.astype(ctx.cdtype)

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

    def _fills_halo(self, tensor: str, L: int, ext: np.ndarray, tile: np.ndarray):
        # coordinates are bounded by the rank extents (int32 when the context
        # says so); products are taken in int64
        ctx = self.ctx
        halo = ctx.halo_ranks[tensor]
        coef = ctx.coef32[tensor][self.ld[:, :L]]  # [B, L, halo ranks]
        v = self.stride32[:, :L, None] * coef
        w = np.cumsum(self.nm1_32[:, :L, None] * v, axis=1, dtype=ctx.cdtype)
        acc = w[:, L - 1:L, :] - w  # sum over loops inside j
        gap = ext[:, halo].astype(ctx.cdtype)[:, None, :] - np.abs(v - acc)
        overlap = np.prod(np.maximum(gap, 0), axis=2, dtype=np.int64)
        # a boxy rank overlaps fully iff none of its loops at or inside j moves
        boxy = [r for r in range(ext.shape[1]) if r not in halo]
        if boxy:
            hit = ctx.boxy_dims[tensor][self.ld[:, :L]] & (self.n[:, :L] > 1)
            last = np.where(hit.any(axis=1), L - 1 - np.argmax(hit[:, ::-1], axis=1), -1)
            still = np.arange(L)[None, :] > last[:, None]
            overlap = overlap * np.prod(ext[:, boxy], axis=1)[:, None] * still
        return tile + np.sum(self.steps_w[:, :L] * (tile[:, None] - overlap), axis=1)

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
        t = self.ctx.bounds[None, :] // self.spatial_prefix[:, position, :]
        out = np.ones(len(t), dtype=np.int64)
        for rank in self.ctx.ranks[tensor]:
            out *= 1 + sum(c * (t[:, d] - 1) for d, c in rank)
        return out

    def record(self, counts, tensor_counts, m: Member, tensor: str, a, r, part) -> None:
        items = []
        if m.mode == "keep":
            if tensor == "Outputs":
                items = [("update", a), ("read", a - part)]
                if m.name != BACKING:
                    items.append(("write", r - part))
            else:
                items = [("read", a)] + ([("write", r)] if m.name != BACKING else [])
        elif m.mode == "coalesce" and tensor == "Outputs":
            items = [("update", a)]
        else:
            items = [("read", a)]
        for action, value in items:
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
