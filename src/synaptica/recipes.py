"""Training recipes: the settings ``synaptica train`` and ``synaptica search`` start from.

One module that both front ends read, so a default is written once: the command line's options
take these values when not given, and a search space's settings default to them.
"""

from __future__ import annotations

#: The default MLP recipe: [784, 256, 128, 10] ReLU with He initialisation, softmax log-likelihood,
#: plain SGD with η = 0.1, L2 λ = 0.5, mini-batches of 32, 20 epochs. On Fashion-MNIST this reaches
#: about 0.89 test accuracy in well under a minute on 2 cores (docs/results.md has the measured figures).
DEFAULTS = {
    "hidden": "256,128", "activation": "relu", "cost": "log-likelihood", "init": "he",
    "eta": 0.1, "lmbda": 0.5, "batch_size": 32, "epochs": 20, "rule": "backprop", "seed": 0,
}

#: ``--model cnn``: :func:`synaptica.nn.cnn.cnn` (conv 32 → pool → conv 64 → pool → FC 256 with
#: dropout 0.5) trained with Adam from η = 0.001 down a cosine to η/100 by the last epoch, no L2
#: (dropout regularises), mini-batches of 64, 10 epochs; these are the settings whose defaults
#: differ between the two models (docs/results.md has the measured accuracy).
CNN_DEFAULTS = {"eta": 0.001, "lmbda": 0.0, "batch_size": 64, "epochs": 10, "schedule": "cosine"}

#: ``--model snn``: a spiking network trained by STDP (:mod:`synaptica.cli.snn`): one pass over the
#: training images as Diehl and Cook (2015) make, 16 images shown at once.
SNN_DEFAULTS = {"batch_size": 16, "epochs": 1}

#: ``--model lstm`` (also ``gru``, ``rnn``, ``irnn``): :func:`synaptica.nn.sequence_models.sequence_classifier`,
#: the image read row by row by one recurrent layer of 128 units, its last state to the logits, trained
#: with Adam from η = 0.001 down a cosine to η/100, no L2, mini-batches of 64, 15 epochs
#: (docs/recurrent.md has the measured accuracies).
RECURRENT_DEFAULTS = {"eta": 0.001, "lmbda": 0.0, "batch_size": 64, "epochs": 15, "schedule": "cosine"}

#: The recurrent network kinds of ``--model``.
RECURRENT_MODELS = ("lstm", "gru", "rnn", "irnn")

#: The network kinds ``synaptica train --model`` builds.
MODELS = ("mlp", "cnn", "snn", *RECURRENT_MODELS)

#: ``--rule evolution-strategies``: the settings whose defaults differ for it. Each generation scores a
#: population of networks on one mini-batch, so the batch is large (500: a less noisy fitness) and
#: Adam applies the estimate with η = 0.01 falling along a cosine to η/100, as Salimans et al. (2017)
#: use Adam; 100 networks per generation with σ = 0.02, 20 epochs (2,000 generations on
#: Fashion-MNIST; docs/rules.md has the measured figures).
ES_DEFAULTS = {"eta": 0.01, "batch_size": 500, "epochs": 20, "optimizer": "adam", "schedule": "cosine",
               "population": 100, "sigma": 0.02}

#: ``--rule synthetic-gradients``: Adam with η = 0.001 for the network. Plain SGD with η = 0.1 lets the
#: hidden blocks follow the predictors' early guesses far enough to diverge; Adam's small steps keep
#: them near where the predictors can learn (docs/rules.md has the measured figures).
DNI_DEFAULTS = {"eta": 0.001, "optimizer": "adam"}

#: The settings whose defaults depend on the model and the rule (the command line fills them in).
VARYING = ("eta", "lmbda", "batch_size", "epochs", "schedule", "optimizer")


def recipe(model: str, rule: str) -> dict:
    """The defaults of the settings in :data:`VARYING` for ``model`` trained by ``rule``: the MLP
    recipe, the CNN's where it differs, then evolution strategies' or synthetic gradients' where they differ."""
    settings = {**DEFAULTS, "schedule": "constant", "optimizer": "sgd"}
    if model == "cnn":
        settings.update(CNN_DEFAULTS, optimizer="adam")
    if model == "snn":
        settings.update(SNN_DEFAULTS)
    if model in RECURRENT_MODELS:
        settings.update(RECURRENT_DEFAULTS, optimizer="adam")
    if rule == "evolution-strategies":
        settings.update(ES_DEFAULTS)
    if rule == "synthetic-gradients":
        settings.update(DNI_DEFAULTS)
    return {name: settings[name] for name in VARYING}
