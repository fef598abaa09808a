"""Learning rules: what signal reaches each parameter's gradient."""

from synaptica.rules.adversarial import Adversarial as Adversarial
from synaptica.rules.backprop import Backprop as Backprop
from synaptica.rules.base import GradientRule as GradientRule
from synaptica.rules.base import LearningRule as LearningRule
from synaptica.rules.base import gradient_step as gradient_step
from synaptica.rules.contrastive_divergence import ContrastiveDivergence as ContrastiveDivergence
from synaptica.rules.direct_feedback_alignment import DirectFeedbackAlignment as DirectFeedbackAlignment
from synaptica.rules.evolution_strategies import EvolutionStrategies as EvolutionStrategies
from synaptica.rules.feedback_alignment import FeedbackAlignment as FeedbackAlignment
from synaptica.rules.hebbian import Hebb as Hebb
from synaptica.rules.hebbian import Oja as Oja
from synaptica.rules.hebbian import Sanger as Sanger
from synaptica.rules.minibatch_kmeans import MiniBatchKMeans as MiniBatchKMeans
from synaptica.rules.newton import DampedNewton as DampedNewton
from synaptica.rules.som import BatchSOM as BatchSOM
from synaptica.rules.som import OnlineSOM as OnlineSOM
from synaptica.rules.variational import Variational as Variational
from synaptica.rules.stdp import STDP as STDP
from synaptica.rules.teacher_forcing import TeacherForcing as TeacherForcing
from synaptica.rules.synthetic_gradients import SyntheticGradients as SyntheticGradients

#: Every learning rule by name, derived from the classes' own ``name``.
RULES = {rule.name: rule for rule in (Backprop, FeedbackAlignment, DirectFeedbackAlignment, EvolutionStrategies,
                                      DampedNewton, MiniBatchKMeans, Hebb, Oja, Sanger, OnlineSOM, BatchSOM,
                                      Variational, STDP, TeacherForcing, Adversarial,
                                      ContrastiveDivergence, SyntheticGradients)}

#: The rules that train any network's parameters from a cost (what ``synaptica train --rule`` offers);
#: the others learn without one (mini-batch k-means moves centres, the SOM rules move a map's
#: prototypes, the Hebbian rules follow activity, the variational rule minimises a VAE's own −ELBO,
#: STDP follows spike times, contrastive divergence trains an RBM) or need a model of one kind, named by their ``needs`` (teacher forcing:
#: a sequence-to-sequence model's ``teacher_forced``).
NETWORK_RULES = {name: rule for name, rule in RULES.items()
                 if "cost" in rule.arguments and not getattr(rule, "needs", None)}

#: The Hebbian rules: one bias-free linear layer trained on inputs alone (:mod:`synaptica.rules.hebbian`).
HEBBIAN_RULES = {name: rule for name, rule in RULES.items() if rule in (Hebb, Oja, Sanger)}


def make_rule(name: str, cost=None, optimizer=None, **options):
    """The learning rule called ``name`` (a key of :data:`RULES`), given what its class takes of the
    cost and the optimizer (its ``arguments``: backprop both, damped Newton the cost alone, the
    Hebbian rules, mini-batch k-means and the SOM rules neither, the variational rule the optimizer) and the rule's own ``options`` (``population=``
    and ``sigma=`` for evolution strategies, ``learning_rate=`` for Oja, ``iterations=``, ``sigma=`` and
    ``learning_rate=`` for the SOM rules)."""
    if name not in RULES:
        raise ValueError(f"unknown learning rule {name!r}; choose from {sorted(RULES)}")
    given = {"cost": cost, "optimizer": optimizer}
    return RULES[name](*[given[argument] for argument in RULES[name].arguments], **options)
