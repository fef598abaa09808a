"""PNG uploads, decoded safely: the size is read and checked before a single pixel is inflated.

A PNG bomb is a small file whose header announces a huge image (a few kilobytes of zlib stream can
inflate to gigabytes of zeros). The header is read here first, by hand: the 8-byte signature, then
the IHDR chunk, which the format requires to come first (width, height, bit depth, colour type,
interlace method; PNG specification, section 11.2.2). An image larger than :data:`MAX_SIDE` on a
side is refused before decoding, so decoding can allocate at most a few bytes per pixel of
MAX_SIDE² (the decoded image, its grey + alpha copy, two float32 planes: about 14 MiB).

Pillow then decodes the pixels (it is the ``serve`` extra's, imported here only). The grey levels
the network reads come from 8-bit grey, grey + alpha, palette, RGB and RGBA images (and 1-bit
black and white); other modes (16-bit, 32-bit integer or float, CMYK) are refused with their name.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import numpy as np

from synaptica.extras import missing_extra
from synaptica.serve.payload import RequestError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: the largest side an uploaded image may have
MAX_SIDE = 1024
#: (bit depth, colour type) pairs accepted: 1–8-bit grey, 8-bit RGB, palette, grey + alpha, RGBA
ACCEPTED = {(1, 0), (2, 0), (4, 0), (8, 0), (8, 2), (1, 3), (2, 3), (4, 3), (8, 3), (8, 4), (8, 6)}
COLOUR_TYPES = {0: "grey", 2: "RGB", 3: "palette", 4: "grey + alpha", 6: "RGBA"}


def png_header(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from the IHDR chunk, checked (a RequestError if not)."""
    if data[:8] != SIGNATURE:
        raise RequestError(415, "the body is not a PNG file (it lacks the 8-byte PNG signature)")
    if len(data) < 33:
        raise RequestError(400, f"the PNG file is truncated: {len(data)} bytes, too short to hold its header")
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise RequestError(400, "the PNG file does not start with its IHDR header chunk")
    if zlib.crc32(data[12:29]) != struct.unpack(">I", data[29:33])[0]:
        raise RequestError(400, "the PNG header chunk's CRC does not match: the file is damaged")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise RequestError(413, f"the PNG is {width} × {height} pixels; at most {MAX_SIDE} × {MAX_SIDE} is "
                                "accepted (refused before decoding)")
    if (depth, colour) not in ACCEPTED:
        kind = COLOUR_TYPES.get(colour, f"colour type {colour}")
        raise RequestError(415, f"a {depth}-bit {kind} PNG is not supported; send an 8-bit grey, RGB or RGBA PNG")
    return width, height, depth, colour


def read_png(data: bytes) -> np.ndarray:
    """A PNG file's pixels as grey levels in [0, 1], (height, width) float32; a RequestError for a
    file that is not a safe, supported PNG. Colour becomes grey by ITU-R 601 luma (L = 0.299 R +
    0.587 G + 0.114 B, Pillow's conversion); transparent pixels count as black (no ink)."""
    width, height, _, _ = png_header(data)
    try:
        from PIL import Image
    except ImportError as error:
        raise missing_extra("Pillow", "reading PNG uploads", "serve") from error
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as picture:
                if picture.size != (width, height):
                    raise RequestError(400, "the PNG's size disagrees with its header")
                picture.load()
                grey_alpha = np.asarray(picture.convert("LA"))  # 2 bytes a pixel: at most 2 MiB
    except RequestError:
        raise
    except Exception as error:  # Pillow's errors for damaged files have no common base class
        raise RequestError(400, f"the PNG could not be decoded: {type(error).__name__}: {error}") from None
    grey, alpha = (grey_alpha[..., k].astype(np.float32) / 255 for k in (0, 1))
    return grey * alpha
