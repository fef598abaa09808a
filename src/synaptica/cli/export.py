"""``synaptica export MODEL model.onnx``: a saved model as an ONNX file, for other runtimes.

The graph computes what ``predict`` computes (logits or probabilities as the model was built, in its
own dtype, with a dynamic batch dimension); see :mod:`synaptica.io.onnx_export`. Needs the optional
``onnx`` package (``pip install 'synaptica[onnx]'``).
"""

from __future__ import annotations

import argparse

from synaptica.cli.arguments import MAKE_MODEL, path_text
from synaptica.cli.paths import check_input_file, check_output_file


def add_export_command(commands) -> None:
    """Register ``export`` on the ``synaptica`` command's sub-parsers."""
    parser = commands.add_parser(
        "export", help="write a saved model as an ONNX file",
        description="Write a saved model as an ONNX file (needs pip install 'synaptica[onnx]').",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("model", type=path_text, metavar="MODEL",
                        help="a model file written by 'synaptica train --out'")
    parser.add_argument("output", type=path_text, metavar="OUTPUT", help="the ONNX file to write, e.g. model.onnx")


def export_command(args: argparse.Namespace) -> int:
    check_input_file(args.model, "MODEL", hint=MAKE_MODEL)
    check_output_file(args.output, "OUTPUT")
    from synaptica.io import load_model
    from synaptica.io.onnx_export import export_onnx

    model, _ = load_model(args.model)
    export_onnx(model, args.output)
    print(f"{args.model} -> {args.output} (ONNX)")
    return 0
