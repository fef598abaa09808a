"""The checks every estimator makes of the arrays it is given, with messages that name both sizes."""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError


def data_matrix(owner: str, x) -> np.ndarray:
    """``x`` as a 2-D float array, one point per row (images are flattened, float32 and float64 kept,
    integers and booleans made float64).

    Raises:
        TypeError: ``x`` does not hold numbers.
        ShapeError: ``x`` is not at least 2-D, or holds no points.
        ValueError: ``x`` holds NaN or infinite values.
    """
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: the data must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim < 2:
        raise ShapeError(f"{owner} got data of shape {array.shape}; expected (points, features): "
                         "one point per row (reshape a single point with x[None])")
    if len(array) == 0:
        raise ShapeError(f"{owner} got data of shape {array.shape}: no points")
    array = array.reshape(len(array), -1)
    if array.dtype.kind != "f" or array.dtype == np.float16:
        array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{owner}: the data hold {int(np.count_nonzero(~np.isfinite(array)))} NaN or infinite values")
    return array


def check_features(owner: str, x: np.ndarray, features: int) -> np.ndarray:
    """``x`` (already a :func:`data_matrix`) when it has the ``features`` the estimator was fitted on."""
    if x.shape[1] != features:
        raise ShapeError(f"{owner} was fitted on {features} features but got points with {x.shape[1]} "
                         f"(data of shape {x.shape})")
    return x


def check_fitted(estimator, attribute: str) -> None:
    """Refuse to use an estimator before ``fit``: its fitted ``attribute`` does not exist yet."""
    if not hasattr(estimator, attribute):
        raise RuntimeError(f"{estimator!r} is not fitted yet; call fit(x) first")
