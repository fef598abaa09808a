"""Learning rules: what signal reaches each parameter's gradient."""

from synaptica.rules.backprop import Backprop as Backprop
from synaptica.rules.base import GradientRule as GradientRule
from synaptica.rules.base import LearningRule as LearningRule
from synaptica.rules.base import gradient_step as gradient_step
from synaptica.rules.direct_feedback_alignment import DirectFeedbackAlignment as DirectFeedbackAlignment
from synaptica.rules.evolution_strategies import EvolutionStrategies as EvolutionStrategies
from synaptica.rules.feedback_alignment import FeedbackAlignment as FeedbackAlignment
from synaptica.rules.minibatch_kmeans import MiniBatchKMeans as MiniBatchKMeans
from synaptica.rules.newton import DampedNewton as DampedNewton

#: The rules by name, derived from the classes' own ``name``.
RULES = {rule.name: rule for rule in (Backprop, FeedbackAlignment, DirectFeedbackAlignment, EvolutionStrategies,
                                      DampedNewton, MiniBatchKMeans)}

#: The rules that train a network's parameters from a cost (what ``synaptica train`` offers); the
#: others move a model's state by a rule of their own (mini-batch k-means moves centres).
NETWORK_RULES = {name: rule for name, rule in RULES.items() if rule is not MiniBatchKMeans}


def make_rule(name: str, cost, optimizer, **options):
    """The learning rule called ``name`` (a key of :data:`RULES`) with its cost, optimizer and the rule's
    own ``options`` (``population=`` and ``sigma=`` for evolution strategies). Damped Newton takes its
    own steps from the Hessian and uses no optimizer; mini-batch k-means uses neither."""
    if name not in RULES:
        raise ValueError(f"unknown learning rule {name!r}; choose from {sorted(RULES)}")
    if RULES[name] is DampedNewton:
        return DampedNewton(cost, **options)
    if RULES[name] is MiniBatchKMeans:
        return MiniBatchKMeans(**options)
    return RULES[name](cost, optimizer, **options)
