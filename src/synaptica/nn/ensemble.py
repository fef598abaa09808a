"""Ensembles: several trained networks asked the same question, their answers combined.

Networks trained from different random starts (or on different samples of the data) make partly
different mistakes, so combining them is usually more accurate than the typical member. Nielsen
(ch. 6) ends the book's MNIST chapter with a vote of five convolutional networks (99.60 % → 99.67 %);
the DNN lecture notes describe the same idea and read dropout as a cheap ensemble of its thinned
networks.

The ensemble is a :class:`Module`: ``predict``, ``evaluate``, ``save_model`` and ``load_model`` take it
like any network, and its members' parameters are named ``members.0.layers.0.weight`` and so on.
Train the members first, one by one (``synaptica.train.train_ensemble`` does this for a list of
seeds); the ensemble itself adds no parameters.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from synaptica import ops
from synaptica.checks import one_of
from synaptica.errors import DtypeError, ShapeError
from synaptica.nn.activation import Sigmoid, Softmax
from synaptica.nn.containers import Sequential
from synaptica.nn.module import Module
from synaptica.tensor import Tensor

COMBINE_RULES = ("average", "vote")


def _last_layer(member: Module) -> Module:
    while isinstance(member, Sequential) and member.layers:
        member = member.layers[-1]
    return member


def _gives_probabilities(member: Module) -> bool:
    """True when the member's last layer is Softmax or Sigmoid (or it is an ensemble itself)."""
    return isinstance(_last_layer(member), (Softmax, Sigmoid, Ensemble))


def _output_size(member: Module) -> int | None:
    """The ``out_features`` of the member's last layer that has one (None when no layer says)."""
    sizes = [module.out_features for module in member.modules() if hasattr(module, "out_features")]
    return sizes[-1] if sizes else None


class Ensemble(Module):
    """Run every member on the same input and combine their outputs, class by class.

    ``combine="average"`` averages the members' class probabilities,

        p̄(x) = (1/k) Σᵢ pᵢ(x),   pᵢ = softmax(zᵢ)   for a member ending in logits zᵢ,

    since this library's networks usually end without an activation (the costs take logits). A
    member whose last layer is Softmax or Sigmoid already gives probabilities (or, for Sigmoid, per-
    class activations in [0, 1] as in Nielsen's quadratic-cost networks); its outputs are averaged
    as they are.

    ``combine="vote"`` counts one vote per member for its arg-max class and outputs the share of
    votes, (1/k) Σᵢ onehot(argmax zᵢ). Its arg-max is the majority class; a tie goes to the lowest
    class index (as ``np.argmax`` breaks ties). Votes carry no gradient.

    The output is therefore a probability-like (batch, classes) array, not logits: read accuracy with
    ``evaluate(ensemble, x, y)`` and take ``np.log`` of ``predict(ensemble, x)`` for a log-likelihood.

    Args:
        members: the trained networks; all must give the same number of outputs.
        combine: ``"average"`` or ``"vote"``.

    Raises:
        ShapeError: the members' last layers give different output sizes (checked when built from
            ``out_features``, and again on every forward pass from the outputs themselves).

    References: Nielsen, Neural Networks and Deep Learning, ch. 6 ("using an ensemble of networks");
    L. K. Hansen and P. Salamon, "Neural network ensembles", IEEE TPAMI 12(10), 1990.
    """

    def __init__(self, members: Sequence[Module], combine: str = "average"):
        members = list(members)
        if not members:
            raise ValueError("Ensemble: needs at least one member")
        for i, member in enumerate(members):
            if not isinstance(member, Module):
                raise TypeError(f"Ensemble: members.{i} is {type(member).__name__}, not a Module")
        one_of("Ensemble", "combine rule", combine, COMBINE_RULES)
        sizes = {i: _output_size(member) for i, member in enumerate(members)}
        known = {size for size in sizes.values() if size is not None}
        if len(known) > 1:
            listed = ", ".join(f"members.{i} gives {size}" for i, size in sizes.items() if size is not None)
            raise ShapeError(f"Ensemble: the members give different numbers of outputs ({listed}); every "
                             "member must score the same classes")
        self.members = members
        self.combine = combine

    def forward(self, x: Tensor) -> Tensor:
        outputs = []
        for i, member in enumerate(self.members):
            try:
                outputs.append(member(x))
            except (ShapeError, DtypeError) as error:
                raise type(error)(f"members.{i}: {error}") from None
        shapes = [output.shape for output in outputs]
        if len(set(shapes)) > 1 or len(shapes[0]) != 2:
            listed = ", ".join(f"members.{i} {shape}" for i, shape in enumerate(shapes))
            raise ShapeError(f"Ensemble: members' outputs must all be (batch, classes) of one shape, got {listed}")
        if self.combine == "vote":
            return Tensor(self._votes([output.data for output in outputs]))
        total = None
        for member, output in zip(self.members, outputs):
            probabilities = output if _gives_probabilities(member) else ops.softmax(output, axis=-1)
            total = probabilities if total is None else total + probabilities
        return total * (1.0 / len(self.members))

    def _votes(self, outputs: list[np.ndarray]) -> np.ndarray:
        n, classes = outputs[0].shape
        votes = np.zeros((n, classes), dtype=outputs[0].dtype)
        examples = np.arange(n)
        for output in outputs:
            votes[examples, output.argmax(axis=1)] += 1
        return votes / len(outputs)

    def config(self) -> dict:
        return {"type": "Ensemble", "members": [member.config() for member in self.members],
                "combine": self.combine}

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}) " + repr(member).replace("\n", "\n  ") for i, member in enumerate(self.members))
        return f"Ensemble(combine={self.combine!r},\n{inner}\n)"
