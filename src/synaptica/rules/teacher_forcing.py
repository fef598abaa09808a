"""Teacher forcing: train a sequence-to-sequence model with the true previous symbol at every step.

A decoder writes y_t from y_{t−1}. Fed its own guesses while it still guesses badly, its errors would
compound along the sequence; fed the *true* y_{t−1} instead (Williams and Zipser 1989), every step
learns from the right context and all steps run in one pass. The rule asks the model for the
teacher-forced logits (``model.teacher_forced(source, target)``, a training-only method; ``forward``
stays the inference path that feeds back the model's own outputs), scores them with a per-step
cost whose padded steps do not count, and backpropagates.
"""

from __future__ import annotations

import numpy as np

from synaptica.nn.module import Module
from synaptica.rules.base import GradientRule, checked_cost, inputs_and_targets


class TeacherForcing(GradientRule):
    """Backpropagation through a decoder fed the true previous symbols (cost: per-step, padding 0 ignored)."""

    name = "teacher-forcing"
    #: the model method this rule calls (so ``synaptica train``, whose networks have none, does not offer it)
    needs = "teacher_forced"

    def bind(self, model: Module, rng: np.random.Generator) -> None:
        if not callable(getattr(model, self.needs, None)):
            raise TypeError(f"teacher-forcing trains a sequence-to-sequence model (one with a teacher_forced "
                            f"method, such as synaptica.models.Seq2Seq); got {type(model).__name__}")

    def gradients(self, model: Module, batch: tuple) -> dict:
        source, target = inputs_and_targets(batch)
        logits = model.teacher_forced(source, target)
        loss = self.cost(logits, np.asarray(target))
        value = checked_cost(loss)
        self.optimizer.zero_grad()
        loss.backward()
        return {"loss": value}
