"""What a request to the prediction API may hold, checked before any work: every refusal says why.

``POST /api/predict`` takes a JSON object with exactly one of

    {"image":   [...]}    side² values in [0, 1], flat or side × side: an image in dataset form
    {"drawing": [...]}    an n × n canvas (MIN_DRAWING_SIDE ≤ n ≤ MAX_DRAWING_SIDE), ink bright,
                          values in [0, 1]; framed the way the dataset was made
                          (:func:`synaptica.data.preprocess.frame`)

``POST /api/predict.png`` takes a PNG (:mod:`synaptica.serve.png`): a side × side PNG is an image in
dataset form, any other a drawing (ink taken as bright, or dark on light paper when the border is
light).

Every problem is a :class:`RequestError` with the HTTP status to answer (400 malformed, 413 too large,
415 not a supported kind of image, 422 well-formed but wrong) and a message; nothing a client sends
reaches the network unchecked. The bodies are bounded (:data:`MAX_BODY_BYTES`, enforced by the server
while the body streams in), so parsing one can only allocate a bounded amount.
"""

from __future__ import annotations

import json

import numpy as np

from synaptica.data.preprocess import frame, ink_on_black

#: the largest request body read, in bytes (a 512 × 512 drawing as JSON fits with room to spare)
MAX_BODY_BYTES = 2 * 1024 * 1024
#: the sides a drawing may have
MIN_DRAWING_SIDE, MAX_DRAWING_SIDE = 8, 512


class RequestError(ValueError):
    """A request the server refuses: ``status`` (4xx) and the message sent back."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _no_constants(name: str):
    raise RequestError(400, f"the JSON holds {name}, which is not a number in [0, 1]")


def parse_json(body: bytes) -> dict:
    """The body as a JSON object; a RequestError for anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(400, f"the body is not UTF-8 text: {error}") from None
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise RequestError(400, f"malformed JSON: {error}") from None
    except RecursionError:  # [[[[...]]]]: the body limit bounds the text, the interpreter the nesting
        raise RequestError(400, "the JSON nests too deeply; a request is an object holding a list of rows") from None
    if not isinstance(value, dict):
        raise RequestError(400, f"the body must be a JSON object such as {{\"image\": [...]}}, not a "
                                f"{type(value).__name__}")
    return value


def _numbers(value, key: str) -> np.ndarray:
    """A JSON list of numbers (or of rows of numbers) as a float64 array, checked to lie in [0, 1]."""
    if not isinstance(value, list):
        raise RequestError(422, f"{key!r} must be a list of numbers, not {type(value).__name__}")
    try:
        array = np.array(value)
    except ValueError:  # NumPy refuses rows of different lengths
        raise RequestError(422, f"{key!r}: the rows must all be lists of one length") from None
    if array.dtype.kind not in "iuf" or array.ndim > 2:
        what = "lists nested too deeply" if array.ndim > 2 else "something other than numbers"
        raise RequestError(422, f"{key!r} must hold numbers only, as a list or a list of rows; found {what}")
    array = array.astype(np.float64, copy=False)
    if array.size and not (array.min() >= 0 and array.max() <= 1):
        raise RequestError(422, f"{key!r}: every value must lie in [0, 1]; found {array.min():g} to {array.max():g}")
    return array


def image_from_json(body: dict, side: int, box: int, centre: str) -> np.ndarray:
    """The side × side image a JSON request asks about (see the module)."""
    keys = sorted(set(body) & {"image", "drawing"})
    if len(keys) != 1:
        raise RequestError(422, 'give exactly one of "image" (dataset form) and "drawing" (a square canvas); got '
                                f"keys {sorted(body)[:5]}")
    array = _numbers(body[keys[0]], keys[0])
    if keys[0] == "image":
        if array.size != side * side or array.ndim == 2 and array.shape != (side, side):
            raise RequestError(422, f'"image" must be {side * side} values, flat or {side} × {side}; got shape '
                                    f"{list(array.shape)}")
        return array.reshape(side, side)
    return drawing_image(array, side, box, centre)


def drawing_image(array: np.ndarray, side: int, box: int, centre: str) -> np.ndarray:
    """A square canvas, framed into side × side as the dataset was made."""
    if array.ndim != 2 or array.shape[0] != array.shape[1]:
        raise RequestError(422, f'"drawing" must be a square canvas (a list of n rows of n values); got shape '
                                f"{list(array.shape)}")
    if not MIN_DRAWING_SIDE <= array.shape[0] <= MAX_DRAWING_SIDE:
        raise RequestError(422, f'"drawing" must be between {MIN_DRAWING_SIDE} and {MAX_DRAWING_SIDE} pixels '
                                f"a side; got {array.shape[0]}")
    return frame(array, size=side, box=box, centre=centre)


def image_from_picture(picture: np.ndarray, side: int, box: int, centre: str) -> np.ndarray:
    """A decoded grey picture (values in [0, 1]) as the image asked about: side × side as it is, any
    other size a drawing (padded to a square, ink made bright)."""
    if picture.shape == (side, side):
        return picture
    height, width = picture.shape
    n = max(height, width)
    bright = ink_on_black(picture)
    square = np.zeros((n, n))
    top, left = (n - height) // 2, (n - width) // 2
    square[top:top + height, left:left + width] = bright
    return frame(square, size=side, box=box, centre=centre)
