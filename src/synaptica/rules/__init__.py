"""Learning rules: what signal reaches each parameter's gradient."""

from synaptica.rules.backprop import Backprop as Backprop
from synaptica.rules.base import GradientRule as GradientRule
from synaptica.rules.base import LearningRule as LearningRule
from synaptica.rules.base import gradient_step as gradient_step
from synaptica.rules.direct_feedback_alignment import DirectFeedbackAlignment as DirectFeedbackAlignment
from synaptica.rules.evolution_strategies import EvolutionStrategies as EvolutionStrategies
from synaptica.rules.feedback_alignment import FeedbackAlignment as FeedbackAlignment
from synaptica.rules.hebbian import Hebb as Hebb
from synaptica.rules.hebbian import Oja as Oja
from synaptica.rules.hebbian import Sanger as Sanger
from synaptica.rules.newton import DampedNewton as DampedNewton

#: The rules by name, derived from the classes' own ``name``: those that train a network on labelled
#: data with a cost (``synaptica train --rule``, :func:`make_rule`).
RULES = {rule.name: rule for rule in (Backprop, FeedbackAlignment, DirectFeedbackAlignment, EvolutionStrategies,
                                      DampedNewton)}

#: The Hebbian rules by name: they train one bias-free linear layer on inputs alone, with no cost and
#: no optimizer (``Oja(learning_rate=0.01)``; see :mod:`synaptica.rules.hebbian`).
HEBBIAN_RULES = {rule.name: rule for rule in (Hebb, Oja, Sanger)}


def make_rule(name: str, cost, optimizer, **options):
    """The learning rule called ``name`` (a key of :data:`RULES`) with its cost, optimizer and the rule's
    own ``options`` (``population=`` and ``sigma=`` for evolution strategies). Damped Newton takes its
    own steps from the Hessian and uses no optimizer."""
    if name not in RULES:
        raise ValueError(f"unknown learning rule {name!r}; choose from {sorted(RULES)}")
    if RULES[name] is DampedNewton:
        return DampedNewton(cost, **options)
    return RULES[name](cost, optimizer, **options)
