"""Mini-batch k-means as a rule of the loop: near batch k-means through fit, exact as a running mean,
resumable from its state."""

import numpy as np
import pytest

from synaptica import fit
from synaptica.models import Centres
from synaptica.rules import RULES, MiniBatchKMeans, make_rule
from synaptica.train import Quantization, predict
from synaptica.train.checkpoints import Checkpoint
from synaptica.unsupervised import KMeans


def test_fit_reaches_the_inertia_of_batch_kmeans_within_a_few_percent(images):
    x = images.astype(np.float32)
    model = Centres.seeded(x[:1024], 8, rng=0)
    history = fit(model, MiniBatchKMeans(), x, epochs=5, batch_size=256, rng=0, verbose=False,
                  evaluators=[Quantization(x, "train")])
    batch = KMeans(8, n_init=10, random_state=0).fit(images)
    inertia = history["train_inertia"]
    assert inertia[-1] <= inertia[0] and inertia[-1] <= 1.04 * batch.inertia_
    assert history["train_quantization"][-1] == pytest.approx(inertia[-1] / len(x))
    np.testing.assert_allclose(predict(model, x[:5]), np.sqrt(((x[:5, None] - model.centres) ** 2).sum(-1)), rtol=1e-4)


def test_a_step_makes_each_centre_the_mean_of_every_point_it_took():
    """Sculley's η = 1/v per point is the running mean: after two batches each centre is the mean of
    the points assigned to it (its starting value forgotten once it takes a point)."""
    centres = Centres(np.array([[0.0, 0.0], [10.0, 10.0]]))
    rule = MiniBatchKMeans()
    rule.bind(centres, np.random.default_rng(0))
    first, second = np.array([[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]), np.array([[2.0, 2.0], [11.0, 12.0]])
    metrics = rule.step(centres, (first,))
    assert metrics["inertia"] == pytest.approx(1 + 1 + 2)
    rule.step(centres, (second,))
    np.testing.assert_allclose(centres.centres, [[1.0, 1.0], [10.0, 10.5]])
    assert list(rule.counts) == [3, 2]


def test_the_counts_are_the_state_a_resumed_run_needs():
    rule = MiniBatchKMeans()
    centres = Centres(np.zeros((3, 2)))
    rule.bind(centres, np.random.default_rng(0))
    rule.step(centres, (np.array([[1.0, 1.0], [2.0, 2.0]]),))
    again = MiniBatchKMeans()
    again.load_state_dict(rule.state_dict())
    again.bind(Centres(np.zeros((3, 2))), np.random.default_rng(0))
    assert np.array_equal(again.counts, rule.counts)


def test_the_rule_is_registered_and_refuses_other_models():
    assert RULES["minibatch-kmeans"] is MiniBatchKMeans
    assert isinstance(make_rule("minibatch-kmeans", None, None), MiniBatchKMeans)
    from synaptica.nn import mlp

    with pytest.raises(TypeError, match="trains the centres of a Centres model, got Sequential"):
        MiniBatchKMeans().bind(mlp([4, 2]), np.random.default_rng(0))
    rule, centres = MiniBatchKMeans(), Centres(np.zeros((2, 3)))
    rule.bind(centres, np.random.default_rng(0))
    with pytest.raises(ValueError, match="the centres have 3 features but the batch's points have 4"):
        rule.step(centres, (np.zeros((5, 4)),))
    with pytest.raises(ValueError, match="5 points cannot seed 6 centres"):
        Centres.seeded(np.zeros((5, 3)), 6)


def test_a_run_resumed_from_a_checkpoint_ends_with_the_same_centres(images, tmp_path):
    """The centres are the model's buffer and the counts the rule's state: both go into the checkpoint,
    so two epochs, then a third resumed from the file, give bitwise the centres of three at once."""
    x = images[:2000].astype(np.float32)

    def train(directory, epochs, resume=None):
        model = Centres.seeded(x[:500], 6, rng=0)
        fit(model, MiniBatchKMeans(), x, epochs=epochs, batch_size=128, rng=0, verbose=False,
            callbacks=[Checkpoint(directory)], resume=resume)
        return model.centres

    whole = train(tmp_path / "whole", 3)
    train(tmp_path / "first", 2)
    assert np.array_equal(train(tmp_path / "resumed", 3, resume=tmp_path / "first"), whole)
