"""The PyTorch front door, where torch is installed: a small CNN trained here
profiles to the same layers and histograms as its ONNX twin, evaluates from
Python and from its written directory, and what cannot be mapped is named."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import profile_models as pm  # noqa: E402
from cimdse.cli import main  # noqa: E402
from cimdse.evaluate import evaluate  # noqa: E402
from cimdse.profile import ProfileError, profile_module, profile_onnx  # noqa: E402
from cimdse.spec import load  # noqa: E402

WANG = Path(__file__).resolve().parents[2] / "configs" / "macros" / "wang_vlsi_2022.yaml"


class _CNN(nn.Module):
    def __init__(self, channels: int = 8):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, padding=1)
        self.dw = nn.Conv2d(channels, channels, 3, stride=2, padding=1, groups=channels)
        self.fc = nn.Linear(channels * 16, pm.CLASSES)

    def forward(self, image):
        h = torch.relu(self.conv1(image / 16))
        return self.fc(torch.relu(self.dw(h)).flatten(1))


class _Attention(nn.Module):
    """Projections, QK^T and AV as matmuls, and a weight used through ``@``."""

    def __init__(self, width: int = 8, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.mix = nn.Parameter(torch.randn(width, width))

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = (y.reshape(n, t, self.heads, -1).transpose(1, 2)
                   for y in self.qkv(x).chunk(3, dim=-1))
        probs = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(n, t, d)
        return out @ self.mix


@pytest.fixture(scope="module")
def trained_cnn(digits):
    torch.manual_seed(0)
    images, labels = digits
    x, y = torch.tensor(images[:300, None]), torch.tensor(labels[:300])
    model = _CNN()
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(100):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()
    return model


def test_the_module_is_trained(trained_cnn, held_out):
    images, labels = held_out
    with torch.no_grad():
        logits = trained_cnn(torch.tensor(images[:, None])).numpy()
    assert pm.accuracy(logits, labels) > 0.85


def test_profile_module_matches_its_onnx_twin(trained_cnn, cnn_samples):
    profiled = profile_module(trained_cnn, cnn_samples)
    assert [(lp.name, lp.op, lp.layer.kind) for lp in profiled.layers] == [
        ("conv1", "Conv2d", "conv"), ("dw", "Conv2d", "depthwise"), ("fc", "Linear", "linear")]
    m = trained_cnn
    params = {"w1": m.conv1.weight.reshape(8, 9).T, "b1": m.conv1.bias,
              "w2": m.dw.weight.reshape(8, 9).T, "b2": m.dw.bias,
              "w3": m.fc.weight.T, "b3": m.fc.bias}
    twin = pm.cnn_onnx({k: v.detach().numpy() for k, v in params.items()})
    for ours, theirs in zip(profiled.layers, profile_onnx(twin, cnn_samples).layers):
        assert ours.layer.shape_key() == theirs.layer.shape_key()
        assert ours.padding == theirs.padding
        for tensor in ("Inputs", "Weights", "Outputs"):
            assert ours.scales[tensor] == pytest.approx(theirs.scales[tensor], rel=1e-4)
            ours_pmf = ours.layer.distributions[tensor].pmf
            assert np.abs(ours_pmf - theirs.layer.distributions[tensor].pmf).sum() < 0.02


def test_profile_module_then_evaluate(trained_cnn, cnn_samples, tmp_path, capsys):
    trained_cnn.train()
    profiled = profile_module(trained_cnn, torch.tensor(cnn_samples), keep_tensors="64K")
    assert trained_cnn.training and all(m.training for m in trained_cnn.modules())
    result = evaluate(load(WANG), profiled.network)
    assert result.macs == 7040 and result.energy_pj > 0
    out = profiled.write(tmp_path / "WL")
    assert main(["evaluate", str(WANG), "--workload", str(out), "--json"]) == 0
    from_files = json.loads(capsys.readouterr().out)
    assert from_files["macs"] == 7040
    assert from_files["energy_pj"] == pytest.approx(result.energy_pj, rel=1e-6)
    assert (out / "00-conv1.Weights.npy").is_file()


def test_attention_products():
    torch.manual_seed(1)
    profiled = profile_module(_Attention(), torch.randn(3, 5, 8))
    layers = {lp.name: lp.layer for lp in profiled.layers}
    assert list(layers) == ["qkv", "matmul", "matmul_1", "matmul_2"]
    qk, av, mix = layers["matmul"], layers["matmul_1"], layers["matmul_2"]
    assert qk.kind == av.kind == "matmul" and qk.weights_are_activations
    assert {d: qk.dims[d] for d in "NGPCM"} == dict(N=1, G=2, P=5, C=4, M=5)
    assert {d: av.dims[d] for d in "NGPCM"} == dict(N=1, G=2, P=5, C=5, M=4)
    assert mix.kind == "linear" and not mix.weights_are_activations  # a parameter operand
    assert {d: layers["qkv"].dims[d] for d in "CMP"} == dict(C=8, M=24, P=5)


def test_what_cannot_be_mapped_is_named():
    class _Up(nn.Module):
        def __init__(self):
            super().__init__()
            self.down = nn.Conv2d(1, 2, 3)
            self.up = nn.ConvTranspose2d(2, 1, 3)

        def forward(self, x):
            return self.up(self.down(x))

    with pytest.raises(ProfileError, match=r"ConvTranspose2d module 'up' \(transposed"):
        profile_module(_Up(), torch.randn(2, 1, 6, 6))
    profiled = profile_module(_Up(), torch.randn(2, 1, 6, 6), skip_unsupported=True)
    assert [lp.name for lp in profiled.layers] == ["down"]
    assert [u.name for u in profiled.skipped] == ["up"]


def test_only_in_memory_modules(tmp_path):
    with pytest.raises(ProfileError, match="in-memory torch.nn.Module"):
        profile_module(str(tmp_path / "model.pt"), np.zeros((1, 3)))


def test_conv1d_same_padding_and_fused_attention():
    torch.manual_seed(2)
    conv = nn.Conv1d(3, 4, 3, padding="same", dilation=2)
    (lp,) = profile_module(conv, torch.randn(2, 3, 10)).layers
    assert {d: lp.layer.dims[d] for d in "CMRSPQ"} == dict(C=3, M=4, R=3, S=1, P=10, Q=1)
    assert lp.layer.dilation == (1, 2) and lp.padding == {"W": (2, 2)}
    fused = r"MultiheadAttention module 'MultiheadAttention' \(fused attention"
    with pytest.raises(ProfileError, match=fused):
        profile_module(nn.MultiheadAttention(8, 2, batch_first=True),
                       (torch.randn(2, 5, 8),) * 3)


class _SdpaAttention(nn.Module):
    def __init__(self, width: int = 8, heads: int = 2):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)

    def forward(self, x):
        n, t, d = x.shape
        q, k, v = (y.reshape(n, t, self.heads, -1).transpose(1, 2)
                   for y in self.qkv(x).chunk(3, dim=-1))
        return nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)


def test_scaled_dot_product_attention_is_two_products():
    torch.manual_seed(3)
    profiled = profile_module(_SdpaAttention(), torch.randn(2, 5, 8))
    layers = {lp.name: lp.layer for lp in profiled.layers}
    assert list(layers) == ["qkv", "qk", "av"]
    assert {d: layers["qk"].dims[d] for d in "NGPCM"} == dict(N=1, G=2, P=5, C=4, M=5)
    assert {d: layers["av"].dims[d] for d in "NGPCM"} == dict(N=1, G=2, P=5, C=5, M=4)
    probs = layers["av"].distributions["Inputs"]
    # causal softmax rows: non-negative, the first row is all on one key (code 127)
    assert not probs.is_signed and probs.pmf[-1] > 0
    assert probs.zero_mass > 0.3  # the masked upper triangle: 10 of 25 are exact zeros
