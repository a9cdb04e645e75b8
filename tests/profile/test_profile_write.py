"""The workload directory a profile writes: it loads back (also in CiMLoop's
own format) to the same layers and histograms, and the kept tensors stay
within their cap and are the values the histograms count."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from cimdse.profile import ProfileError, parse_size, profile_onnx  # noqa: E402
from cimdse.profile.keep import plan  # noqa: E402
from cimdse.workload import Network, get_network, load_cimloop_dir, load_workload  # noqa: E402
from cimdse.workload.cimloop_export import CIMLOOP_HEADER, write_cimloop_dir  # noqa: E402


@pytest.fixture(scope="module")
def cnn_profile(cnn_model, cnn_samples):
    return profile_onnx(cnn_model, cnn_samples, keep_tensors="1M")


def _same_layers(written, loaded):
    assert len(written) == len(loaded)
    for a, b in zip(written, loaded):
        assert (a.dims, a.stride, a.dilation, a.kind, a.weights_are_activations) == \
            (b.dims, b.stride, b.dilation, b.kind, b.weights_are_activations)
        for tensor in ("Inputs", "Weights", "Outputs"):
            np.testing.assert_allclose(a.distributions[tensor].pmf, b.distributions[tensor].pmf,
                                       rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cimloop_format", [False, True])
def test_written_directory_loads_back(cnn_profile, tmp_path, cimloop_format):
    out = cnn_profile.write(tmp_path / "wl", cimloop_format=cimloop_format)
    loaded = load_cimloop_dir(out)
    assert loaded.name == "digits_cnn"
    assert [layer.name for layer in loaded] == ["00-conv1.Conv2d", "01-dwconv2.Conv2d",
                                                "02-fc.Linear"]
    _same_layers(cnn_profile.network, loaded)
    first = (out / "00-conv1.yaml").read_text().splitlines()
    assert (first[0] == CIMLOOP_HEADER) == cimloop_format
    assert ("  <<<: *problem_base" in first) == cimloop_format
    assert load_workload(str(out)).macs == cnn_profile.network.macs


def test_attention_and_transformer_layers_round_trip_in_cimloop_format(tmp_path):
    """Activation x activation matmuls (G heads) and linear layers, as CiMLoop writes them."""
    vit = get_network("vit_b16")
    layers = vit.layers[:9]  # patch conv, a block's projections, QK^T, AV and MLP
    assert {layer.kind for layer in layers} == {"conv", "linear", "matmul"}
    write_cimloop_dir(Network("vit", layers), tmp_path, cimloop_header=True)
    _same_layers(layers, load_cimloop_dir(tmp_path))
    layers = get_network("mobilenet_v3_large").layers[:6]
    assert "depthwise" in {layer.kind for layer in layers}
    write_cimloop_dir(Network("mb", layers), tmp_path / "mb")
    _same_layers(layers, load_cimloop_dir(tmp_path / "mb"))


def test_manifest(cnn_profile, tmp_path):
    out = cnn_profile.write(tmp_path / "wl")
    manifest = json.loads((out / "profile.json").read_text())
    assert (manifest["format"], manifest["bits"], manifest["samples"]) == (
        "cimdse-profile", 8, cnn_profile.samples)
    conv1, dw, fc = manifest["layers"]
    assert conv1["file"] == "00-conv1.yaml" and conv1["op"] == "Conv"
    assert dw["padding"] == {"H": [1, 0], "W": [1, 0]} and dw["kind"] == "depthwise"
    assert fc["padding"] is None and fc["dims"]["C"] == 128
    assert conv1["tensors"]["Inputs"]["axes"] == ["N", "G", "C", "W", "H"]
    assert manifest["skipped"] == []


def test_kept_tensors_are_the_counted_codes(cnn_profile, tmp_path):
    out = cnn_profile.write(tmp_path / "wl")
    manifest = json.loads((out / "profile.json").read_text())
    for lp, entry in zip(cnn_profile.layers, manifest["layers"]):
        assert entry["kept"] == f"{cnn_profile.runs} of {cnn_profile.runs} inferences"
        for tensor, info in entry["tensors"].items():
            codes = np.load(out / info["file"], allow_pickle=False)
            assert codes.dtype == np.int8 and list(codes.shape) == info["shape"]
            counts = np.bincount(codes.ravel().astype(int) + 127, minlength=255)
            np.testing.assert_allclose(counts / counts.sum(),
                                       lp.layer.distributions[tensor].pmf, atol=1e-12)
    inputs = np.load(out / "00-conv1.Inputs.npy")
    assert inputs.shape == (cnn_profile.runs, 1, 1, 10, 10)   # the padded 8x8 image
    assert not inputs[:, :, :, 0, :].any() and not inputs[:, :, :, :, -1].any()


def test_kept_tensors_respect_the_cap(cnn_model, cnn_samples):
    cap = 3000
    profiled = profile_onnx(cnn_model, cnn_samples, keep_tensors=cap)
    for lp in profiled.layers:
        assert sum(a.nbytes for a in lp.tensors.values()) <= cap
    conv1 = profiled.layers[0]
    # one inference's padded input is 100 bytes, its outputs 8 x 64: columns stay whole
    assert conv1.tensors["Outputs"].shape[2] == 8
    assert conv1.kept == f"{conv1.tensors['Inputs'].shape[0]} of 24 inferences"
    tight = profile_onnx(cnn_model, cnn_samples, keep_tensors=300).layers[0]
    assert tight.tensors["Weights"].shape[1] < 8 and tight.tensors["Inputs"].shape[0] == 1
    assert "output channels" in tight.kept
    assert profile_onnx(cnn_model, cnn_samples, keep_tensors=50).layers[0].tensors == {}


def test_keep_plan_and_sizes():
    shapes = {"Inputs": (1, 1, 4, 10, 1), "Weights": (1, 8, 4, 1, 1), "Outputs": (1, 1, 8, 10, 1)}
    # 40 B of inputs a run; a column costs 4 B of weights once and 10 B of outputs a run
    assert plan(shapes, 8, False, 5, 1, 40 + 8 * 14).runs == 1
    full = plan(shapes, 8, False, 5, 1, 10_000)
    assert (full.runs, full.columns) == (5, 8)
    assert plan(shapes, 8, False, 5, 1, 40 + 2 * 14).columns == 2
    assert parse_size("64K") == 65536 and parse_size("2MiB") == 2 << 20 and parse_size(7) == 7
    with pytest.raises(ProfileError, match="size 'lots'"):
        parse_size("lots")


def test_an_occupied_directory_is_refused(cnn_profile, tmp_path):
    (tmp_path / "old.yaml").write_text("problem: {}")
    with pytest.raises(ProfileError, match="not empty"):
        cnn_profile.write(tmp_path)
