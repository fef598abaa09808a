"""PNG uploads: every supported mode gives the same grey levels; the size is checked before decoding."""

import io
import struct
import zlib

import numpy as np
import pytest

from synaptica.serve.payload import RequestError
from synaptica.serve.png import MAX_SIDE, png_header, read_png
from tests.serve.conftest import png_bytes


def test_grey_rgb_rgba_and_palette_pictures_give_the_same_grey_levels(rng):
    from PIL import Image

    grey = rng.integers(0, 256, (20, 30)).astype(np.uint8)
    expected = grey / 255
    rgb = np.repeat(grey[..., None], 3, axis=2)
    opaque = np.concatenate([rgb, np.full((20, 30, 1), 255, np.uint8)], axis=2)
    for pixels in (grey, rgb, opaque):
        np.testing.assert_allclose(read_png(png_bytes(pixels)), expected, atol=1e-6)
    buffer = io.BytesIO()
    Image.fromarray(grey).convert("P").save(buffer, format="PNG")
    np.testing.assert_allclose(read_png(buffer.getvalue()), expected, atol=1e-6)
    transparent = opaque.copy()
    transparent[..., 3] = 0
    assert not read_png(png_bytes(transparent)).any()  # no ink where nothing is drawn


def test_the_largest_side_is_accepted_and_one_more_refused_from_the_header_alone():
    assert png_header(png_bytes(np.zeros((MAX_SIDE, 3), np.uint8)))[:2] == (3, MAX_SIDE)
    header = struct.pack(">IIBBBBB", MAX_SIDE + 1, 1, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    with pytest.raises(RequestError, match="refused before decoding") as refused:
        read_png(data)  # no pixel data at all: the header is all that was read
    assert refused.value.status == 413
    damaged = bytearray(data)
    damaged[20] ^= 1
    with pytest.raises(RequestError, match="CRC"):
        png_header(bytes(damaged))
