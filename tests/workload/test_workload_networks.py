"""Built-in networks: MAC totals against hand-computed formulas, structure."""

import pytest

from cimdse.workload import (Network, WorkloadError, get_network, linear, list_networks)


def conv(c, m, k, out):
    """MACs of a square conv: C*M*R*S*P*Q."""
    return c * m * k * k * out * out


def test_registry():
    assert list_networks() == ["alexnet", "bert_base", "gpt2", "gpt2_decode", "gpt2_prefill",
                               "llama3_2_1b_decode", "llama3_2_1b_prefill",
                               "llama3_8b_decode", "llama3_8b_prefill", "mobilenet_v3_large",
                               "resnet18", "resnet50", "vgg16", "vit_b16"]
    assert get_network("ResNet-18").name == "resnet18"
    assert get_network("mobilenet_v3").name == "mobilenet_v3_large"
    with pytest.raises(WorkloadError, match="did you mean 'resnet18'"):
        get_network("resnet19")
    with pytest.raises(WorkloadError, match="no seq_len"):
        get_network("vit_b16", seq_len=64)


def test_resnet18():
    net = get_network("resnet18")
    expected = (conv(3, 64, 7, 112)                          # conv1, stride 2
                + 4 * conv(64, 64, 3, 56)                    # layer1
                + sum(conv(w // 2, w, 3, s) + 3 * conv(w, w, 3, s) + conv(w // 2, w, 1, s)
                      for w, s in ((128, 28), (256, 14), (512, 7)))
                + 512 * 1000)                                # fc
    assert expected == 1_814_073_344                         # CiMLoop table: 1.814 G
    assert net.macs == expected
    assert len(net) == 21
    assert sum(layer.kind == "conv" for layer in net) == 20
    # CiMLoop / NeuroSim order: the 1x1 downsample follows the two 3x3 convs.
    assert [net.layers[i].name for i in (5, 6, 7)] == [
        "layer2.0.conv1", "layer2.0.conv2", "layer2.0.downsample.0"]
    assert net.layers[7].dims["R"] == 1 and net.layers[7].stride == (2, 2)


def test_vgg16():
    net = get_network("vgg16")
    expected = (conv(3, 64, 3, 224) + conv(64, 64, 3, 224)
                + conv(64, 128, 3, 112) + conv(128, 128, 3, 112)
                + conv(128, 256, 3, 56) + 2 * conv(256, 256, 3, 56)
                + conv(256, 512, 3, 28) + 2 * conv(512, 512, 3, 28)
                + 3 * conv(512, 512, 3, 14)
                + 25088 * 4096 + 4096 * 4096 + 4096 * 1000)
    assert net.macs == expected == 15_470_264_320            # 15.47 G
    assert len(net) == 16


def test_resnet50():
    net = get_network("resnet50")
    # torchvision reports 4.09 GMACs (v1.5: stride on the 3x3 conv).
    assert net.macs == 4_089_184_256
    assert len(net) == 54                                    # 49 + 4 downsample + fc
    assert net.layer("layer2.0.conv2").stride == (2, 2)
    assert net.layer("layer2.0.conv1").stride == (1, 1)


def test_mobilenet_v3_large():
    net = get_network("mobilenet_v3_large")
    assert net.macs == 216_589_760                           # CiMLoop table: 0.217 G
    assert len(net) == 64
    depthwise = [layer for layer in net if layer.kind == "depthwise"]
    assert len(depthwise) == 15
    assert all(l.dims["C"] == 1 and l.dims["M"] == 1 and l.dims["G"] > 1 for l in depthwise)
    assert sum(".se." in layer.name for layer in net) == 16  # 8 SE blocks x 2 FCs
    assert net.layer("blocks.3.se.fc1").dims["M"] == 24      # make_divisible(72 / 4, 8)


def test_alexnet():
    assert get_network("alexnet").macs == 714_188_480       # CiMLoop table: 0.714 G


D, L, H = 768, 12, 12


def transformer_macs(tokens, blocks=L, d=D):
    """Per block and token 4 d^2 (attention FCs) + 2 * 4 d^2 (MLP); the
    attention products QK^T and AV are T * d each per token."""
    weights = blocks * tokens * (4 * d * d + 2 * d * 4 * d)
    attention = blocks * 2 * tokens * tokens * d
    return weights, attention


def test_vit_b16():
    net = get_network("vit_b16")
    tokens = (224 // 16) ** 2 + 1
    weights, attention = transformer_macs(tokens)
    patch = 3 * D * 16 * 16 * 14 * 14
    head = D * 1000                                           # on the class token
    assert net.without_activation_matmuls().macs == patch + weights + head == 16_848_500_736
    assert net.macs == patch + weights + head + attention == 17_563_828_224
    assert len(net) == 98 and len(net.without_activation_matmuls()) == 74
    assert net.layers[0].stride == (16, 16)


@pytest.mark.parametrize("batch, seq_len", [(1, None), (2, 128)])
def test_gpt2(batch, seq_len):
    net = get_network("gpt2", batch=batch, seq_len=seq_len)
    tokens = seq_len or 1024
    weights, attention = transformer_macs(tokens)
    lm_head = tokens * D * 50257
    assert net.macs == batch * (weights + attention + lm_head)
    assert len(net) == L * 6 + 1
    qk = net.layer("h.0.attn.qk")
    assert qk.weights_are_activations and qk.kind == "matmul"
    # each sequence attends to its own keys: the batch is folded into the groups
    assert (qk.dims["G"], qk.dims["P"], qk.dims["C"], qk.dims["M"]) == (H * batch, tokens, 64,
                                                                        tokens)
    assert qk.dims["N"] == 1 and qk.tensor_size("Weights") == batch * H * 64 * tokens


def test_bert_base():
    net = get_network("bert_base")
    weights, attention = transformer_macs(512)
    assert net.macs == weights + attention + D * D           # + pooler on [CLS]
    assert len(net) == L * 8 + 1


@pytest.mark.parametrize("name", list_networks())
def test_every_layer_has_default_distributions_and_unique_names(name):
    net = get_network(name)
    names = [layer.name for layer in net]
    assert len(set(names)) == len(names)
    for layer in net:
        assert set(layer.distributions) == {"Inputs", "Weights", "Outputs"}
        assert layer.source == "builtin"


def test_batch_scales_macs():
    assert get_network("resnet18", batch=4).macs == 4 * get_network("resnet18").macs


def test_unique_shapes_and_filtering():
    net = get_network("resnet18")
    groups = net.unique_shapes()
    assert sorted(i for indices in groups.values() for i in indices) == list(range(21))
    assert groups[net.layers[1].shape_key()] == [1, 2, 3, 4]  # the four layer1 convs
    vit = get_network("vit_b16")
    assert all(not l.weights_are_activations for l in vit.without_activation_matmuls())
    with pytest.raises(WorkloadError, match="did you mean 'fc'"):
        net.layer("fc1")


def test_network_validation():
    with pytest.raises(WorkloadError, match="not a Layer"):
        Network("n", ("oops",))
    net = Network("n", [linear("a", 2, 2)])
    assert isinstance(net.layers, tuple) and net.macs == 4
