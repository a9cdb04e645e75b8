"""Search: find the best mapping of one problem on one design.

Candidates are factor arrays ``F[B, slots, dims]`` plus, per temporal
slot, the index of a loop-order class (:func:`.mapspace.loop_orders`),
evaluated in batches by :mod:`.batch`. With ``imperfect_spatial`` (the
default) the factor tables also hold residual factorisations, where a
spatial factor leaves a remainder (:mod:`.residual`); off, the mapspace
and the search are the perfect-factorisation ones. Pruning, cheapest first:
constraint-filtered factor tables (:mod:`.mapspace`), a fail-fast minimum
tile check, the spatial mesh-fit check (before evaluation), then capacity
and min_utilization (inside the batch evaluation).

Algorithms:

* ``exhaustive``: when the whole space (product of the per-dim table sizes
  x loop-order classes) fits in ``max_evaluations``, every mapping is
  evaluated in chunks. Otherwise (real layers: 1e10+ mappings) it falls
  back to ``random`` (logged at info level).
* ``random``: random-pruned search with local refinement. An "island"
  starts from a batch of uniformly drawn factorisations and loop-order
  classes; its best ``elites`` (distinct scores) then breed batches of
  children by 0-3 moves of one prime factor of one dim to another slot
  and/or a new loop-order class for one slot ((mu + lambda) selection).
  An island that stops improving for ``patience`` batches is restarted
  from fresh random candidates; the global best is kept. With residual
  factorisations in the tables the search runs twice: first over the
  perfect factorisations only, exactly as with ``imperfect_spatial`` off,
  on half of ``max_evaluations`` and ``timeout_s``; then it continues from
  that search's elites with residual ones allowed (its own
  ``min_evaluations`` and victory count), so the result is never worse
  than the first phase's. There each dim of a fresh candidate is drawn from
  its residual rows one time in four (:data:`RESIDUAL_SHARE`), else from
  its perfect ones, and a move shifts a prime factor of a perfectly
  factorised dim, steps one dim to a nearby row of its table or redraws
  it. Stops when
  ``victory_condition`` valid mappings in a row have not improved the best
  by 0.1 % (Timeloop-like, after ``min_evaluations``), or after
  ``max_evaluations`` candidates or ``timeout_s`` seconds. Deterministic
  for a given seed unless the timeout cuts the search.

Metrics: ``energy``, ``delay`` (cycles), ``edp``, or ``pareto`` (keeps the
energy/cycles Pareto set; the best-EDP point is returned as the mapping).
When nothing is valid, :class:`NoValidMappingError` names the check that
rejected the most candidates.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from cimdse.spec.model import MAPPER_METRICS, MapperSettings

from cimdse.pricing import ActionTable
from .arch import Arch, fits_mesh_batch
from .batch import BatchContext, evaluate_batch
from .errors import MappingError, NoValidMappingError
from .gating import LeakModel
from .mapping import Mapping
from .mapspace import (allowed_factors, check_problem_size, divisors, factor_tables,
                       loop_orders, min_fanout_check, min_tile_check, smallest_prime_factor,
                       space_size)
from .problem import Problem

log = logging.getLogger(__name__)

#: the spec's mapper defaults: one definition (cimdse.spec.model.MapperSettings)
_SPEC = MapperSettings()
METRICS = MAPPER_METRICS
TOLERANCE = 1e-3
#: odds that a fresh draw of one dim's factors is a residual factorisation
RESIDUAL_SHARE = 0.25


@dataclass
class SearchSettings:
    """Search options. ``max_evaluations``: candidates evaluated at most;
    ``timeout_s``: wall-clock bound; ``victory_condition``: stop after this
    many valid mappings without a 0.1 % improvement of the best, but not
    before ``min_evaluations``; ``batch_size``: candidates per numpy batch
    (bounds memory); ``elites``: size of the local-search population;
    ``patience``: batches without improving the current island before it is
    restarted from fresh random candidates; ``imperfect_spatial``: spatial
    factors may leave a remainder (off: perfect factorisation only)."""

    metric: str = _SPEC.metric
    algorithm: str = _SPEC.algorithm
    max_evaluations: int = _SPEC.max_evaluations
    timeout_s: float = _SPEC.timeout_s
    victory_condition: int = _SPEC.victory_condition
    min_evaluations: int = 40_000  # random search: never stop by victory before this
    seed: int = _SPEC.seed
    batch_size: int = 8192
    elites: int = 32
    patience: int = 4  # generations without improvement before an island restarts
    progress: bool | None = None  # None: only on a TTY
    #: spatial factors may leave a remainder (Ruby-S residual factorisation)
    imperfect_spatial: bool = _SPEC.imperfect_spatial

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise MappingError(f"unknown mapper metric {self.metric!r}; expected one of "
                               f"{', '.join(METRICS)}")
        if self.algorithm not in ("exhaustive", "random"):
            raise MappingError(f"unknown mapper algorithm {self.algorithm!r}; expected "
                               "'exhaustive' or 'random'")


@dataclass
class SearchResult:
    mapping: Mapping
    energy_pj: float
    cycles: float
    evaluated: int
    valid: int
    seconds: float
    pareto: list[tuple[float, float, Mapping]] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)


class _Space:
    """Factor tables, per-slot loop-order classes and lookups for one (arch, problem).

    A candidate is ``F[B, slots, dims]`` plus ``O[B, temporal slots]``, the
    index of each temporal slot's loop-order class.
    """

    def __init__(self, arch: Arch, problem: Problem, residual: bool = False):
        self.arch, self.problem = arch, problem
        check_problem_size(problem)
        allowed = allowed_factors(arch, problem, residual=residual)
        self.tables = factor_tables(arch, problem, allowed)
        bounds = np.array(problem.bounds, dtype=np.int64)
        #: rows of each table that are perfect factorisations (they come first)
        self.n_perfect = [int((t.prod(axis=1) == b).sum()) for t, b in zip(self.tables, bounds)]
        self.residual = any(len(t) > n for t, n in zip(self.tables, self.n_perfect))
        #: draw and move within the perfect rows only (the first search phase)
        self.perfect_only = False
        self.bounds = bounds
        min_tile_check(arch, problem, self.tables)
        min_fanout_check(arch, problem, self.tables)
        orders = loop_orders(arch, problem, allowed)
        self.tslots = np.array(arch.temporal_slots, dtype=np.intp)
        self.order_tabs = [np.array(orders[s], dtype=np.intp) for s in self.tslots]
        self.n_orders = np.array([len(t) for t in self.order_tabs], dtype=np.int64)
        self.shape = (len(arch.slots), len(problem.bounds))
        self.factors = _FactorIndex(problem.bounds, allowed.values)
        self.size = space_size(self.tables, int(np.prod(self.n_orders)))
        self.rows = [_RowIndex(t) for t in self.tables] if self.residual else None

    def orders(self, O: np.ndarray) -> np.ndarray:
        """Per-mapping loop orders ``[B, slots, dims]`` from class indices."""
        out = np.zeros((len(O),) + self.shape, dtype=np.intp)
        for k, s in enumerate(self.tslots):
            out[:, s, :] = self.order_tabs[k][O[:, k]]
        return out

    def mapping(self, F: np.ndarray, O: np.ndarray) -> Mapping:
        return Mapping.build(F, self.orders(O[None, :])[0])

    def random(self, rng, B):
        if self.residual and not self.perfect_only:
            rows = [t[self._draw(rng, d, B)] for d, t in enumerate(self.tables)]
        else:  # the perfect rows come first
            rows = [t[rng.integers(0, n, B)] for t, n in zip(self.tables, self.n_perfect)]
        O = rng.integers(0, self.n_orders, (B, len(self.n_orders)))
        return np.stack(rows, axis=2), O

    def _draw(self, rng, d: int, B: int) -> np.ndarray:
        """Row indices of table ``d``: a residual row one time in
        :data:`RESIDUAL_SHARE`, else a perfect one (residual rows outnumber
        the perfect ones; most good mappings leave a remainder in few dims)."""
        n, total = self.n_perfect[d], len(self.tables[d])
        if n in (0, total):
            return rng.integers(0, total, B)
        perfect = rng.integers(0, n, B)
        residual = rng.integers(n, total, B)
        return np.where(rng.random(B) < RESIDUAL_SHARE, residual, perfect)

    def enumerate(self, start, stop):
        shape = [len(t) for t in self.tables] + list(self.n_orders)
        idx = np.unravel_index(np.arange(start, stop), shape)
        nd = len(self.tables)
        F = np.stack([t[i] for t, i in zip(self.tables, idx[:nd])], axis=2)
        O = np.stack(idx[nd:], axis=1) if len(idx) > nd else np.zeros((len(F), 0), np.int64)
        return F, O

    def mutate(self, rng, F, O):
        """1-3 moves of a prime factor between slots, or a new order for one slot."""
        if self.residual and not self.perfect_only:
            return self._mutate_residual(rng, F, O)
        F, O = F.copy(), O.copy()
        B = len(F)
        ok = np.ones(B, dtype=bool)
        n_moves = rng.integers(0, 4, B)
        for k in range(3):
            sel = np.flatnonzero(n_moves > k)
            if len(sel):
                ok[sel] &= self._move(rng, F, sel)
        if len(self.n_orders):
            sel = np.flatnonzero((n_moves == 0) | (rng.random(B) < 0.2))
            slot = rng.integers(0, len(self.n_orders), len(sel))
            O[sel, slot] = rng.integers(0, self.n_orders[slot])
        return F[ok], O[ok]

    def _mutate_residual(self, rng, F, O):
        """:meth:`mutate` over residual tables: each move shifts a prime factor
        of a perfectly factorised dim, steps one dim to a nearby row of its
        table (rows ordered by their factors, innermost slot first: the
        nearest rows share the inner factors and differ in the remainder or
        the split above it) or redraws one dim's row."""
        F, O = F.copy(), O.copy()
        B = len(F)
        ok = np.ones(B, dtype=bool)
        n_moves = rng.integers(0, 4, B)
        many = np.array([len(t) > 1 for t in self.tables])
        for k in range(3):
            sel = np.flatnonzero(n_moves > k)
            if not len(sel) or not many.any():
                continue
            kind = rng.integers(0, 3, len(sel))
            shift = sel[kind == 0]
            # residual columns hold factors that are not divisors: no prime moves there
            perfect = np.prod(F[shift], axis=1) == self.bounds[None, :]
            can = ((F[shift] > 1) & perfect[:, None, :]).any(axis=(1, 2))
            if can.any():
                ok[shift[can]] &= self._move(rng, F, shift[can], columns=perfect[can])
            step = np.concatenate([sel[kind == 1], shift[~can]])
            pick = sel[kind == 2]
            for rows, near in ((step, True), (pick, False)):
                if not len(rows):
                    continue
                d = np.flatnonzero(many)[rng.integers(0, int(many.sum()), len(rows))]
                for dim in np.unique(d):
                    these = rows[d == dim]
                    index = self.rows[dim]
                    if near:
                        new = index.near(rng, F[these, :, dim])
                    else:
                        new = self._draw(rng, int(dim), len(these))
                    F[these, :, dim] = self.tables[dim][new]
        if len(self.n_orders):
            sel = np.flatnonzero((n_moves == 0) | (rng.random(B) < 0.2))
            slot = rng.integers(0, len(self.n_orders), len(sel))
            O[sel, slot] = rng.integers(0, self.n_orders[slot])
        return F[ok], O[ok]

    def _move(self, rng, F, sel, columns=None):
        """Move a prime factor of one dim between two slots (in place); only
        dims where ``columns`` is set, if given. Returns which moves are valid."""
        S = F.shape[1]
        f = F[sel]
        b = np.arange(len(sel))
        movable = f > 1
        if columns is not None:
            movable &= columns[:, None, :]
        dim_ok = movable.any(axis=1)
        d = np.argmax(rng.random(dim_ok.shape) * dim_ok, axis=1)
        src = np.argmax(rng.random((len(sel), S)) * movable[b, :, d], axis=1)
        dst = (src + rng.integers(1, S, len(sel))) % S if S > 1 else src
        index = self.factors
        p = index.spf[index.of(d, f[b, src, d])]
        f[b, src, d] //= p
        f[b, dst, d] *= p
        ok = (index.allowed[dst, index.of(d, f[b, dst, d])]
              & index.allowed[src, index.of(d, f[b, src, d])] & dim_ok[b, d])
        F[sel] = f
        return ok

    def spatial_ok(self, F, rejected: Counter | None = None):
        """Mask of candidates whose spatial loops fit every mesh; counts the
        first failing fanout of each rejected candidate in ``rejected``."""
        ok = np.ones(len(F), dtype=bool)
        for s in self.arch.spatial_slots:
            fit = fits_mesh_batch(F[:, s, :], self.arch.slots[s].mesh)
            if rejected is not None and not fit.all():
                n = int((ok & ~fit).sum())
                if n:
                    rejected[f"spatial fanout of '{self.arch.slots[s].node}'"] += n
            ok &= fit
        return ok


class _FactorIndex:
    """Lookups over the factors a dim can take, i.e. the divisors of its bound.

    Every factor of a candidate divides its dim's bound (moves keep the
    product), so tables indexed by divisor need memory ~ slots x divisors,
    not slots x the bound itself. ``of(d, values)`` gives the flat index of
    each ``values[i]`` among the divisors of dim ``d[i]``; ``allowed[s, k]``
    says whether slot ``s`` may take divisor ``k``; ``spf[k]`` is its
    smallest prime factor (1 for 1).
    """

    def __init__(self, bounds, allowed_values):
        self.divs = [np.array(divisors(b), dtype=np.int64) for b in bounds]
        self.offset = np.cumsum([0] + [len(x) for x in self.divs])[:-1]
        self.allowed = np.zeros((len(allowed_values), int(sum(map(len, self.divs)))), bool)
        for s, per_dim in enumerate(allowed_values):
            for d, values in enumerate(per_dim):
                self.allowed[s, self.offset[d] + np.searchsorted(self.divs[d], values)] = True
        self.spf = np.array([smallest_prime_factor(int(v), int(b))
                             for b, divs in zip(bounds, self.divs) for v in divs], np.int64)

    def of(self, d: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.empty(len(values), dtype=np.int64)
        for dim in np.unique(d):
            pick = d == dim
            out[pick] = self.offset[dim] + np.searchsorted(self.divs[dim], values[pick])
        return out


class _RowIndex:
    """Finds a factor column's row in a dim's table (a hash of the row,
    checked against the row itself) and steps to nearby rows: the rows
    sorted by their factors, innermost slot first."""

    def __init__(self, table: np.ndarray):
        self.table = table
        weights = np.random.default_rng(0).integers(1, 2 ** 61, table.shape[1]) | 1
        self.weights = weights
        h = self._hash(table)
        self.by_hash = np.argsort(h, kind="stable")
        self.hashes = h[self.by_hash]
        self.sorted = np.lexsort(table.T)  # last column (innermost slot) most significant
        self.rank = np.empty(len(table), dtype=np.int64)
        self.rank[self.sorted] = np.arange(len(table))

    def _hash(self, rows: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.einsum("bs,s->b", rows, self.weights)

    def find(self, rows: np.ndarray) -> np.ndarray:
        """Row index of each column in ``rows`` ``[B, slots]`` (-1 if absent)."""
        at = np.minimum(np.searchsorted(self.hashes, self._hash(rows)), len(self.hashes) - 1)
        idx = self.by_hash[at]
        return np.where((self.table[idx] == rows).all(axis=1), idx, -1)

    def near(self, rng, rows: np.ndarray) -> np.ndarray:
        """A row a few places away (up to ~sqrt(rows)) in the sorted order."""
        n = len(self.table)
        i = self.find(rows)
        reach = np.maximum(1, np.round(n ** (rng.random(len(rows)) * 0.5))).astype(np.int64)
        delta = np.where(rng.random(len(rows)) < 0.5, -reach, reach)
        start = np.where(i >= 0, self.rank[np.maximum(i, 0)], rng.integers(0, n, len(rows)))
        return self.sorted[np.clip(start + delta, 0, n - 1)]


class _Pool:
    """The global best, the Pareto set and the current island's elites."""

    def __init__(self, metric: str, n_elites: int):
        self.metric, self.n = metric, n_elites
        self.score = np.inf
        self.best = None
        self.island = np.inf
        self.elite_F = self.elite_O = self.elite_s = None
        self.pareto: list[tuple[float, float, np.ndarray, np.ndarray]] = []

    def offer(self, F, O, energy, cycles) -> tuple[bool, bool]:
        """Returns (improved the global best by > 0.1 %, improved the island)."""
        score = {"energy": energy, "delay": cycles}.get(self.metric, energy * cycles)
        i = int(np.argmin(score))
        improved = score[i] < self.score * (1 - TOLERANCE)
        if score[i] < self.score:
            self.score = float(score[i])
            self.best = (F[i].copy(), O[i].copy(), float(energy[i]), float(cycles[i]))
        island = score[i] < self.island * (1 - TOLERANCE)
        self.island = min(self.island, float(score[i]))
        self._elites(F, O, score)
        if self.metric == "pareto":
            self._pareto(F, O, energy, cycles)
        return bool(improved), bool(island)

    def restart(self) -> None:
        self.island = np.inf
        self.elite_F = self.elite_O = self.elite_s = None

    def _elites(self, F, O, score):
        k = min(4 * self.n, len(score))
        top = np.argpartition(score, k - 1)[:k]
        if self.elite_F is None:
            allF, allO, alls = F[top], O[top], score[top]
        else:
            allF = np.concatenate([self.elite_F, F[top]])
            allO = np.concatenate([self.elite_O, O[top]])
            alls = np.concatenate([self.elite_s, score[top]])
        _, first = np.unique(alls, return_index=True)  # one per distinct score
        keep = first[:self.n]
        self.elite_F, self.elite_O, self.elite_s = allF[keep], allO[keep], alls[keep]

    def _pareto(self, F, O, energy, cycles):
        order = np.lexsort((cycles, energy))
        c = cycles[order]
        prev = np.concatenate([[np.inf], np.minimum.accumulate(c)[:-1]])
        front = [(float(energy[i]), float(cycles[i]), F[i].copy(), O[i].copy())
                 for i in order[c < prev]]
        pts = sorted(front + self.pareto, key=lambda p: (p[0], p[1]))
        merged, best_c = [], np.inf
        for p in pts:
            if p[1] < best_c:
                merged.append(p)
                best_c = p[1]
        self.pareto = merged


def search(arch: Arch, problem: Problem, table: ActionTable,
           settings: SearchSettings | None = None) -> SearchResult:
    """Best mapping of ``problem`` on ``arch`` priced with ``table``."""
    settings = settings or SearchSettings()
    rng = np.random.default_rng(settings.seed)
    t0 = time.perf_counter()
    space = _Space(arch, problem, residual=settings.imperfect_spatial)
    run = _Run(space, BatchContext(arch, problem), table, settings, rng, t0)
    if settings.algorithm == "exhaustive" and space.size <= settings.max_evaluations:
        run.exhaustive()
    else:
        if settings.algorithm == "exhaustive":
            log.info("%s: mapspace has %.3g mappings > max_evaluations %d; using "
                     "random-pruned search", problem.name, space.size,
                     settings.max_evaluations)
        run.random()
    return run.result()


class _Run:
    def __init__(self, space: _Space, ctx: BatchContext, table: ActionTable,
                 settings: SearchSettings, rng, t0: float):
        self.space, self.ctx, self.settings, self.rng, self.t0 = space, ctx, settings, rng, t0
        self.evec = table.vector(ctx.keys)
        self.leak = LeakModel.of(ctx.arch, table)
        self.pool = _Pool(settings.metric, settings.elites)
        self.evaluated = self.valid = self.stale = self.candidates = 0
        self.rejected: Counter = Counter()
        show = sys.stderr.isatty() if settings.progress is None else settings.progress
        self.bar = None
        if show:
            from tqdm import tqdm
            self.bar = tqdm(total=min(space.size, settings.max_evaluations), unit="map",
                            desc=space.problem.name, leave=False)

    def evaluate(self, F, O) -> bool:
        """Evaluate a batch; True if the current island improved."""
        n = len(F)
        self.candidates += n
        ok = self.space.spatial_ok(F, self.rejected)
        if not ok.all():
            F, O = F[ok], O[ok]
        improved = False
        if len(F):
            improved = self._score(F, O)
        if self.bar is not None:
            self.bar.update(n)
        return improved

    def _score(self, F, O) -> bool:
        res = evaluate_batch(self.ctx, self.space.orders(O), F, check_mesh=False)
        self.evaluated += len(F)
        valid = res.valid
        if not valid.all():
            for code, n in zip(*np.unique(res.code[~valid], return_counts=True)):
                self.rejected[res.reasons[code - 1]] += int(n)
        if not valid.any():
            return False
        counts, cycles = res.counts[valid], res.cycles[valid]
        leak = self.leak.per_cycle(self.ctx.arch, F[valid])
        energy = np.einsum("bk,k->b", counts, self.evec) + leak * cycles
        n_valid = int(valid.sum())
        self.valid += n_valid
        improved, island = self.pool.offer(F[valid], O[valid], energy, cycles)
        self.stale = 0 if improved else self.stale + n_valid
        return island

    def exhaustive(self) -> None:
        chunk = self.settings.batch_size
        for start in range(0, self.space.size, chunk):
            self.evaluate(*self.space.enumerate(start, min(self.space.size, start + chunk)))
            if time.perf_counter() - self.t0 > self.settings.timeout_s:
                log.warning("%s: exhaustive search stopped by timeout after %d mappings",
                            self.space.problem.name, self.evaluated)
                break

    def random(self) -> None:
        """Islands of (mu + lambda) local search, restarted when they stall;
        with residual factorisations, first over the perfect ones only."""
        s = self.settings
        if not self.space.residual:
            self._islands(s.max_evaluations, s.timeout_s)
            return
        self.space.perfect_only = True
        self._islands(s.max_evaluations // 2, s.timeout_s / 2)
        self.space.perfect_only = False  # from the perfect search's elites on
        self._islands(s.max_evaluations, s.timeout_s)

    def _islands(self, max_candidates: int, timeout_s: float) -> None:
        s, B = self.settings, self.settings.batch_size
        idle, start = 0, self.evaluated
        self.stale = 0
        while self.candidates < max_candidates:
            if self.pool.elite_F is None:
                F, O = self.space.random(self.rng, B)
            else:
                pick = self.rng.integers(0, len(self.pool.elite_F), B)
                F, O = self.space.mutate(self.rng, self.pool.elite_F[pick],
                                         self.pool.elite_O[pick])
            idle = 0 if self.evaluate(F, O) else idle + 1
            if idle >= s.patience:
                self.pool.restart()
                idle = 0
            if time.perf_counter() - self.t0 > timeout_s:
                break
            if self.evaluated - start >= s.min_evaluations and self.stale >= s.victory_condition:
                break

    def result(self) -> SearchResult:
        if self.bar is not None:
            self.bar.close()
        if self.pool.best is None:
            raise NoValidMappingError(self._why(), reason=self._top_reason())
        F, O, energy, cycles = self.pool.best
        pareto = [(e, c, self.space.mapping(f, o)) for e, c, f, o in self.pool.pareto]
        return SearchResult(self.space.mapping(F, O), energy, cycles, self.evaluated,
                            self.valid, time.perf_counter() - self.t0, pareto,
                            dict(self.rejected))

    def _top_reason(self) -> str:
        return self.rejected.most_common(1)[0][0] if self.rejected else "none"

    def _why(self) -> str:
        total = sum(self.rejected.values())
        parts = ", ".join(f"{r}: {n}" for r, n in self.rejected.most_common(4))
        return (f"no valid mapping for layer {self.space.problem.name!r}: "
                f"all {total} candidates were rejected, most by {self._top_reason()} "
                f"({parts})")
