"""5,000 Fashion-MNIST training images as float64 rows, shared by the estimator tests."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def images(fashion):
    return fashion.train.x[:5000].reshape(5000, -1).astype(np.float64)
