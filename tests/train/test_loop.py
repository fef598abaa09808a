"""The one loop with any data: sources, rule metrics, evaluators, named history, early stopping on any metric."""

import numpy as np
import pytest

from synaptica import Backprop, LogLikelihoodCost, QuadraticCost, SGD, fit
from synaptica.data.loaders import ArraySource
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.train import Classification, EarlyStopping, History, Reconstruction, StopTraining


def _classifier(seed=0):
    model = mlp([784, 16, 10], "relu", init="he", rng=seed)
    return model, Backprop(LogLikelihoodCost(), SGD(model.parameters(), 0.1))


def test_the_shorthand_and_the_explicit_objects_are_the_same_run(fashion):
    """validation=/patience=/restore_best= are shorthand for an evaluator and a callback: bitwise equal."""
    x, y = fashion.train.x[:600], fashion.train.y[:600]
    xv, yv = fashion.validation.x[:200], fashion.validation.y[:200]
    model_a, rule_a = _classifier()
    short = fit(model_a, rule_a, (x, y), epochs=3, batch_size=20, rng=1, validation=(xv, yv), restore_best=True,
                verbose=False)
    model_b, rule_b = _classifier()
    explicit = fit(model_b, rule_b, ArraySource(x, y, batch_size=20), epochs=3, rng=1, verbose=False,
                   evaluators=[Classification(xv, yv, rule_b.cost)],
                   callbacks=[EarlyStopping("validation_accuracy", "max", restore_best=True, verbose=False)])
    assert short.metrics == explicit.metrics
    assert all(np.array_equal(p.data, q.data) for p, q in zip(model_a.parameters(), model_b.parameters()))


class _CountingSource:
    """A source of any shape: it yields whatever batches it likes, here numbered ones built from the model."""

    def __init__(self, x, y):
        self.x, self.y, self.calls = x, y, []

    def batches(self, model, rng):
        self.calls.append(model)
        for start in range(0, len(self.x), 50):
            yield self.x[start:start + 50], self.y[start:start + 50]


def test_any_object_with_batches_is_a_source_and_sees_the_model(fashion):
    model, rule = _classifier()
    source = _CountingSource(fashion.train.x[:200], fashion.train.y[:200])
    history = fit(model, rule, source, epochs=2, verbose=False)
    assert source.calls == [model, model]
    assert [len(losses) for losses in history.step_losses] == [4, 4]
    assert "train_accuracy" in history.metrics and np.isnan(history.train_accuracy[0])  # examples unknown


class _MetricRule:
    """A rule reporting metrics of its own: they become train_<name> series, averaged per epoch."""

    def __init__(self):
        self.steps = 0

    def bind(self, model, rng):
        self.rng = rng

    def step(self, model, batch):
        self.steps += 1
        return {"loss": 1.0, "fitness": float(self.steps), "checked": True}


def test_a_rules_metrics_become_named_series(fashion):
    history = fit(mlp([784, 4, 10], rng=0), _MetricRule(), (fashion.train.x[:40], fashion.train.y[:40]),
                  epochs=2, batch_size=10, verbose=False)
    assert history["train_fitness"] == [2.5, 6.5] and history["train_checked"] == [1.0, 1.0]
    assert history.train_cost == [1.0, 1.0] and "validation_accuracy" not in history
    assert [row["epoch"] for row in history.as_rows()] == [0, 1]  # rows without a validation set
    with pytest.raises(KeyError, match="has no metric 'nothing'"):
        history["nothing"]


def test_inputs_alone_train_an_autoencoder_selected_on_reconstruction(fashion, capsys):
    x = fashion.train.x[:500]
    model = mlp([784, 32, 784], "relu", output_activation="sigmoid", init="he", rng=0)
    rule = Backprop(QuadraticCost(), Adam(model.parameters(), 1e-3))
    keep = EarlyStopping("validation_cost", mode="min", restore_best=True)
    history = fit(model, rule, x, epochs=3, batch_size=25, rng=0, callbacks=[keep],
                  evaluators=[Reconstruction(fashion.validation.x[:200], QuadraticCost())])
    assert not any("accuracy" in name for name in history.metrics)
    assert history["validation_cost"][-1] < history["validation_cost"][0]
    assert history["validation_mse"][-1] < history["validation_mse"][0]
    assert "Epoch 2: validation reconstruction cost" in capsys.readouterr().out


def test_early_stopping_follows_a_metric_to_minimise():
    history, stopper = History(), EarlyStopping("validation_cost", "min", patience=2)
    reasons = []
    for epoch, cost in enumerate([3.0, 2.0, 2.5, 2.0, 1.0]):
        history.epochs.append(epoch)
        history.series("validation_cost").append(cost)
        try:
            stopper(epoch, history, None)
        except StopTraining as stop:
            reasons.append((epoch, str(stop)))
    # 2.0 at epoch 3 only equals the best: no improvement, so the second epoch without one stops
    assert reasons[0] == (3, "no better validation cost for 2 epochs (best 2.0000)")
    with pytest.raises(ValueError, match="monitors 'validation_mse', which no evaluator"):
        EarlyStopping("validation_mse")(0, history, None)
    with pytest.raises(ValueError, match="mode must be 'max' or 'min'"):
        EarlyStopping("validation_cost", "down")


def test_bad_data_is_refused_with_what_fit_accepts(fashion):
    model, rule = _classifier()
    with pytest.raises(TypeError, match="data must be \\(x, y\\) arrays, an array x"):
        fit(model, rule, "fashion-mnist", epochs=1, batch_size=10)
    with pytest.raises(TypeError, match="give batch_size and augment to the source"):
        fit(model, rule, ArraySource(fashion.train.x[:10], batch_size=5), epochs=1, batch_size=10)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0"):
        fit(model, rule, (fashion.train.x[:10], fashion.train.y[:10]), epochs=1.5, batch_size=5)
