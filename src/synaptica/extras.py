"""The optional extras: one way to say that one is missing.

Heavy libraries (matplotlib, tensorboardX, onnx) are each used from one adapter file and imported
only when their feature is asked for. When one is not installed, the user reads what needs it and
the one command that installs it, never an ImportError traceback::

    try:
        import matplotlib
    except ImportError as error:
        raise missing_extra("matplotlib", "plotting", "plot") from error
"""

from __future__ import annotations


def missing_extra(module: str, purpose: str, extra: str) -> ModuleNotFoundError:
    """The error for a missing optional ``module``: ``plotting needs matplotlib, which is not
    installed: pip install 'synaptica[plot]'  (or: pip install matplotlib)``."""
    return ModuleNotFoundError(f"{purpose} needs {module}, which is not installed: "
                               f"pip install 'synaptica[{extra}]'  (or: pip install {module})", name=module)
