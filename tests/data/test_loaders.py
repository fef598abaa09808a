"""ArraySource: every example once per epoch in the run's shuffled order, targets optional, inputs distorted."""

import numpy as np
import pytest

from synaptica.data.loaders import ArraySource, gather_block


def test_each_epoch_is_a_permutation_drawn_from_the_runs_generator():
    x, y = np.arange(50, dtype=np.float32)[:, None], np.arange(50)
    source = ArraySource(x, y, batch_size=7)
    rng = np.random.default_rng(3)
    batches = list(source.batches(None, rng))
    assert [len(b[1]) for b in batches] == [7] * 7 + [1] and source.steps == 8 and source.examples == 50
    order = np.concatenate([b[1] for b in batches])
    assert np.array_equal(order, np.random.default_rng(3).permutation(50))
    assert all(np.array_equal(b[0][:, 0], b[1]) for b in batches)  # inputs stay with their targets


def test_inputs_alone_come_as_one_tuples_and_the_order_can_be_kept():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    batches = list(ArraySource(x, batch_size=4, shuffle=False).batches(None, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [1, 1]
    assert np.array_equal(np.concatenate([b[0] for b in batches]), x)


def test_blocks_span_many_batches_and_give_the_same_batches():
    assert gather_block(10) == 1020 and gather_block(2000) == 2000
    x = np.random.default_rng(0).random((3000, 3)).astype(np.float32)
    source = ArraySource(x, batch_size=10)
    order = np.random.default_rng(5).permutation(3000)
    for i, (batch,) in enumerate(source.batches(None, np.random.default_rng(5))):
        assert np.array_equal(batch, x[order[i * 10:(i + 1) * 10]])


def test_augmentation_distorts_inputs_only_and_must_keep_the_shape():
    x = np.ones((8, 4), np.float32)
    source = ArraySource(x, x.copy(), batch_size=4, augment=lambda batch, rng: batch + rng.random(batch.shape))
    noisy, clean = next(source.batches(None, np.random.default_rng(0)))
    assert not np.array_equal(noisy, clean) and np.array_equal(clean, np.ones((4, 4)))
    bad = ArraySource(x, batch_size=4, augment=lambda batch, rng: batch[:, :2])
    with pytest.raises(Exception, match="must keep the shape"):
        next(bad.batches(None, np.random.default_rng(0)))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="4 inputs but 3 targets"):
        ArraySource(np.zeros((4, 2)), np.zeros(3), batch_size=2)
    for size in (0, 2.5, True):
        with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
            ArraySource(np.zeros((4, 2)), batch_size=size)
