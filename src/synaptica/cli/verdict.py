"""The end-of-run verdict of ``synaptica train``: a run that learned nothing says so plainly.

A learning rate far too large can leave every ReLU dead or every sigmoid saturated: the cost stays
finite, training goes on to its last epoch, and the saved model guesses. Nothing in the epoch lines
makes that obvious, so at the end the command looks at the history and, when either holds,
prints one warning paragraph on standard error:

- the kept model's validation accuracy is at chance level: at most :data:`CHANCE_FACTOR` / n_classes
  (0.15 for ten classes);
- the last epoch's training cost is more than :data:`COST_FACTOR` times the first epoch's.

The exit status stays 0: the run did what it was asked and wrote the files it was given, and a run
at chance can be the point (a baseline, a test of a broken rule); a script that wants to stop on it
can read the warning, or the accuracy. Errors (a NaN cost, a file that cannot be written) still
exit non-zero.
"""

from __future__ import annotations

import math

from synaptica.train.history import History

#: validation accuracy at or below CHANCE_FACTOR / n_classes counts as chance level
CHANCE_FACTOR = 1.5
#: a last training cost above COST_FACTOR × the first epoch's counts as far above it
COST_FACTOR = 2.0


def verdict(history: History, n_classes: int, eta: float) -> str | None:
    """What went wrong with the run of ``history`` (a classifier of ``n_classes`` trained with learning
    rate ``eta``), as a paragraph for the user, or None when it looks like it learned."""
    problems = []
    accuracy = kept_validation_accuracy(history)
    if accuracy is not None and accuracy <= CHANCE_FACTOR / n_classes:
        problems.append(f"the model's validation accuracy {accuracy:.4f} is at chance level "
                        f"(a guess among {n_classes} classes is right {1 / n_classes:.4f} of the time)")
    costs = history.train_cost
    if len(costs) >= 2 and math.isfinite(costs[0]) and not costs[-1] <= COST_FACTOR * costs[0]:
        problems.append(f"its training cost ended at {costs[-1]:.4g}, far above the first epoch's {costs[0]:.4g}")
    if not problems:
        return None
    return (f"this run did not learn: {'; and '.join(problems)}. The saved model and the figures above are "
            f"those of a network that guesses. A learning rate too large for the network is the usual "
            f"cause: try a smaller --eta than {eta:g}, or another --init or --activation.")


def kept_validation_accuracy(history: History) -> float | None:
    """The validation accuracy of the weights the run kept: the restored epoch's, else the last one's
    (None when the run measured none)."""
    accuracies = history.validation_accuracy
    if not accuracies:
        return None
    if history.restored_epoch is not None and history.restored_epoch in history.epochs:
        return accuracies[history.epochs.index(history.restored_epoch)]
    return accuracies[-1]
