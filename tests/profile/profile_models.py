"""Small real models for the profiling tests, trained here on a deterministic
digits-like data set (8x8 glyphs of 10 classes with shifts and noise), with
numpy, and written as ONNX graphs with onnx.helper. Nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

CLASSES = 10


def digits(per_class: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images ``[n, 8, 8]`` with values in 0..16 (as scikit-learn's digits)
    and their labels: each class is a fixed random stroke glyph, shifted by
    up to one pixel, scaled and noised."""
    rng = np.random.default_rng(seed)
    glyphs = np.zeros((CLASSES, 10, 10))
    for glyph in glyphs:
        r, c = rng.integers(2, 8, size=2)
        for _ in range(9):  # a random walk of strokes
            glyph[r, c] = 1.0
            r = int(np.clip(r + rng.integers(-1, 2), 1, 8))
            c = int(np.clip(c + rng.integers(-1, 2), 1, 8))
    images, labels = [], []
    for label in range(CLASSES):
        for _ in range(per_class):
            dy, dx = rng.integers(0, 3, size=2)
            image = glyphs[label, dy:dy + 8, dx:dx + 8] * rng.uniform(10, 16)
            image = image + rng.normal(0, 1.5, size=(8, 8))
            images.append(np.clip(image, 0, 16))
            labels.append(label)
    order = rng.permutation(len(labels))
    return np.asarray(images, np.float32)[order], np.asarray(labels)[order]


def _softmax_grad(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels))


# -- MLP -----------------------------------------------------------------------

def train_mlp(images: np.ndarray, labels: np.ndarray, hidden: int = 32, steps: int = 300,
              seed: int = 1) -> dict[str, np.ndarray]:
    """64 -> hidden (ReLU) -> 10, full-batch gradient descent with momentum."""
    rng = np.random.default_rng(seed)
    x = images.reshape(len(images), -1) / 16.0
    params = {"w1": rng.normal(0, 0.2, (64, hidden)), "b1": np.zeros(hidden),
              "w2": rng.normal(0, 0.2, (hidden, CLASSES)), "b2": np.zeros(CLASSES)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        z = x @ params["w1"] + params["b1"]
        h = np.maximum(z, 0)
        d_logits = _softmax_grad(h @ params["w2"] + params["b2"], labels)
        d_h = d_logits @ params["w2"].T * (z > 0)
        grads = {"w2": h.T @ d_logits, "b2": d_logits.sum(0), "w1": x.T @ d_h,
                 "b1": d_h.sum(0)}
        for k in params:
            velocity[k] = 0.9 * velocity[k] - 0.5 * grads[k]
            params[k] += velocity[k]
    return {k: v.astype(np.float32) for k, v in params.items()}


def mlp_onnx(params: dict[str, np.ndarray], name: str = "digits_mlp"):
    """The MLP as ONNX (input "x" [batch, 64] in 0..16): Gemm, Relu, MatMul, Add."""
    from onnx import TensorProto, helper, numpy_helper
    inits = [numpy_helper.from_array(np.float32(1 / 16), "inv16"),
             *(numpy_helper.from_array(v, k) for k, v in params.items())]
    nodes = [helper.make_node("Mul", ["x", "inv16"], ["xs"], name="scale"),
             helper.make_node("Gemm", ["xs", "w1", "b1"], ["z1"], name="fc1"),
             helper.make_node("Relu", ["z1"], ["h1"], name="relu1"),
             helper.make_node("MatMul", ["h1", "w2"], ["z2"], name="fc2"),
             helper.make_node("Add", ["z2", "b2"], ["logits"], name="bias2")]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


# -- CNN -----------------------------------------------------------------------

def _patches(padded: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, tuple]:
    """3x3 windows of ``padded [n, H, W, c]``: ``[n, size*size, 9, c]`` and the
    gather index."""
    rows = (np.arange(size) * stride)[:, None, None, None] + np.arange(3)[None, None, :, None]
    cols = (np.arange(size) * stride)[None, :, None, None] + np.arange(3)[None, None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)
    index = (rows.reshape(size * size, 9), cols.reshape(size * size, 9))
    return padded[:, index[0], index[1], :], index


def _cnn_forward(params: dict, x: np.ndarray) -> dict:
    n = len(x)
    pad1 = np.pad(x[..., None], ((0, 0), (1, 1), (1, 1), (0, 0)))
    p1, _ = _patches(pad1, 8, 1)                                  # [n, 64, 9, 1]
    z1 = p1[..., 0] @ params["w1"] + params["b1"]                 # [n, 64, 8]
    h1 = np.maximum(z1, 0).reshape(n, 8, 8, -1)
    pad2 = np.pad(h1, ((0, 0), (1, 1), (1, 1), (0, 0)))
    p2, index = _patches(pad2, 4, 2)                              # [n, 16, 9, 8]
    z2 = np.einsum("npkc,kc->npc", p2, params["w2"]) + params["b2"]
    h2 = np.maximum(z2, 0)
    flat = h2.transpose(0, 2, 1).reshape(n, -1)                   # channel-major, as ONNX
    logits = flat @ params["w3"] + params["b3"]
    return dict(p1=p1, z1=z1, p2=p2, index=index, z2=z2, flat=flat, logits=logits)


def train_cnn(images: np.ndarray, labels: np.ndarray, channels: int = 8, steps: int = 80,
              seed: int = 2) -> dict[str, np.ndarray]:
    """conv 3x3 (1 -> channels, pad 1), ReLU, depthwise 3x3 stride 2 (pad 1),
    ReLU, flatten, fc -> 10; full-batch gradient descent with momentum."""
    rng = np.random.default_rng(seed)
    x = images / 16.0
    n, c = len(x), channels
    params = {"w1": rng.normal(0, 0.3, (9, c)), "b1": np.zeros(c),
              "w2": rng.normal(0, 0.3, (9, c)), "b2": np.zeros(c),
              "w3": rng.normal(0, 0.1, (c * 16, CLASSES)), "b3": np.zeros(CLASSES)}
    velocity = {k: np.zeros_like(v) for k, v in params.items()}
    for _ in range(steps):
        f = _cnn_forward(params, x)
        d_logits = _softmax_grad(f["logits"], labels)
        d_flat = d_logits @ params["w3"].T
        d_z2 = d_flat.reshape(n, c, 16).transpose(0, 2, 1) * (f["z2"] > 0)
        d_p2 = d_z2[:, :, None, :] * params["w2"][None, None]      # [n, 16, 9, c]
        d_pad2 = np.zeros((n, 10, 10, c))
        for k in range(9):  # scatter each kernel tap's gradient back onto its pixels
            dy, dx = divmod(k, 3)
            d_pad2[:, dy:dy + 8:2, dx:dx + 8:2, :] += d_p2[:, :, k, :].reshape(n, 4, 4, c)
        d_z1 = d_pad2[:, 1:9, 1:9, :].reshape(n, 64, c) * (f["z1"] > 0)
        grads = {"w3": f["flat"].T @ d_logits, "b3": d_logits.sum(0),
                 "w2": np.einsum("npc,npkc->kc", d_z2, f["p2"]), "b2": d_z2.sum((0, 1)),
                 "w1": f["p1"][..., 0].reshape(-1, 9).T @ d_z1.reshape(-1, c),
                 "b1": d_z1.sum((0, 1))}
        for k in params:
            velocity[k] = 0.9 * velocity[k] - 0.3 * grads[k]
            params[k] += velocity[k]
    return {k: v.astype(np.float32) for k, v in params.items()}


def cnn_logits(params: dict, images: np.ndarray) -> np.ndarray:
    return _cnn_forward(params, images / 16.0)["logits"]


def cnn_onnx(params: dict[str, np.ndarray], name: str = "digits_cnn"):
    """The CNN as ONNX (input "image" [batch, 1, 8, 8] in 0..16)."""
    from onnx import TensorProto, helper, numpy_helper
    c = params["w1"].shape[1]
    arrays = {"inv16": np.float32(1 / 16),
              "w1": params["w1"].T.reshape(c, 1, 3, 3), "b1": params["b1"],
              "w2": params["w2"].T.reshape(c, 1, 3, 3), "b2": params["b2"],
              "w3": params["w3"], "b3": params["b3"]}
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in arrays.items()]
    nodes = [helper.make_node("Mul", ["image", "inv16"], ["xs"], name="scale"),
             helper.make_node("Conv", ["xs", "w1", "b1"], ["z1"], name="conv1",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["z1"], ["h1"], name="relu1"),
             helper.make_node("Conv", ["h1", "w2", "b2"], ["z2"], name="dwconv2",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], group=c),
             helper.make_node("Relu", ["z2"], ["h2"], name="relu2"),
             helper.make_node("Flatten", ["h2"], ["flat"], name="flatten"),
             helper.make_node("Gemm", ["flat", "w3", "b3"], ["logits"], name="fc")]
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                    ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", CLASSES])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def run_onnx(model, feeds: dict[str, np.ndarray]) -> np.ndarray:
    import onnxruntime as ort
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]
