"""KMeans against scikit-learn on Fashion-MNIST, reduced to known answers, and its errors."""

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans

from synaptica.errors import ShapeError
from synaptica.unsupervised import KMeans


def test_best_of_ten_restarts_reaches_scikit_learns_inertia(images):
    """Best of the same 10 k-means++ restarts, k = 8 on 5,000 images (a k at which the best of ten
    lands in the same basin from any seed; at k = 10 two basins 0.6 % apart compete)."""
    ours = KMeans(8, n_init=10, random_state=0).fit(images)
    theirs = SklearnKMeans(8, n_init=10, random_state=0).fit(images)
    assert abs(ours.inertia_ - theirs.inertia_) / theirs.inertia_ <= 1e-3
    assert ours.cluster_centers_.shape == (8, 784) and ours.labels_.shape == (5000,)
    assert np.array_equal(ours.predict(images), ours.labels_)
    assert ours.score(images) == pytest.approx(-ours.inertia_, rel=1e-9)


def test_lloyd_from_the_same_start_converges_to_scikit_learns_centres(images):
    start = images[:10]
    ours = KMeans(10, init=start).fit(images)
    theirs = SklearnKMeans(10, init=start, n_init=1, algorithm="lloyd").fit(images)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, atol=1e-8)
    assert np.array_equal(ours.labels_, theirs.labels_)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.transform(images[:50]), theirs.transform(images[:50]), atol=1e-8)


def test_as_many_clusters_as_points_leaves_no_error(images):
    points = images[:40]
    model = KMeans(40, n_init=2, random_state=1).fit(points)
    assert model.inertia_ == pytest.approx(0, abs=1e-6)
    assert sorted(model.labels_) == list(range(40))


def test_an_empty_cluster_takes_the_farthest_point():
    x = np.array([[0.0], [1.0], [10.0]])
    model = KMeans(2, init=np.array([[0.5], [100.0]])).fit(x)  # the far centre takes no point at first
    assert sorted(model.cluster_centers_.ravel()) == [0.5, 10.0] and model.inertia_ == pytest.approx(0.5)


def test_the_same_seed_gives_the_same_clustering(images):
    a, b = (KMeans(5, n_init=2, random_state=3).fit(images[:500]) for _ in range(2))
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_)


def test_bad_inputs_are_refused_with_both_sizes(images):
    with pytest.raises(ValueError, match=r"KMeans\(n_clusters=6\): 5 points cannot make 6 clusters"):
        KMeans(6).fit(images[:5])
    model = KMeans(3, n_init=1, random_state=0).fit(images[:100])
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ShapeError, match=r"fitted on 784 features but got points with 783"):
            method(images[:4, :783])
    with pytest.raises(RuntimeError, match="not fitted yet"):
        KMeans(3).predict(images[:4])
    with pytest.raises(ValueError, match=r"init holds centres of shape \(2, 784\), expected \(3, 784\)"):
        KMeans(3, init=images[:2]).fit(images[:10])
    with pytest.raises(ValueError, match="n_clusters"):
        KMeans(0).fit(images[:10])
    with pytest.raises(ShapeError, match=r"expected \(points, features\)"):
        KMeans(2).fit(images[0])
    with pytest.raises(ValueError, match="NaN or infinite"):
        KMeans(2).fit(np.array([[0.0], [np.nan]]))


def _plain_lloyd(x, centres, iterations):
    """Lloyd's algorithm written out: every distance measured, every sum taken afresh (float64)."""
    for _ in range(iterations):
        labels = ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
        centres = np.stack([x[labels == j].mean(axis=0) for j in range(len(centres))])
    return centres, ((x[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_skipping_settled_points_and_correcting_sums_changes_no_label(images, dtype):
    """The bounds skip distances and the sums are corrected, not retaken: the labels and centres after
    each number of iterations are those of Lloyd's algorithm written out."""
    x = images[:1500].astype(dtype)
    for iterations in (1, 3, 12):
        ours = KMeans(12, init=x[:12], max_iter=iterations, tol=0.0).fit(x)
        centres, labels = _plain_lloyd(x.astype(np.float64), x[:12].astype(np.float64), iterations)
        assert np.array_equal(ours.labels_, labels), iterations
        np.testing.assert_allclose(ours.cluster_centers_, centres, atol=1e-5 if dtype == np.float32 else 1e-10)
