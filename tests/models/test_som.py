"""The self-organizing map model: its grid, its initialisations, its two errors on cases with known
answers, the majority-label classifier and the inputs it refuses."""

import numpy as np
import pytest

from synaptica.errors import ShapeError
from synaptica.models import SelfOrganizingMap
from synaptica.models.som import grid_coordinates
from synaptica.train import MapQuality, predict


def test_units_are_numbered_row_by_row():
    assert grid_coordinates(2, 3).tolist() == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]


def test_quantization_and_topographic_error_on_a_constructed_map():
    """On a 1 × 3 map with prototypes 0, 1 and 10 every point's two best units are neighbours, and the
    quantization error is the mean plain distance to the nearest prototype. On a 1 × 4 map whose first
    and last prototypes are 0 and 1, a point near 0 has its best two units three steps apart."""
    som = SelfOrganizingMap(1, 3, np.array([[0.0], [1.0], [10.0]]))
    x = np.array([[0.5], [4.0], [9.0], [12.0]])
    assert som.quantization_error(x) == pytest.approx((0.5 + 3.0 + 1.0 + 2.0) / 4)
    assert som.topographic_error(x) == 0.0
    far = SelfOrganizingMap(1, 4, np.array([[0.0], [5.0], [6.0], [1.0]]))  # 0 and 1 are 3 steps apart
    points = np.array([[0.4], [5.4], [0.6]])  # (0, 3): apart; (1, 2): neighbours; (3, 0): apart
    assert far.topographic_error(points) == pytest.approx(2 / 3)
    assert MapQuality(points, "train")(far) == {"train_quantization_error": pytest.approx((0.4 + 0.4 + 0.4) / 3),
                                                "train_topographic_error": pytest.approx(2 / 3)}
    assert np.isnan(SelfOrganizingMap(1, 1, np.zeros((1, 1))).topographic_error(points))


def test_diagonal_units_are_neighbours():
    som = SelfOrganizingMap(2, 2, np.array([[0.0, 0.0], [9.0, 9.0], [8.0, 8.0], [1.0, 1.0]]))
    assert som.topographic_error(np.array([[0.4, 0.4]])) == 0.0  # units 0 and 3: diagonal


def test_forward_is_the_distance_to_every_prototype():
    rng = np.random.default_rng(0)
    som = SelfOrganizingMap.random(3, 4, rng.normal(size=(50, 5)), rng=1, dtype=np.float64)
    x = rng.normal(size=(7, 5))
    distances = np.sqrt(((x[:, None] - som.prototypes) ** 2).sum(-1))
    np.testing.assert_allclose(predict(som, x), distances, rtol=1e-6)
    assert np.array_equal(som.best_matching_units(x), distances.argmin(axis=1))
    assert som.hits(x).shape == (3, 4) and som.hits(x).sum() == 7


def test_random_prototypes_are_rows_of_the_data_drawn_with_the_generator():
    x = np.arange(40.0).reshape(20, 2)
    one, two = SelfOrganizingMap.random(2, 2, x, rng=3), SelfOrganizingMap.random(2, 2, x, rng=3)
    assert np.array_equal(one.prototypes, two.prototypes)
    assert all(any(np.array_equal(p, row) for row in x.astype(np.float32)) for p in one.prototypes)


def test_pca_initialisation_spans_the_first_two_components_around_the_mean():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3)) * [5.0, 2.0, 0.1] + [1.0, 2.0, 3.0]
    som = SelfOrganizingMap.pca(3, 5, x)
    corners = som.prototypes.reshape(3, 5, 3)
    np.testing.assert_allclose(corners[1, 2], x.mean(axis=0), atol=1e-12)  # the centre unit
    first, second = (corners[2, 2] - corners[1, 2]), (corners[1, 4] - corners[1, 2])
    np.testing.assert_allclose(np.abs(first), [1, 0, 0], atol=0.05)  # rows along the largest component
    np.testing.assert_allclose(np.abs(second), [0, 1, 0], atol=0.05)


def test_majority_labels_and_the_nearest_labelled_unit_for_units_without_hits():
    som = SelfOrganizingMap(1, 4, np.array([[0.0], [10.0], [20.0], [100.0]]))
    x = np.array([[0.1], [0.2], [-0.1], [9.0], [11.0], [19.0]])
    y = np.array([3, 3, 1, 2, 2, 5])
    assert som.majority_labels(x, y).tolist() == [3, 2, 5, 5]  # unit 3 wins nothing: unit 2 is nearest
    assert som.predict(np.array([[1.0], [95.0]])).tolist() == [3, 5]
    with pytest.raises(ShapeError, match="one integer label per point"):
        som.majority_labels(x, y[:3])
    with pytest.raises(RuntimeError, match="no labels yet"):
        SelfOrganizingMap(1, 1, np.zeros((1, 1))).predict(x)


def test_the_u_matrix_is_the_mean_distance_to_grid_neighbours():
    som = SelfOrganizingMap(1, 3, np.array([[0.0], [1.0], [4.0]]))
    np.testing.assert_allclose(som.u_matrix(), [[1.0, 2.0, 3.0]])


def test_bad_grids_and_widths_are_refused():
    with pytest.raises(ValueError, match="rows must be an integer >= 1"):
        SelfOrganizingMap.pca(0, 5, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="columns must be an integer >= 1"):
        SelfOrganizingMap.random(3, 0, np.zeros((10, 3)))
    with pytest.raises(ShapeError, match=r"a 2 × 2 map needs prototypes of shape \(4, features\)"):
        SelfOrganizingMap(2, 2, np.zeros((3, 5)))
    som = SelfOrganizingMap(2, 2, np.zeros((4, 3)))
    with pytest.raises(ShapeError, match="prototypes have 3 features but the data's points have 5"):
        som.quantization_error(np.zeros((2, 5)))
    with pytest.raises(ShapeError, match="prototypes have 3 features but the data's points have 4"):
        predict(som, np.zeros((2, 4)))
