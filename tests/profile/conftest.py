"""Models trained once per test session, and their sample inputs."""

from __future__ import annotations

import numpy as np
import pytest

import profile_models as pm

TRAIN = 300


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return pm.digits(per_class=50)


@pytest.fixture(scope="session")
def held_out(digits) -> tuple[np.ndarray, np.ndarray]:
    images, labels = digits
    return images[TRAIN:], labels[TRAIN:]


@pytest.fixture(scope="session")
def mlp_params(digits) -> dict[str, np.ndarray]:
    images, labels = digits
    return pm.train_mlp(images[:TRAIN], labels[:TRAIN])


@pytest.fixture(scope="session")
def cnn_params(digits) -> dict[str, np.ndarray]:
    images, labels = digits
    return pm.train_cnn(images[:TRAIN], labels[:TRAIN])


@pytest.fixture(scope="session")
def mlp_model(mlp_params):
    return pm.mlp_onnx(mlp_params)


@pytest.fixture(scope="session")
def cnn_model(cnn_params):
    return pm.cnn_onnx(cnn_params)


@pytest.fixture(scope="session")
def mlp_samples(held_out) -> np.ndarray:
    return held_out[0][:24].reshape(24, 64)


@pytest.fixture(scope="session")
def cnn_samples(held_out) -> np.ndarray:
    return held_out[0][:24, None]


@pytest.fixture(scope="session")
def model_files(tmp_path_factory, mlp_model, cnn_model, mlp_samples, cnn_samples) -> dict:
    """The two models and their samples as files."""
    import onnx
    root = tmp_path_factory.mktemp("models")
    files = {}
    for name, model, samples in (("mlp", mlp_model, mlp_samples), ("cnn", cnn_model, cnn_samples)):
        onnx.save(model, root / f"{name}.onnx")
        np.save(root / f"{name}.npy", samples)
        files[name] = (root / f"{name}.onnx", root / f"{name}.npy")
    return files
