"""The only way randomness enters the library: an explicit ``numpy.random.Generator``.

Nothing here or elsewhere touches NumPy's or Python's global random state, so two runs with the same
seed give the same weights and numbers, and user code that reseeds the globals changes nothing.

Each consumer of randomness that a run adds (a learning rule's feedback matrices, evolution
strategies' perturbations, ...) draws from a stream of its own, :func:`stream`, derived from the
user's seed and keyed by what it is for. Two consumers then never see the same numbers, and adding
one never shifts the numbers another sees: ``fit(rng=0)`` shuffles exactly as it did before a rule
drew its matrices, and the matrices are independent of weights drawn from ``default_rng(0)``.
"""

from __future__ import annotations

import zlib

import numpy as np

SeedLike = int | np.random.Generator | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """A Generator from a seed (int), an existing Generator (returned as is), or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    raise TypeError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")


def stream(seed: SeedLike, purpose: str) -> np.random.Generator:
    """An independent Generator for one consumer, keyed by ``purpose`` (e.g. ``"rule"``).

    The stream is a child of the seed's ``SeedSequence`` with a spawn key made from the purpose
    (NumPy's way of deriving independent streams, as ``SeedSequence.spawn`` does), so:

    - the same seed and purpose always give the same stream, however far the parent Generator has
      been advanced (it depends on the seed, not on the parent's current state);
    - different purposes, and the parent itself, give statistically independent streams;
    - the parent Generator is not advanced.

    ``seed`` is an int, a Generator (its own seed sequence is used) or None (fresh entropy).
    """
    if isinstance(seed, np.random.Generator):
        sequence = seed.bit_generator.seed_seq
        if not isinstance(sequence, np.random.SeedSequence):  # a Generator rebuilt from a raw state
            return np.random.default_rng(seed.integers(2 ** 63))
    elif seed is None or isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        sequence = np.random.SeedSequence(seed)
    else:
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {type(seed).__name__}")
    key = zlib.crc32(purpose.encode("utf-8"))
    child = np.random.SeedSequence(sequence.entropy, spawn_key=(*sequence.spawn_key, key),
                                   pool_size=sequence.pool_size)
    return np.random.default_rng(child)
