"""Shared fixtures: the real Fashion-MNIST data and a small IDX subset directory made from it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synaptica.data import load_dataset, read_idx, write_idx

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def fashion():
    """Debian's Fashion-MNIST, split 50k / 10k / 10k."""
    if not (FASHION_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.fail("Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (as .ci/run does)")
    return load_dataset("fashion-mnist")


@pytest.fixture(scope="session")
def subset_dir(tmp_path_factory):
    """A directory with the four standard IDX files: the first 4,000 training and 1,000 test images."""
    return fashion_subset(tmp_path_factory.mktemp("fashion-subset"), 4000, 1000)


def fashion_subset(directory: Path, train: int, test: int) -> Path:
    """Write the first ``train`` training and ``test`` test images of Fashion-MNIST as IDX files."""
    for stem, count in [("train-images-idx3-ubyte", train), ("train-labels-idx1-ubyte", train),
                        ("t10k-images-idx3-ubyte", test), ("t10k-labels-idx1-ubyte", test)]:
        write_idx(directory / f"{stem}.gz", read_idx(FASHION_DIR / f"{stem}.gz")[:count])
    return directory


def run_python(code_or_args, *, cwd=REPO, timeout=600, env_extra=None) -> subprocess.CompletedProcess:
    """Run a fresh Python process (``-c CODE`` when given a string) with BLAS fixed at one thread."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO / "src"))
    env.update(env_extra or {})
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else list(code_or_args)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def one_torch_thread():
    """Tiny tensors: torch's thread pool only adds contention (tens of ms a step on a busy machine).
    Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
