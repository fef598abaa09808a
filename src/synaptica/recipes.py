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

#: The network kinds ``synaptica train --model`` builds.
MODELS = ("mlp", "cnn")
