"""``synaptica text``: a character-level language model on real text: train, sample, evaluate.

    synaptica text train kjv --out kjv.safetensors       # the King James Bible, about ten minutes
    synaptica text train notes.txt --out notes.safetensors --minutes 30
    synaptica text sample kjv.safetensors --prompt "And God said" --length 400
    synaptica text evaluate kjv.safetensors kjv          # bits per character on the held-out 10 %

The corpus is ``kjv`` (Debian's bible-kjv, see :mod:`synaptica.data.text`) or any UTF-8 file. The
text's last 10 % is held out (never trained on) and is what ``evaluate`` scores; of the 90 % before
it, the last 2 % is the validation text, scored after every epoch to keep the best weights, and the
rest is what the network learns from. Beside the network's score both commands print the
interpolated Kneser–Ney n-gram baseline (order 5), fitted by the library on the same training text.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from synaptica.cli.arguments import MAKE_MODEL, count, path_text, rate
from synaptica.cli.paths import check_input_file, check_output_file

#: of the training part, the share kept aside as validation text
VALIDATION_SHARE = 0.02
#: validation symbols scored after each epoch (the whole held-out text is scored at the end)
VALIDATION_SYMBOLS = 60_000
BASELINE_ORDER = 5


def add_text_command(commands) -> None:
    """Register ``text`` (with ``train``, ``sample`` and ``evaluate``) on the ``synaptica`` sub-parsers."""
    text = commands.add_parser(
        "text", help="a character-level language model: train, sample, evaluate",
        description="Train an LSTM character model on a text (kjv or any UTF-8 file), draw samples from "
                    "it, and score it in bits per character on the text's held-out last 10 %%.",
    )
    actions = text.add_subparsers(dest="action", required=True, metavar="ACTION")
    formatter = argparse.ArgumentDefaultsHelpFormatter
    train = actions.add_parser("train", help="train a model on a text", formatter_class=formatter,
                               description="Train a character LSTM by truncated backpropagation through time.")
    train.add_argument("corpus", type=path_text, metavar="FILE|kjv", help="a UTF-8 text file, or kjv")
    train.add_argument("--out", type=path_text, required=True, metavar="MODEL", help="the model file to write")
    train.add_argument("--minutes", type=rate, default=10.0, help="stop after the epoch that passes this time")
    train.add_argument("--epochs", type=count, default=1000, help="at most this many epochs")
    train.add_argument("--windows-per-epoch", type=count, default=100,
                       help="windows (steps of the optimizer) between two evaluations")
    train.add_argument("--hidden", type=count, default=256, help="units per LSTM layer")
    train.add_argument("--layers", type=count, default=2, help="stacked recurrent layers")
    train.add_argument("--embedding", type=count, default=64, help="the length of each character's vector")
    train.add_argument("--cell", choices=("lstm", "gru"), default="lstm", help="the recurrent cell")
    train.add_argument("--steps", type=count, default=100, help="window length: how far back the gradient reaches")
    train.add_argument("--batch-size", type=count, default=32, help="parallel stretches of the text")
    train.add_argument("--eta", type=rate, default=2e-3, help="Adam's learning rate")
    train.add_argument("--clip", type=rate, default=5.0, help="clip the gradients' joint norm to this")
    train.add_argument("--seed", type=int, default=0, help="seed of the weights and the window offsets")

    sample = actions.add_parser("sample", help="draw text from a model", formatter_class=formatter)
    sample.add_argument("model", type=path_text, metavar="MODEL", help="a model written by 'synaptica text train'")
    sample.add_argument("--prompt", default="\n", help="the text to continue")
    sample.add_argument("--length", type=count, default=500, help="characters to draw")
    sample.add_argument("--temperature", type=float, default=0.8,
                        help="1 samples the model's distribution, lower is more conservative, 0 is greedy")
    sample.add_argument("--seed", type=int, default=0, help="seed of the draws")

    evaluate = actions.add_parser("evaluate", help="bits per character on a text's held-out 10 %%",
                                  formatter_class=formatter)
    evaluate.add_argument("model", type=path_text, metavar="MODEL", help="a model written by 'synaptica text train'")
    evaluate.add_argument("corpus", type=path_text, metavar="FILE|kjv", help="the text the model was trained on")


def text_command(args: argparse.Namespace) -> int:
    return {"train": _train, "sample": _sample, "evaluate": _evaluate}[args.action](args)


def _train(args: argparse.Namespace) -> int:
    check_output_file(args.out, "--out")
    from synaptica.data.sequences import TokenStreamSource
    from synaptica.data.text import load_corpus, split_text
    from synaptica.io import save_model
    from synaptica.losses import SequenceLogLikelihoodCost
    from synaptica.models.char_lm import CharLanguageModel
    from synaptica.optim import Adam
    from synaptica.optim.regularizers import ClipGradNorm
    from synaptica.random import stream
    from synaptica.rules import Backprop
    from synaptica.train import fit
    from synaptica.train.bits_per_character import BitsPerCharacter, bits_per_character
    from synaptica.train.callbacks import EarlyStopping, TimeBudget

    split = split_text(load_corpus(args.corpus))
    stream_ids = np.concatenate([split.train, split.held_out])
    learn = int(len(split.train) * (1 - VALIDATION_SHARE))
    vocabulary = split.vocabulary
    print(f"{args.corpus}: {len(stream_ids):,} characters, {len(vocabulary)} distinct; learning from "
          f"{learn:,}, validating on {len(split.train) - learn:,}, holding out {len(split.held_out):,}")
    model = CharLanguageModel(len(vocabulary), args.embedding, args.hidden, args.layers, args.cell,
                              rng=stream(args.seed, "weights"))
    rule = Backprop(SequenceLogLikelihoodCost(),
                    Adam(model.parameters(), args.eta, regularizers=[ClipGradNorm(args.clip)]))
    source = TokenStreamSource(split.train[:learn], batch_size=args.batch_size, steps=args.steps,
                               windows_per_epoch=args.windows_per_epoch)
    validation = BitsPerCharacter(split.train[:learn + VALIDATION_SYMBOLS], start=learn)
    callbacks = [EarlyStopping("validation_bpc", "min", patience=None, restore_best=True, verbose=False),
                 TimeBudget(args.minutes)]
    with model.stateful():
        history = fit(model, rule, source, epochs=args.epochs, rng=args.seed, evaluators=[validation],
                      callbacks=callbacks)
    held_out = bits_per_character(model, stream_ids, len(split.train))
    baseline = _baseline(split, stream_ids)
    print(f"Held-out bits per character: {held_out:.4f} (Kneser–Ney order {BASELINE_ORDER}: {baseline:.4f}); "
          f"{len(history.epochs)} epochs in {sum(history.seconds) / 60:.1f} min")
    save_model(args.out, model, {"vocabulary": json.dumps(vocabulary.alphabet), "corpus": str(args.corpus),
                                 "held_out_bpc": f"{held_out:.6f}", "kneser_ney_bpc": f"{baseline:.6f}"})
    print(f"Model saved to {args.out}")
    return 0


def _load(path: str):
    check_input_file(path, "MODEL", hint="write one with 'synaptica text train FILE --out MODEL'")
    from synaptica.data.text import CharVocabulary
    from synaptica.errors import FormatError
    from synaptica.io import load_model
    from synaptica.models.char_lm import CharLanguageModel

    model, metadata = load_model(path)
    if not isinstance(model, CharLanguageModel) or "vocabulary" not in metadata:
        raise FormatError(f"{path}: not a character language model (write one with 'synaptica text train'); "
                          f"it holds {type(model).__name__}")
    alphabet = json.loads(metadata["vocabulary"])
    if not isinstance(alphabet, str) or len(alphabet) != model.vocabulary_size:
        raise FormatError(f"{path}: its vocabulary does not match its {model.vocabulary_size} outputs")
    return model, CharVocabulary(alphabet)


def _sample(args: argparse.Namespace) -> int:
    model, vocabulary = _load(args.model)
    if not args.prompt:
        raise ValueError("--prompt must hold at least one character")
    if not 0 <= args.temperature < float("inf"):
        raise ValueError(f"--temperature must be a finite number >= 0, got {args.temperature}")
    from synaptica.random import stream

    drawn = model.sample(vocabulary.encode(args.prompt), args.length, stream(args.seed, "sampling"), args.temperature)
    sys.stdout.write(args.prompt + vocabulary.decode(drawn) + "\n")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    model, vocabulary = _load(args.model)
    from synaptica.data.text import load_corpus, split_text
    from synaptica.errors import DataError
    from synaptica.train.bits_per_character import bits_per_character

    text = load_corpus(args.corpus)
    split = split_text(text)
    if split.vocabulary.alphabet != vocabulary.alphabet:
        unknown = sorted(set(split.vocabulary.alphabet) - set(vocabulary.alphabet))
        raise DataError(f"{args.corpus}: not the text {args.model} was trained on: its characters differ"
                        + (f" ({''.join(unknown[:10])!r} are new)" if unknown else ""))
    stream_ids = np.concatenate([split.train, split.held_out])
    score = bits_per_character(model, stream_ids, len(split.train))
    print(f"{args.corpus}: held-out {len(split.held_out):,} characters: {score:.4f} bits per character "
          f"(Kneser–Ney order {BASELINE_ORDER}: {_baseline(split, stream_ids):.4f})")
    return 0


def _baseline(split, stream_ids: np.ndarray) -> float:
    """Kneser–Ney's bits per character on the held-out part of ``stream_ids`` (training text, then held-out)."""
    from synaptica.models.kneser_ney import KneserNey

    model = KneserNey(BASELINE_ORDER).fit(split.train, len(split.vocabulary))
    return model.bits_per_character(stream_ids, start=len(split.train))
