"""The stream source for truncated BPTT: rows continue across batches, targets shift by one."""

import numpy as np
import pytest

from synaptica.data.sequences import TokenStreamSource
from synaptica.errors import DataError


class Stateful:
    resets = 0

    def reset_state(self):
        self.resets += 1


def test_windows_continue_row_by_row_and_targets_are_the_next_symbols():
    ids = np.arange(103)
    source = TokenStreamSource(ids, batch_size=4, steps=5, random_offset=False)
    assert source.row_length == 25 and source.steps == 5 and source.examples == 100
    model = Stateful()
    batches = list(source.batches(model, np.random.default_rng(0)))
    assert model.resets == 1 and len(batches) == 5
    x = np.concatenate([b[0] for b in batches], axis=1)
    y = np.concatenate([b[1] for b in batches], axis=1)
    np.testing.assert_array_equal(x, np.arange(100).reshape(4, 25))      # each row one contiguous stretch
    np.testing.assert_array_equal(y, x + 1)


def test_random_offset_moves_the_window_edges_with_the_run_generator():
    source = TokenStreamSource(np.arange(1000) % 7, batch_size=3, steps=10)
    first = [b[0][0, 0] for b in source.batches(None, np.random.default_rng(1))]
    again = [b[0][0, 0] for b in source.batches(None, np.random.default_rng(1))]
    assert first == again
    starts = {next(source.batches(None, np.random.default_rng(seed)))[0][0, 0] for seed in range(20)}
    assert len(starts) > 1


def test_resume_between_two_steps_yields_exactly_the_rest():
    source = TokenStreamSource(np.arange(500), batch_size=2, steps=7)
    whole = list(source.batches(Stateful(), np.random.default_rng(3)))
    run = source.batches(Stateful(), np.random.default_rng(3))
    for _ in range(4):
        next(run)
    state = source.state_dict()
    fresh = TokenStreamSource(np.arange(500), batch_size=2, steps=7)
    fresh.load_state_dict(state)
    model = Stateful()
    rest = list(fresh.batches(model, np.random.default_rng(99)))
    assert model.resets == 0                                              # the carried state stays
    assert len(rest) == len(whole) - 4
    for (x, y), (wx, wy) in zip(rest, whole[4:]):
        np.testing.assert_array_equal(x, wx)
        np.testing.assert_array_equal(y, wy)


def test_bad_streams_are_refused():
    with pytest.raises(DataError, match="integer ids"):
        TokenStreamSource(np.zeros(100), batch_size=2, steps=5)
    with pytest.raises(DataError, match="rows of 9, shorter than two windows of 5 steps"):
        TokenStreamSource(np.arange(100), batch_size=11, steps=5)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        TokenStreamSource(np.arange(100), batch_size=2, steps=0)


def test_short_epochs_continue_the_pass_and_a_new_pass_resets_the_state():
    source = TokenStreamSource(np.arange(201), batch_size=2, steps=10, random_offset=False, windows_per_epoch=4)
    model = Stateful()
    rng = np.random.default_rng(0)
    epochs = [[b[0][0, 0] for b in source.batches(model, rng)] for _ in range(3)]
    assert epochs == [[0, 10, 20, 30], [40, 50, 60, 70], [80, 90, 0, 10]]   # rows of 100: a new pass at 100
    assert model.resets == 2 and source.steps == 4
