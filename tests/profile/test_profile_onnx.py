"""The ONNX front door: how each op maps onto a layer, what is reported, and
what a model or sample file may not do."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import profile_models as pm  # noqa: E402
from cimdse.profile import ProfileError, load_samples, profile_onnx  # noqa: E402
from cimdse.workload import Histogram  # noqa: E402


def _graph_model(nodes, inputs, outputs, weights=None, opset=17):
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k)
             for k, v in (weights or {}).items()]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in outputs], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _dims(layer, names="NGCMRSPQ"):
    return {d: layer.dims[d] for d in names}


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- the trained models ---------------------------------------------------------------

def test_the_models_are_trained(mlp_model, cnn_model, held_out):
    images, labels = held_out
    assert pm.accuracy(pm.run_onnx(mlp_model, {"x": images.reshape(-1, 64)}), labels) > 0.85
    assert pm.accuracy(pm.run_onnx(cnn_model, {"image": images[:, None]}), labels) > 0.85


def test_mlp_layers(mlp_model, mlp_samples, mlp_params):
    profiled = profile_onnx(mlp_model, mlp_samples)
    fc1, fc2 = profiled.layers
    assert (fc1.name, fc1.op, fc2.name, fc2.op) == ("fc1", "Gemm", "fc2", "MatMul")
    assert _dims(fc1.layer) == dict(N=1, G=1, C=64, M=32, R=1, S=1, P=1, Q=1)
    assert _dims(fc2.layer, "CMP") == dict(C=32, M=10, P=1)
    assert {fc1.layer.kind, fc2.layer.kind} == {"linear"}
    assert profiled.network.macs == 64 * 32 + 32 * 10
    assert profiled.samples == profiled.runs == len(mlp_samples)
    # fc2's inputs are post-ReLU: unsigned, many exact zeros
    assert not fc2.layer.distributions["Inputs"].is_signed
    assert fc2.layer.distributions["Inputs"].zero_mass > 0.2
    # every scale is the tensor's largest magnitude over full scale (127)
    hidden = np.maximum(mlp_samples / 16 @ mlp_params["w1"] + mlp_params["b1"], 0)
    assert fc2.scales["Inputs"] == pytest.approx(hidden.max() / 127, rel=1e-5)
    assert fc2.scales["Weights"] == pytest.approx(np.abs(mlp_params["w2"]).max() / 127)
    for lp in profiled.layers:
        assert {t: h.bits for t, h in lp.layer.distributions.items()} == dict.fromkeys(
            ("Inputs", "Weights", "Outputs"), 8)


def test_cnn_layers_and_padding(cnn_model, cnn_samples):
    conv1, dw, fc = profile_onnx(cnn_model, cnn_samples).layers
    assert (conv1.layer.kind, dw.layer.kind, fc.layer.kind) == ("conv", "depthwise", "linear")
    assert _dims(conv1.layer) == dict(N=1, G=1, C=1, M=8, R=3, S=3, P=8, Q=8)
    assert conv1.padding == {"H": (1, 1), "W": (1, 1)}
    assert _dims(dw.layer) == dict(N=1, G=8, C=1, M=1, R=3, S=3, P=4, Q=4)
    assert dw.layer.stride == (2, 2)
    # 8 rows, stride 2, pad 1 each side: the windows reach 9 rows, never the last pad row
    assert dw.padding == {"H": (1, 0), "W": (1, 0)}
    assert _dims(fc.layer, "CMP") == dict(C=128, M=10, P=1)


def test_cnn_histograms_follow_the_tensors(cnn_model, cnn_samples, cnn_params):
    """conv1's outputs and the depthwise conv's padded inputs, recomputed with numpy."""
    conv1, dw, _ = profile_onnx(cnn_model, cnn_samples).layers
    z1 = pm._cnn_forward(cnn_params, cnn_samples[:, 0] / 16.0)["z1"]
    codes = np.rint(z1 / (np.abs(z1).max() / 127))
    expected = Histogram.from_samples(codes.ravel(), 8)
    assert np.abs(conv1.layer.distributions["Outputs"].pmf - expected.pmf).sum() < 1e-3
    # 9 x 9 padded windows per channel, of which 8 x 8 are the real ReLU outputs
    h1 = np.maximum(z1, 0)
    real_zeros = np.mean(np.rint(h1 / (h1.max() / 127)) == 0)
    expected_zero = (81 - 64 * (1 - real_zeros)) / 81
    assert dw.layer.distributions["Inputs"].zero_mass == pytest.approx(expected_zero, abs=1e-3)


# -- how ops map ------------------------------------------------------------------------

def _attention(tokens=6, width=8, heads=2):
    head = width // heads
    rng = _rng(3)
    weights = {f"w{n}": rng.normal(size=(width, width)) for n in "qkv"}
    weights["split"] = np.array([1, tokens, heads, head])
    nodes = []
    for n in "qkv":
        nodes += [helper.make_node("MatMul", ["x", f"w{n}"], [f"{n}0"], name=f"{n}_proj"),
                  helper.make_node("Reshape", [f"{n}0", "split"], [f"{n}1"], name=f"{n}_split")]
    nodes += [helper.make_node("Transpose", ["q1"], ["q"], perm=[0, 2, 1, 3]),
              helper.make_node("Transpose", ["k1"], ["kt"], perm=[0, 2, 3, 1]),
              helper.make_node("Transpose", ["v1"], ["v"], perm=[0, 2, 1, 3]),
              helper.make_node("MatMul", ["q", "kt"], ["scores"], name="qk"),
              helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "v"], ["out"], name="av")]
    model = _graph_model(nodes, [("x", [1, tokens, width])], [("out", [1, heads, tokens, head])],
                         weights)
    model.graph.initializer[-1].CopyFrom(numpy_helper.from_array(weights["split"], "split"))
    return model


def test_attention_matmuls_are_activation_products():
    profiled = profile_onnx(_attention(), _rng().normal(size=(3, 1, 6, 8)))
    layers = {lp.name: lp.layer for lp in profiled.layers}
    assert list(layers) == ["q_proj", "k_proj", "v_proj", "qk", "av"]
    assert _dims(layers["q_proj"], "CMP") == dict(C=8, M=8, P=6)
    assert layers["q_proj"].kind == "linear"
    qk, av = layers["qk"], layers["av"]
    assert qk.kind == av.kind == "matmul" and qk.weights_are_activations
    assert _dims(qk) == dict(N=1, G=2, C=4, M=6, R=1, S=1, P=6, Q=1)
    assert _dims(av) == dict(N=1, G=2, C=6, M=4, R=1, S=1, P=6, Q=1)
    assert not av.distributions["Inputs"].is_signed  # softmax probabilities
    assert profiled.runs == 3


def test_gemm_transposes_and_a_weight_on_the_left_give_the_same_layer():
    rng = _rng(1)
    w = rng.normal(size=(5, 3)).astype(np.float32)      # [out, in]
    x = rng.normal(size=(4, 3)).astype(np.float32)
    plain = _graph_model([helper.make_node("MatMul", ["x", "wt"], ["y"], name="l")],
                         [("x", ["n", 3])], [("y", ["n", 5])], {"wt": w.T})
    trans = _graph_model([helper.make_node("Gemm", ["x", "w"], ["y"], name="l", transB=1)],
                         [("x", ["n", 3])], [("y", ["n", 5])], {"w": w})
    # y^T = W x^T with the weight as the left operand and samples as columns
    left = _graph_model([helper.make_node("MatMul", ["w", "xt"], ["y"], name="l")],
                        [("xt", [3, 1])], [("y", [5, 1])], {"w": w})
    a, b = (profile_onnx(m, x).layers[0].layer for m in (plain, trans))
    c = profile_onnx(left, x[:, :, None]).layers[0].layer
    for layer in (a, b, c):
        assert layer.kind == "linear" and _dims(layer, "CMP") == dict(C=3, M=5, P=1)
        assert layer.distributions == a.distributions


def test_conv1d_dilation_and_same_padding():
    rng = _rng(2)
    nodes = [helper.make_node("Conv", ["x", "w"], ["h"], name="dilated", dilations=[2],
                              pads=[2, 2]),
             # 16 long, kernel 3, stride 2: the 8 windows reach 17, one zero in front
             helper.make_node("Conv", ["h", "w2"], ["y"], name="same", auto_pad="SAME_LOWER",
                              strides=[2])]
    model = _graph_model(nodes, [("x", ["n", 4, 16])], [("y", ["n", 5, 8])],
                         {"w": rng.normal(size=(6, 4, 3)), "w2": rng.normal(size=(5, 6, 3))})
    dilated, same = profile_onnx(model, rng.normal(size=(2, 4, 16))).layers
    assert dilated.layer.kind == same.layer.kind == "conv"
    assert _dims(dilated.layer) == dict(N=1, G=1, C=4, M=6, R=3, S=1, P=16, Q=1)
    assert dilated.layer.dilation == (1, 2) and dilated.padding == {"W": (2, 2)}
    assert _dims(same.layer, "CMRSPQ") == dict(C=6, M=5, R=3, S=1, P=8, Q=1)
    assert same.layer.stride == (1, 2) and same.padding == {"W": (1, 0)}


def test_grouped_conv():
    rng = _rng(4)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="g", group=2, kernel_shape=[1, 1])
    model = _graph_model([node], [("x", ["n", 4, 3, 3])], [("y", ["n", 6, 3, 3])],
                         {"w": rng.normal(size=(6, 2, 1, 1))})
    (lp,) = profile_onnx(model, rng.normal(size=(1, 4, 3, 3))).layers
    assert lp.layer.kind == "conv" and _dims(lp.layer, "GCM") == dict(G=2, C=2, M=3)


def test_fixed_batch_models_take_single_samples_or_stacks():
    rng = _rng(5)
    w = rng.normal(size=(3, 2))
    model = _graph_model([helper.make_node("MatMul", ["x", "w"], ["y"], name="m")],
                         [("x", [1, 3])], [("y", [1, 2])], {"w": w})
    x = rng.normal(size=(5, 3))
    singles = profile_onnx(model, x)
    stacked = profile_onnx(model, x[:, None, :])
    assert singles.runs == stacked.runs == 5
    assert singles.network.layers[0].distributions == stacked.network.layers[0].distributions


# -- reported, never skipped silently -------------------------------------------------------

def _with_transposed_conv():
    rng = _rng(6)
    nodes = [helper.make_node("Conv", ["x", "w"], ["h"], name="down", kernel_shape=[3, 3]),
             helper.make_node("ConvTranspose", ["h", "wt"], ["y"], name="up")]
    return _graph_model(nodes, [("x", ["n", 2, 6, 6])], [("y", ["n", 2, 6, 6])],
                        {"w": rng.normal(size=(4, 2, 3, 3)), "wt": rng.normal(size=(4, 2, 3, 3))})


def test_an_op_cimdse_cannot_map_is_named():
    with pytest.raises(ProfileError) as err:
        profile_onnx(_with_transposed_conv(), np.ones((1, 2, 6, 6)))
    message = str(err.value)
    assert "ConvTranspose node 'up'" in message and "transposed convolution" in message
    assert "\n" not in message


def test_skip_unsupported_profiles_the_rest_and_lists_what_it_skipped(caplog):
    profiled = profile_onnx(_with_transposed_conv(), np.ones((1, 2, 6, 6)), skip_unsupported=True)
    assert [lp.name for lp in profiled.layers] == ["down"]
    assert [(u.op, u.name) for u in profiled.skipped] == [("ConvTranspose", "up")]
    assert "ConvTranspose node 'up'" in caplog.text


def test_macs_inside_a_subgraph_and_3d_convs_are_reported():
    rng = _rng(7)
    body = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["inner"], name="hidden_mm")], "then", [],
        [helper.make_tensor_value_info("inner", TensorProto.FLOAT, [2, 2])])
    nodes = [helper.make_node("Conv", ["v", "w3"], ["y3"], name="vol"),
             helper.make_node("If", ["cond"], ["z"], name="branch", then_branch=body,
                              else_branch=body)]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("v", TensorProto.FLOAT, ["n", 1, 3, 3, 3]),
                     helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y3", TensorProto.FLOAT, ["n", 2, 2, 2, 2]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 2])],
        [numpy_helper.from_array(rng.normal(size=(2, 1, 2, 2, 2)).astype(np.float32), "w3"),
         numpy_helper.from_array(np.eye(2, dtype=np.float32), "w"),
         numpy_helper.from_array(np.array(True), "cond")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ProfileError) as err:
        profile_onnx(model, {"v": np.ones((1, 1, 3, 3, 3)), "x": np.ones((1, 2, 2))})
    message = str(err.value)
    assert "MatMul node 'hidden_mm' (inside the body of If node 'branch')" in message
    assert "Conv node 'vol' (3-D convolution" in message


# -- samples and model files ---------------------------------------------------------------

def test_a_sample_of_the_wrong_shape_names_the_expected_shape(mlp_model):
    with pytest.raises(ProfileError, match=r"shape \(5, 63\) do not fit model input 'x' of "
                                           r"shape \(batch, 64\)"):
        profile_onnx(mlp_model, np.zeros((5, 63)))


def test_inputs_by_name(mlp_model, mlp_samples, tmp_path):
    np.savez(tmp_path / "s.npz", x=mlp_samples)
    by_name = profile_onnx(mlp_model, load_samples(tmp_path / "s.npz"))
    assert by_name.runs == len(mlp_samples)
    with pytest.raises(ProfileError, match="the model's inputs are x; got arrays for y"):
        profile_onnx(mlp_model, {"y": mlp_samples})


def test_sample_files_never_unpickle(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProfileError, match="not a numpy"):
        load_samples(tmp_path / "objects.npy")
    with pytest.raises(ProfileError, match="sample file not found"):
        load_samples(tmp_path / "missing.npy")


def test_model_files_are_checked_and_bounded(tmp_path, mlp_model, mlp_samples):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00\x01not a model" * 10)
    with pytest.raises(ProfileError, match="garbage.onnx: not an ONNX model"):
        profile_onnx(garbage, mlp_samples)
    with pytest.raises(ProfileError, match="is not a regular file"):
        profile_onnx(tmp_path, mlp_samples)
    path = tmp_path / "mlp.onnx"
    onnx.save(mlp_model, path)
    with pytest.raises(ProfileError, match="more than the limit of 100 bytes"):
        profile_onnx(path, mlp_samples, max_bytes=100)


def test_external_weight_files_are_refused(tmp_path, mlp_model, mlp_samples):
    path = tmp_path / "split.onnx"
    copy = onnx.ModelProto()
    copy.CopyFrom(mlp_model)  # saving with external data changes the proto it saves
    onnx.save(copy, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    with pytest.raises(ProfileError, match="stored in an external data file"):
        profile_onnx(path, mlp_samples)


def test_bits_are_bounded(mlp_model, mlp_samples):
    with pytest.raises(ProfileError, match="bits must be an integer from 2 to 16"):
        profile_onnx(mlp_model, mlp_samples, bits=1)
    low = profile_onnx(mlp_model, mlp_samples, bits=4)
    assert {h.bits for lp in low.layers for h in lp.layer.distributions.values()} == {4}


def test_input_rows_no_window_reaches_are_left_out():
    # 5 wide, kernel 2, stride 2, no padding: the 2 windows cover 4 columns, never the 5th
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c", kernel_shape=[1, 2],
                            strides=[1, 2])
    model = _graph_model([node], [("x", [1, 1, 1, 5])], [("y", [1, 1, 1, 2])],
                         {"w": [[[[1.0, 1.0]]]]})
    (lp,) = profile_onnx(model, np.array([[[[1, 1, 1, 1, -5]]]], np.float32), bits=3).layers
    assert lp.padding == {"H": (0, 0), "W": (0, -1)} and lp.layer.dims["P"] == 2
    # scale from the whole tensor (max 5): codes round(1 * 3/5) = 1; the -5 is never fed
    assert list(lp.layer.distributions["Inputs"].probabilities) == [0, 0, 0, 0, 1, 0, 0]
