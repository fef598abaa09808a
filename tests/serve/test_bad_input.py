"""Bad input to a real server: each gets a 4xx with a message, never a 500 and never a hang; a fuzz of
500 bad requests leaves the server answering normal ones."""

import json
import select
import socket
import struct
import time
import zlib
from urllib.parse import urlsplit

import numpy as np
import pytest

from synaptica.serve.payload import MAX_BODY_BYTES
from tests.serve.conftest import call, png_bytes

GOOD = json.dumps({"image": [0.0] * 784}).encode()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 20000) -> bytes:
    """A real PNG bomb: a side × side grey image of zeros, 400 MB inflated, under half a megabyte here."""
    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte 0, then the row's zeros
    stream = b"".join(packer.compress(row * 500) for _ in range(side // 500)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def sixteen_bit_png() -> bytes:
    from PIL import Image
    import io

    buffer = io.BytesIO()
    Image.new("I;16", (28, 28), 1000).save(buffer, format="PNG")
    return buffer.getvalue()


BAD = {
    "malformed JSON": (b'{"image": [0.1, 0.2', "application/json", 400, "malformed JSON"),
    "not an object": (b"[0.5]", "application/json", 400, "JSON object"),
    "not UTF-8": (b'{"image": "\xff\xfe"}', "application/json", 400, "UTF-8"),
    "NaN": (b'{"image": [NaN]}', "application/json", 400, "NaN"),
    "Infinity": (b'{"image": [Infinity]}', "application/json", 400, "Infinity"),
    "overflow": (('{"image": [' + "0.5, " * 783 + "1e999]}").encode(), "application/json", 422, "[0, 1]"),
    "wrong size": (json.dumps({"image": [0.5] * 783}).encode(), "application/json", 422, "784 values"),
    "wrong rows": (json.dumps({"image": [[0.5] * 27] * 29}).encode(), "application/json", 422, "28 × 28"),
    "ragged rows": (json.dumps({"drawing": [[0.5] * 30] * 29 + [[0.5] * 3]}).encode(), "application/json", 422,
                    "one length"),
    "not square": (json.dumps({"drawing": [[0.5] * 30] * 20}).encode(), "application/json", 422, "square"),
    "too large a drawing": (json.dumps({"drawing": [[0] * 600] * 600}).encode(), "application/json", 422, "512"),
    "strings": (json.dumps({"image": ["0.5"] * 784}).encode(), "application/json", 422, "numbers only"),
    "booleans": (json.dumps({"image": [True] * 784}).encode(), "application/json", 422, "numbers only"),
    "huge integers": (json.dumps({"image": [10 ** 40] * 784}).encode(), "application/json", 422, "numbers only"),
    "out of range": (json.dumps({"image": [2.0] * 784}).encode(), "application/json", 422, "[0, 1]"),
    "both keys": (json.dumps({"image": [0] * 784, "drawing": [[0] * 9] * 9}).encode(), "application/json", 422,
                  "exactly one"),
    "too deep": (b'{"image": [[[[0.5]]]]}', "application/json", 422, "nested too deeply"),
    "far too deep": (b'{"image": ' + b"[" * 100000 + b"]" * 100000 + b"}", "application/json", 400, "nests too deeply"),
    "PNG bomb": (png_bomb(), "image/png", 413, "refused before decoding"),
    "16-bit PNG": (sixteen_bit_png(), "image/png", 415, "16-bit grey"),
    "JPEG": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(100), "image/jpeg", 415, "not a PNG"),
    "truncated PNG": (png_bytes(np.random.default_rng(0).integers(0, 256, (28, 28)))[:300], "image/png", 400,
                      "truncated"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_each_bad_request_gets_a_4xx_with_a_message(server, name):
    body, content_type, status, words = BAD[name]
    path = "/api/predict.png" if content_type.startswith("image/") else "/api/predict"
    got, answer = call(server.url, path, body, content_type)  # a hang fails by call's socket timeout
    assert (got, words in answer.get("error", "")) == (status, True), answer


def _raw(url: str, head: bytes, body_chunks, limit_s: float = 20.0) -> tuple[bytes, int]:
    """Send ``head`` then the chunks until the server answers; (the answer, bytes of body sent)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=limit_s)
    sent, answer, deadline = 0, b"", time.monotonic() + limit_s
    try:
        sock.sendall(head)
        for chunk in body_chunks:
            if select.select([sock], [], [], 0)[0] or time.monotonic() > deadline:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        while time.monotonic() < deadline:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            answer += data
            if b"\r\n\r\n" in answer and answer.rstrip().endswith(b"}"):
                break
    finally:
        sock.close()
    return answer, sent


def test_a_100_mb_body_is_refused_while_it_streams_in(server):
    """Declared: refused from its Content-Length before a byte is read. Chunked (no length): refused once
    2 MiB have arrived, long before the 100 MB are sent."""
    hundred_mb = 100 * 1024 * 1024
    head = (f"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {hundred_mb}\r\n\r\n").encode()
    answer, sent = _raw(server.url, head, (b"0" * 65536 for _ in range(hundred_mb // 65536)))
    assert answer.startswith(b"HTTP/1.1 413") and f"at most {MAX_BODY_BYTES} are".encode() in answer, answer[:300]
    assert sent < hundred_mb // 4
    head = b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"10000\r\n" + b"0" * 65536 + b"\r\n"
    answer, sent = _raw(server.url, head, (chunk for _ in range(hundred_mb // 65536)))
    assert answer.startswith(b"HTTP/1.1 413") and b"reading stopped" in answer, answer[:300]
    assert sent < hundred_mb // 4
    assert call(server.url, "/api/predict", GOOD)[0] == 200


def _fuzz_request(rng: np.random.Generator) -> tuple[str, bytes, str]:
    """One random bad request: (path, body, content type)."""
    kind = rng.integers(8)
    values = rng.random(int(rng.choice([0, 1, 783, 785, 784 * 2, 30]))).round(3).tolist()
    if kind == 0:
        return "/api/predict", rng.bytes(int(rng.integers(0, 3000))), "application/json"
    if kind == 1:
        text = json.dumps({"image": rng.random(784).round(3).tolist()})
        return "/api/predict", text[:int(rng.integers(0, len(text)))].encode(), "application/json"
    if kind == 2:
        junk = [None, True, "x", {}, [], -1, 1e308, [[1]], {"a": [1]}][int(rng.integers(9))]
        return "/api/predict", json.dumps({str(rng.choice(["image", "drawing"])): junk}).encode(), "application/json"
    if kind == 3:
        return "/api/predict", json.dumps({"image": values}).encode(), "application/json"
    if kind == 4:
        side = int(rng.integers(1, 8))
        return "/api/predict", json.dumps({"drawing": rng.random((side, side + 1)).tolist()}).encode(), "application/json"
    if kind == 5:
        body = json.dumps({"image": rng.random(784).round(3).tolist()}).replace("0.", str(rng.choice(["NaN", "-", "Infinity"])), 1)
        return "/api/predict", body.encode(), "application/json"
    png = bytearray(png_bytes((rng.random((28, 28)) * 255).astype(np.uint8)))
    for _ in range(int(rng.integers(1, 6))):
        png[int(rng.integers(8, 40 if kind == 6 else len(png)))] ^= int(rng.integers(1, 256))
    return "/api/predict.png", bytes(png), "image/png"


def test_a_fuzz_of_500_bad_requests_then_a_normal_one_succeeds(server):
    rng = np.random.default_rng(16)
    statuses = []
    for _ in range(500):
        path, body, content_type = _fuzz_request(rng)
        status, answer = call(server.url, path, body, content_type, timeout=10)
        statuses.append(status)
        assert status < 500, (path, body[:80], answer)
        if status >= 400:
            assert answer["error"], answer
    assert sum(400 <= status < 500 for status in statuses) >= 450  # a few damaged PNGs still decode
    status, answer = call(server.url, "/api/predict", GOOD)
    assert status == 200 and len(answer["probabilities"]) == 10
