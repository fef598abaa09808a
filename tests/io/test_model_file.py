"""Whole-model files: round trip in a fresh process, refusals of wrong shapes, pickles and foreign names."""

import ast
import json
import pickle
import sys

import numpy as np
import pytest

from synaptica import FormatError, ShapeError, UnsafeFileError
from synaptica.io import load_model, load_tensors, save_model, save_tensors
from synaptica.nn import mlp
from synaptica.train import predict
from synaptica.parallel.blas import blas_threads
from tests.conftest import REPO, run_python


def test_reloaded_model_predicts_bitwise_equal_in_a_fresh_process(tmp_path, fashion):
    model = mlp([784, 30, 10], "sigmoid", rng=0)
    path = tmp_path / "net.safetensors"
    save_model(path, model, {"synaptica.cost": "cross-entropy"})
    with blas_threads(1):  # the child runs with one BLAS thread too: same summation order
        np.save(tmp_path / "expected.npy", predict(model, fashion.test.x[:256]))
    code = f"""
import numpy as np
from synaptica.io import load_model
from synaptica.data import load_dataset
from synaptica.train import predict
model, meta = load_model({str(path)!r})
assert meta["synaptica.cost"] == "cross-entropy", meta
out = predict(model, load_dataset("fashion-mnist").test.x[:256])
assert np.array_equal(out, np.load({str(tmp_path / 'expected.npy')!r})), "predictions differ"
print(repr(model.layers[0]))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "Linear(784→30)" in result.stdout


def test_a_tensor_shape_that_disagrees_with_the_architecture_is_refused(tmp_path):
    model = mlp([4, 3, 2], rng=0)
    path = tmp_path / "bad.safetensors"
    save_model(path, model)
    tensors, metadata = load_tensors(path)
    tensors["layers.2.weight"] = np.zeros((2, 5), np.float32)
    del metadata["synaptica.crc32"]  # as in a file from before checksums (with one, that catches it)
    save_tensors(path, tensors, {**metadata, "synaptica.format": "1"})
    with pytest.raises(ShapeError) as error:
        load_model(path)
    assert str(path) in str(error.value) and "'layers.2.weight'" in str(error.value)
    assert "(2, 5)" in str(error.value) and "(2, 3)" in str(error.value)


class _Trap:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("name", ["model.safetensors", "model.pkl", "model.pt", "model.json"])
def test_a_crafted_pickle_is_refused_and_runs_nothing(tmp_path, name):
    marker = tmp_path / "marker"
    path = tmp_path / name
    path.write_bytes(pickle.dumps(_Trap(str(marker))))
    with pytest.raises(UnsafeFileError, match="pickle") as error:
        load_model(path)
    assert str(path) in str(error.value)
    assert not marker.exists()


@pytest.mark.parametrize("architecture, complaint", [
    ({"type": "os.system", "command": "touch /tmp/x"}, "unknown layer type 'os.system'"),
    ({"type": "Sequential", "layers": [{"type": "Lambda"}]}, "unknown layer type 'Lambda'"),
    ({"type": "Sequential", "layers": [{"type": "Linear", "in_features": 4, "out_features": 3,
                                        "bias": True, "init": "__import__('os')"}]}, "unknown argument 'init'"),
    ({"type": "Sequential", "layers": [{"type": "Linear", "in_features": "4", "out_features": 3}]}, "must be int"),
])
def test_an_architecture_naming_anything_foreign_is_refused(tmp_path, architecture, complaint):
    path = tmp_path / "crafted.safetensors"
    save_tensors(path, {}, {"synaptica.format": "1", "synaptica.architecture": json.dumps(architecture)})
    modules_before = set(sys.modules)
    with pytest.raises(FormatError, match=complaint.replace("(", r"\(").replace(")", r"\)")):
        load_model(path)
    assert set(sys.modules) == modules_before


def test_truncated_and_foreign_files_name_the_file(tmp_path):
    model = mlp([4, 3, 2], rng=0)
    path = tmp_path / "net.safetensors"
    save_model(path, model)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])
    with pytest.raises(FormatError, match=str(path)):
        load_model(path)
    save_tensors(path, {"w": np.zeros(2, np.float32)})
    with pytest.raises(FormatError, match="not a synaptica model file"):
        load_model(path)


def test_the_package_has_no_code_execution_on_file_data():
    """AST scan: no pickle, marshal, eval, exec, importlib or allow_pickle=True anywhere in the library."""
    forbidden_modules = {"pickle", "marshal", "importlib", "shelve", "dill", "cloudpickle"}
    for source in (REPO / "src" / "synaptica").rglob("*.py"):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & forbidden_modules, source
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in forbidden_modules, source
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "__import__"}, f"{source}:{node.lineno}"
            if isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                assert not (isinstance(node.value, ast.Constant) and node.value.value is True), source


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_model_keeps_its_dtype_through_a_file_bit_for_bit(tmp_path, dtype):
    model = mlp([6, 5, 3], "relu", init="he", rng=0, dtype=dtype, batch_norm=True)
    model.layers[1].running_mean = np.random.default_rng(1).standard_normal(5).astype(dtype)
    save_model(tmp_path / "net.safetensors", model)
    loaded, _ = load_model(tmp_path / "net.safetensors")
    saved, read = model.state_dict(), loaded.state_dict()
    assert list(read) == list(saved)
    for name in saved:
        assert read[name].dtype == dtype, name
        assert read[name].tobytes() == saved[name].tobytes(), name
    x = np.random.default_rng(2).standard_normal((4, 6))
    assert predict(loaded, x).dtype == dtype
    assert np.array_equal(predict(loaded, x), predict(model, x))
