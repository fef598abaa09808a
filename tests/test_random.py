"""Streams: each consumer of randomness its own, derived from the seed and keyed by purpose."""

import numpy as np
import pytest

from synaptica.random import as_generator, stream


def test_a_stream_depends_on_seed_and_purpose_only():
    parent = np.random.default_rng(7)
    first = stream(parent, "rule").random(5)
    parent.random(100)  # advancing the parent changes nothing, and the parent is not advanced by stream
    assert np.array_equal(stream(parent, "rule").random(5), first)
    assert np.array_equal(stream(7, "rule").random(5), first)
    assert np.array_equal(np.random.default_rng(7).random(3), as_generator(7).random(3))
    before = np.random.default_rng(7)
    stream(before, "rule")
    assert np.array_equal(before.random(3), np.random.default_rng(7).random(3))


def test_streams_of_different_purposes_and_the_parent_are_independent():
    draws = [stream(0, "rule").standard_normal(20000), stream(0, "es").standard_normal(20000),
             np.random.default_rng(0).standard_normal(20000)]
    for i in range(3):
        for j in range(i + 1, 3):
            assert abs(np.corrcoef(draws[i], draws[j])[0, 1]) < 0.03
    assert not np.array_equal(stream(1, "rule").random(3), stream(0, "rule").random(3))


def test_bad_seeds_are_refused():
    for seed in ("0", 1.5, True):
        with pytest.raises(TypeError, match="seed must be an int"):
            stream(seed, "rule")
