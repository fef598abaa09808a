"""The only way randomness enters the library: an explicit ``numpy.random.Generator``.

Nothing here or elsewhere touches NumPy's or Python's global random state, so two runs with the same
seed give the same weights and numbers, and user code that reseeds the globals changes nothing.
"""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """A Generator from a seed (int), an existing Generator (returned as is), or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")
