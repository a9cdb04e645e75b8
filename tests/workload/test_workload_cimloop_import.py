"""CiMLoop/Timeloop workload YAML import and ``load_workload``."""

from pathlib import Path

import pytest

from cimdse.workload import (WorkloadError, get_network, load_cimloop_dir, load_cimloop_layer,
                             load_workload)

H31 = "[" + ",".join(["0.01"] * 15 + ["0.5"] + ["0.02"] * 15) + "]"

LAYER = f"""{{{{include_text('../problem_base.yaml')}}}}
problem:
  <<<: *problem_base
  instance: {{C: 64, M: 128, P: 28, Q: 14, R: 3, S: 5, HStride: 2, WStride: 1, Wdilation: 2}}

  name: Conv2d
  dnn_name: tinynet
  notes: Conv2d
  # comment
  histograms:
    Inputs: {H31}
    Weights: [0.1, 0.2, 0.4, 0.2, 0.1, 0.0, 0.0]
    Outputs: [1, 2, 1]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


def test_layer_file_with_jinja_and_merge_key(tmp_path):
    layer = load_cimloop_layer(write(tmp_path, "07.yaml", LAYER))
    assert layer.name == "07.Conv2d" and layer.kind == "conv"
    assert dict(layer.dims) == dict(N=1, G=1, C=64, M=128, R=3, S=5, P=28, Q=14, X=1, Y=1)
    assert layer.stride == (2, 1) and layer.dilation == (1, 2)
    assert layer.source.endswith("07.yaml")
    hists = layer.distributions
    assert hists["Inputs"].bits == 5 and hists["Inputs"].zero_mass == pytest.approx(0.5 / 0.95)
    assert hists["Weights"].bits == 3 and hists["Outputs"].bits == 2
    assert load_cimloop_layer(tmp_path / "07.yaml", batch=8).dims["N"] == 8


def test_top_level_instance_and_spellings(tmp_path):
    text = ("instance: {C: 8, M: 4, N: BATCH_SIZE, G: 2, Hstride: 3, wstride: 2,\n"
            "           HDilation: 2, X: 8, Y: 8, Z: 16, H: 1, W: 1}\n"
            "name: Linear\n")
    layer = load_cimloop_layer(write(tmp_path, "a.yaml", text), batch=4)
    assert layer.kind == "linear" and layer.distributions is None
    assert (layer.dims["N"], layer.dims["G"], layer.dims["X"], layer.dims["Y"]) == (4, 2, 1, 1)
    assert layer.stride == (3, 2) and layer.dilation == (2, 1)


def test_einsum_and_depthwise_kinds(tmp_path):
    einsum = "problem:\n  instance: {M: 64, C: 197, P: 12}\n  name: Att\n  notes: From einsum\n"
    layer = load_cimloop_layer(write(tmp_path, "e.yaml", einsum))
    assert layer.kind == "matmul" and layer.weights_are_activations
    dw = "problem:\n  instance: {G: 16, P: 112, Q: 112, R: 3, S: 3}\n  name: Conv2d\n"
    assert load_cimloop_layer(write(tmp_path, "d.yaml", dw)).kind == "depthwise"


def test_resolvable_anchor_is_merged(tmp_path):
    text = ("base: &problem_base\n  instance: {C: 2, M: 3, Hstride: 2}\n"
            "problem:\n  <<<: *problem_base\n  instance: {M: 5}\n")
    layer = load_cimloop_layer(write(tmp_path, "m.yaml", text))
    assert (layer.dims["C"], layer.dims["M"], layer.stride) == (2, 5, (2, 1))


@pytest.mark.parametrize("text, message", [
    ("problem:\n  instance: {C: 3, Hstrid: 2}\n",
     r"bad\.yaml: problem\.instance\.Hstrid: unknown.*did you mean 'Hstride'"),
    ("problem:\n  instance: {C: 0}\n", r"problem\.instance\.C: must be a positive integer"),
    ("problem:\n  instance: {C: 3}\n  histograms: {Inputs: [1, 2]}\n",
     r"bad\.yaml: problem\.histograms\.Inputs: histogram has 2 bins"),
    ("problem:\n  instance: {C: 3}\n  histograms: {Input: [1]}\n", "did you mean 'Inputs'"),
    ("problem:\n  name: Conv2d\n", r"problem\.instance: missing"),
    ("problem: [1, 2\n", "invalid YAML"),
    ("- 1\n", "expected a mapping"),
])
def test_bad_files_name_file_and_key(tmp_path, text, message):
    with pytest.raises(WorkloadError, match=message):
        load_cimloop_layer(write(tmp_path, "bad.yaml", text))


def test_directory_order_and_problem_base(tmp_path):
    for name in ("10.yaml", "9.yaml", "problem_base.yaml", "notes.txt"):
        write(tmp_path, name, LAYER)
    net = load_cimloop_dir(tmp_path)
    assert [layer.name for layer in net] == ["9.Conv2d", "10.Conv2d"]
    assert net.name == "tinynet"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WorkloadError, match="no layer files"):
        load_cimloop_dir(empty)
    with pytest.raises(WorkloadError, match="not a directory"):
        load_cimloop_dir(tmp_path / "missing")


def test_load_workload_dispatch(tmp_path):
    path = write(tmp_path, "00.yaml", LAYER)
    assert load_workload("resnet18").name == "resnet18"
    assert load_workload("gpt2", batch=2, seq_len=16).layers[0].dims["P"] == 16
    single = load_workload(path)
    assert len(single.layers) == 1 and single.layers[0].dims["M"] == 128
    assert len(load_workload(tmp_path)) == 1
    assert load_workload(str(path), batch=3).layers[0].dims["N"] == 3
    net = get_network("alexnet")
    assert load_workload(net) is net
    assert load_workload(net.layers[0]).layers == (net.layers[0],)
    with pytest.raises(WorkloadError, match=r"built-ins: alexnet.*did you mean 'vgg16'"):
        load_workload("vgg61")
    with pytest.raises(WorkloadError, match="must be a name"):
        load_workload(42)


# -- the real profiled CiMLoop workloads (skipped when the folder is absent) ------

# the CiMLoop artifact (mit-emze/cimloop): layer files and total MACs (batch 1, all files).
TABLE = {"alexnet": (8, 0.714e9), "gpt2_medium": (145, 90.5e9), "mobilenet_v3": (64, 0.217e9),
         "resnet18": (21, 1.814e9), "vgg16": (16, 15.47e9),
         "vision_transformer": (98, 16.86e9)}


@pytest.fixture(scope="module")
def imported(cimloop_workloads):
    return {d.name: load_cimloop_dir(d) for d in sorted(cimloop_workloads.iterdir())
            if d.is_dir()}


def test_every_shared_directory_imports(imported):
    assert imported
    for name, net in imported.items():
        assert len(net) > 0
        for layer in net:
            assert set(layer.distributions) == {"Inputs", "Weights", "Outputs"}
            assert all(h.bits in (5, 6) for h in layer.distributions.values())
        if name in TABLE:
            count, macs = TABLE[name]
            assert len(net) == count, name
            assert net.macs == pytest.approx(macs, rel=0.01), name


def test_shared_resnet18_matches_builtin(imported):
    real, builtin = imported["resnet18"], get_network("resnet18")
    assert len(real) == 21
    assert real.macs == pytest.approx(builtin.macs, rel=0.01)
    assert [l.shape_key() for l in real] == [l.shape_key() for l in builtin]


def test_shared_einsum_layers(imported):
    vit = imported["vision_transformer"]
    assert sum(layer.weights_are_activations for layer in vit) == 24
    assert len(vit.without_activation_matmuls()) == 74
    assert sum(l.weights_are_activations for l in imported["gpt2_medium"]) == 48
