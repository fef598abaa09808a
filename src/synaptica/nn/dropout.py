"""Dropout: during training, silence each unit at random; at evaluation, do nothing."""

from __future__ import annotations

from synaptica import ops
from synaptica.checks import probability
from synaptica.nn.module import Module
from synaptica.random import SeedLike, as_generator
from synaptica.tensor import Tensor


class Dropout(Module):
    """Inverted dropout: in training mode keep each unit with probability 1 − p and scale it by
    1/(1 − p); in evaluation mode (``model.eval()``, and always in ``predict``/``evaluate``) pass the
    input through unchanged.

    A fresh mask is drawn for every forward pass, so each mini-batch trains a different thinned
    network, and the full network at test time acts like an average of all of them (Nielsen, ch. 3;
    the lecture notes call dropout "a kind of ensemble").

    **Relation to Nielsen's version.** Nielsen deletes half the hidden neurons while training and,
    when the full network runs, halves the weights going out of them, since twice as many neurons
    are then active. In general, with drop probability p, the test-time weights are multiplied by
    1 − p. Inverted dropout moves that correction to training time instead: a kept activation is
    divided by 1 − p, so its expected value is

        E[m·a] = (1 − p) · a / (1 − p) = a,

    the activation the unchanged network produces at test time. Both give the next layer the same
    expected input, but here the trained weights are used as they are, and evaluation needs no
    special case (and no rescaling of saved weights).

    Reference: N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "Dropout:
    a simple way to prevent neural networks from overfitting", JMLR 15, 2014.

    Args:
        p: the probability of dropping a unit, in [0, 1) (default 0.5, Nielsen's "half").
        rng: a seed or Generator for the masks: the same seed gives the same masks. ``mlp`` passes
            its own Generator, so a network built from a seed drops the same units every run. A loaded
            model gets a fresh Generator; set ``layer.rng`` to make its training repeatable.
    """

    def __init__(self, p: float = 0.5, rng: SeedLike = None):
        self.p = probability("Dropout", "p", p, one=False)
        self.rng = as_generator(rng)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        return ops.dropout(x, self.p, self.rng)

    def config(self) -> dict:
        return {"type": "Dropout", "p": self.p}
