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
from synaptica.losses import COSTS
from synaptica.nn import ACTIVATIONS, INITIALISERS
from synaptica.optim import OPTIMIZERS
from synaptica.recipes import CNN_DEFAULTS, DEFAULTS, DNI_DEFAULTS, ES_DEFAULTS, MODELS, SNN_DEFAULTS

_KINDS = {int: "an integer", float: "a number"}
#: how to make a model file, for the message when a command's MODEL is missing
MAKE_MODEL = "write one with 'synaptica train --out FILE'"


def add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="fashion-mnist", metavar="NAME_OR_DIR",
                        help=f"a dataset name ({', '.join(DATASETS)}) or a directory holding the four "
                             "standard IDX files (train-images-idx3-ubyte[.gz], ...) of any size")


def add_architecture_arguments(parser: argparse.ArgumentParser) -> None:
    """The network and how it learns, as ``synaptica train`` and ``synaptica compare`` take them: the
    model, its layers, the cost, the initialisation, and the optimizer's settings. The settings whose
    defaults depend on the model and the rule stay None here (:func:`synaptica.recipes.recipe` fills
    them in)."""
    parser.add_argument("--model", choices=MODELS, default="mlp",
                        help="mlp: the fully connected network set by --hidden, --activation, --init, trained "
                             "by SGD by default; cnn: the default convolutional network (synaptica.nn.cnn), "
                             "trained by Adam by default (ignores --hidden, --activation and --init); snn: a "
                             "spiking network after Diehl and Cook (2015) learning by --rule stdp without labels "
                             "(takes --neurons, --label, --epochs, --batch-size, --seed, --out); lstm, gru, "
                             "rnn, irnn: the image read row by row by one recurrent layer of 128 units "
                             "(synaptica.nn.sequence_models), trained by Adam")
    parser.add_argument("--hidden", type=positive_ints, default=positive_ints(DEFAULTS["hidden"]),
                        metavar="SIZES", help="hidden layer sizes, comma-separated (e.g. 30 or 256,128); "
                        "input and output sizes come from the data")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default=DEFAULTS["activation"],
                        help="hidden-layer activation")
    parser.add_argument("--cost", choices=sorted(COSTS), default=DEFAULTS["cost"],
                        help="quadratic (sigmoid outputs, ½‖a−y‖²), cross-entropy (sigmoid outputs) or "
                             "log-likelihood (softmax outputs)")
    parser.add_argument("--init", choices=sorted(set(INITIALISERS) - {"zeros"}), default=DEFAULTS["init"],
                        help="weight initialisation: large N(0,1), nielsen N(0,1/n_in), xavier, he")
    # defaults that depend on --model and --rule are filled in by recipe defaults (None: not given)
    parser.add_argument("--eta", "--learning-rate", dest="eta", type=rate, default=None,
                        help=f"learning rate η (default: {DEFAULTS['eta']}; {CNN_DEFAULTS['eta']} with --model cnn; "
                             f"{ES_DEFAULTS['eta']} with --rule es; {DNI_DEFAULTS['eta']} with --rule dni)")
    parser.add_argument("--lmbda", "--l2", dest="lmbda", type=penalty, default=None,
                        help=f"L2 regularisation λ (weights shrink by 1 − ηλ/n each step) (default: "
                             f"{DEFAULTS['lmbda']}; {CNN_DEFAULTS['lmbda']} with --model cnn)")
    parser.add_argument("--batch-size", type=count, default=None,
                        help=f"mini-batch size m (default: {DEFAULTS['batch_size']}; {CNN_DEFAULTS['batch_size']} "
                             f"with --model cnn; {ES_DEFAULTS['batch_size']} with --rule es; {SNN_DEFAULTS['batch_size']} "
                             f"with --model snn)")
    parser.add_argument("--epochs", type=count, default=None,
                        help=f"number of epochs (default: {DEFAULTS['epochs']}; {CNN_DEFAULTS['epochs']} with --model cnn; "
                             f"{ES_DEFAULTS['epochs']} with --rule es; {SNN_DEFAULTS['epochs']} with --model snn)")
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), default=None,
                        help="how gradients become updates: sgd takes L2 λ as Nielsen's weight shrink; the "
                             "adaptive ones (adam, adamw, rmsprop, adagrad) take λ as a penalty on the gradient "
                             "and want a small --eta such as 0.001 (default: sgd; adam with --model cnn, --rule es "
                             "or --rule dni)")
    parser.add_argument("--dropout", type=dropout, default=0.0, metavar="P",
                        help="mlp: drop each hidden unit with probability P while training (0: no dropout)")
    parser.add_argument("--batch-norm", action="store_true",
                        help="mlp: batch normalisation between each hidden Linear and its activation")
    parser.add_argument("--schedule", choices=["constant", "cosine"], default=None,
                        help="cosine: η falls along half a cosine from --eta to --eta/100 by the last epoch "
                             f"(default: constant; {CNN_DEFAULTS['schedule']} with --model cnn or --rule es)")


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


def comma_integers(text: str, plural: str, singular: str) -> list[int]:
    """Comma-separated integers, at least one; the messages name them (``sizes such as 100 or 256,128``)."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {plural}, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"expected at least one {singular}, got {text!r}")
    return values


def positive_ints(text: str) -> list[int]:
    """Comma-separated positive sizes, at least one, e.g. ``256,128``."""
    sizes = comma_integers(text, "sizes such as 100 or 256,128", "size such as 100 or 256,128")
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def port_number(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return int(text)
