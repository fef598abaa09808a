"""Optimizers and learning rules by name: the one constructor the command line and search share."""

import numpy as np
import pytest
import torch

from synaptica.losses import LogLikelihoodCost
from synaptica.nn import mlp
from synaptica.optim import OPTIMIZERS, SGD, make_optimizer
from synaptica.rules import RULES, Backprop, DampedNewton, FeedbackAlignment, make_rule

from tests.optim.twins import SIZES, make_batches, torch_twin

N_EXAMPLES = 100
LMBDA = 5.0

TORCH_OPTIMIZERS = {"adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}
TORCH_SETTINGS = {"adam": {}, "rmsprop": {"alpha": 0.99, "eps": 1e-8}, "adagrad": {"eps": 1e-10}}


def test_every_name_builds_its_class():
    model = mlp(SIZES, "sigmoid", rng=0)
    for name, cls in OPTIMIZERS.items():
        assert type(make_optimizer(name, model.parameters(), 0.01)) is cls


@pytest.mark.parametrize("name", sorted(TORCH_OPTIMIZERS))
def test_lambda_is_the_same_l2_cost_for_adaptive_optimizers(name, one_torch_thread):
    """λ with Adam, RMSProp or Adagrad is Nielsen's (λ/2n) Σ w² on the weights (not the biases):
    PyTorch's weight_decay = λ/n on the weights only is the same gradient term."""
    model = mlp(SIZES, "sigmoid", rng=1)
    twin = torch_twin(model)
    ours = make_optimizer(name, model.parameters(), 0.01, lmbda=LMBDA, n_examples=N_EXAMPLES)
    weights = [p for p in twin.parameters() if p.ndim == 2]
    biases = [p for p in twin.parameters() if p.ndim == 1]
    theirs = TORCH_OPTIMIZERS[name]([{"params": weights, "weight_decay": LMBDA / N_EXAMPLES},
                                     {"params": biases, "weight_decay": 0.0}], lr=0.01, **TORCH_SETTINGS[name])
    rule = Backprop(LogLikelihoodCost(), ours)
    for x, y in make_batches(3, 25):
        rule.step(model, (x, y))
        theirs.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        theirs.step()
    for mine, yours in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(mine.data, yours.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_lambda_for_sgd_is_its_own_weight_shrink():
    model = mlp(SIZES, "sigmoid", rng=0)
    optimizer = make_optimizer("sgd", model.parameters(), 0.5, lmbda=LMBDA, n_examples=N_EXAMPLES, momentum=0.9)
    assert isinstance(optimizer, SGD)
    assert (optimizer.lmbda, optimizer.n_examples, optimizer.momentum) == (LMBDA, N_EXAMPLES, 0.9)
    assert optimizer.regularizers == ()


def test_bad_names_and_misplaced_momentum_are_clear_errors():
    params = mlp(SIZES, "sigmoid", rng=0).parameters()
    with pytest.raises(ValueError, match="unknown optimizer 'adma'.*adam"):
        make_optimizer("adma", params, 0.01)
    with pytest.raises(ValueError, match="momentum belongs to SGD"):
        make_optimizer("adam", params, 0.01, momentum=0.9)
    with pytest.raises(ValueError, match="n_examples"):
        make_optimizer("adam", params, 0.01, lmbda=1.0)
    with pytest.raises(ValueError, match="unknown learning rule 'backpropagation'"):
        make_rule("backpropagation", LogLikelihoodCost(), None)


def test_rules_by_name():
    import synaptica.rules as rules

    cost = LogLikelihoodCost()
    optimizer = make_optimizer("sgd", mlp(SIZES, "sigmoid", rng=0).parameters(), 0.1)
    assert set(RULES) == {"backprop", "feedback-alignment", "direct-feedback-alignment", "evolution-strategies",
                          "damped-newton", "minibatch-kmeans", "hebb", "oja", "sanger", "som", "batch-som",
                          "variational", "stdp", "teacher-forcing", "adversarial", "contrastive-divergence",
                          "synthetic-gradients"}
    assert set(rules.NETWORK_RULES) == set(RULES) - {"minibatch-kmeans", "hebb", "oja", "sanger", "som", "batch-som",
                                                     "variational", "stdp", "teacher-forcing", "adversarial",
                                                     "contrastive-divergence"}
    backprop = make_rule("backprop", cost, optimizer)
    assert isinstance(backprop, Backprop) and backprop.optimizer is optimizer
    assert isinstance(make_rule("feedback-alignment", cost, optimizer), FeedbackAlignment)
    assert isinstance(make_rule("damped-newton", cost, optimizer), DampedNewton)  # takes no optimizer


def test_the_rule_registry_is_the_rule_classes_by_their_own_names():
    """Every rule class the package exports is in RULES under its ``name``, and nothing else is."""
    import synaptica.rules as rules

    classes = {value for value in vars(rules).values()
               if isinstance(value, type) and callable(getattr(value, "step", None)) and isinstance(
                   getattr(value, "name", None), str) and value is not rules.GradientRule}
    assert {cls.name: cls for cls in classes} == RULES
    assert isinstance(make_rule("oja", learning_rate=0.01), rules.Oja)
    assert isinstance(make_rule("som", iterations=10, sigma=2.0), rules.OnlineSOM)
