"""Hand-computed counts and the reuse semantics of the CiMLoop artifact (mit-emze/cimloop)."""

import math

import pytest

from cimdse.mapping.arch import BACKING, build_arch
from cimdse.mapping.mapping import Mapping
from cimdse.mapping.nest import analyze
from cimdse.mapping.problem import DIM_INDEX, DIMS, Problem

from .brute import simulate
from .helpers import make_design, node


def _mapping(arch, per_slot, orders=None):
    """per_slot: {slot index: {dim: factor}}."""
    factors = [[1] * len(DIMS) for _ in arch.slots]
    for s, fs in per_slot.items():
        for d, f in fs.items():
            factors[s][DIM_INDEX[d]] = f
    return Mapping.build(factors, orders)


def test_hand_computed_buffer_and_pe_array():
    design = make_design([
        node("buf", keep=("Inputs", "Weights", "Outputs")),
        node("pe", keep=("Weights",), mesh=2, reuse=("Inputs", "Outputs")),
    ])
    arch = build_arch(design)
    assert [s.kind for s in arch.slots] == ["temporal", "temporal", "spatial", "temporal"]
    problem = Problem.from_dims({"M": 2, "C": 2, "P": 4})
    m = _mapping(arch, {0: {"P": 2}, 1: {"P": 2}, 2: {"M": 2}, 3: {"C": 2}})
    res = analyze(arch, problem, m)
    c = res.tensor_counts
    # Weights: each PE holds its 2 weights for the whole run (P loops irrelevant)
    assert c[("pe", "Weights", "write")] == 4
    assert c[("pe", "Weights", "read")] == 16  # one per MAC
    assert c[("buf", "Weights", "write")] == 4 and c[("buf", "Weights", "read")] == 4
    assert c[(BACKING, "Weights", "read")] == 4
    # Inputs: multicast to both PEs (M irrelevant); buffer tile C2 x P2 refilled twice
    assert c[("buf", "Inputs", "read")] == 8
    assert c[("buf", "Inputs", "write")] == 8
    # Outputs: 16 updates arrive at buf (M relevant: no reduction across PEs);
    # the first update of each of the 8 outputs is a write: 16 - 8 reads
    assert c[("buf", "Outputs", "update")] == 16
    assert c[("buf", "Outputs", "read")] == 8
    assert c[("buf", "Outputs", "write")] == 0  # no output leaves and comes back
    assert c[(BACKING, "Outputs", "update")] == 8
    assert res.counts[("pe", "compute")] == 16
    assert res.steps == 8 and res.cycles == 8.0
    assert res.tensor_counts == simulate(arch, problem, m)[0]


def test_sliding_window_halo_fills():
    # buffer holds a 3-wide input window (P1 R3); P=4 above it slides by 1
    design = make_design([node("buf", keep=("Inputs",)), node("mac", keep=("Weights",))])
    arch = build_arch(design)
    problem = Problem.from_dims({"P": 4, "R": 3})
    m = _mapping(arch, {0: {"P": 4}, 1: {"R": 3}})
    res = analyze(arch, problem, m)
    assert res.tiles[("buf", "Inputs")] == 3
    assert res.tensor_counts[("buf", "Inputs", "write")] == 3 + 3 * 1  # 6 inputs in total
    assert res.tensor_counts == simulate(arch, problem, m)[0]


def _adc_reads(specs, problem, per_slot):
    arch = build_arch(make_design(specs))
    m = _mapping(arch, per_slot(arch))
    res = analyze(arch, problem, m)
    assert res.tensor_counts == simulate(arch, problem, m)[0]
    return res.counts[("adc", "read")], problem.operations


def _slot(arch, node_name, kind):
    return next(i for i, s in enumerate(arch.slots) if s.node == node_name and s.kind == kind)


def test_temporal_reuse_below_adc_divides_adc_actions_by_x():
    problem = Problem.from_dims({"C": 2, "X": 4})
    base = [node("buf", keep=("Inputs", "Outputs")), node("adc", passes=("Outputs",))]
    cell = node("cell", keep=("Weights",), mesh=2, reuse=("Outputs",))
    keep = base + [node("abuf", keep=("Outputs",)), cell]
    reads, ops = _adc_reads(keep, problem, lambda a: {_slot(a, "abuf", "temporal"): {"X": 4},
                                                     _slot(a, "cell", "spatial"): {"C": 2}})
    assert reads * 4 == ops // 2  # C reduced on the bitline, X=4 accumulated in abuf
    coalesce = base + [node("abuf", coalesce=("Outputs",)), cell]
    reads_c, _ = _adc_reads(coalesce, problem,
                            lambda a: {_slot(a, "buf", "temporal"): {"X": 4},
                                       _slot(a, "cell", "spatial"): {"C": 2}})
    assert reads_c == 4 * reads


def _adder_case(adder_mode, amp=None):
    problem = Problem.from_dims({"C": 2, "M": 3})
    specs = [node("buf", keep=("Inputs", "Outputs")), node("adc", passes=("Outputs",))]
    if amp:
        specs.append(node("amp", passes=("Outputs",)))
    specs.append(node("adder", **{adder_mode: ("Outputs",)}))
    specs.append(node("arrays", kind="container", mesh=2, reuse=("Inputs",)))
    specs.append(node("cell", keep=("Weights",)))
    return _adc_reads(specs, problem, lambda a: {_slot(a, "arrays", "spatial"): {"C": 2},
                                                 0: {"M": 3}})


def test_two_input_adder_halves_adc_actions_only_if_it_coalesces():
    coalesced, ops = _adder_case("coalesce")
    passed, _ = _adder_case("passes")
    assert passed == ops and coalesced * 2 == ops


def test_no_coalesce_amplifier_changes_nothing():
    assert _adder_case("coalesce", amp=True) == _adder_case("coalesce")
    assert _adder_case("passes", amp=True) == _adder_case("passes")


def test_capacity_violation_is_reported():
    design = make_design([node("buf", keep=("Inputs",), attrs={"size": 2}),
                          node("mac", keep=("Weights",))])
    arch = build_arch(design)
    problem = Problem.from_dims({"P": 4, "R": 3})
    res = analyze(arch, problem, _mapping(arch, {0: {"P": 4}, 1: {"R": 3}}))
    assert not res.valid and "capacity of 'buf'" in res.violations[0]
    assert math.isclose(res.utilization, 1.0)


def test_spatial_loops_must_fit_a_2d_mesh():
    from cimdse.mapping.arch import fits_mesh
    assert fits_mesh([16, 16, 1], (16, 16)) and fits_mesh([4, 4, 8], (16, 16))
    assert not fits_mesh([64, 4], (16, 16))  # a loop cannot span both axes
    assert not fits_mesh([8, 4, 8], (16, 16))
    assert fits_mesh([64, 4], (256, 1))


def test_halo_multicast_counts_distinct_tile_origins():
    # 4 PEs: P=2 x R=2 spatially, stride 1: input origins p + r take 3 values,
    # so 3 distinct tiles are read for 4 PEs (Timeloop: equal tiles only)
    design = make_design([node("buf", keep=("Inputs",)),
                          node("pe", keep=("Inputs", "Weights"), mesh=4,
                               reuse=("Inputs", "Outputs"))])
    arch = build_arch(design)
    problem = Problem.from_dims({"P": 2, "R": 2, "C": 3})
    pe = _slot(arch, "pe", "spatial")
    m = _mapping(arch, {pe: {"P": 2, "R": 2}, _slot(arch, "pe", "temporal"): {"C": 3}})
    res = analyze(arch, problem, m)
    assert res.tensor_counts[("pe", "Inputs", "write")] == 4 * 3
    assert res.tensor_counts[("buf", "Inputs", "read")] == 3 * 3
    assert res.tensor_counts == simulate(arch, problem, m)[0]
    # unicast when the fanout does not list Inputs
    design = make_design([node("buf", keep=("Inputs",)),
                          node("pe", keep=("Inputs", "Weights"), mesh=4, reuse=())])
    res = analyze(build_arch(design), problem, m)
    assert res.tensor_counts[("buf", "Inputs", "read")] == 4 * 3


@pytest.mark.parametrize("rbw, wbw, cycles", [(None, None, 8.0), (0.5, None, 40.0),
                                               (None, 0.25, 112.0), (0.5, 0.5, 56.0)])
def test_bandwidth_slowdown_and_utilization(rbw, wbw, cycles):
    attrs = {k: v for k, v in (("read_bandwidth", rbw), ("write_bandwidth", wbw)) if v}
    design = make_design([
        node("buf", keep=("Inputs", "Weights", "Outputs"), attrs=attrs),
        node("pe", keep=("Weights",), mesh=2, reuse=("Inputs", "Outputs")),
    ])
    arch = build_arch(design)
    problem = Problem.from_dims({"M": 2, "C": 2, "P": 4})
    m = _mapping(arch, {0: {"P": 2}, 1: {"P": 2}, 2: {"M": 2}, 3: {"C": 2}})
    res = analyze(arch, problem, m)
    # buf: reads 8 (I) + 4 (W) + 8 (O) = 20; writes 8 (I) + 4 (W) + updates 16 = 28
    assert res.cycles == cycles
    assert res.utilization == pytest.approx(16 / (cycles * 2))
