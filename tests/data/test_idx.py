"""Tests for the IDX reader and writer: real files, real corruption, no mocks."""

from __future__ import annotations

import gzip
import io
import os
import re
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from synaptica.data import read_idx, write_idx
from synaptica.data.idx import MAX_EXPANSION
from synaptica.errors import FormatError
from tests.gzip_streams import gzip_of, gzip_with_zeros, idx_header

FASHION = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (FASHION / "train-images-idx3-ubyte.gz").is_file(),
    reason="Debian's dataset-fashion-mnist is not installed",
)


def _raw_idx(array: np.ndarray, code: int) -> bytes:
    """Build IDX bytes by hand (independently of write_idx) for a big-endian array."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


# --- the real dataset -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fashion() -> dict[str, np.ndarray]:
    return {
        name: read_idx(FASHION / f"{name}.gz")
        for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    }


@needs_fashion
def test_debian_fashion_mnist_shapes_and_class_balance(fashion):
    train_images = fashion["train-images-idx3-ubyte"]
    test_images = fashion["t10k-images-idx3-ubyte"]
    train_labels = fashion["train-labels-idx1-ubyte"]
    test_labels = fashion["t10k-labels-idx1-ubyte"]
    assert train_images.shape == (60000, 28, 28) and train_images.dtype == np.uint8
    assert test_images.shape == (10000, 28, 28) and test_images.dtype == np.uint8
    assert train_labels.shape == (60000,) and test_labels.shape == (10000,)
    assert train_images.max() == 255 and train_images.min() == 0
    assert np.array_equal(np.bincount(train_labels, minlength=10), np.full(10, 6000))
    assert np.array_equal(np.bincount(test_labels, minlength=10), np.full(10, 1000))
    assert train_images.flags.writeable


# --- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_dtype(tmp_path, dtype, suffix):
    rng = np.random.default_rng(1)
    array = (rng.standard_normal((3, 4, 5)) * 100).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert np.array_equal(back, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("shape", [(7,), (2, 3), (2, 3, 4), (2, 1, 3, 2), (0, 28, 28)])
def test_round_trip_shapes(tmp_path, shape):
    array = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    write_idx(tmp_path / "a.gz", array)
    back = read_idx(tmp_path / "a.gz")
    assert back.shape == shape and np.array_equal(back, array)


def test_big_endian_layout_matches_the_spec(tmp_path):
    array = np.array([[1, -2], [300, 70000]], dtype=np.int32)
    write_idx(tmp_path / "a", array)
    assert (tmp_path / "a").read_bytes() == _raw_idx(array.astype(">i4"), 0x0C)


def test_gzip_is_detected_by_magic_bytes_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_idx(tmp_path / "packed.gz", array)
    os.replace(tmp_path / "packed.gz", tmp_path / "packed-no-suffix")
    write_idx(tmp_path / "plain", array)
    os.replace(tmp_path / "plain", tmp_path / "plain.gz")
    assert np.array_equal(read_idx(tmp_path / "packed-no-suffix"), array)
    assert np.array_equal(read_idx(tmp_path / "plain.gz"), array)


def test_write_idx_rejects_what_idx_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 4 dimensions"):
        write_idx(tmp_path / "a", np.zeros((1, 1, 1, 1, 1), dtype=np.uint8))
    with pytest.raises(ValueError, match="1 to 4 dimensions"):
        write_idx(tmp_path / "a", np.uint8(3))
    assert list(tmp_path.iterdir()) == []


# --- bad files ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_wrong_magic_names_file_offset_and_value(tmp_path, suffix):
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    data = b"\x00\x00\x00\x00" + bytes(100)
    path.write_bytes(gzip.compress(data) if suffix else data)
    with pytest.raises(FormatError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message
    assert "bad magic number 0x00000000 at byte 0" in message
    assert "0x00000803" in message


@pytest.mark.parametrize(("magic", "why"), [
    (b"\x12\x34\x08\x03", "first two bytes"),
    (b"\x00\x00\x07\x03", "type code 0x07"),
    (b"\x00\x00\x08\x00", "dimension count 0"),
    (b"\x00\x00\x08\x09", "dimension count 9"),
])
def test_each_bad_magic_byte_is_explained(tmp_path, magic, why):
    path = tmp_path / "f"
    path.write_bytes(magic + bytes(64))
    value = f"0x{int.from_bytes(magic, 'big'):08X}"
    with pytest.raises(FormatError, match=f"bad magic number {value} at byte 0 .*{why}"):
        read_idx(path)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_body_reports_expected_and_actual_bytes(tmp_path, suffix):
    images = np.zeros((100, 28, 28), dtype=np.uint8)
    data = _raw_idx(images, 0x08)[: 16 + 1234]
    path = tmp_path / f"train-images-idx3-ubyte{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)
    with pytest.raises(FormatError) as info:
        read_idx(path)
    assert str(info.value) == (
        f"{path}: truncated: the header declares 100x28x28 = 78400 data bytes "
        "after the 16-byte header, found 1234"
    )


def test_truncated_multibyte_body_names_the_type(tmp_path):
    path = tmp_path / "weights"
    path.write_bytes(_raw_idx(np.zeros((10, 3), dtype=">f4"), 0x0D)[:-5])
    with pytest.raises(FormatError, match=r"10x3 float32 values = 120 data bytes after "
                                          r"the 12-byte header, found 115"):
        read_idx(path)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_trailing_bytes_are_an_error(tmp_path, suffix):
    data = _raw_idx(np.zeros(10, dtype=np.uint8), 0x08) + b"junk"
    path = tmp_path / f"labels{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)
    with pytest.raises(FormatError, match=r"4 extra trailing bytes: .* = 10 data bytes .* found 14"):
        read_idx(path)


@pytest.mark.parametrize("length", [0, 3, 4, 11])
def test_truncated_header(tmp_path, length):
    path = tmp_path / "short"
    path.write_bytes(_raw_idx(np.zeros((2, 2, 2), dtype=np.uint8), 0x08)[:length])
    with pytest.raises(FormatError, match=f"{path}: truncated: .*found {length}"):
        read_idx(path)


def test_corrupt_gzip_stream(tmp_path):
    packed = gzip.compress(_raw_idx(np.arange(5000, dtype=">i4"), 0x0C))
    cut = tmp_path / "cut.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(FormatError, match=f"{cut}: corrupt gzip stream"):
        read_idx(cut)
    garbled = bytearray(packed)
    garbled[20:40] = bytes(range(200, 220))
    bad = tmp_path / "garbled.gz"
    bad.write_bytes(bytes(garbled))
    with pytest.raises(FormatError, match=f"{bad}: corrupt gzip stream"):
        read_idx(bad)
    bad_crc = bytearray(packed)
    bad_crc[-8] ^= 0xFF  # the CRC32 in the gzip trailer
    crc = tmp_path / "crc.gz"
    crc.write_bytes(bytes(bad_crc))
    with pytest.raises(FormatError, match=f"{crc}: corrupt gzip stream .*CRC"):
        read_idx(crc)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope")


# --- lying headers never buy memory ---------------------------------------------------


def _peak_bytes_while(call) -> int:
    tracemalloc.start()
    try:
        call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_lying_header_with_huge_dims_fails_fast_without_allocating(tmp_path, suffix):
    header = b"\x00\x00\x0e\x04" + struct.pack(">4I", *([0xFFFFFFFF] * 4))
    data = header + bytes(3000)
    path = tmp_path / f"liar{suffix}"
    path.write_bytes(gzip.compress(data) if suffix else data)

    def load():
        with pytest.raises(FormatError, match="truncated: .* found 3000"):
            read_idx(path)

    assert _peak_bytes_while(load) < 4 << 20  # refused from the sizes, before any allocation


def test_lying_header_costs_at_most_what_the_stream_holds(tmp_path):
    # Claims 1 GB of uint8 but holds 3 MB: memory stays near the 3 MB really there.
    data = b"\x00\x00\x08\x01" + struct.pack(">I", 10**9) + bytes(3 << 20)
    path = tmp_path / "liar.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1))
    peak = _peak_bytes_while(lambda: pytest.raises(FormatError, read_idx, path))
    assert peak < 10 << 20


def test_gzip_bomb_after_a_small_header_is_counted_not_kept(tmp_path):
    data = _raw_idx(np.zeros(10, dtype=np.uint8), 0x08) + bytes(32 << 20)
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(data, compresslevel=1))
    assert path.stat().st_size < 1 << 20

    def load():
        with pytest.raises(FormatError, match=f"{32 << 20} extra trailing bytes"):
            read_idx(path)

    assert _peak_bytes_while(load) < 8 << 20


# --- fuzzing --------------------------------------------------------------------------


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One random truncation, bit flip, header edit or append."""
    out = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:
        del out[rng.integers(len(out)):]
    elif kind == 1:
        for _ in range(rng.integers(1, 4)):
            position = rng.integers(len(out))
            out[position] ^= 1 << int(rng.integers(8))
    elif kind == 2:
        position = int(rng.integers(min(16, len(out))))
        if rng.random() < 0.5:
            out[position] = int(rng.integers(256))
        else:  # overwrite a whole 4-byte word with a plausible or absurd size
            word = position // 4 * 4
            size = int(rng.choice([0, 1, 2, 3, 5, 7, 28, 60000, 2**31, 2**32 - 1]))
            out[word:word + 4] = struct.pack(">I", size)
    else:
        out += rng.integers(0, 256, int(rng.integers(1, 20)), dtype=np.uint8).tobytes()
    return bytes(out)


def _declared(content: bytes) -> tuple[np.dtype, tuple[int, ...]]:
    """What a (decompressed) IDX header declares, parsed here independently."""
    codes = {8: "u1", 9: "i1", 11: "i2", 12: "i4", 13: "f4", 14: "f8"}
    ndim = content[3]
    return np.dtype(codes[content[2]]), struct.unpack(f">{ndim}I", content[4:4 + 4 * ndim])


def test_fuzz_every_corruption_loads_as_declared_or_raises_format_error(tmp_path):
    rng = np.random.default_rng(12345)
    seeds = [
        _raw_idx(rng.integers(0, 256, (5, 4, 3), dtype=np.uint8), 0x08),
        _raw_idx(rng.integers(-999, 999, (7, 3)).astype(">i2"), 0x0B),
        _raw_idx(rng.standard_normal(6).astype(">f8"), 0x0E),
    ]
    path = tmp_path / "fuzzed-idx"
    outcomes = {"loaded": 0, "rejected": 0}
    for _ in range(300):
        seed = seeds[rng.integers(len(seeds))]
        layer = rng.integers(3)
        if layer == 0:  # raw file
            data = _mutate(seed, rng)
        elif layer == 1:  # damaged content inside a sound gzip stream
            data = gzip.compress(_mutate(seed, rng))
        else:  # damaged gzip stream
            data = _mutate(gzip.compress(seed), rng)
        path.write_bytes(data)
        try:
            array = read_idx(path)
        except FormatError as exc:
            assert str(path) in str(exc)
            outcomes["rejected"] += 1
            continue
        content = data
        if data[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
                content = stream.read()
        dtype, shape = _declared(content)
        assert array.shape == shape
        assert array.dtype == dtype.newbyteorder("=")
        outcomes["loaded"] += 1
    assert outcomes["loaded"] > 10 and outcomes["rejected"] > 100


# --- gzip bombs and bytes after the stream ----------------------------------------------


def test_a_1_mb_gzip_bomb_declaring_1_gib_fails_fast_with_little_memory(tmp_path):
    path = tmp_path / "bomb-idx1-ubyte.gz"  # 1 GiB of zeros: exactly what the header declares
    path.write_bytes(gzip_with_zeros(idx_header(0x08, (1 << 30,)), 1 << 30))
    assert path.stat().st_size < 1_100_000

    refused = []

    def load():
        with pytest.raises(FormatError, match=f"{path}: the header declares 1,073,741,824 data bytes and the gzip "
                                              f"stream holds more than .* refused as a gzip bomb") as caught:
            read_idx(path)
        refused.append(caught.value)

    assert _peak_bytes_while(load) < 8 << 20  # of the 1 GiB declared
    # fast: decompression stops one byte past the plausible size (MAX_EXPANSION × the file's size), a fifth of 1 GiB
    stopped_after = int(re.search(r"holds more than ([\d,]+)", str(refused[0])).group(1).replace(",", ""))
    assert stopped_after == MAX_EXPANSION * path.stat().st_size < (1 << 30) // 5


def test_a_large_declared_size_is_counted_before_anything_is_allocated(tmp_path):
    data = np.random.default_rng(0).integers(0, 2, (70 << 20) + 3, dtype=np.uint8)  # over ONE_PASS_BYTES
    body = (data.tobytes(), 1)
    path = tmp_path / "large.gz"
    path.write_bytes(gzip_of((idx_header(0x08, (data.size + 1,)), 1), body, level=1))
    truncated = f"truncated: .* found {data.size}"
    assert _peak_bytes_while(lambda: pytest.raises(FormatError, read_idx, path).match(truncated)) < 8 << 20
    path.write_bytes(gzip_of((idx_header(0x08, (data.size,)), 1), body, level=1))
    np.testing.assert_array_equal(read_idx(path), data)


@pytest.mark.parametrize("after", [b"\0" * 8, gzip.compress(b"a second stream", mtime=0), b"junk"],
                         ids=["zeros", "a second stream", "junk"])
def test_bytes_after_the_gzip_stream_are_refused(tmp_path, after):
    stream = gzip.compress(_raw_idx(np.arange(6, dtype=np.uint8), 0x08))
    path = tmp_path / "labels.gz"
    path.write_bytes(stream + after)
    with pytest.raises(FormatError, match=f"{path}: {len(after)} bytes after the end of the gzip stream, from file "
                                          f"byte {len(stream)}"):
        read_idx(path)
