"""Artificially expanded training data: shifted, rotated, sheared and elastically distorted images.

Nielsen (ch. 3 and 6) grows MNIST's 50,000 training images by shifting each by one pixel, and quotes
Simard, Steinkraus and Platt (2003), whose "elastic distortions" took a plain two-layer network from
98.4 % to 99.3 %: variations that a real digit could have, so the network learns what they leave
unchanged. Here every distortion is drawn afresh for each mini-batch (see ``fit(..., augment=...)``),
so no epoch sees the same images twice and nothing is stored.

Every distortion is a map from each output pixel (r, c) to a point (r', c') of the input image, and
the output reads the input there by bilinear interpolation; points outside the image read 0 (the
background). Whole batches are distorted at once: the per-image coordinate grids come from NumPy
broadcasting and are read with one vectorised gather, never a Python loop over images.

    Shift(k)          content moved by whole pixels, up to k in each direction (exact, no blur)
    Rotate(degrees)   a rotation about the image centre by an angle in [−degrees, degrees]
    Shear(factor)     a horizontal skew: row y (from the centre) moves by s·y, s in [−factor, factor]
    Elastic(α, σ)     Simard's elastic distortion, below

Reference: P. Y. Simard, D. Steinkraus and J. C. Platt, "Best practices for convolutional neural
networks applied to visual document analysis", ICDAR 2003; Nielsen, Neural Networks and Deep
Learning, ch. 3 ("Artificially expanding the training data") and ch. 6.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from synaptica.errors import ShapeError, shape_message

#: A distortion of a float batch of shape (n, H, W), with its random draws from the Generator.
Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


# ---------------------------------------------------------------- reading images at any point
def bilinear_sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Read ``images`` (n, H, W) at real-valued points: ``out[i, r, c] = image i at (rows, cols)[i, r, c]``.

    With r₀ = ⌊r'⌋, c₀ = ⌊c'⌋, u = r' − r₀ and v = c' − c₀, bilinear interpolation mixes the four
    pixels around the point, first along the row and then between the rows:

        top    = I[r₀, c₀]   + v (I[r₀, c₀+1]   − I[r₀, c₀])
        bottom = I[r₀+1, c₀] + v (I[r₀+1, c₀+1] − I[r₀+1, c₀])
        out    = top + u (bottom − top)

    Pixels outside the image are 0. At whole-number points (u = v = 0) the pixel is read exactly.
    The image is padded with one zero row/column before and two after, and the points are clamped to
    [−1, H] × [−1, W], so all four neighbours of every point lie in the padded array; each neighbour
    is then one gather (``np.take``) from the flattened batch.
    """
    n, height, width = images.shape
    padded_width = width + 3
    padded = np.zeros((n, height + 3, padded_width), dtype=images.dtype)
    padded[:, 1:height + 1, 1:width + 1] = images
    flat = padded.reshape(-1)
    rows = np.clip(rows, -1, height)
    cols = np.clip(cols, -1, width)
    r0 = np.floor(rows)
    c0 = np.floor(cols)
    u = (rows - r0).astype(images.dtype, copy=False)
    v = (cols - c0).astype(images.dtype, copy=False)
    # flat index of (r₀, c₀) in the padded batch; float32 counts whole numbers exactly below 2²⁴
    index_dtype = np.float32 if flat.size < 2 ** 24 else np.float64
    image_start = (np.arange(n, dtype=index_dtype) * padded[0].size)[:, None, None]
    top_left = (image_start + (r0 + 1) * padded_width + (c0 + 1)).astype(np.intp)
    above = np.take(flat, top_left)
    if not (u.any() or v.any()):  # whole-pixel moves (Shift) read one pixel each, exactly
        return above
    top = above + v * (np.take(flat, top_left + 1) - above)
    top_left += padded_width
    below = np.take(flat, top_left)
    bottom = below + v * (np.take(flat, top_left + 1) - below)
    return top + u * (bottom - top)


def _per_image(name: str, value, n: int) -> np.ndarray:
    """A scalar or one value per image, as a float64 array of shape (n,)."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return np.full(n, float(array))
    if array.shape != (n,):
        raise ShapeError(f"{name}: expected one value or one per image ({n},), got shape {array.shape}")
    return array


def affine(images: np.ndarray, matrices: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """Read each image i at ``A_i (p − centre) + centre + t_i`` for every output pixel p = (r, c).

    ``matrices`` is (n, 2, 2) and ``offsets`` (n, 2), both in (row, column) order; the centre is
    ((H − 1)/2, (W − 1)/2), so rotations and shears keep the middle of the image in place. A maps
    output pixels to input points, so it is the inverse of the motion one sees.
    """
    n, height, width = images.shape
    dtype = images.dtype
    y = (np.arange(height, dtype=dtype) - (height - 1) / 2)[None, :, None]
    x = (np.arange(width, dtype=dtype) - (width - 1) / 2)[None, None, :]
    a = matrices.astype(dtype)[:, :, :, None, None]
    t = np.zeros((n, 2), dtype) if offsets is None else offsets.astype(dtype)
    rows = a[:, 0, 0] * y + a[:, 0, 1] * x + ((height - 1) / 2 + t[:, 0])[:, None, None]
    cols = a[:, 1, 0] * y + a[:, 1, 1] * x + ((width - 1) / 2 + t[:, 1])[:, None, None]
    return bilinear_sample(images, rows, cols)


# ---------------------------------------------------------------- the distortions, by their parameters
def translate(images: np.ndarray, rows, cols) -> np.ndarray:
    """Move each image's content down by ``rows`` and right by ``cols`` pixels (scalars or one per image);
    what enters at the edge is 0: out[r, c] = in[r − rows, c − cols]."""
    n = len(images)
    offsets = -np.stack([_per_image("translate: rows", rows, n), _per_image("translate: cols", cols, n)], axis=1)
    return affine(images, np.broadcast_to(np.eye(2), (n, 2, 2)), offsets)


def rotate(images: np.ndarray, degrees) -> np.ndarray:
    """Rotate each image counter-clockwise (as displayed, row 0 at the top) by ``degrees`` about its centre.

    Output pixel (y, x) from the centre reads the input at (cos θ·y + sin θ·x, −sin θ·y + cos θ·x):
    the rotation by −θ, which undoes the motion. ``rotate(x, 90)`` is ``np.rot90`` on square images.
    """
    theta = np.deg2rad(_per_image("rotate: degrees", degrees, len(images)))
    cos, sin = np.cos(theta), np.sin(theta)
    return affine(images, np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], axis=1))


def shear(images: np.ndarray, factor) -> np.ndarray:
    """Skew each image horizontally: the row y pixels below the centre moves right by ``factor`` · y
    pixels (rows above it move left), out[y, x] = in[y, x − factor·y] (Nielsen's "skewing")."""
    s = _per_image("shear: factor", factor, len(images))
    ones, zeros = np.ones_like(s), np.zeros_like(s)
    return affine(images, np.stack([np.stack([ones, zeros], -1), np.stack([-s, ones], -1)], axis=1))


def _reflect(index: np.ndarray, size: int) -> np.ndarray:
    """Mirror indices into [0, size): … c b a | a b c … (the edge pixel repeated, as scipy's 'reflect')."""
    index = np.mod(index, 2 * size)
    return np.where(index < size, index, 2 * size - 1 - index)


def gaussian_matrix(size: int, sigma: float) -> np.ndarray:
    """The (size, size) matrix G with G @ f = f convolved with a Gaussian of standard deviation ``sigma``.

    Weights wₖ ∝ exp(−k² / 2σ²) for |k| ≤ ⌊4σ + ½⌋, summing to 1; beyond the ends the signal is
    mirrored. Row i holds the kernel centred on i, so one matrix product convolves a whole axis.
    """
    if sigma == 0:
        return np.eye(size)
    radius = int(4 * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * (k / sigma) ** 2)
    weights /= weights.sum()
    centre = np.arange(size)[:, None]
    # G[i, reflect(i + k)] += wₖ for every row i and offset k, summed by one bincount
    cells = centre * size + _reflect(centre + k, size)
    return np.bincount(cells.ravel(), np.broadcast_to(weights, cells.shape).ravel(), size * size).reshape(size, size)


def gaussian_smooth(fields: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth each (H, W) field of a batch (n, H, W) with a 2-D Gaussian of standard deviation ``sigma``.

    The 2-D Gaussian is separable, G(y, x) = g(y) g(x), so it is a 1-D convolution along the columns
    and then along the rows: f ↦ G_H f G_Wᵀ, with each pass one matrix product over the whole batch.
    """
    n, height, width = fields.shape
    along_cols = gaussian_matrix(width, sigma).astype(fields.dtype)
    along_rows = gaussian_matrix(height, sigma).astype(fields.dtype)
    smoothed = (fields.reshape(n * height, width) @ along_cols.T).reshape(n, height, width)
    smoothed = smoothed.transpose(0, 2, 1).reshape(n * width, height) @ along_rows.T
    return np.ascontiguousarray(smoothed.reshape(n, width, height).transpose(0, 2, 1))


def elastic(images: np.ndarray, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Simard's elastic distortion: each pixel reads the input at (r + Δr, c + Δc), where

        Δr = α · (g_σ ∗ U),   Δc = α · (g_σ ∗ U′),   U, U′ uniform in [−1, 1] at every pixel

    and g_σ ∗ is smoothing by a Gaussian of standard deviation σ pixels. A small σ leaves the field
    almost random (the image shimmers); a large σ makes it almost a translation; in between
    (Simard: σ = 4, α = 34 on 28 × 28 digits) it bends strokes as a hand would. α = 0 is the identity.
    """
    n, height, width = images.shape
    noise = rng.random((2 * n, height, width), dtype=np.float32) * 2 - 1
    displacement = alpha * gaussian_smooth(noise.astype(images.dtype, copy=False), sigma)
    rows = np.arange(height, dtype=images.dtype)[:, None] + displacement[:n]
    cols = np.arange(width, dtype=images.dtype)[None, :] + displacement[n:]
    return bilinear_sample(images, rows, cols)


# ---------------------------------------------------------------- random distortions, one draw per image
def _non_negative(owner: str, name: str, value: float) -> float:
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")
    return number


class Shift:
    """Move each image by a whole number of pixels drawn uniformly from −k … k, rows and columns apart.

    Nielsen's expanded MNIST uses one-pixel shifts (k = 1). Whole pixels are copied exactly."""

    def __init__(self, max_pixels: int):
        if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)) or max_pixels < 0:
            raise ValueError(f"Shift: max_pixels must be an integer >= 0, got {max_pixels!r}")
        self.max_pixels = int(max_pixels)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        steps = rng.integers(-self.max_pixels, self.max_pixels, size=(2, len(images)), endpoint=True)
        return translate(images, steps[0], steps[1])

    def __repr__(self) -> str:
        return f"Shift({self.max_pixels})"


class Rotate:
    """Rotate each image about its centre by an angle drawn uniformly from [−max_degrees, max_degrees]."""

    def __init__(self, max_degrees: float):
        self.max_degrees = _non_negative("Rotate", "max_degrees", max_degrees)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rotate(images, rng.uniform(-self.max_degrees, self.max_degrees, size=len(images)))

    def __repr__(self) -> str:
        return f"Rotate({self.max_degrees:g})"


class Shear:
    """Skew each image horizontally by a factor drawn uniformly from [−max_factor, max_factor]
    (0.3 slants a vertical stroke by about 17°)."""

    def __init__(self, max_factor: float):
        self.max_factor = _non_negative("Shear", "max_factor", max_factor)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return shear(images, rng.uniform(-self.max_factor, self.max_factor, size=len(images)))

    def __repr__(self) -> str:
        return f"Shear({self.max_factor:g})"


class Elastic:
    """Simard's elastic distortion with scale ``alpha`` (pixels) and smoothness ``sigma`` (pixels);
    see :func:`elastic`. Simard et al. used α = 34, σ = 4 on MNIST."""

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0):
        self.alpha = _non_negative("Elastic", "alpha", alpha)
        self.sigma = _non_negative("Elastic", "sigma", sigma)

    def __call__(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return elastic(images, self.alpha, self.sigma, rng)

    def __repr__(self) -> str:
        return f"Elastic(alpha={self.alpha:g}, sigma={self.sigma:g})"


# ---------------------------------------------------------------- the pipeline
class Augment:
    """Apply ``transforms`` in order to a batch: ``augment(x_batch, rng) -> x_batch``.

    Args:
        transforms: distortions such as ``[Shift(2), Rotate(10), Elastic(34, 4)]``; any callable
            ``(images (n, H, W), rng) -> images`` works.
        image_shape: (H, W). Needed for flattened batches (n, H·W); batches shaped (n, H, W) or
            (n, 1, H, W) carry it themselves (if given, it must agree).
        probability: each image is distorted with this probability and otherwise left as it is.

    The result has the input's shape and dtype. Values stay within the input batch's range (and 0,
    the fill): bilinear interpolation only mixes existing pixels and the zero background, and the
    result is clipped to that range against rounding. Integer images are rounded. Large batches are
    worked through ``chunk`` images at a time, which bounds the memory the coordinate grids take.

    Example::

        augment = Augment([Shift(2), Rotate(10)], image_shape=(28, 28))
        fit(model, rule, train, epochs=30, batch_size=10, rng=0, augment=augment)
    """

    def __init__(self, transforms: Sequence[Transform], image_shape: tuple[int, int] | None = None,
                 probability: float = 1.0, chunk: int = 4096):
        self.transforms = list(transforms)
        for transform in self.transforms:
            if not callable(transform):
                raise TypeError(f"Augment: every transform must be callable (images, rng) -> images, got {transform!r}")
        if image_shape is not None:
            image_shape = tuple(int(side) for side in image_shape)
            if len(image_shape) != 2 or min(image_shape) < 1:
                raise ValueError(f"Augment: image_shape must be (height, width), got {image_shape!r}")
        self.image_shape = image_shape
        if not 0 <= probability <= 1:
            raise ValueError(f"Augment: probability must be in [0, 1], got {probability}")
        self.probability = float(probability)
        if chunk < 1:
            raise ValueError(f"Augment: chunk must be >= 1, got {chunk}")
        self.chunk = int(chunk)

    def _images(self, x: np.ndarray) -> np.ndarray:
        """The batch as (n, H, W), or a ShapeError naming the shapes that fit."""
        shape = self.image_shape
        if x.ndim == 2 and shape is not None and x.shape[1] == shape[0] * shape[1]:
            return x.reshape(len(x), *shape)
        if x.ndim == 3 and (shape is None or x.shape[1:] == shape):
            return x
        if x.ndim == 4 and x.shape[1] == 1 and (shape is None or x.shape[2:] == shape):
            return x.reshape(len(x), *x.shape[2:])
        if shape is None:
            expected = "(batch, H, W) or (batch, 1, H, W)"
            hint = "For flattened images pass image_shape, e.g. Augment(..., image_shape=(28, 28))."
        else:
            height, width = shape
            expected = f"(batch, {height * width}), (batch, {height}, {width}) or (batch, 1, {height}, {width})"
            hint = None
        raise ShapeError(shape_message(repr(self), x.shape, expected, hint))

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(x)
        images = self._images(x)
        work_dtype = np.float64 if x.dtype == np.float64 else np.float32
        low, high = float(x.min(initial=0)), float(x.max(initial=0))  # the batch's range, and 0
        chosen = None
        if self.probability < 1:
            chosen = np.flatnonzero(rng.random(len(images)) < self.probability)
        selected = images if chosen is None else images[chosen]
        distorted = np.empty(selected.shape, dtype=work_dtype)
        for start in range(0, len(selected), self.chunk):
            part = selected[start:start + self.chunk].astype(work_dtype)
            for transform in self.transforms:
                part = transform(part, rng)
            distorted[start:start + self.chunk] = part
        np.clip(distorted, low, high, out=distorted)
        if np.issubdtype(x.dtype, np.integer):
            np.rint(distorted, out=distorted)
        if chosen is None:
            out = distorted.astype(x.dtype, copy=False)
        else:
            out = images.copy()
            out[chosen] = distorted.astype(x.dtype, copy=False)
        return out.reshape(x.shape)

    def __repr__(self) -> str:
        extras = "" if self.image_shape is None else f", image_shape={self.image_shape}"
        if self.probability < 1:
            extras += f", probability={self.probability:g}"
        return f"Augment([{', '.join(repr(t) for t in self.transforms)}]{extras})"
