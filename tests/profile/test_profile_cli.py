"""`cimdse profile MODEL.onnx --inputs SAMPLE.npy --out WL/`, then
`cimdse evaluate SPEC --workload WL/`, through the command's entry point;
and the one-line errors (exit status 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from cimdse.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
WANG = REPO / "configs" / "macros" / "wang_vlsi_2022.yaml"


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_profile_then_evaluate(model, model_files, tmp_path, capsys):
    onnx_file, samples = model_files[model]
    out = tmp_path / "WL"
    assert main(["profile", str(onnx_file), "--inputs", str(samples), "--out", f"{out}/"]) == 0
    printed = capsys.readouterr().out
    assert f"profiled on {len(np.load(samples))} samples at 8 b" in printed
    assert main(["evaluate", str(WANG), "--workload", f"{out}/", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    layers = 2 if model == "mlp" else 3
    assert len(result["layers"]) == layers
    assert result["macs"] == (64 * 32 + 32 * 10 if model == "mlp" else 7040)
    assert result["energy_pj"] > 0 and result["area_mm2"] > 0


def test_profile_options(model_files, tmp_path, capsys):
    onnx_file, samples = model_files["cnn"]
    out = tmp_path / "WL"
    assert main(["profile", str(onnx_file), "--inputs", str(samples), "--out", str(out),
                 "--bits", "6", "--keep-tensors", "2K", "--cimloop-format"]) == 0
    manifest = json.loads((out / "profile.json").read_text())
    assert manifest["bits"] == 6 and manifest["cimloop_format"]
    assert manifest["keep_bytes_per_layer"] == 2048
    assert (out / "00-conv1.Inputs.npy").is_file()
    assert (out / "00-conv1.yaml").read_text().startswith("{{include_text(")


def test_errors_are_one_line(model_files, tmp_path, capsys):
    onnx_file, samples = model_files["cnn"]
    mlp_file, mlp_samples = model_files["mlp"]
    out = str(tmp_path / "new")
    err = _error(capsys, ["profile", str(onnx_file), "--inputs", str(mlp_samples), "--out", out])
    assert "do not fit model input 'image' of shape (batch, 1, 8, 8)" in err
    err = _error(capsys, ["profile", str(samples), "--inputs", str(samples), "--out", out])
    assert "not an ONNX model" in err
    err = _error(capsys, ["profile", str(tmp_path / "none.onnx"), "--inputs", str(samples),
                          "--out", out])
    assert "ONNX model not found" in err
    assert "bits must be" in _error(capsys, ["profile", str(onnx_file), "--inputs",
                                             str(samples), "--out", out, "--bits", "40"])
    assert "size '3 apples'" in _error(capsys, ["profile", str(onnx_file), "--inputs",
                                                str(samples), "--out", out,
                                                "--keep-tensors", "3 apples"])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.yaml").write_text("")
    assert "not empty" in _error(capsys, ["profile", str(onnx_file), "--inputs", str(samples),
                                          "--out", str(tmp_path / "full")])
    assert not Path(out).exists()


def test_an_unsupported_op_names_op_and_node(tmp_path, capsys):
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        [helper.make_node("Einsum", ["x", "w"], ["y"], name="mixer", equation="bi,ij->bj")],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
        [numpy_helper.from_array(rng.normal(size=(3, 2)).astype(np.float32), "w")])
    path = tmp_path / "einsum.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    np.save(tmp_path / "x.npy", rng.normal(size=(2, 3)).astype(np.float32))
    err = _error(capsys, ["profile", str(path), "--inputs", str(tmp_path / "x.npy"),
                          "--out", str(tmp_path / "wl")])
    assert "Einsum node 'mixer' (einsum)" in err and "--skip-unsupported" in err
    err = _error(capsys, ["profile", str(path), "--inputs", str(tmp_path / "x.npy"),
                          "--out", str(tmp_path / "wl"), "--skip-unsupported"])
    assert "no convolution or matrix product cimdse can map" in err
