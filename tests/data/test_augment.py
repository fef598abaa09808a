"""Expanded training data: exact shifts, identities, rotations against np.rot90, the Gaussian against
scipy, value ranges, shapes and dtypes, seeds, and fit(..., augment=...)."""

import time

import numpy as np
import pytest
import scipy.ndimage

from synaptica import Backprop, LogLikelihoodCost, SGD, ShapeError, fit
from synaptica.data.augment import (Augment, Elastic, Rotate, Shear, Shift, elastic, gaussian_smooth, rotate, shear,
                                    translate)
from synaptica.nn import mlp
from synaptica.train import evaluate
from tests.conftest import REPO, run_python


@pytest.fixture(scope="module")
def images(fashion):
    """Sixty-four real Fashion-MNIST images as (64, 28, 28) float64."""
    return fashion.train.x[:64].reshape(-1, 28, 28).astype(np.float64)


def _rolled(images, rows, cols):
    """np.roll with the wrapped-around edge set to 0."""
    expected = np.roll(images, (rows, cols), axis=(1, 2))
    if rows > 0:
        expected[:, :rows] = 0
    elif rows < 0:
        expected[:, rows:] = 0
    if cols > 0:
        expected[:, :, :cols] = 0
    elif cols < 0:
        expected[:, :, cols:] = 0
    return expected


@pytest.mark.parametrize("rows, cols", [(1, 0), (-1, 0), (0, 1), (0, -1), (1, -1), (3, 2)])
def test_shift_by_whole_pixels_is_np_roll_with_the_edge_zeroed(images, rows, cols):
    assert np.array_equal(translate(images, rows, cols), _rolled(images, rows, cols))


def test_random_one_pixel_shifts_are_each_one_of_the_nine_moves(images):
    shifted = Shift(1)(images, np.random.default_rng(0))
    moves = {(r, c): _rolled(images, r, c) for r in (-1, 0, 1) for c in (-1, 0, 1)}
    found = []
    for i in range(len(images)):
        matches = [move for move, candidate in moves.items() if np.array_equal(shifted[i], candidate[i])]
        assert matches, f"image {i} is not a whole-pixel shift of at most 1"
        found.append(matches[0])
    assert len(set(found)) >= 7  # 64 draws cover (nearly) all nine moves


@pytest.mark.parametrize("transform", [lambda x: rotate(x, 0.0), lambda x: shear(x, 0.0),
                                       lambda x: translate(x, 0, 0),
                                       lambda x: elastic(x, 0.0, 4.0, np.random.default_rng(0))],
                         ids=["rotate 0", "shear 0", "translate 0", "elastic alpha 0"])
def test_zero_distortions_are_the_identity(images, transform):
    assert np.array_equal(transform(images), images)


def test_zero_distortions_through_augment_are_the_identity_for_every_layout(fashion):
    flat = fashion.train.x[:20]
    augment = Augment([Shift(0), Rotate(0), Shear(0), Elastic(alpha=0, sigma=4)], image_shape=(28, 28))
    for x in (flat, flat.reshape(-1, 28, 28), flat.reshape(-1, 1, 28, 28)):
        assert np.array_equal(augment(x, np.random.default_rng(0)), x)


@pytest.mark.parametrize("degrees, turns", [(90, 1), (-90, -1), (180, 2)])
def test_rotation_by_right_angles_matches_np_rot90(images, degrees, turns):
    expected = np.rot90(images, k=turns, axes=(1, 2))
    np.testing.assert_allclose(rotate(images, degrees), expected, atol=1e-12)


def test_a_small_rotation_turns_a_vertical_bar_counter_clockwise():
    bar = np.zeros((1, 29, 29))
    bar[0, 4:25, 14] = 1.0  # a vertical line through the centre
    turned = rotate(bar, 10)[0]
    top_columns = np.nonzero(turned[5] > 0.25)[0]
    bottom_columns = np.nonzero(turned[23] > 0.25)[0]
    assert top_columns.mean() < 14 < bottom_columns.mean()  # top leans left: counter-clockwise


def test_shear_moves_rows_below_the_centre_to_the_right():
    bar = np.zeros((1, 29, 29))
    bar[0, :, 14] = 1.0
    sheared = shear(bar, 0.5)[0]
    assert np.argmax(sheared[24]) == 14 + 5 and np.argmax(sheared[4]) == 14 - 5 and np.argmax(sheared[14]) == 14


@pytest.mark.parametrize("sigma", [0.7, 2.0, 4.0, 9.0])
def test_the_gaussian_smoothing_equals_scipy(sigma):
    fields = np.random.default_rng(3).uniform(-1, 1, (4, 28, 20))
    expected = np.stack([scipy.ndimage.gaussian_filter(f, sigma, mode="reflect", truncate=4.0) for f in fields])
    np.testing.assert_allclose(gaussian_smooth(fields, sigma), expected, atol=1e-12)


def test_elastic_distortion_moves_pixels_by_a_smooth_field_of_the_requested_size(images):
    distorted = elastic(images, alpha=34.0, sigma=4.0, rng=np.random.default_rng(1))
    assert not np.array_equal(distorted, images)
    # α = 34 after smoothing uniform noise by σ = 4 gives displacements of about a pixel: the images
    # change, but far less than replacing one garment by another
    change = np.abs(distorted - images).mean()
    other = np.abs(images - np.roll(images, 1, axis=0)).mean()
    assert 0.01 < change < 0.5 * other


ALL_TRANSFORMS = [Shift(2), Rotate(15), Shear(0.3), Elastic(34, 4)]


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=repr)
def test_outputs_keep_shape_dtype_and_value_range(fashion, transform):
    flat = fashion.train.x[:50]
    augment = Augment([transform], image_shape=(28, 28))
    for x in (flat, flat.reshape(-1, 28, 28), flat.reshape(-1, 1, 28, 28), flat.astype(np.float64)):
        out = augment(x, np.random.default_rng(0))
        assert out.shape == x.shape and out.dtype == x.dtype
        assert out.min() >= x.min() and out.max() <= x.max()
    as_bytes = np.round(flat * 255).astype(np.uint8)
    out = augment(as_bytes, np.random.default_rng(0))
    assert out.dtype == np.uint8 and out.shape == as_bytes.shape and out.max() <= as_bytes.max()


def test_same_seed_same_images_and_another_seed_other_images(fashion):
    augment = Augment(ALL_TRANSFORMS, image_shape=(28, 28))
    x = fashion.train.x[:100]
    first, again = augment(x, np.random.default_rng(7)), augment(x, np.random.default_rng(7))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, augment(x, np.random.default_rng(8)))


def test_probability_leaves_the_other_images_untouched(fashion):
    x = fashion.train.x[:400]
    assert np.array_equal(Augment([Rotate(20)], (28, 28), probability=0)(x, np.random.default_rng(0)), x)
    out = Augment([Rotate(20)], (28, 28), probability=0.5)(x, np.random.default_rng(0))
    changed = np.any(out != x, axis=1)
    assert 150 < changed.sum() < 250


def test_wrong_shapes_and_arguments_are_named():
    augment = Augment([Shift(1)], image_shape=(28, 28))
    with pytest.raises(ShapeError) as error:
        augment(np.zeros((10, 785), np.float32), np.random.default_rng(0))
    message = str(error.value)
    assert "Augment([Shift(1)], image_shape=(28, 28))" in message and "(10, 785)" in message
    assert "(batch, 784), (batch, 28, 28) or (batch, 1, 28, 28)" in message
    with pytest.raises(ShapeError, match=r"pass image_shape, e\.g\. Augment\(\.\.\., image_shape=\(28, 28\)\)"):
        Augment([Shift(1)])(np.zeros((10, 784), np.float32), np.random.default_rng(0))
    with pytest.raises(ValueError, match="Shift: max_pixels must be an integer >= 0, got 1.5"):
        Shift(1.5)
    with pytest.raises(ValueError, match="Elastic: sigma must be a finite number >= 0, got -1"):
        Elastic(34, -1)
    with pytest.raises(ValueError, match=r"Augment: probability must be in \[0, 1\], got 2"):
        Augment([Shift(1)], probability=2)


@pytest.mark.slow
def test_speed_of_augmenting_fifty_thousand_images(fashion):
    augment = Augment([Shift(2), Rotate(10), Elastic(34, 4)], image_shape=(28, 28))
    started = time.perf_counter()
    out = augment(fashion.train.x, np.random.default_rng(0))
    seconds = time.perf_counter() - started
    print(f"\naugmented {len(out)} images (shift, rotate, elastic) in {seconds:.2f} s")
    assert out.shape == fashion.train.x.shape


def _train(fashion, augment, seed=0):
    model = mlp([784, 30, 10], "relu", init="he", rng=seed)
    rule = Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1))
    history = fit(model, rule, (fashion.train.x[:1000], fashion.train.y[:1000]), epochs=3, batch_size=10,
                  rng=seed, augment=augment, verbose=False)
    return model, history


@pytest.mark.slow
def test_fit_augments_each_batch_and_the_same_seed_gives_the_same_run(fashion):
    augment = Augment([Shift(2), Rotate(10)], image_shape=(28, 28))
    first, first_history = _train(fashion, augment)
    again, _ = _train(fashion, augment)
    plain, plain_history = _train(fashion, None)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(first.parameters(), again.parameters()))
    assert not np.array_equal(first.parameters()[0].data, plain.parameters()[0].data)
    # distorted batches are harder to fit than the originals, and the network still learns the classes
    assert first_history.train_cost[-1] > plain_history.train_cost[-1]
    assert evaluate(first, fashion.validation.x[:1000], fashion.validation.y[:1000]).accuracy > 0.65


@pytest.mark.slow
def test_the_example_draws_a_grid_of_distorted_images(tmp_path, fashion):
    out = tmp_path / "grid.png"
    result = run_python([str(REPO / "examples" / "augment.py"), "--out", str(out), "--columns", "4"])
    assert result.returncode == 0, result.stderr
    assert "6 rows of 4 images" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class _RecordingRule:
    """A learning rule that only keeps the inputs it is given."""

    def __init__(self):
        self.inputs = []

    def bind(self, model, rng):
        pass

    def step(self, model, batch):
        self.inputs.append(batch[0].copy())
        return {"loss": 0.0}


def test_fit_hands_the_rule_every_example_distorted_once_per_epoch_in_shuffled_order(fashion):
    x, y = fashion.train.x[:2000], fashion.train.y[:2000]
    rule = _RecordingRule()
    fit(mlp([784, 10], rng=0), rule, (x, y), epochs=2, batch_size=7, rng=3, verbose=False,
        augment=lambda images, rng: images + 1)  # blocks of 1,022 examples: batches cross no block edge
    shuffles = np.random.default_rng(3)
    per_epoch = -(-2000 // 7)
    for epoch in range(2):
        seen = np.concatenate(rule.inputs[epoch * per_epoch:(epoch + 1) * per_epoch])
        assert np.array_equal(seen, x[shuffles.permutation(2000)] + 1)


def test_an_augment_that_changes_the_shape_is_named(fashion):
    expected = r"fit: augment=.* returned shape \(10, 28, 28\) for inputs of shape \(10, 784\); it must keep"
    with pytest.raises(ShapeError, match=expected):
        fit(mlp([784, 10], rng=0), _RecordingRule(), (fashion.train.x[:10], fashion.train.y[:10]), epochs=1,
            batch_size=10, verbose=False, augment=lambda images, rng: images.reshape(-1, 28, 28))


@pytest.mark.slow
def test_the_expanded_data_example_trains_and_reports(subset_dir):
    result = run_python([str(REPO / "examples" / "expanded_data.py"), "--data", str(subset_dir), "--augment", "mild",
                         "--train", "500", "--epochs", "1"])
    assert result.returncode == 0, result.stderr
    assert "500 training images, augment mild (Augment([Shift(2), Rotate(10), Shear(0.2)]" in result.stdout
    assert float(result.stdout.split("test accuracy ")[1]) > 0.4
