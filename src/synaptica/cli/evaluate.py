"""``synaptica evaluate MODEL``: a saved model's accuracy and confusion matrix on a dataset's split."""

from __future__ import annotations

import argparse

import numpy as np

from synaptica.cli.arguments import MAKE_MODEL, add_data_argument, path_text
from synaptica.cli.paths import check_input_file
from synaptica.data import load_dataset
from synaptica.errors import DataError, DtypeError, ShapeError
from synaptica.io import load_model
from synaptica.losses import COSTS, get_cost
from synaptica.train import confusion_matrix, evaluate, predict


def add_evaluate_command(commands) -> None:
    """Register ``evaluate`` on the ``synaptica`` command's sub-parsers."""
    parser = commands.add_parser(
        "evaluate", help="report a saved model's accuracy and confusion matrix",
        description="Evaluate a saved model on a dataset's test split: accuracy and confusion matrix.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("model", type=path_text, metavar="MODEL", help="a model file written by 'synaptica train --out'")
    add_data_argument(parser)
    parser.add_argument("--split", choices=["test", "validation", "train"], default="test",
                        help="which part of the dataset to evaluate on")


def evaluate_command(args: argparse.Namespace) -> int:
    check_input_file(args.model, "MODEL", hint=MAKE_MODEL)
    model, metadata = load_model(args.model)
    splits = load_dataset(args.data)
    data = getattr(splits, args.split)
    if data is None:
        raise DataError(f"{args.data} has no {args.split} split")
    cost_name = metadata.get("synaptica.cost")
    cost = get_cost(cost_name) if cost_name in COSTS else None
    try:
        result = evaluate(model, data.x, data.y, cost)
        predictions = predict(model, data.x).argmax(axis=1)
    except (ShapeError, DtypeError) as error:
        raise type(error)(f"MODEL {args.model!r} does not fit --data {args.data} (its {args.split} examples "
                          f"have shape {data.x.shape[1:]}): {error}") from None
    matrix = confusion_matrix(data.y, predictions, data.n_classes)
    print(f"{args.model} on {args.data} ({args.split}): accuracy {result.accuracy:.4f} "
          f"({result.correct} / {result.total})" + (f", cost {result.cost:.4f}" if cost else ""))
    print(_format_confusion(matrix))
    return 0


def _format_confusion(matrix: np.ndarray) -> str:
    """Rows are true classes, columns predicted classes."""
    width = max(5, len(str(matrix.max())) + 1)
    head = "true\\pred" + "".join(f"{j:>{width}}" for j in range(len(matrix)))
    rows = [f"{i:>9}" + "".join(f"{v:>{width}}" for v in row) for i, row in enumerate(matrix)]
    return "\n".join([head, *rows])
