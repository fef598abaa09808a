"""Learning rules: what signal reaches each parameter's gradient."""

from synaptica.rules.backprop import Backprop as Backprop
from synaptica.rules.base import LearningRule as LearningRule
from synaptica.rules.base import gradient_step as gradient_step
from synaptica.rules.feedback_alignment import FeedbackAlignment as FeedbackAlignment
from synaptica.rules.newton import DampedNewton as DampedNewton

RULES = {"backprop": Backprop, "feedback-alignment": FeedbackAlignment, "damped-newton": DampedNewton}
