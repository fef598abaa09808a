"""Drawings framed as the datasets were made: known answers for boxes, centres and scales."""

import numpy as np
import pytest

from synaptica.data.preprocess import framing_for, frame, ink_on_black, resize_area


def _canvas(image, scale, size, top, left):
    """``image`` drawn ``scale`` times larger (each pixel a block) at (top, left) of a blank square canvas."""
    canvas = np.zeros((size, size))
    block = np.kron(image, np.ones((scale, scale)))
    canvas[top:top + block.shape[0], left:left + block.shape[1]] = block
    return canvas


def test_area_resizing_keeps_the_mean_and_averages_blocks(rng):
    image = rng.random((37, 23))
    for rows, columns in [(5, 9), (20, 20), (74, 46), (11, 60)]:
        assert resize_area(image, rows, columns).mean() == pytest.approx(image.mean(), rel=1e-12)
    blocks = rng.random((6, 4))
    np.testing.assert_allclose(resize_area(np.kron(blocks, np.ones((3, 3))), 6, 4), blocks, atol=1e-12)


def test_a_fashion_image_drawn_anywhere_at_any_whole_scale_comes_back_exactly(rng):
    """Fashion-MNIST framing (box 28, box centred, odd margins above and left): an image made that way,
    drawn 3 to 6 times larger anywhere on a canvas, is recovered pixel for pixel."""
    image = np.zeros((28, 28))
    image[:, 8:21] = rng.uniform(0.1, 1.0, (28, 13))  # 13 wide: margins 8 (left) and 7 (right)
    for scale, top, left in [(3, 0, 0), (4, 50, 9), (5, 20, 60), (6, 32, 31)]:
        np.testing.assert_allclose(frame(_canvas(image, scale, 200, top, left), box=28, centre="box"), image,
                                   atol=1e-6)


def test_mnist_framing_scales_the_box_to_20_and_puts_the_centre_of_mass_in_the_middle():
    canvas = np.zeros((300, 300))
    canvas[10:50, 200:210] = 1.0  # a 40 × 10 bar in a corner
    image = frame(canvas)  # MNIST: box 20, centre of mass
    rows, columns = np.nonzero(image > 0)
    assert (np.ptp(rows) + 1, np.ptp(columns) + 1) == (20, 5)
    assert image.sum() == pytest.approx(100, rel=1e-6)  # 20 × 5 pixels of full ink
    mass = image.sum()
    centre = (np.arange(28) @ image.sum(axis=1) / mass, np.arange(28) @ image.sum(axis=0) / mass)
    assert np.abs(np.array(centre) - 13.5).max() <= 0.5


def test_the_frame_does_not_depend_on_where_or_how_large_the_drawing_is(rng):
    stroke = (rng.random((9, 7)) > 0.4).astype(float)
    stroke[0, 0] = stroke[-1, -1] = 1.0
    frames = [frame(_canvas(stroke, scale, 250, top, left)) for scale, top, left in
              [(4, 0, 0), (8, 100, 30), (12, 5, 150), (20, 40, 40)]]
    for other in frames[1:]:
        np.testing.assert_allclose(other, frames[0], atol=1e-6)


def test_lopsided_ink_is_shifted_only_as_far_as_the_frame_allows():
    """A heavy blob in one corner of the box and a lone dot in the other: the centre of mass wants the
    box moved about 7 pixels, but the shift stops at the frame's border and no ink is lost."""
    canvas = np.zeros((100, 100))
    canvas[:20, :20] = 1.0
    canvas[99, 99] = 1.0
    image = frame(canvas)
    assert image.sum() == pytest.approx(resize_area(canvas, 20, 20).sum(), rel=1e-6)
    assert image[-1].any() and image[:, -1].any()  # pushed against the bottom-right border


def test_a_blank_canvas_gives_a_blank_frame_and_light_paper_is_inverted():
    assert not frame(np.zeros((50, 50))).any()
    paper = np.ones((40, 40))
    paper[10:30, 18:22] = 0.0  # dark ink on light paper
    np.testing.assert_array_equal(ink_on_black(paper), 1.0 - paper)
    np.testing.assert_array_equal(ink_on_black(1.0 - paper), 1.0 - paper)


def test_each_dataset_has_its_framing_and_bad_arguments_are_refused():
    assert framing_for("mnist") == (20, "mass") and framing_for("fashion-mnist") == (28, "box")
    assert framing_for(None) == (20, "mass")
    with pytest.raises(ValueError, match="2-D"):
        frame(np.zeros(10))
    with pytest.raises(ValueError, match="centre"):
        frame(np.zeros((5, 5)), centre="middle")
    with pytest.raises(ValueError, match="box"):
        frame(np.zeros((5, 5)), box=30)
