"""Layer as an einsum: dims, projections, sizes, constructors, validation."""

import pickle

import pytest

from cimdse.workload import (ALL_DIMS, DIMS, SLICE_DIMS, Layer, ProjectionTerm, WorkloadError,
                             conv2d, linear, matmul, tensor_projection)


@pytest.fixture
def strided_dilated():
    # C=4, M=6 total channels in 2 groups -> C=2, M=3 per group.
    # stride (h, w) = (2, 3), dilation (h, w) = (1, 2).
    return conv2d("c", C=4, M=6, P=5, Q=3, R=3, S=2, stride=(2, 3), dilation=(1, 2),
                  groups=2, N=2)


def test_dims_are_complete_and_ordered():
    assert DIMS == ("N", "G", "C", "M", "R", "S", "P", "Q")
    assert SLICE_DIMS == ("X", "Y")
    layer = Layer("l", {"C": 3})
    assert tuple(layer.dims) == ALL_DIMS
    assert layer.dims["C"] == 3 and all(layer.dims[d] == 1 for d in ALL_DIMS if d != "C")


def test_strided_dilated_conv_by_hand(strided_dilated):
    layer = strided_dilated
    assert dict(layer.dims) == dict(N=2, G=2, C=2, M=3, R=3, S=2, P=5, Q=3, X=1, Y=1)
    assert layer.kind == "conv"
    assert layer.stride == (2, 3) and layer.dilation == (1, 2)
    assert layer.coefficients == {"Hstride": 2, "Wstride": 3, "Hdilation": 1, "Wdilation": 2}
    # N*G*C*M*R*S*P*Q = 2*2*2*3*3*2*5*3
    assert layer.macs == 2160
    # P/R axis uses Wstride=3, Wdilation=2: (5-1)*3 + (3-1)*2 + 1 = 17
    # Q/S axis uses Hstride=2, Hdilation=1: (3-1)*2 + (2-1)*1 + 1 = 6
    assert layer.tensor_size("Inputs") == 2 * 2 * 2 * 17 * 6
    assert layer.tensor_size("Weights") == 2 * 3 * 2 * 3 * 2      # G*M*C*R*S
    assert layer.tensor_size("Outputs") == 2 * 2 * 3 * 5 * 3      # N*G*M*P*Q


def test_footprint_of_a_tile(strided_dilated):
    # Two output columns with two filter columns: 1*3 + 1*2 + 1 = 6 inputs wide.
    assert strided_dilated.footprint("Inputs", {"P": 2, "R": 2}) == 6
    assert strided_dilated.footprint("Inputs", {"P": 2, "R": 2, "C": 2, "X": 4}) == 48
    assert strided_dilated.footprint("Weights", {"P": 5, "M": 3}) == 3
    assert strided_dilated.footprint("Outputs", {}) == 1


def test_projection_matches_problem_base():
    inputs = tensor_projection("Inputs")
    assert inputs[3] == (ProjectionTerm("P", "Wstride"), ProjectionTerm("R", "Wdilation"))
    assert inputs[4] == (ProjectionTerm("Q", "Hstride"), ProjectionTerm("S", "Hdilation"))
    assert [r[0].dim for r in tensor_projection("Weights")] == ["G", "M", "C", "R", "S", "Y"]
    assert [r[0].dim for r in tensor_projection("Outputs")] == ["N", "G", "M", "P", "Q"]
    with pytest.raises(WorkloadError, match="did you mean 'Inputs'"):
        tensor_projection("Input")


def test_relevant_dims():
    layer = Layer("l", {})
    assert layer.relevant_dims("Weights") == frozenset("GMCRSY")
    assert layer.relevant_dims("Inputs") == frozenset("NGCPQRSX")
    assert layer.relevant_dims("Outputs") == frozenset("NGMPQ")


def test_slices_do_not_change_macs_but_scale_tensors(strided_dilated):
    sliced = strided_dilated.with_slices(x=4, y=3)
    assert sliced is not strided_dilated and strided_dilated.dims["X"] == 1
    assert sliced.dims["X"] == 4 and sliced.dims["Y"] == 3
    assert sliced.macs == strided_dilated.macs
    assert sliced.tensor_size("Inputs") == strided_dilated.tensor_size("Inputs")
    assert sliced.tensor_size("Inputs", include_slices=True) == 816 * 4
    assert sliced.tensor_size("Weights", include_slices=True) == 72 * 3
    assert sliced.tensor_size("Outputs", include_slices=True) == 180
    assert sliced.shape_key() != strided_dilated.shape_key()


def test_depthwise_and_grouped_mapping():
    dw = conv2d("dw", C=32, M=32, P=14, Q=14, R=3, S=3, groups=32)
    assert dw.kind == "depthwise"
    assert (dw.dims["G"], dw.dims["C"], dw.dims["M"]) == (32, 1, 1)
    assert dw.macs == 32 * 9 * 14 * 14
    grouped = conv2d("g", C=64, M=128, P=7, Q=7, R=3, S=3, groups=4)
    assert grouped.kind == "conv"
    assert (grouped.dims["G"], grouped.dims["C"], grouped.dims["M"]) == (4, 16, 32)
    assert grouped.macs == 64 * 128 * 9 * 49 // 4
    with pytest.raises(WorkloadError, match="not divisible"):
        conv2d("bad", C=10, M=12, P=1, Q=1, R=1, S=1, groups=4)


def test_linear_and_matmul_mapping():
    fc = linear("fc", 768, 3072, tokens=197, N=2)
    assert fc.kind == "linear" and not fc.weights_are_activations
    assert (fc.dims["C"], fc.dims["M"], fc.dims["P"], fc.dims["N"]) == (768, 3072, 197, 2)
    qk = matmul("qk", M=197, K=64, N_cols=197, heads=12)
    assert qk.kind == "matmul" and qk.weights_are_activations
    assert (qk.dims["P"], qk.dims["C"], qk.dims["M"], qk.dims["G"]) == (197, 64, 197, 12)
    assert qk.macs == 12 * 197 * 197 * 64
    assert qk.tensor_size("Inputs") == 12 * 197 * 64     # Q: heads x tokens x d
    assert qk.tensor_size("Weights") == 12 * 197 * 64    # K^T
    assert qk.tensor_size("Outputs") == 12 * 197 * 197   # scores


def test_shape_key_ignores_name_and_distributions():
    a = linear("a", 8, 8, tokens=4)
    b = linear("b", 8, 8, tokens=4, source="elsewhere")
    assert a.shape_key() == b.shape_key() and a != b
    assert a.shape_key() != conv2d("c", 8, 8, 4, 1, 1, 1).shape_key()  # kind differs
    assert len({a, b, a.with_dims(P=4)}) == 2


def test_layers_are_hashable_and_picklable(strided_dilated):
    assert pickle.loads(pickle.dumps(strided_dilated)) == strided_dilated
    assert hash(strided_dilated.with_dims()) == hash(strided_dilated)


def test_resolved_distributions_fill_missing_tensors():
    from cimdse.workload import Histogram, default_distributions
    profiled = Histogram([1, 2, 1])
    layer = Layer("l", {}, distributions={"Weights": profiled})
    resolved = layer.resolved_distributions("image")
    assert resolved["Weights"] is profiled
    assert resolved["Inputs"] == default_distributions("conv", "image")["Inputs"]
    assert Layer("l", {}).resolved_distributions() == default_distributions("conv")


def test_unknown_dim_suggests_nearest():
    with pytest.raises(WorkloadError, match=r"unknown dimension 'c'.*did you mean 'C'"):
        Layer("l", {"c": 3})
    with pytest.raises(WorkloadError, match="did you mean 'Q'"):
        Layer("l", {"QQ": 3})


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, None])
def test_bounds_must_be_positive_integers(bad):
    with pytest.raises(WorkloadError, match="positive integer"):
        Layer("l", {"M": bad})


def test_other_validation():
    with pytest.raises(WorkloadError, match="unknown kind.*did you mean 'conv'"):
        Layer("l", {}, kind="convv")
    with pytest.raises(WorkloadError, match="stride"):
        Layer("l", {}, stride=(1, 2, 3))
    with pytest.raises(WorkloadError, match="did you mean 'Weights'"):
        Layer("l", {}, distributions={"Weight": None})
    with pytest.raises(WorkloadError, match="non-empty"):
        Layer("", {})
