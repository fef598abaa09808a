"""Option types and options that several commands share."""

from __future__ import annotations

import argparse

from synaptica.data import DATASETS


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="fashion-mnist", metavar="NAME_OR_DIR",
                        help=f"a dataset name ({', '.join(DATASETS)}) or a directory holding the four "
                             "standard IDX files (train-images-idx3-ubyte[.gz], ...) of any size")


def positive_ints(text: str) -> list[int]:
    """Comma-separated positive sizes, e.g. ``256,128``."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes such as 100 or 256,128, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes
