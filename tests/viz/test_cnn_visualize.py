"""What a CNN learns: filters, feature maps, activation maximisation, saliency, Deep Dream, Deep Style
and ``synaptica visualize``, on a small CNN trained on real Fashion-MNIST images inside the session."""

import dataclasses
import re

import numpy as np
import pytest
import torch

from synaptica import Backprop, SGD, Tensor
from synaptica.cli import main
from synaptica.data import write_idx
from synaptica.interpret import (
    AscentSettings, ImagePrior, class_probabilities, content_loss, deep_dream, feature_maps, first_layer_filters,
    frozen, gram_matrix, maximize_channel, maximize_class, saliency_maps, style_layer_loss, style_transfer,
    total_variation,
)
from synaptica.interpret.ascent import objective_and_gradient
from synaptica.interpret.probe import class_scores
from synaptica.io import save_model
from synaptica.losses import get_cost
from synaptica.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Unflatten, mlp
from synaptica.train import evaluate, fit
from synaptica.viz.cnn import (
    plot_before_after, plot_feature_maps, plot_filters, plot_image_grid, plot_saliency, plot_style_transfer,
)
from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank

SHAPE = (1, 28, 28)


def small_cnn(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 8, 5, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),       # layers 0-2: 8 maps 24×24 -> 12×12
        Conv2d(8, 16, 5, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2),      # layers 3-5: 16 maps 8×8 -> 4×4
        Flatten(), Linear(256, 10, init="he", rng=rng, dtype=dtype),       # layers 6-7: the class logits
    )


@pytest.fixture(scope="session")
def trained(fashion):
    """The CNN after 2 epochs on 4,000 training images (about 0.75 test accuracy; ~3 s on one core)."""
    net = small_cnn()
    x, y = fashion.train.x[:4000].reshape(-1, *SHAPE), fashion.train.y[:4000]
    rule = Backprop(get_cost("log-likelihood"), SGD(net.parameters(), learning_rate=0.05))
    fit(net, rule, (x, y), epochs=2, batch_size=32, rng=0, verbose=False, blas=1)
    accuracy = evaluate(net, fashion.test.x[:1000].reshape(-1, *SHAPE), fashion.test.y[:1000]).accuracy
    assert accuracy > 0.65, accuracy
    return net


@pytest.fixture(scope="session")
def model_file(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("cnn") / "cnn.safetensors"
    save_model(path, trained)
    return path


@pytest.fixture(scope="session")
def test_images(fashion):
    return fashion.test.x[:20].reshape(-1, *SHAPE)


def torch_twin(net: Sequential) -> torch.nn.Sequential:
    """The same network in torch.nn (float64) with a copy of ``net``'s weights."""
    conv1, conv2, out = net[0], net[3], net[7]
    layers = [torch.nn.Conv2d(1, 8, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
              torch.nn.Conv2d(8, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
              torch.nn.Flatten(), torch.nn.Linear(256, 10)]
    for theirs, ours in [(layers[0], conv1), (layers[3], conv2), (layers[7], out)]:
        theirs.weight.data = torch.tensor(ours.weight.data, dtype=torch.float64)
        theirs.bias.data = torch.tensor(ours.bias.data, dtype=torch.float64)
    return torch.nn.Sequential(*layers).double()


# ------------------------------------------------------------------------- the engine's input gradients


def test_input_gradients_match_central_differences_priors_included():
    """∂(J − R)/∂x from one backward pass, for a class log-probability and all three priors, in float64."""
    net = small_cnn(seed=3, dtype=np.float64)
    images = np.random.default_rng(0).uniform(0, 1, (2, *SHAPE))
    prior = ImagePrior(l1=0.01, l2=0.02, tv=0.03)
    classes = np.array([4, 7])

    def objective(model, x):
        return class_scores(model, x, "log-probability")[np.arange(2), classes]

    with frozen(net):
        _, gradient = objective_and_gradient(net, objective, images, prior)

        def total(array):
            x = Tensor(array)
            return float((objective(net, x) - prior.penalty(x)).data.sum())

        for index in [(0, 0, 14, 14), (0, 0, 3, 20), (1, 0, 10, 5), (1, 0, 27, 27), (1, 0, 20, 12)]:
            step = np.zeros_like(images)
            step[index] = 1e-6
            numeric = (total(images + step) - total(images - step)) / 2e-6
            assert gradient[index] == pytest.approx(numeric, rel=1e-5, abs=1e-9), index


def test_total_variation_is_the_sum_of_squared_neighbour_differences():
    x = np.random.default_rng(1).standard_normal((3, 2, 5, 7))
    expected = (np.diff(x, axis=2) ** 2).sum(axis=(1, 2, 3)) + (np.diff(x, axis=3) ** 2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(total_variation(Tensor(x)).data, expected, rtol=1e-12)


def test_weights_their_gradients_and_the_training_mode_are_left_as_they_were(trained, test_images):
    weights = [p.data.copy() for p in trained.parameters()]
    gradients = [p.grad for p in trained.parameters()]
    trained.train()
    maximize_class(trained, [0, 1], SHAPE, settings=dataclasses.replace(AscentSettings(), steps=3), rng=0)
    saliency_maps(trained, test_images[:2])
    deep_dream(trained, test_images[:2], 4, rng=0)
    style_transfer(trained, test_images[0], test_images[1], steps=3, rng=0)
    for p, before, grad in zip(trained.parameters(), weights, gradients):
        np.testing.assert_array_equal(p.data, before)
        assert p.grad is grad and p.requires_grad
    assert all(m.training for m in trained.modules())
    trained.eval()


# ------------------------------------------------------------------------- activation maximisation


def test_every_class_gets_an_image_the_network_is_99_percent_sure_of(trained):
    """The tested figure: from near-grey seeded starts, with the notes' L1 prior and total variation,
    all ten images reach p(class | image) ≥ 0.99 (measured 0.999 to 1.0 over seeds 0-2)."""
    found = maximize_class(trained, range(10), SHAPE, rng=0)
    assert found.score == "logit"
    np.testing.assert_array_equal(found.classes, np.arange(10))
    assert found.probabilities.min() >= 0.99, found.probabilities
    recomputed = class_probabilities(trained, found.images)[np.arange(10), np.arange(10)]
    np.testing.assert_allclose(found.probabilities, recomputed)
    assert found.images.min() >= 0 and found.images.max() <= 1
    start = found.ascent.objective[0]
    assert np.all(found.ascent.objective[-1] > start + 5)  # every logit climbed
    # the prior keeps the images sparse: mean pixel well below the grey start's 0.5
    assert found.images.mean() < 0.4


def test_the_log_probability_score_also_climbs_and_the_prior_costs_certainty(trained):
    plain = AscentSettings(steps=60, step_size=0.01)
    heavy = dataclasses.replace(plain, prior=ImagePrior(l1=0.05))
    free = maximize_class(trained, [3, 8], SHAPE, score="log-probability", settings=plain, rng=1)
    held = maximize_class(trained, [3, 8], SHAPE, score="log-probability", settings=heavy, rng=1)
    assert np.all(free.probabilities > 0.99)
    assert np.all(held.probabilities < free.probabilities)
    assert held.images.mean() < free.images.mean()


def test_same_seed_same_images_and_another_seed_other_images(trained):
    settings = dataclasses.replace(AscentSettings(), steps=10, jitter=2)
    one = maximize_class(trained, [2, 5], SHAPE, settings=settings, rng=7)
    two = maximize_class(trained, [2, 5], SHAPE, settings=settings, rng=7)
    three = maximize_class(trained, [2, 5], SHAPE, settings=settings, rng=8)
    np.testing.assert_array_equal(one.images, two.images)
    assert not np.array_equal(one.images, three.images)


def test_channel_maximisation_raises_each_filters_mean_activation(trained):
    found = maximize_channel(trained, 3, range(16), SHAPE, rng=0)  # the second convolution, before its ReLU
    assert found.images.shape == (16, *SHAPE)
    gain = found.activations - found.start_activations
    # every filter responds more; some cannot be driven far inside the [0, 1] pixel box (measured gains 0.18-2.5)
    assert np.all(gain > 0.1) and np.median(gain) > 1.0, gain
    flat = maximize_channel(trained, 7, [0, 9], SHAPE, settings=dataclasses.replace(AscentSettings(), steps=30), rng=0)
    assert np.all(flat.activations > flat.start_activations)  # a unit of a flat layer: here a logit


# ------------------------------------------------------------------------- saliency


def test_saliency_is_torchs_input_gradient_max_over_channels(trained, test_images):
    found = saliency_maps(trained, test_images[:4], classes=[9, 2, 1, 1])
    x = torch.tensor(test_images[:4], dtype=torch.float64, requires_grad=True)
    logits = torch_twin(trained)(x)
    logits[torch.arange(4), torch.tensor([9, 2, 1, 1])].sum().backward()
    np.testing.assert_allclose(found.maps, x.grad.abs().amax(dim=1).numpy(), rtol=1e-3, atol=1e-6)


def test_saliency_has_the_images_shape_and_lights_up_the_object(trained, test_images):
    found = saliency_maps(trained, test_images)
    assert found.maps.shape == (20, 28, 28)
    np.testing.assert_array_equal(found.classes, class_probabilities(trained, test_images).argmax(axis=1))
    for image, saliency in zip(test_images[:, 0], found.maps):
        on_object = image > 0.1
        assert np.all(saliency[on_object] > 0)
        assert saliency[on_object].mean() > 1.2 * saliency[~on_object].mean()
    one = saliency_maps(trained, test_images[0, 0], classes=3)  # a single (H, W) image
    assert one.maps.shape == (1, 28, 28) and one.classes.tolist() == [3]


# ------------------------------------------------------------------------- Deep Dream and Deep Style


@pytest.mark.parametrize("layer", [1, 4])
def test_dream_amplifies_the_chosen_layers_activations(trained, test_images, layer):
    dream = deep_dream(trained, test_images, layer, rng=0)
    with frozen(trained):
        before = trained.trace(test_images)[layer][1]
        after = trained.trace(dream.images)[layer][1]
    norm = lambda a: np.sqrt((a.reshape(len(a), -1) ** 2).mean(axis=1))  # noqa: E731
    np.testing.assert_allclose(dream.start_norm, norm(before), rtol=1e-5)
    np.testing.assert_allclose(dream.end_norm, norm(after), rtol=1e-5)
    assert np.all(dream.end_norm > dream.start_norm) and np.mean(dream.end_norm / dream.start_norm) > 1.3
    assert dream.images.min() >= 0 and dream.images.max() <= 1


def test_gram_matrix_and_the_two_losses_are_gatys_formulas():
    features = np.random.default_rng(2).standard_normal((1, 3, 4, 5))
    target = np.random.default_rng(3).standard_normal((1, 3, 4, 5))
    f = features.reshape(3, 20)
    np.testing.assert_allclose(gram_matrix(Tensor(features)).data[0], f @ f.T, rtol=1e-12)
    a = target.reshape(3, 20) @ target.reshape(3, 20).T
    expected_style = ((f @ f.T - a) ** 2).sum() / (4 * 3 ** 2 * 20 ** 2)
    assert style_layer_loss(Tensor(features), a[None]).item() == pytest.approx(expected_style, rel=1e-12)
    assert content_loss(Tensor(features), target).item() == pytest.approx(0.5 * ((features - target) ** 2).sum())


def test_style_transfer_lowers_both_losses_and_its_picture_is_written(trained, test_images, tmp_path):
    content, style = test_images[0], test_images[11]  # an ankle boot, a trouser
    result = style_transfer(trained, content, style, rng=0)
    assert result.content_layer == 4 and result.style_layers == (1, 4)
    assert len(result.content_loss) == len(result.style_loss) == 201
    assert result.content_loss[-1] < 0.5 * result.content_loss[0]
    assert result.style_loss[-1] < 0.9 * result.style_loss[0]
    assert result.image.shape == SHAPE and 0 <= result.image.min() and result.image.max() <= 1
    assert_png_not_blank(plot_style_transfer(content, style, result.image, tmp_path / "style.png"))


# ------------------------------------------------------------------------- the pictures


def test_every_drawing_writes_a_picture_that_is_not_blank(trained, test_images, tmp_path):
    filters = first_layer_filters(trained)
    assert filters.shape == (8, 1, 5, 5) and filters is not trained[0].weight.data
    maps = feature_maps(trained, test_images[0], 1)
    assert maps.shape == (8, 24, 24)
    saliency = saliency_maps(trained, test_images[:3]).maps
    dream = deep_dream(trained, test_images[:3], 4, rng=0).images
    written = [
        plot_filters(filters, tmp_path / "filters.png"),
        plot_filters(np.random.default_rng(0).standard_normal((4, 3, 5, 5)), tmp_path / "colour.png"),
        plot_filters(np.random.default_rng(0).standard_normal((3, 2, 5, 5)), tmp_path / "pairs.png"),
        plot_feature_maps(maps, tmp_path / "maps.png", image=test_images[0]),
        plot_feature_maps(feature_maps(trained, test_images[0], 7), tmp_path / "units.png"),
        plot_saliency(test_images[:3], saliency, tmp_path / "saliency.png"),
        plot_before_after(test_images[:3], dream, tmp_path / "dream.png"),
        plot_image_grid(test_images[:5, 0], tmp_path / "grid.png", titles=list("abcde")),
    ]
    for path in written:
        assert_png_not_blank(path)


def test_drawing_refuses_arrays_of_the_wrong_shape(tmp_path):
    with pytest.raises(ValueError, match="expected kernels"):
        plot_filters(np.zeros((3, 5, 5)), tmp_path / "f.png")
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        plot_image_grid(np.zeros((3, 4, 4)), tmp_path / "g.png", titles=["a", "b"])


# ------------------------------------------------------------------------- errors


def test_bad_requests_name_what_is_wrong(trained, test_images):
    with pytest.raises(ValueError, match=r"layer 8 does not exist: the model has layers 0 to 7: \(0\) Conv2d"):
        feature_maps(trained, test_images[0], 8)
    with pytest.raises(ValueError, match="class 10 does not exist: the model has classes 0 to 9"):
        maximize_class(trained, [10], SHAPE)
    with pytest.raises(ValueError, match="channel 16 does not exist: layer 3 has channels 0 to 15"):
        maximize_channel(trained, 3, [16], SHAPE)
    with pytest.raises(ValueError, match="no Conv2d layer"):
        first_layer_filters(mlp([784, 10], "relu", rng=0))
    with pytest.raises(ValueError, match="no Conv2d layer"):
        style_transfer(mlp([784, 10], "relu", rng=0), test_images[0], test_images[1])
    with pytest.raises(ValueError, match="Sequential"):
        saliency_maps(Linear(784, 10, rng=0), test_images[0])
    with pytest.raises(ValueError, match="NaN"):
        saliency_maps(trained, np.full(SHAPE, np.nan))
    with pytest.raises(ValueError, match="Conv2d.*got input of shape"):
        saliency_maps(trained, np.zeros((1, 3, 3)))


def test_a_fully_connected_network_is_explained_through_the_same_image_interface(test_images):
    """Images are flattened inside the graph, so the gradient comes back as an image."""
    net = Sequential(Flatten(), Linear(784, 30, rng=0), Sigmoid(), Linear(30, 10, rng=1))
    bare = mlp([784, 30, 10], "sigmoid", rng=0)
    assert saliency_maps(net, test_images[:2]).maps.shape == (2, 28, 28)
    assert saliency_maps(bare, test_images[:2]).maps.shape == (2, 28, 28)
    found = maximize_class(bare, [1], SHAPE, settings=dataclasses.replace(AscentSettings(), steps=20), rng=0)
    assert found.images.shape == (1, *SHAPE) and found.ascent.objective[-1, 0] > found.ascent.objective[0, 0]


def unflatten_cnn(trained):
    """The trained CNN behind an Unflatten layer, as the library's CNN builders make them: it reads flat rows."""
    net = Sequential(Unflatten((1, 28, 28)), *small_cnn().layers)
    net.load_state_dict({f"layers.{int(k.split('.')[1]) + 1}.{k.split('.', 2)[2]}": v
                         for k, v in trained.state_dict().items()})
    return net


def test_a_cnn_that_reads_flat_rows_gives_the_same_answers(trained, test_images):
    net = unflatten_cnn(trained)
    np.testing.assert_array_equal(saliency_maps(net, test_images[:3]).maps,
                                  saliency_maps(trained, test_images[:3]).maps)
    np.testing.assert_array_equal(first_layer_filters(net), first_layer_filters(trained))
    np.testing.assert_array_equal(feature_maps(net, test_images[0], 2), feature_maps(trained, test_images[0], 1))
    settings = dataclasses.replace(AscentSettings(), steps=5)
    np.testing.assert_array_equal(maximize_class(net, [4], SHAPE, settings=settings, rng=0).images,
                                  maximize_class(trained, [4], SHAPE, settings=settings, rng=0).images)
    assert style_transfer(net, test_images[0], test_images[1], steps=2, rng=0).style_layers == (2, 5)


def test_visualize_takes_the_image_shape_from_a_leading_unflatten(trained, tmp_path, capsys):
    save_model(tmp_path / "flat-cnn.safetensors", unflatten_cnn(trained))
    assert main(["visualize", str(tmp_path / "flat-cnn.safetensors"), "--what", "maximize", "--class", "1",
                 "--data", "xor", "--out", str(tmp_path)]) == 0  # xor has no images: the shape is the model's
    assert_png_not_blank(tmp_path / "maximize-class1.png")
    assert main(["visualize", str(tmp_path / "flat-cnn.safetensors"), "--what", "dream", "--out", str(tmp_path)]) == 0
    assert "layer 5 ReLU()" in capsys.readouterr().out
    assert_png_not_blank(tmp_path / "dream-layer5.png")


# ------------------------------------------------------------------------- synaptica visualize


@pytest.mark.parametrize("what, image, extra, picture", [
    ("filters", [], [], "filters.png"),
    ("features", ["5"], ["--layer", "4"], "features-layer4.png"),
    ("maximize", [], ["--steps", "40"], "maximize-classes.png"),
    ("maximize", [], ["--layer", "3", "--steps", "20"], "maximize-layer3.png"),
    ("maximize", [], ["--class", "8"], "maximize-class8.png"),
    ("saliency", ["3"], ["--class", "1"], "saliency.png"),
    ("dream", ["12"], [], "dream-layer4.png"),
])
def test_visualize_writes_each_picture(model_file, subset_dir, tmp_path, capsys, what, image, extra, picture):
    data = ["--data", str(subset_dir)]  # the first 1,000 test images: quicker to load than all 70,000
    assert main(["visualize", str(model_file), *image, "--what", what, "--out", str(tmp_path / "out"), *data,
                 *extra]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {tmp_path / 'out' / picture}" in printed
    assert_png_not_blank(tmp_path / "out" / picture)
    if what == "maximize" and "--class" in extra:
        assert float(re.search(r"class 8: p = ([0-9.]+)", printed).group(1)) >= 0.99


def test_visualize_reads_png_and_idx_images(model_file, test_images, tmp_path, capsys):
    from matplotlib.image import imsave

    imsave(tmp_path / "boot.png", test_images[0, 0], cmap="gray", vmin=0, vmax=1)  # RGBA PNG
    write_idx(tmp_path / "boot-idx3-ubyte", np.round(test_images[:2, 0] * 255).astype(np.uint8))
    for image in ["boot.png", "boot-idx3-ubyte"]:
        assert main(["visualize", str(model_file), str(tmp_path / image), "--what", "saliency",
                     "--out", str(tmp_path / f"out-{image}")]) == 0
        assert "predicted class 9" in capsys.readouterr().out  # the same ankle boot as test image 0


@pytest.mark.parametrize("arguments, message", [
    (["--what", "features", "--layer", "8"], "layer 8 does not exist: the model has layers 0 to 7"),
    (["10000", "--what", "saliency"], "image index 10000 is out of range: the test split of fashion-mnist has 10000 "
                                      "images (0 to 9999)"),
    (["missing.png", "--what", "saliency"], "neither a test-set index nor an existing file"),
    (["--what", "maximize", "--class", "12"], "class 12 does not exist"),
])
def test_visualize_errors_are_one_clear_line(model_file, tmp_path, capsys, arguments, message):
    assert main(["visualize", str(model_file), *arguments, "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("synaptica visualize: error: ") and message in error


def test_visualize_names_a_missing_model_file(tmp_path, capsys):
    assert main(["visualize", str(tmp_path / "none.safetensors"), "--what", "filters"]) == 2
    assert "none.safetensors': no such file" in capsys.readouterr().err


def test_visualize_filters_of_a_network_without_convolutions(tmp_path, capsys):
    save_model(tmp_path / "mlp.safetensors", mlp([784, 30, 10], "relu", rng=0))
    assert main(["visualize", str(tmp_path / "mlp.safetensors"), "--what", "filters", "--out", str(tmp_path)]) == 2
    assert "the model has no Conv2d layer, so it has no filters to draw" in capsys.readouterr().err
    # the other pictures still work on it
    assert main(["visualize", str(tmp_path / "mlp.safetensors"), "--what", "saliency", "--out", str(tmp_path)]) == 0


def test_visualize_refuses_a_file_that_is_no_image_and_an_out_that_is_a_file(model_file, tmp_path, capsys):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    assert main(["visualize", str(model_file), str(tmp_path / "photo.jpg"), "--what", "dream",
                 "--out", str(tmp_path)]) == 2
    assert "a PNG file or an IDX file" in capsys.readouterr().err
    assert main(["visualize", str(model_file), "--what", "filters", "--out", str(tmp_path / "photo.jpg")]) == 2
    assert "photo.jpg' is a file, not a directory" in capsys.readouterr().err


@pytest.mark.slow
def test_visualize_runs_as_a_command(model_file, tmp_path):
    result = run_python(["-m", "synaptica", "visualize", str(model_file), "7", "--what", "dream", "--layer", "1",
                         "--steps", "10", "--out", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    assert "root-mean-square activation" in result.stdout
    assert_png_not_blank(tmp_path / "dream-layer1.png")


@pytest.mark.slow
def test_the_example_trains_a_cnn_and_draws_every_picture(fashion, tmp_path):
    result = run_python([str(REPO / "examples" / "what_cnn_learns.py"), "--limit", "3000", "--epochs", "1",
                         "--out", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    probabilities = [float(p) for p in re.findall(r"p = ([0-9.]+)", result.stdout)]
    assert len(probabilities) == 10 and min(probabilities) >= 0.99, result.stdout
    for name in ["filters", "features-layer1", "features-layer4", "channels-layer3", "classes", "saliency", "dream",
                 "style"]:
        assert_png_not_blank(tmp_path / f"{name}.png")
