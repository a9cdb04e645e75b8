"""Tiny models whose tensors are known: the histograms computed by hand.

At 3 bits the full scale is 3, so a tensor's codes are round(x * 3 / max|x|)
over the 7 bins -3..3.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from cimdse.profile import profile_onnx  # noqa: E402


def _model(node, x_shape, w, y_shape):
    graph = helper.make_graph(
        [node], "hand", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        [numpy_helper.from_array(np.asarray(w, np.float32), "w")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _pmf(layer, tensor):
    return list(layer.distributions[tensor].probabilities)


def test_gemm_histograms_by_hand():
    # x1 = [1, -3], x2 = [3, 0]; W = [[3, -1], [0, 2]]
    # y1 = x1 W = [3, -7], y2 = [9, -3]: max 9, codes round(y / 3) = 1, -2, 3, -1
    model = _model(helper.make_node("Gemm", ["x", "w"], ["y"], name="fc"), ["n", 2],
                   [[3, -1], [0, 2]], ["n", 2])
    profiled = profile_onnx(model, np.array([[1, -3], [3, 0]], np.float32), bits=3)
    (lp,) = profiled.layers
    assert lp.layer.kind == "linear" and lp.layer.dims["C"] == 2 and lp.layer.dims["M"] == 2
    assert lp.layer.dims["P"] == 1 and profiled.samples == 2
    #                              -3    -2    -1     0     1     2     3
    assert _pmf(lp.layer, "Inputs") == [1 / 4, 0, 0, 1 / 4, 1 / 4, 0, 1 / 4]
    assert _pmf(lp.layer, "Weights") == [0, 0, 1 / 4, 1 / 4, 0, 1 / 4, 1 / 4]
    assert _pmf(lp.layer, "Outputs") == [0, 1 / 4, 1 / 4, 0, 1 / 4, 0, 1 / 4]
    assert lp.scales == {"Inputs": 1.0, "Weights": 1.0, "Outputs": 3.0}


def test_padded_conv_histograms_by_hand():
    # x = [[1, 3], [-4, 0]] padded by 1 to 4x4 (12 zeros): max 4, codes
    # round(x * 3/4) = 1, 2, -3, 0. W codes are its values (max 3).
    # y (3x3 window over the padded x) = [[1, 7], [-13, 3]]: codes 0, 2, -3, 1.
    weights = [[[[3, 0, -3], [0, 1, 0], [-1, 0, 2]]]]
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3],
                            pads=[1, 1, 1, 1])
    model = _model(node, [1, 1, 2, 2], weights, [1, 1, 2, 2])
    (lp,) = profile_onnx(model, np.array([[[[1, 3], [-4, 0]]]], np.float32), bits=3).layers
    dims = lp.layer.dims
    assert (dims["C"], dims["M"], dims["R"], dims["S"], dims["P"], dims["Q"]) == (1, 1, 3, 3, 2, 2)
    assert lp.padding == {"H": (1, 1), "W": (1, 1)}
    assert _pmf(lp.layer, "Inputs") == pytest.approx([1 / 16, 0, 0, 13 / 16, 1 / 16, 1 / 16, 0])
    assert _pmf(lp.layer, "Weights") == pytest.approx([1 / 9, 0, 1 / 9, 4 / 9, 1 / 9, 1 / 9, 1 / 9])
    assert _pmf(lp.layer, "Outputs") == [1 / 4, 0, 0, 1 / 4, 1 / 4, 1 / 4, 0]
    assert lp.scales["Outputs"] == pytest.approx(13 / 3)
