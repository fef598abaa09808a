"""``synaptica export MODEL OUTPUT``: a saved model as an ONNX file, and the words it says without onnx."""

import sys

import numpy as np
import onnx

from synaptica.cli import main
from synaptica.io import load_model, save_model
from synaptica.nn import mlp
from synaptica.nn.cnn import cnn
from synaptica.train import predict
from tests.io.test_onnx_export import run_onnx


def test_the_command_exports_a_saved_model(tmp_path, capsys):
    save_model(tmp_path / "m.safetensors", cnn(rng=0))
    assert main(["export", str(tmp_path / "m.safetensors"), str(tmp_path / "m.onnx")]) == 0
    assert "m.onnx" in capsys.readouterr().out
    model, _ = load_model(tmp_path / "m.safetensors")
    x = np.random.default_rng(0).uniform(size=(3, 784)).astype(np.float32)
    np.testing.assert_allclose(run_onnx(onnx.load(tmp_path / "m.onnx"), x), predict(model, x), atol=1e-4)


def test_without_onnx_the_command_names_the_extra(tmp_path, monkeypatch, capsys):
    """onnx is imported lazily from the adapter alone: without it the command says how to install it."""
    save_model(tmp_path / "m.safetensors", mlp([4, 2], rng=0))
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ModuleNotFoundError
    assert main(["export", str(tmp_path / "m.safetensors"), str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'synaptica[onnx]'" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not (tmp_path / "m.onnx").exists()
