"""Mapspace: which factors each (slot, dim) may take, factor tables, loop orders.

* :func:`allowed_factors`: per slot and dim, the divisors of the bound the
  constraints allow (``factors`` ``=``/``<=``/``>=``, ``factors_only``,
  ``no_iteration_over``, ``must_iterate_over``; spatial factors <= fanout).
  Each exclusion is remembered so infeasibility can be explained.
* :func:`factor_tables`: per dim, every ordered factorisation of its bound
  over the slots, as an int array ``[rows, slots]``: the perfect ones first
  (in a fixed order), then, with ``residual`` spatial slots
  (:func:`allowed_factors`), the residual ones, where a spatial factor may
  leave a remainder and the loops above run the ceiling
  (:mod:`.residual`; Timeloop's Ruby-S mapspace). A residual spatial
  factor is any allowed value up to what is left of the dim (and the
  fanout).
* :func:`loop_orders`: per temporal slot, one order per equivalence class
  instead of all k! permutations. Counts depend on a slot's order only
  through which loops sit inside each tensor's innermost relevant loop, so
  we generate the orders "stationary for T1, then T2, then T3" for the 3!
  tensor priorities (dims irrelevant to T1 innermost, ...), keep only the
  loops that can be non-trivial there, and deduplicate. A user
  ``loop_order`` pins the innermost positions.
* :func:`min_tile_check` / :func:`min_fanout_check`: fail fast when a level
  is too small for the smallest tile, or a fanout for the smallest spatial
  factors, that any mapping could give it.
* :func:`max_utilization_layer`: a layer whose dims are multiplied by every
  node's ``max_utilization`` factors (CiMLoop's full-array runs).

Bounds (so a huge spec ends in a clear error instead of a hang): a dim may be
at most :data:`MAX_DIM_BOUND`; each dim's table is counted before it is built
(:func:`count_factorizations`, a dynamic programme over the divisors;
:func:`count_residual_factorizations`, one over the iterations left, whose
work is bounded by :data:`MAX_RESIDUAL_WORK`) and a table of more than
``max_rows`` rows is a :class:`MapspaceTooLargeError` naming the dim and
what to change. Divisors come from a prime factorisation (O(sqrt n)), never
from a scan up to n.
"""

from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from cimdse.spec.model import TENSORS, Design

from .arch import BACKING as BACKING_NAME
from .arch import Arch
from .errors import MappingError, NoValidMappingError
from .problem import DIM_INDEX, DIMS, Problem


#: Largest loop bound of a problem dim (2**40): divisors stay cheap (trial
#: division to 2**20) and every product of factors fits an int64.
MAX_DIM_BOUND = 2 ** 40
#: Rows of one dim's factor table at most: 2e6 rows x slots x 8 bytes, e.g.
#: 240 MB with 15 loop slots.
MAX_TABLE_ROWS = 2_000_000
#: Steps at most of counting one dim's residual factorisations (candidate
#: factors tried plus trial divisions of the iterations left): about a second.
MAX_RESIDUAL_WORK = 4_000_000


class MapspaceTooLargeError(MappingError):
    """A mapspace that cannot be enumerated within the mapper's bounds."""


@lru_cache(maxsize=4096)
def prime_factors(n: int) -> tuple[tuple[int, int], ...]:
    """``((p, k), ...)`` with ``n = prod p**k``, primes ascending (n >= 1)."""
    out, rest, p = [], int(n), 2
    while p * p <= rest:
        k = 0
        while rest % p == 0:
            rest //= p
            k += 1
        if k:
            out.append((p, k))
        p += 1 if p == 2 else 2
    if rest > 1:
        out.append((rest, 1))
    return tuple(out)


@lru_cache(maxsize=4096)
def _divisors(n: int) -> tuple[int, ...]:
    divs = [1]
    for p, k in prime_factors(n):
        divs = [d * p ** e for d in divs for e in range(k + 1)]
    return tuple(sorted(divs))


def divisors(n: int) -> list[int]:
    """Divisors of ``n`` ascending."""
    return list(_divisors(int(n)))


def smallest_prime_factor(value: int, bound: int) -> int:
    """Smallest prime factor of ``value`` (a divisor of ``bound``); 1 for 1."""
    for p, _ in prime_factors(bound):
        if value % p == 0:
            return p
    return 1


def check_problem_size(problem: Problem) -> None:
    """Reject dims beyond :data:`MAX_DIM_BOUND` before any table is built."""
    for d, bound in enumerate(problem.bounds):
        if bound > MAX_DIM_BOUND:
            raise MapspaceTooLargeError(
                f"mapspace too large for layer {problem.name!r}: dim {DIMS[d]}={bound:.4g} "
                f"exceeds the mapper's maximum {MAX_DIM_BOUND:.4g} (2**40); use a smaller "
                "layer or hardware (max_utilization factors and meshes multiply the dims)")


@dataclass
class Allowed:
    """``values[s][d]``: allowed factors among the divisors of the bound;
    ``why[(s, d)]``: what removed some; ``rules[s][d]``: the tests a factor
    must pass there (any value, for residual factorisations); ``residual``:
    the spatial slots whose factor may leave a remainder."""

    values: list[list[list[int]]]
    why: dict[tuple[int, int], list[str]]
    rules: list[list[list]] = field(default_factory=list)
    residual: frozenset[int] = frozenset()

    def accepts(self, s: int, d: int, value: int) -> bool:
        return all(rule(value) for rule in self.rules[s][d])


def allowed_factors(arch: Arch, problem: Problem, residual: bool = False) -> Allowed:
    """Allowed factors per (slot, dim); ``residual``: spatial slots may leave
    remainders (imperfect spatial factorisation)."""
    values, why, rules = [], {}, []
    for s, slot in enumerate(arch.slots):
        row, rule_row = [], []
        for d, bound in enumerate(problem.bounds):
            keep, reasons, tests = _filter(arch, s, d, bound, problem)
            row.append(keep)
            rule_row.append(tests)
            if reasons:
                why[(s, d)] = reasons
        values.append(row)
        rules.append(rule_row)
    spatial = frozenset(arch.spatial_slots) if residual else frozenset()
    return Allowed(values, why, rules, spatial)


def _filter(arch: Arch, s: int, d: int, bound: int, problem: Problem):
    slot, lc, name = arch.slots[s], arch.slots[s].constraints, DIMS[d]
    where = arch.describe_slot(s)
    vals, reasons, tests = divisors(bound), [], []

    def cut(pred, text):
        nonlocal vals
        tests.append(pred)
        kept = [v for v in vals if pred(v)]
        if len(kept) < len(vals):
            reasons.append(f"{text} at {where}")
        vals = kept

    if lc.factors_only is not None and name not in lc.factors_only:
        cut(lambda v: v == 1, f"factors_only {list(lc.factors_only)}")
    for t in lc.no_iteration_over:
        if d in problem.relevant(t):
            cut(lambda v: v == 1, f"no_iteration_over {t}")
    if lc.must_iterate_over and not any(d in problem.relevant(t)
                                        for t in lc.must_iterate_over):
        cut(lambda v: v == 1, f"must_iterate_over {list(lc.must_iterate_over)}")
    for fc in lc.factors:
        if fc.dim == name and fc.value > 0:
            cut(fc.allows, f"factor {fc}")
    if slot.is_spatial:
        cut(lambda v: v <= slot.limit, f"fanout {slot.limit}")
    return vals, reasons, tests


def factor_tables(arch: Arch, problem: Problem, allowed: Allowed,
                  max_rows: int = MAX_TABLE_ROWS) -> list[np.ndarray]:
    """Per dim, all ordered factorisations ``[rows, slots]`` over allowed factors.

    Raises :class:`MapspaceTooLargeError` (before building anything) if a
    dim has more than ``max_rows`` of them.
    """
    tables = []
    n = len(arch.slots)
    for d, bound in enumerate(problem.bounds):
        per_slot = [allowed.values[s][d] for s in range(n)]
        count = count_factorizations(bound, per_slot)
        if count > max_rows:
            raise MapspaceTooLargeError(_too_large(arch, problem, d, count, max_rows))
        if allowed.residual and bound > 1:
            total = count_residual_factorizations(arch, problem, allowed, d)
            if total > max_rows:
                raise MapspaceTooLargeError(_too_large(arch, problem, d, total, max_rows,
                                                       residual=True))
        rows: list[tuple[int, ...]] = []
        _factorize(bound, 0, n, per_slot, (), rows, max_rows)
        if allowed.residual and bound > 1:
            rows += _residual_rows(arch, problem, allowed, d)
        if not rows:
            raise NoValidMappingError(_no_factorization(arch, problem, allowed, d),
                                      reason=f"dim {DIMS[d]}")
        tables.append(np.array(rows, dtype=np.int64))
    return tables


def _factorize(rest, s, n, allowed, prefix, out, max_rows):
    if len(out) >= max_rows:
        raise MappingError(f"factorisation table larger than {max_rows} rows")
    if s == n - 1:
        if rest in allowed[s]:
            out.append(prefix + (rest,))
        return
    for v in allowed[s]:
        if rest % v == 0:
            _factorize(rest // v, s + 1, n, allowed, prefix + (v,), out, max_rows)


def count_factorizations(bound: int, per_slot: list[list[int]]) -> int:
    """Ordered factorisations of ``bound`` with slot ``s`` taking a factor from
    ``per_slot[s]`` (dynamic programme over the divisors still to place)."""
    ways = {bound: 1}  # divisor still to place -> ways to reach it
    for s, allowed in enumerate(per_slot):
        last = s == len(per_slot) - 1
        nxt: dict[int, int] = {}
        for rest, n in ways.items():
            for v in allowed:
                if v > rest:
                    break
                if rest % v == 0 and (not last or v == rest):
                    nxt[rest // v] = nxt.get(rest // v, 0) + n
        ways = nxt
    return ways.get(1, 0)


def count_residual_factorizations(arch: Arch, problem: Problem, allowed: Allowed,
                                  d: int) -> int:
    """Perfect and residual factorisations of dim ``d`` (see :mod:`.residual`):
    a dynamic programme over the iterations left, inner slot first. Raises
    :class:`MapspaceTooLargeError` when that would take more than
    :data:`MAX_RESIDUAL_WORK` steps."""
    cands = _Candidates(arch, problem, allowed, d)
    ways = {problem.bounds[d]: 1}  # iterations left -> ways to reach them
    for s in range(len(arch.slots) - 1, 0, -1):
        nxt: dict[int, int] = {}
        for rem, n in ways.items():
            for _v, left in cands.moves(s, rem):
                nxt[left] = nxt.get(left, 0) + n
        ways = nxt
    return sum(n for rem, n in ways.items() if allowed.accepts(0, d, rem))


def _residual_rows(arch: Arch, problem: Problem, allowed: Allowed,
                   d: int) -> list[tuple[int, ...]]:
    """The residual (non-perfect) factorisations of dim ``d``, outer slot
    first, in a fixed order (only states that can be completed are entered,
    so the work is bounded by the rows and the slots)."""
    cands = _Candidates(arch, problem, allowed, d)
    out: list[tuple[int, ...]] = []
    stack = [(len(arch.slots) - 1, problem.bounds[d], (), False)]
    while stack:
        s, rem, inner, padded = stack.pop()
        if s == 0:
            if padded:
                out.append((rem,) + inner)
            continue
        for v, left in reversed(cands.moves(s, rem)):
            if cands.completes(s - 1, left):
                stack.append((s - 1, left, (v,) + inner, padded or rem % v != 0))
    return out


class _Candidates:
    """Factors slot ``s`` may take with ``rem`` iterations of dim ``d`` left,
    and the iterations left above: a divisor of ``rem`` at a temporal slot,
    any allowed value up to ``rem`` at a residual spatial slot (memoised;
    the work is counted against :data:`MAX_RESIDUAL_WORK`)."""

    def __init__(self, arch: Arch, problem: Problem, allowed: Allowed, d: int):
        self.arch, self.problem, self.allowed, self.d = arch, problem, allowed, d
        self.work = 0
        self._moves: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self._spatial: dict[int, list[int]] = {}
        self._completes: dict[tuple[int, int], bool] = {}

    def moves(self, s: int, rem: int) -> list[tuple[int, int]]:
        key = (s, rem)
        if key not in self._moves:
            if s in self.allowed.residual:
                values = self._spatial_values(s)
                values = values[:bisect.bisect_right(values, rem)]
                self._spend(len(values))
                self._moves[key] = [(v, -(-rem // v)) for v in values]
            else:
                self._spend(math.isqrt(rem) // 2 + 1)
                self._moves[key] = [(v, rem // v) for v in divisors(rem)
                                    if self.allowed.accepts(s, self.d, v)]
        return self._moves[key]

    def completes(self, s: int, rem: int) -> bool:
        """Whether slots ``s`` .. 0 can take ``rem`` iterations."""
        key = (s, rem)
        if key not in self._completes:
            if s == 0:
                self._completes[key] = self.allowed.accepts(0, self.d, rem)
            else:
                self._completes[key] = any(self.completes(s - 1, left)
                                           for _v, left in self.moves(s, rem))
        return self._completes[key]

    def _spatial_values(self, s: int) -> list[int]:
        if s not in self._spatial:
            top = min(self.arch.slots[s].limit, self.problem.bounds[self.d])
            self._spend(top)
            self._spatial[s] = [v for v in range(1, top + 1)
                                if self.allowed.accepts(s, self.d, v)]
        return self._spatial[s]

    def _spend(self, steps: int) -> None:
        self.work += steps
        if self.work > MAX_RESIDUAL_WORK:
            bound = self.problem.bounds[self.d]
            raise MapspaceTooLargeError(
                f"mapspace too large for layer {self.problem.name!r}: the residual "
                f"(imperfect spatial) factorisations of dim {DIMS[self.d]}={bound} take "
                f"more than {MAX_RESIDUAL_WORK:,} steps to count; set "
                f"mapper.imperfect_spatial: false, or constrain {DIMS[self.d]} with "
                "constraints.spatial factors or factors_only")


def _too_large(arch: Arch, problem: Problem, d: int, count: int, max_rows: int,
               residual: bool = False) -> str:
    free = [arch.slots[s].node for s in range(len(arch.slots))
            if arch.slots[s].node != BACKING_NAME] or ["the backing store"]
    kind = "perfect and residual (imperfect spatial)" if residual else "ordered"
    also = ", or set mapper.imperfect_spatial: false" if residual else ""
    return (f"mapspace too large for layer {problem.name!r}: dim {DIMS[d]}="
            f"{problem.bounds[d]} has {count:.3g} {kind} factorisations over the "
            f"{len(arch.slots)} loop levels (limit {max_rows:,}); reduce the layer or the "
            f"array (e.g. its rows/columns), or constrain {DIMS[d]} with "
            f"constraints.temporal/spatial factors or factors_only on some of: "
            f"{', '.join(dict.fromkeys(free))}{also}")


def _no_factorization(arch, problem, allowed, d) -> str:
    reasons = sorted({r for s in range(len(arch.slots)) for r in allowed.why.get((s, d), [])})
    return (f"no valid mapping for layer {problem.name!r}: dim {DIMS[d]}={problem.bounds[d]} "
            f"cannot be split over the loops; restricted by: {'; '.join(reasons) or 'none'}")


def loop_orders(arch: Arch, problem: Problem, allowed: Allowed) -> list[list[tuple[int, ...]]]:
    """Per slot, the candidate orders (dim indices outermost first). A dim
    whose only loop at a slot comes from a residual factorisation (a factor
    of the iterations left that does not divide the bound) sits with the
    other unordered dims above the ordered ones."""
    out = []
    rel = {t: problem.relevant(t) for t in TENSORS}
    for s, slot in enumerate(arch.slots):
        if slot.is_spatial:
            out.append([tuple(range(len(DIMS)))])
            continue
        live = [d for d in range(len(DIMS)) if max(allowed.values[s][d]) > 1]
        pinned = [DIM_INDEX[x] for x in slot.constraints.loop_order if x in DIM_INDEX]
        free = [d for d in live if d not in pinned]
        seen, orders = set(), []
        for prio in itertools.permutations(TENSORS):
            inner_first = sorted(free, key=lambda d: tuple(d in rel[t] for t in prio) + (d,))
            key = tuple(reversed(inner_first)) + tuple(pinned)
            if key in seen:
                continue
            seen.add(key)
            rest = [d for d in range(len(DIMS)) if d not in key]
            orders.append(tuple(rest) + key)
        out.append(orders)
    return out


def min_tile_check(arch: Arch, problem: Problem, tables: list[np.ndarray]) -> None:
    """Raise if some level cannot hold even the smallest possible tiles."""
    for lv in arch.levels:
        if lv.capacity is None:
            continue
        p = lv.position
        # the real tile: phantom points of a residual factorisation take no room
        t = [min(int(tab[:, p:].prod(axis=1).min()), b) for tab, b in zip(tables, problem.bounds)]
        kept = [x for x, mode in lv.modes if mode == "keep"]
        need = {x: problem.footprint(x, tuple(t)) for x in kept}
        if sum(need.values()) > lv.capacity:
            parts = ", ".join(f"{x} {v}" for x, v in need.items())
            raise NoValidMappingError(
                f"no valid mapping for layer {problem.name!r}: buffer '{lv.name}' is too "
                f"small for any tile: the smallest tiles need {sum(need.values())} elements "
                f"({parts}), capacity is {lv.capacity:g}", reason=f"capacity of '{lv.name}'")


def min_fanout_check(arch: Arch, problem: Problem, tables: list[np.ndarray]) -> None:
    """Raise if some fanout is too small even for the smallest spatial factors
    the constraints allow."""
    for s, slot in enumerate(arch.slots):
        if not slot.is_spatial:
            continue
        least = [int(tab[:, s].min()) for tab in tables]
        if math.prod(least) > slot.limit:
            forced = " x ".join(f"{DIMS[d]}={f}" for d, f in enumerate(least) if f > 1)
            raise NoValidMappingError(
                f"no valid mapping for layer {problem.name!r}: the constraints force "
                f"{forced} = {math.prod(least)} spatial instances at '{slot.node}', which "
                f"has {slot.limit}", reason=f"spatial fanout of '{slot.node}'")


def max_utilization_layer(design: Design, layer):
    """``layer`` with each dim multiplied by every node's ``max_utilization``
    factor (dims default to the layer's own bound)."""
    dims = dict(layer.dims)
    for node in design.nodes:
        for d, f in node.constraints.max_utilization.items():
            if d not in dims:
                raise MappingError(f"node '{node.name}': max_utilization names unknown dim {d!r}")
            dims[d] = dims[d] * int(f)
    if hasattr(layer, "with_dims"):
        return layer.with_dims(**dims)
    return Problem.from_dims(dims, layer.stride, layer.dilation, layer.name)


def space_size(tables: list[np.ndarray], n_templates: int) -> int:
    return math.prod(len(t) for t in tables) * n_templates


__all__ = ["Allowed", "MAX_DIM_BOUND", "MAX_RESIDUAL_WORK", "MAX_TABLE_ROWS",
           "MapspaceTooLargeError", "allowed_factors", "check_problem_size",
           "count_factorizations", "count_residual_factorizations", "divisors",
           "factor_tables", "loop_orders", "max_utilization_layer", "min_fanout_check",
           "min_tile_check", "prime_factors", "smallest_prime_factor", "space_size"]
