"""The seeds' programs in examples/ run and give the seeds' numbers."""

import json
import re

import numpy as np
import pytest

from tests.conftest import REPO, run_python

SEED_SYN0 = np.array([[-0.16595599, 0.44064899, -0.99977125, -0.39533485],
                      [-0.70648822, -0.81532281, -0.62747958, -0.30887855],
                      [-0.20646505, 0.07763347, -0.16161097, 0.370439]])
SEED_SYN1 = np.array([[-0.5910955], [0.75623487], [-0.94522481], [0.34093502]])


def _matrices(text: str) -> list[np.ndarray]:
    blocks = re.findall(r"(\[\[.*?\]\])", text, flags=re.S)
    return [np.array([[float(v) for v in row.split()] for row in re.findall(r"\[([^\[\]]+)\]", b)]) for b in blocks]


@pytest.mark.slow
def test_xor_prints_the_seeds_weights_and_learns():
    result = run_python([str(REPO / "examples" / "xor.py")])
    assert result.returncode == 0, result.stderr
    syn0, syn1 = _matrices(result.stdout)[:2]
    assert np.array_equal(syn0, SEED_SYN0) and np.array_equal(syn1, SEED_SYN1)
    errors = [float(e) for e in re.findall(r"Error:([0-9.e-]+)", result.stdout)]
    assert len(errors) == 6 and errors[0] == pytest.approx(0.4964100319027255, rel=1e-12)
    assert float(re.search(r"Final error after 60000 steps: ([0-9.e-]+)", result.stdout).group(1)) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("script, floor", [("network.py", 0.60), ("network2.py", 0.80)])
def test_nielsen_examples_train_on_fashion_mnist(script, floor, fashion):
    result = run_python([str(REPO / "examples" / script), "--epochs", "1"])
    assert result.returncode == 0, result.stderr
    assert re.search(r"Epoch 0: \d+ / 10000", result.stdout)
    assert float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1)) >= floor


@pytest.mark.slow
def test_network3_row_trains_in_synaptica_and_pytorch_alike(fashion, tmp_path):
    """Row 1 of Nielsen's network3 progression on 2,000 images, one epoch, beside its PyTorch twin (same
    initial weights and mini-batches): both learn, and they end within a few points of each other."""
    record_file = tmp_path / "rows.jsonl"
    result = run_python([str(REPO / "examples" / "network3.py"), "--row", "1", "--limit", "2000", "--epochs", "1",
                         "--torch", "--json", str(record_file)])
    assert result.returncode == 0, result.stderr
    assert re.search(r"Epoch 0: \d+ / 10000", result.stdout)
    records = {r["library"]: r for r in map(json.loads, record_file.read_text().splitlines())}
    assert set(records) == {"synaptica", "pytorch"}
    assert records["synaptica"]["accuracy"] > 0.4  # chance is 0.1; 200 steps of a sigmoid network
    assert abs(records["synaptica"]["accuracy"] - records["pytorch"]["accuracy"]) < 0.03


@pytest.mark.slow
def test_network3_conv_row_with_expanded_data_runs_on_a_subset(fashion):
    result = run_python([str(REPO / "examples" / "network3.py"), "--recipe", "expanded", "--limit", "1000",
                         "--epochs", "1", "--quiet"])
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"row 5 expanded, synaptica, seed 0: test accuracy ([0-9.]+)", result.stdout).group(1))
    assert accuracy > 0.5


def test_ensemble_files_combines_saved_networks(subset_dir, tmp_path):
    """Two networks trained on the subset and saved; the script's ensemble accuracy is Ensemble's own."""
    from synaptica import Backprop, LogLikelihoodCost, SGD, fit
    from synaptica.data import load_dataset
    from synaptica.io import save_model
    from synaptica.nn import Ensemble, mlp
    from synaptica.train import evaluate

    splits = load_dataset(str(subset_dir))
    paths, members = [], []
    for seed in (0, 1):
        net = mlp([784, 30, 10], "relu", init="he", rng=seed)
        fit(net, Backprop(LogLikelihoodCost(), SGD(net.parameters(), 0.1)), (splits.train.x, splits.train.y),
            epochs=1, batch_size=32, rng=seed, verbose=False)
        paths.append(tmp_path / f"net{seed}.safetensors")
        save_model(paths[-1], net)
        members.append(net)
    expected = evaluate(Ensemble(members), splits.test.x, splits.test.y).accuracy
    result = run_python([str(REPO / "examples" / "ensemble_files.py"), *map(str, paths), "--data", str(subset_dir),
                         "--out", str(tmp_path / "both.safetensors")])
    assert result.returncode == 0, result.stderr
    assert f"ensemble of 2 (average): test accuracy {expected:.4f}" in result.stdout
    assert (tmp_path / "both.safetensors").exists()


@pytest.mark.slow
def test_autoencoder_reconstructs_better_than_pca_at_the_same_code_size(fashion, tmp_path):
    """A 32-unit code on 10,000 training images, 8 epochs: the autoencoder's test MSE below PCA's with 32
    components fitted on the same images (measured 0.0128 against 0.0152), with no accuracy anywhere."""
    picture = tmp_path / "reconstructions.png"
    result = run_python([str(REPO / "examples" / "autoencoder.py"), "--train-examples", "10000", "--hidden", "256",
                         "--epochs", "8", "--eta", "0.002", "--out", str(picture)])
    assert result.returncode == 0, result.stderr
    found = re.search(r"autoencoder ([0-9.]+) .* PCA with 32 components ([0-9.]+)", result.stdout)
    autoencoder, pca = float(found.group(1)), float(found.group(2))
    assert autoencoder < 0.95 * pca
    assert "accuracy" not in result.stdout and "validation reconstruction cost" in result.stdout
    from tests.png_check import assert_png_not_blank

    pixels = assert_png_not_blank(picture)
    assert pixels.shape[1] > 3 * pixels.shape[0]  # three rows of ten images


def test_som_example_on_the_digits_reaches_minisoms_quantization_error(tmp_path):
    """MiniSom's digits example (30 × 30, σ = 4, η = 0.5, triangle, 5,000 steps): quantization error
    at most 3.05 (MiniSom reports 3.046; measured 3.001) and its two pictures."""
    result = run_python([str(REPO / "examples" / "som.py"), "--out-dir", str(tmp_path)])
    assert result.returncode == 0, result.stderr
    error = float(re.search(r"quantization error ([0-9.]+)", result.stdout).group(1))
    accuracy = float(re.search(r"majority-label test accuracy ([0-9.]+)", result.stdout).group(1))
    assert error <= 3.05 and accuracy > 0.85
    from tests.png_check import assert_png_not_blank

    for name in ("som_digits_map.png", "som_digits_prototypes.png"):
        assert_png_not_blank(tmp_path / name)


def test_denoising_features_prints_three_accuracies_and_restores_masked_images(subset_dir, tmp_path):
    """A short run on the 4,000-image subset: raw pixels, plain codes and denoising codes each get a test
    accuracy well above chance, the denoising autoencoder brings masked test images closer to the clean
    ones than the masked images are, and the figure is drawn (the full-size run is in docs/unsupervised.md)."""
    picture = tmp_path / "dae.png"
    result = run_python([str(REPO / "examples" / "denoising_features.py"), "--data", str(subset_dir),
                         "--epochs", "6", "--classifier-epochs", "4", "--hidden", "128", "--code", "32",
                         "--out", str(picture)])
    assert result.returncode == 0, result.stderr
    for name, size in [("raw pixels", 784), ("autoencoder codes", 32), ("denoising codes", 32)]:
        found = re.search(rf"{name}\s+{size}\s+([0-9.]+)\s+([0-9.]+)", result.stdout)
        assert found and float(found.group(1)) > 0.5, result.stdout
    found = re.search(r"corrupted input ([0-9.]+), plain autoencoder ([0-9.]+), denoising autoencoder ([0-9.]+)",
                      result.stdout)
    corrupted, _, denoised = (float(value) for value in found.groups())
    assert denoised < 0.8 * corrupted
    from tests.png_check import assert_png_not_blank

    pixels = assert_png_not_blank(picture)
    assert pixels.shape[1] > 2 * pixels.shape[0]  # four rows of ten images


@pytest.mark.slow
def test_bayes_by_backprop_example_compares_the_two_networks_and_draws_both_figures(fashion, tmp_path):
    from tests.png_check import assert_png_not_blank

    result = run_python([str(REPO / "examples" / "bayes_by_backprop.py"), "--seeds", "0", "--epochs", "1",
                         "--hidden", "50", "--train-size", "2000", "--samples", "3", "--figures", str(tmp_path),
                         "--json", str(tmp_path / "bayes.json")])
    assert result.returncode == 0, result.stderr
    assert "| Bayes by backprop |" in result.stdout and "mean entropy on noise / on test" in result.stdout
    summary = json.loads((tmp_path / "bayes.json").read_text())["summary"]
    for kind in ("backprop", "bayes"):
        assert 0.5 < summary[kind]["accuracy"][0] <= 1 and 0 <= summary[kind]["ece"][0] < 0.5
    assert summary["ratio_held-out classes"] > 1
    assert_png_not_blank(tmp_path / "bayes_reliability.png")
    assert_png_not_blank(tmp_path / "bayes_entropy.png")


def test_gan_example_writes_sample_grids_the_distance_curve_and_the_generator(fashion, tmp_path):
    """The DCGAN, one epoch on 1,000 images, judged by a CNN trained on 1,000 images for one epoch (a
    quick judge in a fresh cache) against 1,000 test images: the example runs end to end and writes
    what its docs page shows."""
    from tests.png_check import assert_png_not_blank

    from synaptica.io import load_model
    from synaptica.models import GAN

    out = tmp_path / "run"
    result = run_python([str(REPO / "examples" / "gan.py"), "--model", "dcgan", "--train-examples", "1000",
                         "--epochs", "1", "--samples", "200", "--test-images", "1000", "--classifier-epochs", "1",
                         "--classifier-examples", "1000", "--cache-dir", str(tmp_path / "cache"),
                         "--out-dir", str(out)])
    assert result.returncode == 0, result.stderr
    assert re.search(r"Fréchet distance [0-9.]+ untrained, [0-9.]+ after 1 epochs; classifier confidence 0\.\d+; "
                     r"\d+ of 10 classes in 200 samples", result.stdout), result.stdout
    for name in ("samples-00.png", "frechet.png"):
        assert_png_not_blank(out / name)
    generator, _ = load_model(out / "generator.safetensors")
    assert isinstance(generator, GAN)
