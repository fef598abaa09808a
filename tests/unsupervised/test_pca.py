"""PCA against scikit-learn on Fashion-MNIST, reduced to known answers, and its errors."""

import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from synaptica.errors import ShapeError
from synaptica.unsupervised import PCA


@pytest.mark.parametrize("n_components", [50, 0.9, None])
def test_explained_variance_and_components_match_scikit_learn(images, n_components):
    ours = PCA(n_components).fit(images)
    theirs = SklearnPCA(n_components, svd_solver="full").fit(images)
    assert ours.n_components_ == theirs.n_components_
    top = slice(0, min(ours.n_components_, 300))  # beyond, the variances are near rounding
    np.testing.assert_allclose(ours.explained_variance_[top], theirs.explained_variance_[top], rtol=1e-5)
    np.testing.assert_allclose(ours.explained_variance_ratio_[top], theirs.explained_variance_ratio_[top], rtol=1e-5)
    np.testing.assert_allclose(ours.singular_values_[top], theirs.singular_values_[top], rtol=1e-5)
    signs = np.sign(np.sum(ours.components_[top] * theirs.components_[top], axis=1))
    np.testing.assert_allclose(ours.components_[top], signs[:, None] * theirs.components_[top], atol=1e-6)
    assert (signs == 1).all()  # the same convention: each component's largest entry positive
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12)


def test_whitened_coordinates_match_scikit_learn_and_have_unit_variance(images):
    ours = PCA(20, whiten=True).fit(images)
    theirs = SklearnPCA(20, whiten=True, svd_solver="full").fit(images)
    z = ours.transform(images)
    np.testing.assert_allclose(z, theirs.transform(images), atol=1e-6)
    np.testing.assert_allclose(z.var(axis=0, ddof=1), 1, rtol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(z), theirs.inverse_transform(z), atol=1e-6)


def test_inverse_transform_undoes_transform_on_the_components_span(images):
    pca = PCA(30).fit(images)
    z = pca.transform(images[:100])
    np.testing.assert_allclose(pca.transform(pca.inverse_transform(z)), z, atol=1e-8)


def test_all_components_reconstruct_exactly(images):
    points = images[:300]
    pca = PCA().fit(points)
    assert pca.n_components_ == 300
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(points)), points, atol=1e-9)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1, abs=1e-12)


def test_bad_inputs_are_refused_with_both_sizes(images):
    with pytest.raises(ValueError, match=r"800 components asked of data with 784 features and 5000 points"):
        PCA(800).fit(images)
    with pytest.raises(ValueError, match=r"at most min\(points, features\) = 10"):
        PCA(11).fit(images[:10])
    pca = PCA(5).fit(images[:100])
    with pytest.raises(ShapeError, match="fitted on 784 features but got points with 785"):
        pca.transform(np.zeros((3, 785)))
    with pytest.raises(ValueError, match=r"coordinates of shape \(3, 4\); expected \(points, 5\)"):
        pca.inverse_transform(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"fraction of variance must lie in \(0, 1\)"):
        PCA(1.5).fit(images[:100])
    with pytest.raises(ValueError, match="at least 2 points"):
        PCA(1).fit(images[:1])
    with pytest.raises(RuntimeError, match="not fitted yet"):
        PCA(2).transform(images[:3])
