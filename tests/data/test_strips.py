"""Digit strips for CTC: the images appear column by column, in order, with the gaps drawn."""

import numpy as np
import pytest

from synaptica.data.strips import make_strips
from synaptica.errors import ShapeError


def test_each_strip_holds_its_images_in_order_as_columns():
    rng = np.random.default_rng(0)
    images = rng.random((10, 4, 3)).astype(np.float32) + 0.1           # no blank column inside an image
    labels = np.arange(10)
    strips = make_strips(images, labels, 50, np.random.default_rng(1), min_items=2, max_items=4, max_gap=2)
    assert strips.x.shape[0] == 50 and strips.x.shape[2] == 4
    assert set(strips.target_lengths.tolist()) <= {2, 3, 4}
    for x, length, target, k in zip(strips.x, strips.lengths, strips.targets, strips.target_lengths):
        assert np.all(x[length:] == 0) and np.all(target[k:] == 0)
        columns = x[:length]
        used = np.flatnonzero(columns.any(axis=1))
        assert used.size == 3 * k                                      # k images of 3 columns each
        found = [int(np.flatnonzero((images[:, :, 0].T == columns[c][:, None]).all(axis=0))[0])
                 for c in used[::3]]
        assert [labels[i] + 1 for i in found] == target[:k].tolist()     # labels + 1: class 0 is the blank
    again = make_strips(images, labels, 50, np.random.default_rng(1), min_items=2, max_items=4, max_gap=2)
    np.testing.assert_array_equal(again.x, strips.x)


def test_bad_arguments_are_refused():
    with pytest.raises(ShapeError, match=r"\(n, height, width\)"):
        make_strips(np.zeros((3, 64)), np.zeros(3), 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="min_items <= max_items"):
        make_strips(np.zeros((3, 8, 8)), np.zeros(3), 5, np.random.default_rng(0), min_items=4, max_items=2)
