"""The GAN model: forward is the generator, shapes are checked, it saves and loads, and adversarial
training on real data makes the Fréchet distance fall and the samples spread over the classes."""

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, ShapeError, Tensor, fit
from synaptica.io import load_model, save_model
from synaptica.models import GAN, dcgan, mlp_gan
from synaptica.nn import Conv2d, Flatten, Linear, Sequential, Sigmoid, Unflatten, mlp
from synaptica.optim import Adam
from synaptica.rules import Adversarial
from synaptica.train import predict
from synaptica.train.sample_quality import SampleGrid, SampleQuality

from tests.png_check import assert_png_not_blank


@pytest.mark.parametrize("build", [lambda: mlp_gan(8, [16], image_size=784, rng=0), lambda: dcgan(8, 4, rng=0)])
def test_forward_is_the_generator_and_the_discriminator_gives_one_logit(build):
    model = build()
    z = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    samples = predict(model, z)
    assert samples.shape == (5, 784) and 0 <= samples.min() and samples.max() <= 1  # pixels, like the data
    model.eval()
    np.testing.assert_array_equal(model(Tensor(z)).data, model.generator(Tensor(z)).data)
    assert model.discriminate(Tensor(samples)).shape == (5, 1)
    assert model.noise(3, np.random.default_rng(0)).shape == (3, 8)


def test_a_generator_whose_samples_the_discriminator_cannot_take_is_refused_naming_both_sizes():
    with pytest.raises(ShapeError, match=r"generator makes samples of shape \(100,\).*discriminator takes inputs "
                                         r"of shape \(784,\)"):
        GAN(mlp([10, 20, 100]), mlp([784, 10, 1]))
    images = Sequential(Linear(4, 2 * 5 * 5), Unflatten((2, 5, 5)))
    with pytest.raises(ShapeError, match=r"samples of shape \(2, 5, 5\).*inputs of shape \(1, None, None\)"):
        GAN(images, Sequential(Conv2d(1, 2, 3), Flatten(), Linear(18, 1)))
    with pytest.raises(ShapeError, match=r"one logit per sample, \(batch, 1\), but gives \(3,\)"):
        GAN(mlp([4, 6]), mlp([6, 3]))
    with pytest.raises(ShapeError, match="flat noise"):
        GAN(Sequential(Conv2d(1, 1, 1), Flatten(), Sigmoid()), mlp([4, 1]))


def test_it_saves_and_loads_with_both_players(tmp_path):
    model = dcgan(8, 4, rng=0)
    fit(model, Adversarial(Adam(model.generator.parameters(), 1e-3), Adam(model.discriminator.parameters(), 1e-3)),
        np.random.default_rng(0).uniform(size=(16, 784)).astype(np.float32), epochs=1, batch_size=8, rng=0,
        verbose=False)
    save_model(tmp_path / "gan.safetensors", model)
    loaded, _ = load_model(tmp_path / "gan.safetensors")
    assert isinstance(loaded, GAN) and loaded.noise_size == 8
    z = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)
    np.testing.assert_array_equal(predict(loaded, z), predict(model, z))
    x = Tensor(predict(model, z))
    np.testing.assert_array_equal(loaded.discriminate(x).data, model.discriminate(x).data)


def test_the_sample_grid_callback_writes_a_png_each_epoch(tmp_path):
    model = mlp_gan(4, [8], image_size=64, rng=0)
    grid = SampleGrid(tmp_path / "samples-{epoch}.png", (8, 8), count=16)
    fit(model, Adversarial(Adam(model.generator.parameters(), 1e-3), Adam(model.discriminator.parameters(), 1e-3)),
        np.random.default_rng(0).uniform(size=(32, 64)).astype(np.float32), epochs=2, batch_size=16, rng=0,
        verbose=False, callbacks=[grid])
    assert [path.name for path in grid.written] == ["samples-0.png", "samples-1.png"]
    for path in grid.written:
        assert_png_not_blank(path)


@pytest.mark.slow
def test_adversarial_training_on_digits_lowers_the_frechet_distance_and_reaches_many_classes():
    """An MLP GAN on the 8 × 8 digits (1,197 training images, 120 epochs, about 15 s). Over seeds 0–3
    the mean distance of the last five epochs was 0.13–0.23 of the untrained generator's and each of
    the last five epochs reached 6–10 classes; the test asks for half the distance and three classes."""
    from synaptica.data.digits import load_digits

    data = load_digits()
    classifier = mlp([64, 32, 10], "relu", rng=0)
    fit(classifier, Backprop(LogLikelihoodCost(), Adam(classifier.parameters(), 1e-2)), (data.train.x, data.train.y),
        epochs=30, batch_size=32, rng=0, verbose=False)
    quality = SampleQuality(classifier, data.test.x, samples=1000)
    model = mlp_gan(16, [64, 64], image_size=64, rng=0)
    untrained = quality(model)["samples_frechet"]
    rule = Adversarial(Adam(model.generator.parameters(), 3e-4, betas=(0.5, 0.999)),
                       Adam(model.discriminator.parameters(), 3e-4, betas=(0.5, 0.999)))
    history = fit(model, rule, data.train.x, epochs=120, batch_size=32, rng=0, evaluators=[quality], verbose=False)
    assert np.mean(history.metrics["samples_frechet"][-5:]) < 0.5 * untrained
    assert max(history.metrics["samples_classes"][-5:]) >= 3


def test_a_saved_architecture_whose_networks_do_not_fit_is_refused_as_a_format_error():
    from synaptica import FormatError
    from synaptica.nn import module_from_config

    config = {"type": "GAN", "generator": mlp([10, 100]).config(), "discriminator": mlp([784, 1]).config()}
    with pytest.raises(FormatError, match=r"gan.json: model: GAN: the generator makes samples of shape \(100,\)"):
        module_from_config(config, source="gan.json")
    with pytest.raises(FormatError, match=r"needs exactly a 'generator' and a 'discriminator'"):
        module_from_config({"type": "GAN", "generator": config["generator"]}, source="gan.json")
