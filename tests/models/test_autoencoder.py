"""The autoencoder: its halves, and the known answer of the linear case (PCA's subspace)."""

import numpy as np

from synaptica import Backprop, QuadraticCost, fit
from synaptica.models import Autoencoder, dense_autoencoder
from synaptica.nn import Linear, Sequential
from synaptica.optim import Adam
from synaptica.tensor import Tensor
from synaptica.train import predict


def test_forward_is_decode_of_encode_and_the_mirror_shapes():
    model = dense_autoencoder(20, [12, 8], 3, rng=0)
    x = np.random.default_rng(0).random((5, 20)).astype(np.float32)
    code = model.encode(Tensor(x))
    assert code.shape == (5, 3)
    np.testing.assert_array_equal(model(Tensor(x)).data, model.decode(code).data)
    assert [layer.weight.shape for layer in model.modules() if isinstance(layer, Linear)] == [
        (12, 20), (8, 12), (3, 8), (8, 3), (12, 8), (20, 12)]
    assert 0 <= predict(model, x).min() and predict(model, x).max() <= 1  # a sigmoid output, like pixels


def test_a_linear_autoencoder_reaches_the_error_of_pca():
    """Baldi and Hornik (1989): with linear layers and the quadratic cost, the best k-unit code spans the
    first k principal components, so the trained network's error equals PCA's."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((400, 3)) @ rng.standard_normal((3, 8)) + 0.1 * rng.standard_normal((400, 8)))
    x -= x.mean(axis=0)  # centred, so the network needs no bias to match PCA's μ
    _, _, v = np.linalg.svd(x, full_matrices=False)
    pca_error = np.mean((x @ v[:2].T @ v[:2] - x) ** 2)

    model = Autoencoder(Sequential([Linear(8, 2, bias=False, rng=1, dtype=np.float64)]),
                        Sequential([Linear(2, 8, bias=False, rng=2, dtype=np.float64)]))
    fit(model, Backprop(QuadraticCost(), Adam(model.parameters(), 0.01)), x, epochs=600, batch_size=400, rng=0,
        verbose=False)
    error = np.mean((predict(model, x) - x) ** 2)
    assert error < 1.0005 * pca_error and error >= pca_error * (1 - 1e-9)  # PCA is the optimum


def test_an_autoencoder_is_saved_and_loaded_bitwise(tmp_path):
    from synaptica.errors import FormatError
    from synaptica.io import load_model, save_model

    model = dense_autoencoder(12, [6], 3, rng=1)
    save_model(tmp_path / "ae.safetensors", model)
    loaded, _ = load_model(tmp_path / "ae.safetensors")
    assert isinstance(loaded, Autoencoder) and loaded.config() == model.config()
    x = np.random.default_rng(0).random((4, 12)).astype(np.float32)
    np.testing.assert_array_equal(predict(loaded, x), predict(model, x))
    from synaptica.nn.registry import module_from_config

    with np.testing.assert_raises_regex(FormatError, "needs exactly an 'encoder' and a 'decoder'"):
        module_from_config({"type": "Autoencoder", "encoder": model.encoder.config()})


def test_the_codes_come_in_batches_as_the_encoder_gives_them():
    """``predict(model.encoder, x)`` is the batched NumPy path to the codes: each row is encode's."""
    model = dense_autoencoder(20, [12], 4, rng=0)
    x = np.random.default_rng(1).random((25, 20)).astype(np.float32)
    codes = predict(model.encoder, x, batch_size=7)
    assert codes.shape == (25, 4) and codes.dtype == np.float32
    np.testing.assert_allclose(codes, model.encode(Tensor(x)).data, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(predict(model.decoder, codes), predict(model, x), rtol=1e-5, atol=1e-6)


def test_a_denoising_autoencoder_learns_to_remove_masking_noise(fashion):
    """Trained on (x̃, x) pairs with 30 % of the pixels zeroed, a small autoencoder restores unseen
    corrupted images closer to the clean ones than the corrupted images are, and closer than the same
    network trained on clean pairs only."""
    from synaptica.data.loaders import ArraySource
    from synaptica.data.noise import MaskingNoise

    x = fashion.train.x[:3000].reshape(3000, -1)
    x_test = fashion.test.x[:500].reshape(500, -1)
    corrupted = MaskingNoise(0.3)(x_test, np.random.default_rng(123))
    errors = {}
    for name, noise in [("plain", None), ("denoising", MaskingNoise(0.3))]:
        model = dense_autoencoder(784, [128], 32, rng=0)
        fit(model, Backprop(QuadraticCost(), Adam(model.parameters(), 2e-3)),
            ArraySource(x, x, batch_size=64, augment=noise), epochs=4, rng=0, verbose=False)
        errors[name] = np.mean((predict(model, corrupted) - x_test) ** 2)
    assert errors["denoising"] < 0.5 * np.mean((corrupted - x_test) ** 2)
    assert errors["denoising"] < errors["plain"]
