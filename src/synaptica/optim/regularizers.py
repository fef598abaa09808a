"""Regularizers that compose with every optimizer: gradient clipping, penalties and constraints.

Pass them to any optimizer; ``Optimizer.step()`` applies them in a fixed order, whatever order the
list gives (see :mod:`synaptica.optim.base`):

    1. clip         ClipGradNorm, ClipGradValue      rescale the gradient of the cost
    2. penalty      L1, L2                           add the penalty's gradient to it
                    DecoupledWeightDecay             shrink the weights directly, beside the gradient
    3. the optimizer's own update
    4. constraint   MaxNorm                          project the new weights into the allowed set

For example, Adam with a max-norm constraint and a clipped gradient::

    Adam(model.parameters(), 1e-3, regularizers=[MaxNorm(3.0), ClipGradNorm(5.0)])

Penalties, decay and constraints touch only weights (parameters with ``regularized=True``), never
biases, as Nielsen regularises weights only; clipping treats every parameter. Gradients may be
shared between parameters, so a regularizer never writes into a ``.grad`` array: it puts a new
array in its place. Parameters without a gradient this step are left alone by the clip and penalty
stages, as the optimizer leaves them alone.
"""

from __future__ import annotations

import math
import numbers
from typing import Sequence

import numpy as np

from synaptica.nn.module import Parameter
from synaptica.optim.base import check_range


def _count(owner: str, name: str, value) -> int:
    """``value`` as an int ≥ 1 (bools refused), else a ValueError naming the owner and the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{owner}: {name} must be an integer >= 1 (the training-set size n), got {value!r}")
    return int(value)


def _weights_with_gradients(params: Sequence[Parameter]):
    return [p for p in params if p.regularized and p.grad is not None]


# ----------------------------------------------------------------------------------------- clipping
class ClipGradNorm:
    """Rescale all gradients together so that their joint Euclidean norm is at most ``max_norm``.

    With ‖g‖ = √(Σ over every parameter's gradient of Σ g²), each gradient becomes

        g ← g · min(1, max_norm / (‖g‖ + 10⁻⁶))

    as ``torch.nn.utils.clip_grad_norm_`` computes it. The direction of the whole update is kept;
    only its length is capped, which keeps one exploding batch from throwing the weights far away.
    ``last_norm`` holds ‖g‖ measured before clipping, as ``clip_grad_norm_`` returns it.

    Reference: R. Pascanu, T. Mikolov and Y. Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013.
    """

    stage = "clip"

    def __init__(self, max_norm: float):
        self.max_norm = check_range("ClipGradNorm", "max_norm", max_norm, 0.0, include_low=False)
        self.last_norm: float | None = None

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None:
        with_grad = [p for p in params if p.grad is not None]
        total = math.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in with_grad))
        self.last_norm = total
        scale = self.max_norm / (total + 1e-6)
        if scale < 1.0:
            for p in with_grad:
                p.grad = p.grad * scale

    def __repr__(self) -> str:
        return f"ClipGradNorm({self.max_norm:g})"


class ClipGradValue:
    """Clip every gradient element into [−v, v], as ``torch.nn.utils.clip_grad_value_``.

    Unlike :class:`ClipGradNorm` this changes the update's direction; it only bounds each coordinate.
    """

    stage = "clip"

    def __init__(self, clip_value: float):
        self.clip_value = check_range("ClipGradValue", "clip_value", clip_value, 0.0, include_low=False)

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None:
        v = self.clip_value
        for p in params:
            if p.grad is not None:
                p.grad = np.clip(p.grad, -v, v)

    def __repr__(self) -> str:
        return f"ClipGradValue({self.clip_value:g})"


# ----------------------------------------------------------------------------------------- penalties
class L1:
    """The L1 penalty of Nielsen's chapter 3, C = C₀ + (λ/n) Σ_w |w|, as a gradient term.

    Each weight's gradient gains ∂/∂w (λ/n)|w| = (λ/n) sgn(w) (0 at w = 0, as sgn(0) = 0), so plain
    SGD takes Nielsen's step

        w ← w − (ηλ/n) sgn(w) − η ∂C₀/∂w

    and every other optimizer sees the penalised cost's gradient. Weights shrink by a constant amount
    towards 0, not in proportion to w as with L2, so L1 concentrates the weight in a few important
    connections and drives the rest to zero. n is the training-set size; pass ``n_examples=1`` for
    the lecture notes' form λ sgn(w).

    Reference: Nielsen, Neural Networks and Deep Learning, ch. 3, "Other techniques for regularization".
    """

    stage = "penalty"

    def __init__(self, lmbda: float, n_examples: int):
        self.lmbda = check_range("L1", "lmbda", lmbda, 0.0)
        self.n_examples = _count("L1", "n_examples", n_examples)

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None:
        strength = self.lmbda / self.n_examples
        for p in _weights_with_gradients(params):
            p.grad = p.grad + strength * np.sign(p.data)

    def __repr__(self) -> str:
        return f"L1(lmbda={self.lmbda:g}, n_examples={self.n_examples})"


class L2:
    """The L2 penalty of Nielsen's chapter 3, C = C₀ + (λ/2n) Σ_w w², as a gradient term.

    Each weight's gradient gains (λ/n) w, so plain SGD takes Nielsen's weight-decay step

        w ← (1 − ηλ/n) w − η ∂C₀/∂w

    (the same as ``SGD(..., lmbda=λ, n_examples=n)``), and every other optimizer sees the penalised
    cost's gradient. With an adaptive optimizer such as Adam the penalty's gradient is rescaled like
    any other, so weights with large gradients are barely regularised; :class:`DecoupledWeightDecay`
    avoids that.

    Reference: Nielsen, Neural Networks and Deep Learning, ch. 3, "Regularization".
    """

    stage = "penalty"

    def __init__(self, lmbda: float, n_examples: int):
        self.lmbda = check_range("L2", "lmbda", lmbda, 0.0)
        self.n_examples = _count("L2", "n_examples", n_examples)

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None:
        strength = self.lmbda / self.n_examples
        for p in _weights_with_gradients(params):
            p.grad = p.grad + strength * p.data

    def __repr__(self) -> str:
        return f"L2(lmbda={self.lmbda:g}, n_examples={self.n_examples})"


class DecoupledWeightDecay:
    """Weight decay applied to the weights themselves, apart from the gradient (Loshchilov and Hutter):

        w ← w − η · rate · w       before the optimizer's step, which then uses the unchanged gradient

    with η the step's learning rate (so a schedule scales the decay too, as in ``torch.optim.AdamW``).
    With plain SGD this is the L2 step again (rate = λ/n); with Adam it is AdamW, whose decay is not
    divided by Adam's running root mean square, so every weight decays at the same relative rate.

    Reference: I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019
    (arXiv:1711.05101).
    """

    stage = "penalty"

    def __init__(self, rate: float):
        self.rate = check_range("DecoupledWeightDecay", "rate", rate, 0.0)

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None:
        keep = 1.0 - learning_rate * self.rate
        for p in _weights_with_gradients(params):
            p.data *= keep

    def __repr__(self) -> str:
        return f"DecoupledWeightDecay({self.rate:g})"


# ----------------------------------------------------------------------------------------- constraints
class MaxNorm:
    """After each step, cap the norm of every unit's incoming weight vector at c.

    For a weight of shape (out, ...) the vector of unit j is ``w[j]`` (a row of a Linear weight, one
    output channel's kernel of a Conv2d weight). Each one longer than c is scaled back onto the ball:

        w_j ← w_j · c / ‖w_j‖     where ‖w_j‖ > c,   unchanged otherwise

    as ``torch.renorm(w, p=2, dim=0, maxnorm=c)`` does. Srivastava et al. pair it with dropout: a
    large learning rate can then be used without the weights blowing up. Weights of fewer than two
    axes (and biases) are left alone.

    Reference: N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov, "Dropout:
    a simple way to prevent neural networks from overfitting", JMLR 15, 2014, section 5.1.
    """

    stage = "constraint"

    def __init__(self, max_norm: float):
        self.max_norm = check_range("MaxNorm", "max_norm", max_norm, 0.0, include_low=False)

    def apply(self, params: Sequence[Parameter], learning_rate: float) -> None:
        for p in params:
            if not p.regularized or p.data.ndim < 2:
                continue
            rows = p.data.reshape(len(p.data), -1)
            norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
            too_long = norms > self.max_norm
            if np.any(too_long):
                scale = np.where(too_long, self.max_norm / np.where(too_long, norms, 1.0), 1.0)
                p.data *= scale.astype(p.dtype).reshape((-1,) + (1,) * (p.data.ndim - 1))

    def __repr__(self) -> str:
        return f"MaxNorm({self.max_norm:g})"
