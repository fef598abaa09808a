"""Option types and options that several commands share.

Every number an option takes is refused when parsing if it is out of range, with argparse's one line
and exit status 2 (``argument --eta/--learning-rate: must be > 0 (a finite number), got inf``):
each type parses the text, then checks the number with the validator of :mod:`synaptica.checks`
that the library's constructors use, so an option and the argument it becomes accept the same
values.
"""

from __future__ import annotations

import argparse
from typing import Callable

from synaptica.checks import non_negative_float, non_negative_int, positive_float, positive_int, probability
from synaptica.data import DATASETS

_KINDS = {int: "an integer", float: "a number"}
#: how to make a model file, for the message when a command's MODEL is missing
MAKE_MODEL = "write one with 'synaptica train --out FILE'"


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="fashion-mnist", metavar="NAME_OR_DIR",
                        help=f"a dataset name ({', '.join(DATASETS)}) or a directory holding the four "
                             "standard IDX files (train-images-idx3-ubyte[.gz], ...) of any size")


def checked(check: Callable, parse: type = float, **options) -> Callable[[str], int | float]:
    """An argparse ``type``: the text as ``parse`` (int or float), then ``check(owner, name, value,
    **options)`` from :mod:`synaptica.checks`; either refusal becomes argparse's one-line error."""
    def convert(text: str) -> int | float:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {_KINDS[parse]}, got {text!r}") from None
        try:
            return check("", "", value, **options)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    convert.__name__ = check.__name__  # what argparse calls the type in its own messages
    return convert


#: the option types: counts and sizes, seeds and indices, rates, penalties, a dropout probability
count = checked(positive_int, int)
non_negative = checked(non_negative_int, int)
rate = checked(positive_float)
penalty = checked(non_negative_float)
dropout = checked(probability, one=False)


def even_count(text: str) -> int:
    """An even integer ≥ 2 (a population of antithetic pairs θ ± σε)."""
    value = count(text)
    if value % 2:
        raise argparse.ArgumentTypeError(f"must be an even number (pairs θ ± σε), got {value}")
    return value


def path_text(text: str) -> str:
    """A file or directory name, refused when empty (``--out ''`` names no file)."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty: give a file or directory name")
    return text


def positive_ints(text: str) -> list[int]:
    """Comma-separated positive sizes, at least one, e.g. ``256,128``."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes such as 100 or 256,128, got {text!r}") from None
    if not sizes:
        raise argparse.ArgumentTypeError(f"expected at least one size such as 100 or 256,128, got {text!r}")
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def port_number(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return int(text)
