"""Adversarial training of a GAN (Goodfellow et al. 2014): two players, two optimizers, one loop.

Each batch of real images x (n rows) gives the discriminator D one step: with fresh noise z from the
rule's own stream and the generator's samples G(z) held fixed, D ascends

    V(D) = (1/n) Σ ln D(x) + (1/n) Σ ln(1 − D(G(z)))

by descending its negative, the cross-entropy of a logistic regression that labels real rows 1 and
generated rows 0 (``discriminator_loss``). After every k discriminator steps (Algorithm 1 of the paper;
each of the k sees its own batch of data) the generator takes one step on fresh noise, with D fixed.

**The non-saturating generator loss.** The minimax game has G descend (1/n) Σ ln(1 − D(G(z))). Early
on D rejects G's samples with confidence, D(G(z)) ≈ 0, where that cost is flat: with D = σ(a), its
gradient with respect to the logit a is −σ(a) ≈ 0. The paper's fix, used here, has G descend

    C_G = −(1/n) Σ ln D(G(z))        ∂C_G/∂a = −(1 − σ(a)) / n

whose gradient is largest exactly when G is losing. Both players' costs are
:func:`~synaptica.ops.sigmoid_cross_entropy` of D's logits (the stable softplus form).

The rule reports ``loss`` (D's cost, which fit records as ``train_cost``), ``generator_loss`` on the
steps where G moved, and D's mean probability on the real and the generated rows (``real_score``,
``fake_score``); at D's optimum for a perfect G both are ½.

References: I. Goodfellow et al., "Generative adversarial nets", NeurIPS 2014 (Algorithm 1, and
section 3 for the non-saturating cost).
"""

from __future__ import annotations

import numpy as np

from synaptica.errors import ShapeError
from synaptica.nn.module import Module
from synaptica.ops import sigmoid_cross_entropy
from synaptica.ops.elementwise import sigmoid_array
from synaptica.optim.base import Optimizer
from synaptica.rules.base import State, checked_cost, model_input, prefixed, unprefixed
from synaptica.tensor import Tensor, no_grad


class Adversarial:
    """Train a :class:`~synaptica.models.GAN`: k discriminator steps per generator step.

    Args:
        generator_optimizer: an optimizer over exactly ``model.generator.parameters()``.
        discriminator_optimizer: an optimizer over exactly ``model.discriminator.parameters()``.
        k: discriminator steps (batches) per generator step, k ≥ 1 (the paper uses k = 1).

    The noise z ~ N(0, I) comes from the rule's own random stream (``fit`` hands it to :meth:`bind`),
    so the same seed gives the same training run, and a checkpoint saves where the stream stands.
    """

    name = "adversarial"
    #: the rule takes neither a cost nor one optimizer: :func:`~synaptica.rules.make_rule` passes its
    #: two optimizers and k as options
    arguments = ()

    def __init__(self, generator_optimizer: Optimizer, discriminator_optimizer: Optimizer, k: int = 1):
        for what, optimizer in (("generator_optimizer", generator_optimizer),
                                ("discriminator_optimizer", discriminator_optimizer)):
            if not isinstance(optimizer, Optimizer):
                raise TypeError(f"Adversarial: {what} must be an Optimizer (e.g. Adam(gan.generator.parameters(), "
                                f"2e-4)), got {optimizer!r}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"Adversarial: k (discriminator steps per generator step) must be an integer >= 1, "
                             f"got {k!r}")
        self.generator_optimizer = generator_optimizer
        self.discriminator_optimizer = discriminator_optimizer
        self.k = int(k)
        self.steps = 0
        self.rng: np.random.Generator | None = None

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        if not (hasattr(model, "generator") and hasattr(model, "discriminate")):
            raise TypeError(f"Adversarial: trains a GAN (synaptica.models.GAN), not {type(model).__name__}")
        for what, optimizer, part in (("generator_optimizer", self.generator_optimizer, model.generator),
                                      ("discriminator_optimizer", self.discriminator_optimizer, model.discriminator)):
            if {id(p) for p in optimizer.params} != {id(p) for p in part.parameters()}:
                raise ValueError(f"Adversarial: {what} must hold exactly the {what.split('_')[0]}'s parameters "
                                 f"(model.{what.split('_')[0]}.parameters())")
        self.rng = rng

    def unbind(self, model: Module) -> None:
        """Nothing to undo."""

    def step(self, model: Module, batch: tuple) -> dict:
        if self.rng is None:
            raise RuntimeError("Adversarial: call bind(model, rng) before step (fit does it)")
        real = np.asarray(batch[0])
        metrics = self.discriminator_step(model, real)
        self.steps += 1
        if self.steps % self.k == 0:
            metrics["generator_loss"] = self.generator_step(model, len(real))
        return metrics

    def discriminator_step(self, model: Module, real: np.ndarray) -> dict:
        """One step of D on ``real`` rows and as many samples of G (held fixed); returns the metrics."""
        n = len(real)
        with no_grad():
            fake = model.generate(Tensor(model.noise(n, self.rng))).data
        if real[0].size != fake[0].size:
            raise ShapeError(f"Adversarial: the data's rows have shape {real.shape[1:]} ({real[0].size} numbers) but "
                             f"the generator's samples have shape {fake.shape[1:]} ({fake[0].size} numbers)")
        dtype = self.discriminator_optimizer.params[0].dtype
        rows = model_input(np.concatenate([real.reshape(fake.shape).astype(dtype, copy=False),
                                           fake.astype(dtype, copy=False)]), dtype)
        labels = np.concatenate([np.ones((n, 1), dtype), np.zeros((n, 1), dtype)])
        logits = model.discriminate(rows)
        # the mean over the 2n rows, doubled: the mean over the real rows plus the mean over the fake ones
        loss = sigmoid_cross_entropy(logits, labels, reduction="mean") * 2.0
        value = checked_cost(loss)
        self.discriminator_optimizer.zero_grad()
        loss.backward()
        self.discriminator_optimizer.step()
        scores = sigmoid_array(logits.data[:, 0])
        return {"loss": value, "real_score": float(scores[:n].mean()), "fake_score": float(scores[n:].mean())}

    def generator_step(self, model: Module, n: int) -> float:
        """One step of G on n noise vectors with the non-saturating cost −mean ln D(G(z))."""
        discriminator = self.discriminator_optimizer.params
        for p in discriminator:  # D is held fixed: its gradient is not needed
            p.requires_grad_(False)
        try:
            logits = model.discriminate(model.generate(Tensor(model.noise(n, self.rng))))
            loss = sigmoid_cross_entropy(logits, np.ones(logits.shape, logits.dtype), reduction="mean")
            value = checked_cost(loss)
            self.generator_optimizer.zero_grad()
            loss.backward()
        finally:
            for p in discriminator:
                p.requires_grad_(True)
        self.generator_optimizer.step()
        return value

    def state_dict(self) -> State:
        state = prefixed("generator_optimizer.", self.generator_optimizer.state_dict())
        state.update(prefixed("discriminator_optimizer.", self.discriminator_optimizer.state_dict()))
        state["adversarial.steps"] = np.array(self.steps, dtype=np.int64)
        return state

    def load_state_dict(self, state: State) -> None:
        self.generator_optimizer.load_state_dict(unprefixed("generator_optimizer.", state))
        self.discriminator_optimizer.load_state_dict(unprefixed("discriminator_optimizer.", state))
        self.steps = int(state["adversarial.steps"])

    def __repr__(self) -> str:
        return (f"Adversarial({type(self.generator_optimizer).__name__}, "
                f"{type(self.discriminator_optimizer).__name__}, k={self.k})")
