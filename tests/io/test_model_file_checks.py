"""What a model file loader refuses beyond the safetensors layout: nesting, sizes, dtypes, versions,
damaged bytes (checksums) and non-finite weights. Every file here is real, written to tmp_path."""

import json
import re
import struct

import numpy as np
import pytest

from synaptica import FormatError
from synaptica.io import load_model, load_tensors, save_model, save_tensors
from synaptica.nn import mlp
from synaptica.train import predict
from tests.nn.test_budget import refusal_and_peak_mb

X = np.random.default_rng(0).random((5, 4), dtype=np.float32)


def _split(path):
    """(header dict, data bytes) of a safetensors file."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]), data[8 + length:]


def _write(path, header: dict | str, buffer: bytes) -> None:
    text = (header if isinstance(header, str) else json.dumps(header)).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + buffer)


def _saved(tmp_path, name="net.safetensors", model=None):
    path = tmp_path / name
    save_model(path, model or mlp([4, 3, 2], rng=0), {"synaptica.cost": "cross-entropy"})
    return path


def _with_architecture(tmp_path, architecture: str, name="arch.safetensors"):
    """A file holding one real tensor and the given architecture text (no checksums)."""
    path = tmp_path / name
    save_tensors(path, {"w": np.zeros(2, np.float32)},
                 {"synaptica.format": "1", "synaptica.architecture": architecture})
    return path


# ------------------------------------------------------------------------ nesting and sizes


@pytest.mark.parametrize("architecture, complaint", [
    ('{"type": "Sequential", "layers": [' * 500 + "]}" * 500, "nests arrays and objects 1000 deep; at most 256"),
    ("[" * 1000 + "]" * 1000, "nests arrays and objects 1000 deep"),
    ('{"type": "Sequential", "layers": [' * 100 + "]}" * 100, "nested 65 containers deep; at most 64"),
])
def test_deep_nesting_is_refused_naming_the_file(tmp_path, architecture, complaint):
    path = _with_architecture(tmp_path, architecture)
    with pytest.raises(FormatError, match=complaint) as error:
        load_model(path)
    assert str(path) in str(error.value)


def test_a_deeply_nested_header_is_refused(tmp_path):
    path = tmp_path / "deep.safetensors"
    _write(path, '{"w": {"dtype": "F32", "shape": ' + "[" * 5000 + "]" * 5000 + ', "data_offsets": [0, 0]}}', b"")
    with pytest.raises(FormatError, match=f"{path}: header nests arrays and objects 5002 deep"):
        load_tensors(path)


@pytest.mark.parametrize("layer, complaint", [
    ({"type": "Linear", "in_features": 4, "out_features": 10_000_000},
     r"model.layers.0 \(Linear\) would hold 50,000,000 numbers"),
    ({"type": "Linear", "in_features": 784, "out_features": 10_000_000},
     r"model.layers.0 \(Linear\) would hold 7,850,000,000 numbers"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 5, "padding": 10_000},
     r"model.layers.0 \(Conv2d\): Conv2d: padding 10000 must be smaller than the kernel 5×5"),
    ({"type": "Conv2d", "in_channels": 1, "out_channels": 2, "kernel_size": 5, "padding": 50},
     r"padding 50 must be smaller than the kernel 5×5"),
    ({"type": "BatchNorm1d", "features": 100_000_000}, r"model.layers.0 \(BatchNorm1d\) would hold 400,000,000"),
])
def test_sizes_beyond_what_the_file_holds_are_refused_before_allocating(tmp_path, layer, complaint):
    path = tmp_path / "huge.safetensors"
    model = mlp([4, 3], rng=0)
    header, buffer = _split(_saved(tmp_path, model=model))
    architecture = {"type": "Sequential", "layers": [layer]}
    header["__metadata__"] = {"synaptica.format": "1", "synaptica.architecture": json.dumps(architecture)}
    _write(path, header, buffer)
    error, peak = refusal_and_peak_mb(lambda: load_model(path), FormatError)
    assert re.search(complaint, str(error)) and str(path) in str(error)
    assert peak < 1  # MiB: refused before allocating


# ------------------------------------------------------------------------ dtypes, versions, header


def test_a_tensor_relabelled_to_another_dtype_of_the_same_size_is_refused(tmp_path):
    path = _saved(tmp_path)
    header, buffer = _split(path)
    header["layers.0.weight"]["dtype"] = "I32"
    _write(path, header, buffer)
    with pytest.raises(FormatError, match=r"tensor 'layers.0.weight' is int32 in the file, but the model's other "
                                          r"tensors are float32") as error:
        load_model(path)
    assert str(path) in str(error.value)


def test_float32_and_float64_tensors_in_one_model_are_refused(tmp_path):
    path = tmp_path / "mixed.safetensors"
    model = mlp([4, 3, 2], rng=0)
    state = model.state_dict()
    state["layers.2.bias"] = state["layers.2.bias"].astype(np.float64)
    save_tensors(path, state, {"synaptica.format": "1", "synaptica.architecture": json.dumps(model.config())})
    with pytest.raises(FormatError, match="tensor 'layers.2.bias' is float64 in the file, but the model's other "
                                          "tensors are float32"):
        load_model(path)


@pytest.mark.parametrize("version, complaint", [
    (None, "no 'synaptica.format' version in the metadata"),
    ("3", "format version '3' .* is unknown; this version of synaptica reads versions 1 and 2"),
    ("2", "a version 2 model file carries checksums .* but this one has none"),
])
def test_a_missing_or_unknown_format_version_is_refused(tmp_path, version, complaint):
    path = _saved(tmp_path)
    tensors, metadata = load_tensors(path)
    del metadata["synaptica.crc32"], metadata["synaptica.format"]
    if version is not None:
        metadata["synaptica.format"] = version
    save_tensors(path, tensors, metadata)
    with pytest.raises(FormatError, match=complaint):
        load_model(path)


def test_a_version_1_file_from_before_checksums_still_loads(tmp_path):
    path = _saved(tmp_path)
    tensors, metadata = load_tensors(path)
    del metadata["synaptica.crc32"]
    save_tensors(path, tensors, {**metadata, "synaptica.format": "1"})
    assert load_model(path)[1]["synaptica.format"] == "1"


def test_a_header_that_does_not_start_with_a_brace_is_refused(tmp_path):
    path = _saved(tmp_path)
    header, buffer = _split(path)
    _write(path, " " + json.dumps(header), buffer)
    with pytest.raises(FormatError, match=rf"{path}: header \(file byte 8\) is not a JSON object: it starts "
                                          r"with ' ', where the safetensors format requires '\{'"):
        load_model(path)


# ------------------------------------------------------------------------ checksums


def test_a_flipped_weight_byte_is_caught_by_the_checksum(tmp_path):
    path = _saved(tmp_path)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01  # inside the last tensor of the buffer
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"tensor '[\w.]+' does not match its CRC-32 checksum") as error:
        load_model(path)
    assert str(path) in str(error.value) and "damaged" in str(error.value)


def test_an_edited_architecture_or_metadata_entry_is_caught_by_the_checksum(tmp_path):
    path = _saved(tmp_path)
    tensors, metadata = load_tensors(path)
    metadata["synaptica.architecture"] = metadata["synaptica.architecture"].replace("Sigmoid", "Tanh")
    save_tensors(path, tensors, metadata)
    with pytest.raises(FormatError, match="metadata entry 'synaptica.architecture' does not match its CRC-32"):
        load_model(path)
    metadata.pop("synaptica.cost")
    save_tensors(path, tensors, metadata)
    with pytest.raises(FormatError, match="the file has lost the metadata entry 'synaptica.cost'"):
        load_model(path)


def test_a_tensor_added_or_lost_is_caught_by_the_checksum(tmp_path):
    path = _saved(tmp_path)
    tensors, metadata = load_tensors(path)
    save_tensors(path, {**tensors, "extra": np.zeros(1, np.float32)}, metadata)
    with pytest.raises(FormatError, match="the file has a tensor 'extra' it was not saved with"):
        load_model(path)


def test_a_reformatted_header_loads_the_same_model(tmp_path):
    model = mlp([4, 3, 2], rng=0)
    path = _saved(tmp_path, model=model)
    header, buffer = _split(path)
    reordered = dict(reversed(list(header.items())))
    _write(path, json.dumps(reordered, indent=3) + "\n\n", buffer)
    loaded, metadata = load_model(path)
    np.testing.assert_array_equal(predict(loaded, X), predict(model, X))
    assert metadata["synaptica.cost"] == "cross-entropy"


def test_a_file_without_checksums_still_loads(tmp_path):
    model = mlp([4, 3, 2], rng=0)
    path = tmp_path / "other-tool.safetensors"
    save_tensors(path, model.state_dict(), {"synaptica.format": "1", "synaptica.architecture": json.dumps(model.config())})
    loaded, metadata = load_model(path)
    np.testing.assert_array_equal(predict(loaded, X), predict(model, X))
    assert "synaptica.crc32" not in metadata


def test_save_model_keeps_the_files_own_keys(tmp_path):
    with pytest.raises(ValueError, match="'synaptica.crc32' is the file's own"):
        save_model(tmp_path / "m.safetensors", mlp([2, 2], rng=0), {"synaptica.crc32": "0"})


# ------------------------------------------------------------------------ non-finite weights


def test_non_finite_weights_are_refused_unless_allowed(tmp_path):
    model = mlp([4, 3, 2], rng=0)
    model.layers[0].weight.data[1, 2] = np.nan
    model.layers[0].weight.data[2, 0] = np.inf
    model.layers[2].bias.data[0] = -np.inf
    path = _saved(tmp_path, model=model)
    with pytest.raises(FormatError, match=r"tensor 'layers.0.weight' holds 2 non-finite value\(s\) \(NaN or "
                                          r"infinite\), the first at index \(1, 2\) \(and 1 more tensor\(s\), e.g. "
                                          r"'layers.2.bias'\).*allow_non_finite=True") as error:
        load_model(path)
    assert str(path) in str(error.value)
    loaded, _ = load_model(path, allow_non_finite=True)
    assert np.isnan(loaded.layers[0].weight.data[1, 2]) and loaded.layers[2].bias.data[0] == -np.inf
