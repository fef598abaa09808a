"""Pictures of training, written as PNG files: learning curves and per-layer speed of learning.

Needs the ``plot`` extra (matplotlib), imported only when a plot is made::

    from synaptica.viz import plot_history, plot_gradient_norms
    plot_history(history, "curves.png")
    plot_gradient_norms(monitor.norms, "speed.png", epochs=monitor.epochs)
"""

from synaptica.viz.curves import plot_curves as plot_curves
from synaptica.viz.figure import require_matplotlib as require_matplotlib
from synaptica.viz.gradients import plot_gradient_norms as plot_gradient_norms
from synaptica.viz.history import plot_history as plot_history
