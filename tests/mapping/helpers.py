"""Small designs, problems and random mappings for the mapping tests."""

from __future__ import annotations

import math
import random

from cimdse.spec.model import Constraints, Design, Location, Node, frozen_mapping
from cimdse.mapping.arch import build_arch
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.problem import DIMS, Problem

TENSORS = ("Inputs", "Weights", "Outputs")


def node(name, kind="component", keep=(), coalesce=(), passes=(), mesh=1, reuse=TENSORS,
         attrs=None, constraints=None, cls="constant"):
    return dict(name=name, kind=kind, keep=keep, coalesce=coalesce, passes=passes,
                mesh=mesh, reuse=reuse, attrs=attrs or {}, constraints=constraints,
                cls=cls)


def make_design(specs, name="test") -> Design:
    nodes, inst, parents = [], 1, []
    for sp in specs:
        mx, my = sp["mesh"] if isinstance(sp["mesh"], tuple) else (sp["mesh"], 1)
        inst *= mx * my
        is_comp = sp["kind"] == "component"
        nodes.append(Node(
            name=sp["name"], kind=sp["kind"], cls=sp["cls"] if is_comp else None,
            attributes=frozen_mapping(sp["attrs"]), mesh_x=mx, mesh_y=my,
            temporal_reuse=frozenset(sp["keep"]), coalesce=frozenset(sp["coalesce"]),
            no_coalesce=frozenset(sp["passes"]), spatial_reuse=frozenset(sp["reuse"]),
            constraints=sp["constraints"] or Constraints(), instances=inst,
            parents=tuple(parents), location=Location()))
        if not is_comp:
            parents.append(sp["name"])
    return Design(name=name, variables=frozen_mapping(), nodes=tuple(nodes))


def random_design(rng: random.Random) -> Design:
    n_comp = rng.randint(2, 5)
    specs = []
    for i in range(n_comp):
        if rng.random() < 0.3:
            specs.append(node(f"box{i}", kind="container", mesh=rng.choice([1, 2, 3, (2, 2)]),
                              reuse=_subset(rng)))
        keep, co, pa = [], [], []
        for t in TENSORS:
            r = rng.random()
            (keep if r < 0.4 else co if r < 0.55 else pa if r < 0.75 else []).append(t)
        if i == n_comp - 1 and not keep:
            keep.append(rng.choice(TENSORS))
        specs.append(node(f"c{i}", keep=keep, coalesce=co, passes=pa,
                          mesh=rng.choice([1, 1, 2, 3, 4]), reuse=_subset(rng)))
    return make_design(specs)


def _subset(rng):
    return tuple(t for t in TENSORS if rng.random() < 0.6)


def random_problem(rng: random.Random, max_points=400) -> Problem:
    while True:
        dims = {d: rng.choice([1, 1, 2, 2, 3, 4]) for d in DIMS}
        if math.prod(dims.values()) <= max_points:
            return Problem.from_dims(dims, stride=(rng.randint(1, 2), rng.randint(1, 2)),
                                     dilation=(rng.randint(1, 2), rng.randint(1, 2)))


def random_mapping(rng: random.Random, arch, problem: Problem) -> Mapping:
    n = len(arch.slots)
    factors = [[1] * len(DIMS) for _ in range(n)]
    for d, b in enumerate(problem.bounds):
        for p in _prime_factors(b):
            factors[rng.randrange(n)][d] *= p
    orders = []
    for _ in range(n):
        o = list(range(len(DIMS)))
        rng.shuffle(o)
        orders.append(o)
    return Mapping.build(factors, orders)


def _prime_factors(n):
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


def random_case(seed: int):
    rng = random.Random(seed)
    design = random_design(rng)
    arch = build_arch(design)
    problem = random_problem(rng)
    return arch, problem, random_mapping(rng, arch, problem)


def random_residual_mapping(rng: random.Random, arch, problem: Problem,
                            p_residual: float = 0.6) -> Mapping:
    """A random mapping whose spatial slots may leave remainders (see
    :mod:`cimdse.mapping.residual`): per dim, inner to outer, a spatial slot
    takes any factor up to what is left (with probability ``p_residual``),
    other slots a divisor of what is left, the outermost slot the rest."""
    n = len(arch.slots)
    factors = [[1] * len(DIMS) for _ in range(n)]
    for d, bound in enumerate(problem.bounds):
        rem = bound
        for s in range(n - 1, 0, -1):
            if arch.slots[s].is_spatial and rem > 1 and rng.random() < p_residual:
                f = rng.randint(1, rem)
                rem = -(-rem // f)
            else:
                f = rng.choice([k for k in range(1, rem + 1) if rem % k == 0])
                rem //= f
            factors[s][d] = f
        factors[0][d] = rem
    orders = []
    for _ in range(n):
        o = list(range(len(DIMS)))
        rng.shuffle(o)
        orders.append(o)
    return Mapping.build(factors, orders)


def random_residual_case(seed: int, max_points: int = 300):
    """``random_case`` with a mapping whose spatial slots may leave remainders."""
    rng = random.Random(seed)
    design = random_design(rng)
    arch = build_arch(design)
    problem = random_problem(rng, max_points)
    return arch, problem, random_residual_mapping(rng, arch, problem)


def padded_dims(problem: Problem, mapping: Mapping) -> list[int]:
    return [d for d, (p, b) in enumerate(zip(mapping.padded_bounds(), problem.bounds)) if p != b]


def slides_on_padded_dim(problem: Problem, mapping: Mapping, tensor: str) -> bool:
    """Whether a padded dim sits in a two-term (sliding-window) rank of ``tensor``."""
    padded = padded_dims(problem, mapping)
    for rank in problem.ranks(tensor):
        live = [d for d, _c in rank if problem.bounds[d] > 1]
        if len(live) > 1 and any(d in padded for d in live):
            return True
    return False
