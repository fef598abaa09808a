"""The optional extras: one way to say that one is missing.

Heavy libraries (matplotlib, tensorboardX, onnx, Optuna, Ray) are each used from one adapter file and
imported only when their feature is asked for. When one is not installed, the user reads what needs
it and the one command that installs it, never an ImportError traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, purpose: str, extra: str) -> ModuleType:
    """Import ``module`` (a fixed name from the library, never from user data) and return it; when it is
    missing, a ModuleNotFoundError saying that ``purpose`` needs it and how to install ``extra``:
    ``plotting needs matplotlib, which is not installed: pip install 'synaptica[plot]'``."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ModuleNotFoundError(f"{purpose} needs {module}, which is not installed: "
                                  f"pip install 'synaptica[{extra}]'  (or: pip install {module})",
                                  name=module) from error
