"""Counts of a published Timeloop run, reproduced exactly.

Reference: Accelergy-Project/timeloop-accelergy-exercises,
workspace/example_designs/example_designs/simple_weight_stationary/
ref_outputs/default_problem/timeloop-mapper.{map.txt,stats.txt}
(commit 67b75f24c84350d85c5e2ed7fdd00e2a53251577): conv C=3 M=32 P=Q=112
R=S=3 stride 2, DRAM -> shared_glb -> 16x16 PEs (pe_spad, weight_reg,
input/output registers). Timeloop's DRAM is our DRAM component below the
zero-cost backing store, so only its reads/updates are compared (Timeloop
reports no fills for its outermost level).
"""

from cimdse.mapping import Problem, analyze, build_arch
from cimdse.mapping.problem import DIM_INDEX, DIMS

from .helpers import make_design, node
from .test_semantics import _mapping, _slot

ALL = ("Inputs", "Weights", "Outputs")


def _order(*outer_first):
    rest = [i for i in range(len(DIMS)) if DIMS[i] not in outer_first]
    return tuple(rest) + tuple(DIM_INDEX[d] for d in outer_first)


def _analyze(arch, problem, temporal: dict, spatial: dict):
    """Analyze the map.txt mapping: ``temporal`` = component -> (dim, factor,
    ... outermost first), ``spatial`` = the PE fanout's factors."""
    per_slot = {_slot(arch, "PE", "spatial"): spatial}
    orders = [tuple(range(len(DIMS)))] * len(arch.slots)
    for name, spec in temporal.items():
        s = _slot(arch, name, "temporal")
        per_slot[s] = dict(zip(spec[::2], spec[1::2]))
        orders[s] = _order(*spec[::2])
    return analyze(arch, problem, _mapping(arch, per_slot, orders))


def _check(counts, expected_per_pe: dict, instances: int, expected: dict) -> None:
    for key, value in expected_per_pe.items():
        assert counts[key] == value * instances, key
    for key, value in expected.items():
        assert counts[key] == value, key


def test_simple_weight_stationary_matches_timeloop():
    design = make_design([
        node("DRAM", keep=ALL), node("shared_glb", keep=ALL),
        node("PE", kind="container", mesh=(16, 16)),
        node("pe_spad", keep=("Weights",)), node("weight_reg", keep=("Weights",)),
        node("input_activation_reg", keep=("Inputs",)),
        node("output_activation_reg", keep=("Outputs",)), node("mac")])
    arch = build_arch(design)
    problem = Problem.from_dims(dict(C=3, M=32, P=112, Q=112, R=3, S=3), stride=2)
    loops = {"DRAM": ("Q", 14), "shared_glb": ("S", 3, "P", 2, "M", 8),
             "pe_spad": ("R", 3, "Q", 2, "P", 2), "weight_reg": ("P", 28, "Q", 4)}
    res = _analyze(arch, problem, loops, {"M": 4, "C": 3})
    c, inst = res.tensor_counts, 12  # 12 utilized PEs
    expected_per_pe = {  # stats.txt, "(per-instance)"
        ("weight_reg", "Weights", "read"): 903168, ("weight_reg", "Weights", "write"): 2016,
        ("pe_spad", "Weights", "read"): 2016, ("pe_spad", "Weights", "write"): 2016,
        ("input_activation_reg", "Inputs", "read"): 903168,
        ("input_activation_reg", "Inputs", "write"): 903168,
        ("output_activation_reg", "Outputs", "update"): 903168,
        ("output_activation_reg", "Outputs", "read"): 802816,
        ("output_activation_reg", "Outputs", "write"): 802816,
    }
    expected = {
        ("shared_glb", "Weights", "read"): 24192, ("shared_glb", "Weights", "write"): 864,
        ("shared_glb", "Inputs", "read"): 2709504, ("shared_glb", "Inputs", "write"): 151875,
        ("shared_glb", "Outputs", "read"): 3211264,
        ("shared_glb", "Outputs", "update"): 3612672,
        ("shared_glb", "Outputs", "write"): 0,
        ("DRAM", "Weights", "read"): 864, ("DRAM", "Inputs", "read"): 151875,
        ("DRAM", "Outputs", "update"): 401408, ("DRAM", "Outputs", "read"): 0,
    }
    _check(c, expected_per_pe, inst, expected)
    assert res.counts[("mac", "compute")] == 10838016
    # "Utilized capacity" in stats.txt
    assert res.tiles[("shared_glb", "Inputs")] == 11475
    assert res.tiles[("shared_glb", "Outputs")] == 28672
    assert res.tiles[("pe_spad", "Weights")] == 3
    assert res.steps == 903168 and res.cycles == 903168


def test_simple_output_stationary_matches_timeloop():
    """Same repository, simple_output_stationary, stats.txt at commit
    09545d3fea96e0d553ffb66a1dec865c538c8e1b (the glb's input tile slides
    with a one-column halo between DRAM iterations)."""
    design = make_design([
        node("DRAM", keep=ALL), node("shared_glb", keep=("Weights", "Inputs")),
        node("PE", kind="container", mesh=(16, 16)), node("pe_spad", keep=("Outputs",)),
        node("weight_reg", keep=("Weights",)), node("input_activation_reg", keep=("Inputs",)),
        node("output_activation_reg", keep=("Outputs",)), node("mac")])
    arch = build_arch(design)
    problem = Problem.from_dims(dict(C=3, M=32, P=112, Q=112, R=3, S=3), stride=2)
    loops = {"DRAM": ("P", 7), "shared_glb": ("P", 16, "Q", 7, "M", 2),
             "pe_spad": ("C", 3, "Q", 4, "S", 3, "R", 3), "weight_reg": ("Q", 4)}
    res = _analyze(arch, problem, loops, {"M": 16})
    c, inst = res.tensor_counts, 16
    expected_per_pe = {
        ("weight_reg", "Weights", "read"): 677376, ("weight_reg", "Weights", "write"): 169344,
        ("pe_spad", "Outputs", "update"): 677376, ("pe_spad", "Outputs", "read"): 652288,
        ("pe_spad", "Outputs", "write"): 0,
        ("input_activation_reg", "Inputs", "read"): 677376,
        ("input_activation_reg", "Inputs", "write"): 677376,
        ("output_activation_reg", "Outputs", "update"): 677376,
        ("output_activation_reg", "Outputs", "read"): 652288,
        ("output_activation_reg", "Outputs", "write"): 652288,
    }
    expected = {
        ("shared_glb", "Weights", "read"): 2709504, ("shared_glb", "Weights", "write"): 864,
        ("shared_glb", "Inputs", "read"): 677376, ("shared_glb", "Inputs", "write"): 151875,
        ("DRAM", "Weights", "read"): 864,
    }
    _check(c, expected_per_pe, inst, expected)
    assert res.tiles[("shared_glb", "Inputs")] == 22275  # "Utilized capacity"
    assert res.cycles == 677376
