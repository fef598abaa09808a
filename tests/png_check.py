"""One check shared by the plotting tests: a file is a real PNG with something drawn on it."""

from pathlib import Path

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png_not_blank(path, min_colours: int = 3) -> np.ndarray:
    """The file starts with the PNG signature, decodes, and is not one flat colour; returns the pixels."""
    from matplotlib.image import imread

    path = Path(path)
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    pixels = imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100, pixels.shape
    colours = np.unique(pixels[..., :3].reshape(-1, 3), axis=0)
    assert len(colours) >= min_colours, f"{path} has only {len(colours)} colour(s): blank"
    background = np.all(pixels[..., :3] == pixels[0, 0, :3], axis=-1)
    assert background.mean() < 0.98, f"{path} is {background.mean():.1%} background"
    return pixels
