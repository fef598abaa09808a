"""Tests for the native safetensors reader and writer (synaptica.io.safetensors_format)."""

from __future__ import annotations

import json
import os
import pickle
import signal
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from synaptica.errors import FormatError, UnsafeFileError
from synaptica.io.safetensors_format import load_tensors, read_metadata, save_tensors

SRC = Path(__file__).resolve().parents[2] / "src"


def sample_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "layer.0.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "layer.0.bias": rng.standard_normal(3),  # float64
        "steps": np.arange(-5, 5, dtype=np.int64),
        "counts": np.arange(7, dtype=np.int32) * 1000,
        "half": np.linspace(-2, 2, 5, dtype=np.float16),
        "small": np.array([-128, 0, 127], dtype=np.int8),
        "shorts": np.array([-300, 7], dtype=np.int16),
        "pixels": np.arange(256, dtype=np.uint8).reshape(16, 16),
        "mask": np.array([True, False, True]),
        "scalar": np.array(3.5, dtype=np.float32),
        "flag": np.array(True),
        "empty": np.zeros((0, 5), dtype=np.float32),
        "empty_ints": np.zeros((3, 0), dtype=np.int64),
    }


def assert_same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert set(got) == set(want)
    for name, array in want.items():
        assert got[name].dtype == array.dtype, name
        assert got[name].shape == array.shape, name
        np.testing.assert_array_equal(got[name], array, err_msg=name)


def raw_file(header: dict, data: bytes = b"") -> bytes:
    """A safetensors file with an arbitrary (possibly invalid) header."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


# ------------------------------------------------------------------------- round trip


def test_round_trip_all_dtypes_with_metadata(tmp_path: Path) -> None:
    tensors = sample_tensors()
    metadata = {"step": "12", "note": "héllo \"quoted\"\n", "empty": ""}
    path = tmp_path / "model.safetensors"
    save_tensors(path, tensors, metadata)
    got, got_metadata = load_tensors(path)
    assert_same(got, tensors)
    assert got_metadata == metadata
    assert read_metadata(path) == metadata
    assert got["scalar"].shape == () and got["flag"].shape == ()


def test_round_trip_without_metadata_and_str_path(tmp_path: Path) -> None:
    path = str(tmp_path / "plain.safetensors")
    save_tensors(path, {"x": np.ones(3, dtype=np.float64)})
    tensors, metadata = load_tensors(path)
    assert metadata == {}
    np.testing.assert_array_equal(tensors["x"], np.ones(3))
    save_tensors(path, {})
    assert load_tensors(path) == ({}, {})


def test_loaded_arrays_are_writable_independent_native(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_tensors(path, {"a": np.arange(4, dtype=">f4"), "b": np.arange(3, dtype=">i8")})
    first, _ = load_tensors(path)
    for array in first.values():
        assert array.flags.writeable and array.flags.owndata and array.dtype.isnative
    first["a"][0] = 99
    second, _ = load_tensors(path)
    np.testing.assert_array_equal(second["a"], np.arange(4, dtype=np.float32))
    np.testing.assert_array_equal(second["b"], np.arange(3))


def test_non_contiguous_input_is_written_correctly(tmp_path: Path) -> None:
    path = tmp_path / "strided.safetensors"
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    save_tensors(path, {"t": base.T, "s": base[:, ::2]})
    got, _ = load_tensors(path)
    np.testing.assert_array_equal(got["t"], base.T)
    np.testing.assert_array_equal(got["s"], base[:, ::2])


def test_layout_is_sorted_contiguous_and_padded(tmp_path: Path) -> None:
    path = tmp_path / "layout.safetensors"
    save_tensors(path, sample_tensors(), {"k": "v"})
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    assert length % 8 == 0
    header = json.loads(data[8:8 + length])
    assert next(iter(header)) == "__metadata__"
    offsets = [info["data_offsets"] for name, info in header.items() if name != "__metadata__"]
    assert offsets[0][0] == 0 and offsets[-1][1] == len(data) - 8 - length
    assert all(a[1] == b[0] for a, b in zip(offsets, offsets[1:]))


@pytest.mark.parametrize("tensors, metadata, error", [
    ({1: np.zeros(2)}, None, TypeError),
    ({"__metadata__": np.zeros(2)}, None, ValueError),
    ({"a": [1.0, 2.0]}, None, TypeError),
    ({"a": np.array(["x"])}, None, TypeError),
    ({"a": np.zeros(2, dtype=np.complex128)}, None, TypeError),
    ({"a": np.zeros(2)}, {"step": 3}, TypeError),
    ({"a": np.zeros(2)}, {3: "x"}, TypeError),
    ({"a": np.zeros(2)}, ["step"], TypeError),
    ([("a", np.zeros(2))], None, TypeError),
])
def test_save_validates_inputs(tmp_path: Path, tensors, metadata, error) -> None:
    path = tmp_path / "bad.safetensors"
    with pytest.raises(error, match="bad.safetensors"):
        save_tensors(path, tensors, metadata)
    assert list(tmp_path.iterdir()) == []


def test_bf16_loads_as_exact_float32(tmp_path: Path) -> None:
    values = np.array([1.0, -2.5, 3.140625, 0.0], dtype=np.float32)
    words = (values.view(np.uint32) >> 16).astype("<u2")
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(raw_file({"x": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}},
                              words.tobytes()))
    got, _ = load_tensors(path)
    assert got["x"].dtype == np.float32
    np.testing.assert_array_equal(got["x"], values.reshape(2, 2))


# ------------------------------------------------------------------------------ interop


def test_our_files_load_in_official_reader(tmp_path: Path) -> None:
    st = pytest.importorskip("safetensors")
    st_numpy = pytest.importorskip("safetensors.numpy")
    tensors = sample_tensors()
    metadata = {"step": "7", "format": "np", "unicode": "ünï"}
    path = tmp_path / "ours.safetensors"
    save_tensors(path, tensors, metadata)
    assert_same(st_numpy.load_file(str(path)), tensors)
    with st.safe_open(str(path), "np") as f:
        assert f.metadata() == metadata


def test_official_files_load_in_ours(tmp_path: Path) -> None:
    st_numpy = pytest.importorskip("safetensors.numpy")
    tensors = sample_tensors()
    metadata = {"step": "7", "author": "them"}
    path = tmp_path / "theirs.safetensors"
    st_numpy.save_file(tensors, str(path), metadata=metadata)
    got, got_metadata = load_tensors(path)
    assert_same(got, tensors)
    assert got_metadata == metadata


@pytest.mark.parametrize("metadata", [None, {}, {"step": "3"}, {"é\"\\\x01\x7f\u2028": "a\nb\tc/"}])
def test_byte_identical_to_official_writer(tmp_path: Path, metadata) -> None:
    # With two or more metadata keys the official writer's key order is random, so
    # exact bytes are only comparable with at most one key.
    st_numpy = pytest.importorskip("safetensors.numpy")
    tensors = sample_tensors()
    path = tmp_path / "same.safetensors"
    save_tensors(path, tensors, metadata)
    assert path.read_bytes() == st_numpy.save(tensors, metadata=metadata)


def test_same_layout_as_official_writer_with_many_metadata_keys(tmp_path: Path) -> None:
    st_numpy = pytest.importorskip("safetensors.numpy")
    tensors = sample_tensors()
    metadata = {"a": "1", "z": "2", "m": "3"}
    path = tmp_path / "many.safetensors"
    save_tensors(path, tensors, metadata)
    ours, theirs = path.read_bytes(), st_numpy.save(tensors, metadata=metadata)
    assert len(ours) == len(theirs) and ours[:8] == theirs[:8]
    (length,) = struct.unpack("<Q", ours[:8])
    assert json.loads(ours[8:8 + length]) == json.loads(theirs[8:8 + length])
    assert ours[8 + length:] == theirs[8 + length:]


def test_official_bf16_file_from_torch_loads(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    values = torch.tensor([[1.0, -2.5], [3.140625, 1e30]], dtype=torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    st_torch.save_file({"x": values}, str(path))
    got, _ = load_tensors(path)
    np.testing.assert_array_equal(got["x"], values.float().numpy())


# --------------------------------------------------------------------------- atomicity


def test_clean_save_leaves_only_the_target(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    for step in range(3):
        save_tensors(path, {"w": np.full(10, step, dtype=np.float32)}, {"step": str(step)})
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]
    assert read_metadata(path) == {"step": "2"}


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_file_mode_follows_umask(tmp_path: Path, umask: int, mode: int) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    old = os.umask(umask)
    try:
        path = tmp_path / "model.safetensors"
        save_tensors(path, {"w": np.zeros(3)})
        assert stat.S_IMODE(path.stat().st_mode) == mode
        save_tensors(path, {"w": np.ones(3)})  # replacing keeps following the umask
        assert stat.S_IMODE(path.stat().st_mode) == mode
    finally:
        os.umask(old)


def test_failed_save_leaves_old_file_and_no_temp(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.safetensors"
    save_tensors(path, {"w": np.zeros(3)}, {"step": "1"})
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk on fire"):
        save_tensors(path, {"w": np.ones(1000)}, {"step": "2"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_failed_save_to_directory_target_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "keep").write_text("x")
    with pytest.raises(OSError):
        save_tensors(target, {"w": np.zeros(3)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]


CHILD = r"""
import sys
import numpy as np
from synaptica.io.safetensors_format import save_tensors
path = sys.argv[1]
big = [np.zeros(250_000, dtype=np.float32), np.ones(250_000, dtype=np.float32)]
small = [np.zeros(50, dtype=np.int64), np.ones(50, dtype=np.int64)]
print("ready", flush=True)
step = 0
while True:
    v = step % 2
    save_tensors(path, {"big": big[v], "small": small[v]}, {"step": str(step), "value": str(v)})
    step += 1
"""


def test_sigkill_during_saves_never_leaves_partial_file(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("needs SIGKILL")
    path = tmp_path / "ckpt.safetensors"
    save_tensors(path, {"big": np.zeros(250_000, dtype=np.float32),
                        "small": np.zeros(50, dtype=np.int64)}, {"step": "-1", "value": "0"})
    env = dict(os.environ, PYTHONPATH=str(SRC))
    rng = np.random.default_rng(1234)
    steps_seen = set()
    for _ in range(30):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
            time.sleep(float(rng.uniform(0.0, 0.06)))
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait(timeout=10)
            child.stdout.close()
            child.stderr.close()
        assert child.returncode == -signal.SIGKILL
        tensors, metadata = load_tensors(path)
        value = int(metadata["value"])
        assert value == int(metadata["step"]) % 2 or metadata["step"] == "-1"
        assert tensors["big"].shape == (250_000,) and tensors["small"].shape == (50,)
        assert np.all(tensors["big"] == value) and np.all(tensors["small"] == value)
        steps_seen.add(metadata["step"])
    assert len(steps_seen) > 1  # the children did get to replace the file


# --------------------------------------------------------------------------- bad files


@pytest.fixture
def valid_file(tmp_path: Path) -> bytes:
    path = tmp_path / "valid.safetensors"
    save_tensors(path, {"a": np.arange(6, dtype=np.float32).reshape(2, 3),
                        "b": np.arange(4, dtype=np.int16), "c": np.array(True)},
                 {"step": "5"})
    return path.read_bytes()


def test_every_truncation_is_a_format_error(tmp_path: Path, valid_file: bytes) -> None:
    path = tmp_path / "cut.safetensors"
    for cut in range(len(valid_file)):
        path.write_bytes(valid_file[:cut])
        with pytest.raises(FormatError, match="cut.safetensors"):
            load_tensors(path)


def load_error(tmp_path: Path, content: bytes, name: str = "broken.safetensors") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError) as info:
        load_tensors(path)
    assert not isinstance(info.value, UnsafeFileError)
    message = str(info.value)
    assert str(path) in message
    return message


F32_2 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"\x10\x00\x00", "too short"),
    (struct.pack("<Q", 2**40) + b"{}", "exceeds"),
    (struct.pack("<Q", 200_000_000) + b"{}", "exceeds"),
    (struct.pack("<Q", 50) + b"{}", "past the end"),
    (struct.pack("<Q", 6) + b'{"a":1', "not valid JSON"),
    (struct.pack("<Q", 8) + b'{"a" 1} ', "at file byte 13"),
    (struct.pack("<Q", 4) + b"\xff\xfe{}", "UTF-8 at file byte 8"),
    (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    (struct.pack("<Q", 11) + b'{"a":NaN}  ', "NaN"),
    (raw_file({"a": [1, 2]}), "entry must be an object"),
    (raw_file({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8), "lacks data_offsets"),
    (raw_file({"a": {**F32_2, "dtype": "F128"}}, b"\0" * 8), "unknown or unsupported dtype"),
    (raw_file({"a": {**F32_2, "shape": [-2]}}, b"\0" * 8), "non-negative"),
    (raw_file({"a": {**F32_2, "shape": [2.0]}}, b"\0" * 8), "non-negative"),
    (raw_file({"a": {**F32_2, "shape": [True, 2]}}, b"\0" * 8), "non-negative"),
    (raw_file({"a": {**F32_2, "shape": 2}}, b"\0" * 8), "non-negative"),
    (raw_file({"a": {**F32_2, "shape": [3]}}, b"\0" * 8), "needs 12"),
    (raw_file({"a": {**F32_2, "shape": [2**62, 2**62]}}, b"\0" * 8), "needs"),
    (raw_file({"a": {**F32_2, "data_offsets": [8, 0]}}, b"\0" * 8), "begin <= end"),
    (raw_file({"a": {**F32_2, "data_offsets": [0]}}, b"\0" * 8), "begin <= end"),
    (raw_file({"a": F32_2}, b"\0" * 4), "past the end"),
    (raw_file({"a": {**F32_2, "shape": [2**40], "data_offsets": [0, 2**42]}}, b"\0" * 8),
     "past the end"),
    (raw_file({"a": F32_2, "b": F32_2}, b"\0" * 8), "overlaps"),
    (raw_file({"a": F32_2, "b": {**F32_2, "data_offsets": [4, 12]}}, b"\0" * 12), "overlaps"),
    (raw_file({"a": {**F32_2, "data_offsets": [4, 12]}}, b"\0" * 12), "hole"),
    (raw_file({"a": F32_2}, b"\0" * 9), "trailing"),
    (raw_file({"__metadata__": {"step": 3}}), "__metadata__"),
    (raw_file({"__metadata__": ["x"]}), "__metadata__"),
    (struct.pack("<Q", 17) + b'{"a":{},"a":{}}  ', "repeats the key"),
    (raw_file({"a": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07"),
     "byte 7"),
])
def test_bad_files_raise_format_error(tmp_path: Path, content: bytes, expected: str) -> None:
    assert expected in load_error(tmp_path, content)


def test_lying_header_does_not_allocate(tmp_path: Path) -> None:
    # Declares a 16 EiB tensor in a tiny file: must fail fast, not try to allocate.
    header = {"a": {"dtype": "F64", "shape": [2**61], "data_offsets": [0, 2**64]}}
    assert "past the end" in load_error(tmp_path, raw_file(header, b"\0" * 8))


def test_read_metadata_validates_header(tmp_path: Path) -> None:
    load_error(tmp_path, raw_file({"__metadata__": {"a": "b"}, "a": F32_2}, b"\0" * 4))
    with pytest.raises(FormatError, match="past the end"):
        read_metadata(tmp_path / "broken.safetensors")


def test_fuzzed_files_load_or_raise_format_error(tmp_path: Path, valid_file: bytes) -> None:
    rng = np.random.default_rng(2024)
    path = tmp_path / "fuzz.safetensors"
    (length,) = struct.unpack("<Q", valid_file[:8])
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(500):
        data = bytearray(valid_file)
        kind = rng.integers(5)
        if kind == 0:  # truncate
            data = data[:rng.integers(len(data))]
        elif kind == 1:  # flip 1-3 bits anywhere
            for _ in range(rng.integers(1, 4)):
                data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        elif kind == 2:  # overwrite a header byte with a digit, bracket or quote
            data[8 + rng.integers(length)] = rng.choice(list(b'0123456789[]{}",: -'))
        elif kind == 3:  # change the header length field
            data[:8] = struct.pack("<Q", int(rng.integers(0, 2 * len(data))))
        else:  # insert or delete bytes
            at = int(rng.integers(len(data)))
            if rng.integers(2):
                data[at:at] = bytes(rng.integers(0, 256, size=int(rng.integers(1, 9)), dtype=np.uint8))
            else:
                del data[at:at + int(rng.integers(1, 9))]
        path.write_bytes(bytes(data))
        try:
            tensors, metadata = load_tensors(path)
        except FormatError as error:
            assert str(path) in str(error)
            outcomes["refused"] += 1
            continue
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(bytes(data[8:8 + n]))
        header.pop("__metadata__", None)
        assert set(tensors) == set(header)
        for name, info in header.items():
            assert isinstance(tensors[name], np.ndarray)
            assert list(tensors[name].shape) == info["shape"]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        outcomes["loaded"] += 1
    assert outcomes["loaded"] > 0 and outcomes["refused"] > 0


# ------------------------------------------------------------------------------ pickles


class Trap:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_trap_pickle_really_runs_code_when_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Trap(str(marker)))).close()
    assert marker.exists()  # so the refusals below are meaningful


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("name", ["model.safetensors", "weights.bin", "model.pt", "checkpoint"])
def test_pickle_is_refused_and_never_run(tmp_path: Path, protocol: int, name: str) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"weights": Trap(str(marker))}, protocol=protocol))
    with pytest.raises(UnsafeFileError) as info:
        load_tensors(path)
    assert str(path) in str(info.value) and "pickle" in str(info.value)
    with pytest.raises(UnsafeFileError):
        read_metadata(path)
    assert not marker.exists()


@pytest.mark.parametrize("zipfile", [True, False])
def test_torch_save_files_are_refused(tmp_path: Path, zipfile: bool) -> None:
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.safetensors"
    torch.save({"w": torch.zeros(3)}, str(path), _use_new_zipfile_serialization=zipfile)
    with pytest.raises(UnsafeFileError, match="torch.save"):
        load_tensors(path)


def test_real_file_with_pickle_like_length_bytes_still_loads(tmp_path: Path) -> None:
    # A header of 0x380 bytes starts the file with 80 03, like a protocol-3 pickle.
    path = tmp_path / "lookalike.safetensors"
    for width in range(1, 400):
        tensors = {"x" * width: np.zeros(1, dtype=np.float32), "y": np.ones(2)}
        save_tensors(path, tensors, {"pad": "p" * 700})
        data = path.read_bytes()
        if data[0] == 0x80 and 2 <= data[1] <= 5:
            break
    else:
        pytest.fail("could not build a header of the wanted length")
    got, _ = load_tensors(path)
    assert_same(got, tensors)
