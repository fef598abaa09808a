"""The command line: one file per command.

    synaptica train                              # a good MLP on Fashion-MNIST in a few minutes
    synaptica train --data mnist --hidden 30 --activation sigmoid --cost quadratic --eta 3 --epochs 30
    synaptica train --rule dfa --hidden 256,256 --activation tanh --optimizer adam --eta 0.001
    synaptica evaluate model.safetensors --data fashion-mnist
    synaptica search examples/search.toml --sampler random --trials 20 --workers 2
    synaptica visualize cnn.safetensors --what maximize --out pictures

Each command module has ``add_<command>_command(commands)``, which declares its options, and a
``<command>_command(args) -> exit status``. :func:`main` turns the errors a user can cause into one
line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from synaptica.errors import DataError, FormatError, NonFiniteError, ShapeError


def build_parser() -> argparse.ArgumentParser:
    from synaptica.cli.evaluate import add_evaluate_command
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
    return parser


def _command(name: str):
    """The function that runs command ``name`` (imported only when that command runs)."""
    if name == "train":
        from synaptica.cli.train import train_command as command
    elif name == "evaluate":
        from synaptica.cli.evaluate import evaluate_command as command
    elif name == "search":
        from synaptica.search.cli import search_command as command
    else:
        from synaptica.viz.command import visualize_command as command
    return command


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _command(args.command)(args)
    except (DataError, FormatError, ShapeError, NonFiniteError, ValueError, ModuleNotFoundError) as error:
        print(f"synaptica {args.command}: error: {error}", file=sys.stderr)
        return 2
