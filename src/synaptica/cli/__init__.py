"""The command line: one file per command.

    synaptica train                              # a good MLP on Fashion-MNIST in a few minutes
    synaptica train --data mnist --hidden 30 --activation sigmoid --cost quadratic --eta 3 --epochs 30
    synaptica train --rule dfa --hidden 256,256 --activation tanh --optimizer adam --eta 0.001
    synaptica evaluate model.safetensors --data fashion-mnist
    synaptica search examples/search.toml --sampler random --trials 20 --workers 2
    synaptica visualize cnn.safetensors --what maximize --out pictures
    synaptica export model.safetensors model.onnx
    synaptica serve model.safetensors            # draw on a web page, see the prediction and the layers
    synaptica text train kjv --out kjv.safetensors
    synaptica compare --rules backprop,fa,dfa,dni,es --epochs 5 --seeds 0,1,2 --out compare

Each command module has ``add_<command>_command(commands)``, which declares its options, and a
``<command>_command(args) -> exit status``. A mistake in the options is refused by argparse with one
line and exit status 2. :func:`main` turns every error a user can cause while the command runs (a
missing or unreadable file, a file that is not what it should be, data that do not fit the model,
a network too large for the memory, a diverging run) into one paragraph on standard error and exit
status 2, never a traceback; Ctrl-C ends with status 130. Errors that can only come from a bug in
synaptica still show their traceback. NumPy's floating-point warnings (``RuntimeWarning: overflow
...``) are not printed: a problem they point at is reported in words instead (a NaN cost stops
training with an error; a run that learned nothing ends with a warning).
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

from synaptica.cli.paths import os_error_message
from synaptica.errors import DataError, DtypeError, FormatError, NonFiniteError, ShapeError, WorkerError

#: the errors a user can cause: printed as one paragraph, exit status 2
USER_ERRORS = (DataError, FormatError, ShapeError, DtypeError, NonFiniteError, WorkerError, ValueError,
               ModuleNotFoundError, OSError, MemoryError, RecursionError)


def build_parser() -> argparse.ArgumentParser:
    from synaptica.cli.compare import add_compare_command
    from synaptica.cli.evaluate import add_evaluate_command
    from synaptica.cli.export import add_export_command
    from synaptica.cli.serve import add_serve_command
    from synaptica.cli.text import add_text_command
    from synaptica.cli.train import add_train_command
    from synaptica.search.cli import add_search_command
    from synaptica.viz.command import add_visualize_command

    parser = argparse.ArgumentParser(
        prog="synaptica",
        description="Build and train neural networks from first principles.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_train_command(commands)
    add_evaluate_command(commands)
    add_search_command(commands)
    add_visualize_command(commands)
    add_export_command(commands)
    add_serve_command(commands)
    add_text_command(commands)
    add_compare_command(commands)
    return parser


def _command(name: str):
    """The function that runs command ``name`` (imported only when that command runs)."""
    if name == "train":
        from synaptica.cli.train import train_command as command
    elif name == "evaluate":
        from synaptica.cli.evaluate import evaluate_command as command
    elif name == "export":
        from synaptica.cli.export import export_command as command
    elif name == "serve":
        from synaptica.cli.serve import serve_command as command
    elif name == "text":
        from synaptica.cli.text import text_command as command
    elif name == "compare":
        from synaptica.cli.compare import compare_command as command
    elif name == "search":
        from synaptica.search.cli import search_command as command
    else:
        from synaptica.viz.command import visualize_command as command
    return command


def main(argv: list[str] | None = None) -> int:
    """Run ``synaptica`` with the arguments ``argv`` (default: the process's); returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return _command(args.command)(args)
    except KeyboardInterrupt:
        print(f"synaptica {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        print(f"synaptica {args.command}: error: {_message(error, args)}", file=sys.stderr)
        return 2


def _message(error: BaseException, args: argparse.Namespace) -> str:
    """``error`` as one paragraph: its message and notes on one line, with the words a bare OSError,
    MemoryError or RecursionError lacks."""
    if isinstance(error, OSError):
        text = os_error_message(error)
    elif isinstance(error, MemoryError):
        text = f"not enough memory: {error}" if str(error).strip() else "not enough memory for this run"
    elif isinstance(error, RecursionError):
        inputs = [str(value) for value in (getattr(args, name, None) for name in ("model", "space", "image")) if value]
        text = (f"an input is nested too deeply to read ({', '.join(map(repr, inputs)) or 'the input'}): "
                f"{error}")
    else:
        text = str(error)
    return " ".join([text, *getattr(error, "__notes__", [])])
