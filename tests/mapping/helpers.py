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
