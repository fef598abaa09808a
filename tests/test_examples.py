"""The seeds' programs in examples/ run and give the seeds' numbers."""

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
