"""Making and saving a figure without pyplot: matplotlib is imported only here, and only when asked.

The library core needs NumPy alone; plotting needs the ``plot`` extra (``pip install
'synaptica[plot]'``). A figure is a ``matplotlib.figure.Figure`` drawn by the Agg renderer straight
into a PNG file: no pyplot, so no global list of open figures, no GUI backend and no window, on a
laptop or on a server without a display.
"""

from __future__ import annotations

import os
from pathlib import Path

from synaptica.extras import missing_extra
from synaptica.io.atomic import atomic_write

def require_matplotlib() -> None:
    """Raise a clear :class:`ModuleNotFoundError` when matplotlib is missing; do nothing otherwise."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise missing_extra("matplotlib", "plotting", "plot") from error


def new_figure(width: float = 7.0, height: float = 4.5):
    """A blank figure (inches) attached to the Agg canvas, ready for ``fig.add_subplot()``."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def integer_ticks(axes) -> None:
    """Put the x-axis ticks on whole numbers (epochs), however few there are."""
    from matplotlib.ticker import MaxNLocator

    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def save_png(figure, path: str | os.PathLike[str]) -> Path:
    """Write ``figure`` to ``path`` as a PNG atomically (:func:`synaptica.io.atomic.atomic_write`), so
    that a reader never sees half an image; returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_png: {str(path)!r} should end in .png")
    with atomic_write(path) as f:
        figure.savefig(f, format="png")
    return path
