"""``synaptica train``: train a network on a dataset with a learning rule and report its accuracy.

    synaptica train                              # a good MLP on Fashion-MNIST in a few minutes
    synaptica train --data mnist --hidden 30 --activation sigmoid --cost quadratic --eta 3 --epochs 30
    synaptica train --rule fa --out fa.safetensors
    synaptica train --rule dfa --hidden 256,256 --activation tanh --optimizer adam --eta 0.001
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import ExitStack

import numpy as np

from synaptica.cli.arguments import (add_architecture_arguments, add_data_argument, count, even_count, non_negative,
                                     path_text, port_number, rate)
from synaptica.cli.live import start_live
from synaptica.cli.memory import check_memory, mlp_parameters
from synaptica.cli.paths import check_output_directory, check_output_file, write_all
from synaptica.cli.resume import adopt_settings, run_directory, saved_settings
from synaptica.cli.snn import check_snn_arguments, train_snn
from synaptica.cli.verdict import verdict
from synaptica.data import load_dataset
from synaptica.errors import DataError
from synaptica.io import save_model
from synaptica.io.atomic import atomic_write, remove_temporaries
from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.nn.cnn import cnn
from synaptica.nn.sequence_models import sequence_classifier
from synaptica.optim import make_optimizer
from synaptica.parallel import EXECUTORS, make_executor
from synaptica.recipes import DEFAULTS, ES_DEFAULTS, RECURRENT_MODELS, recipe
from synaptica.rules import NETWORK_RULES, make_rule
from synaptica.train import Classification, evaluate, fit
from synaptica.train.checkpoints import Checkpoint
from synaptica.train.interrupt import EXIT_STATUS, TrainingInterrupted, stop_on_signals
from synaptica.train.progress import StepReport
from synaptica.train.run_logs import SPEED_BATCH, RunLogs

#: Short names the command line accepts for the rules (the library itself uses each rule's one name).
RULE_ALIASES = {"bp": "backprop", "fa": "feedback-alignment", "dfa": "direct-feedback-alignment",
                "es": "evolution-strategies", "dni": "synthetic-gradients"}


def rule_name(text: str) -> str:
    name = RULE_ALIASES.get(text, text)
    if name not in NETWORK_RULES and name != "stdp":
        aliases = ", ".join(f"{a} = {n}" for a, n in RULE_ALIASES.items())
        choices = ", ".join(sorted(NETWORK_RULES)) + ", stdp (--model snn); aliases " + aliases
        raise argparse.ArgumentTypeError(f"unknown rule {text!r}; choose from {choices}")
    return name


def add_train_command(commands) -> None:
    """Register ``train`` on the ``synaptica`` command's sub-parsers."""
    train = commands.add_parser(
        "train", help="train a network on a dataset and report its accuracy",
        description="Train a fully connected network with a learning rule, printing validation accuracy "
                    "per epoch (Nielsen's 'Epoch 3: 8512 / 10000') and the final test accuracy.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_data_argument(train)
    add_architecture_arguments(train)
    train.add_argument("--augment", choices=["none", "shift"], default="none",
                       help="shift: move every training image by -1, 0 or +1 pixel each way as it is drawn")
    train.add_argument("--rule", type=rule_name, default=DEFAULTS["rule"], metavar="RULE",
                       help=f"learning rule, one of {', '.join(sorted(NETWORK_RULES))} (aliases: "
                            f"{', '.join(RULE_ALIASES)}): exact backprop, feedback alignment (fixed random backward "
                            "weights), direct feedback alignment (the output error sent to every hidden layer "
                            "through its own fixed random matrix), synthetic gradients (each hidden block learns "
                            "from a predicted gradient), or damped Newton steps (ignores --eta and "
                            "--lmbda; use a large batch on a small net); stdp trains --model snn")
    train.add_argument("--conditional", action="store_true",
                       help="--rule synthetic-gradients: cDNI, the predictors also see the one-hot label")
    train.add_argument("--layers-per-block", type=count, default=None, metavar="N",
                       help="--rule synthetic-gradients: weight layers per block, a predictor at each block's "
                            "output (default: 1, a predictor after every hidden layer)")
    train.add_argument("--predictor-eta", type=rate, default=None, metavar="η",
                       help="--rule synthetic-gradients: Adam's η for the predictors (default: 0.001)")
    train.add_argument("--neurons", type=count, default=400, metavar="N",
                       help="--model snn: excitatory neurons")
    train.add_argument("--label", type=count, default=10000, metavar="N",
                       help="--model snn: the last N training images label the neurons (test images never do)")
    train.add_argument("--population", type=even_count, default=None, metavar="N",
                       help=f"--rule es: networks scored per generation, an even number (antithetic pairs θ ± σε) "
                            f"(default: {ES_DEFAULTS['population']})")
    train.add_argument("--sigma", type=rate, default=None, metavar="σ",
                       help=f"--rule es: the standard deviation of the perturbations (default: {ES_DEFAULTS['sigma']})")
    train.add_argument("--executor", choices=EXECUTORS, default=None,
                       help="--rule es: where the population is scored: in this process, a pool of worker "
                            "processes, or a Ray cluster (default: serial, or process with --workers > 1)")
    train.add_argument("--workers", type=count, default=None, metavar="N",
                       help="--rule es: worker processes (or Ray CPUs) scoring the population (default: 1)")
    train.add_argument("--seed", type=non_negative, default=DEFAULTS["seed"],
                       help="seed for initial weights, shuffling and feedback matrices")
    train.add_argument("--patience", type=count, default=None,
                       help="stop after this many epochs without a better validation accuracy")
    train.add_argument("--last", action="store_true",
                       help="keep the last epoch's weights instead of those of the epoch with the best "
                            "validation accuracy")
    train.add_argument("--out", type=path_text, metavar="FILE", default=None,
                       help="save the trained model here (.safetensors, written atomically)")
    train.add_argument("--history", type=path_text, metavar="FILE", default=None,
                       help="write the per-epoch history as JSON lines")
    train.add_argument("--log-dir", type=path_text, metavar="DIR", default="runs",
                       help="every run logs its epochs (history.csv, history.jsonl) into a new sub-directory "
                            "DIR/<date-time>-seed<seed>, appended as each epoch ends")
    train.add_argument("--plot", action="store_true",
                       help="also draw curves.png (cost and accuracy per epoch) and gradient_norms.png (each "
                            "layer's speed of learning ‖∂C/∂b‖) into the run directory; needs matplotlib")
    train.add_argument("--tensorboard", type=path_text, metavar="DIR", default=None,
                       help="also write TensorBoard event files into DIR/<the run directory's name>: the "
                            "epoch's costs, accuracies and learning rate, each layer's ‖∂C/∂b‖ and histograms "
                            "of the weights (view with: tensorboard --logdir DIR); needs tensorboardX "
                            "(pip install 'synaptica[tensorboard]')")
    train.add_argument("--serve", type=port_number, nargs="?", const=0, default=None, metavar="PORT",
                       help="follow the run in a browser: learning curves per epoch and the first-layer filters, "
                            "served on 127.0.0.1:PORT (any free port without PORT) until training ends; needs "
                            "pip install 'synaptica[serve]'")
    train.add_argument("--checkpoint", type=path_text, metavar="DIR", default=None,
                       help="save the whole run (weights, optimizer and rule state, random generators, "
                            "history) here after every epoch, atomically (default: the run directory's "
                            "checkpoints/); Ctrl-C or SIGTERM stops at the next step and saves too")
    train.add_argument("--checkpoint-every", type=rate, default=None, metavar="MINUTES",
                       help="also save between two steps every MINUTES (long epochs)")
    train.add_argument("--keep", type=count, default=3, metavar="K", help="keep the newest K checkpoints")
    train.add_argument("--resume", type=path_text, metavar="PATH", default=None,
                       help="continue a stopped run from its checkpoint (a file, a checkpoint directory or a "
                            "run directory: the newest checkpoint), with the settings it started with; "
                            "--epochs, --out and the other output options may change")
    train.add_argument("--quiet", action="store_true", help="print only the final result")


#: the options that only evolution strategies take
ES_OPTIONS = ("population", "sigma", "executor", "workers")
#: the options that only synthetic gradients take, and the rule's keyword for each
SYNTHETIC_GRADIENT_OPTIONS = {"conditional": "conditional", "layers_per_block": "layers_per_block",
                              "predictor_eta": "predictor_learning_rate"}


def recipe_defaults(args: argparse.Namespace) -> None:
    """Fill in the options whose defaults depend on --model and --rule (synaptica.recipes), when not given."""
    for name, value in recipe(args.model, args.rule).items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    for rule, options in (("synthetic-gradients", SYNTHETIC_GRADIENT_OPTIONS), ("evolution-strategies", ES_OPTIONS)):
        given = [f"--{name.replace('_', '-')}" for name in options if getattr(args, name, None) not in (None, False)]
        if args.rule != rule and given:
            verb = "belongs" if len(given) == 1 else "belong"
            raise ValueError(f"{' and '.join(given)} {verb} to --rule {rule}, not {args.rule}")
    if args.rule == "evolution-strategies":
        args.population = ES_DEFAULTS["population"] if args.population is None else args.population
        args.sigma = ES_DEFAULTS["sigma"] if args.sigma is None else args.sigma
        args.workers = 1 if args.workers is None else args.workers
        args.executor = args.executor or ("serial" if args.workers == 1 else "process")


def build_model(args: argparse.Namespace, train, cost, rng):
    """The network and its optimizer (``--optimizer``, else SGD for ``mlp`` and Adam for ``cnn``)."""
    if args.model == "cnn":
        if not cost.takes_logits:
            raise ValueError(f"--model cnn outputs logits: use --cost log-likelihood or cross-entropy, not {args.cost}")
        if train.image_shape is None or len(train.image_shape) != 3:
            raise DataError(f"--model cnn needs image data (channels, rows, columns); {args.data} has none")
        model = cnn(train.image_shape, train.n_classes, rng=rng)
    elif args.model in RECURRENT_MODELS:
        if not cost.takes_logits:
            raise ValueError(f"--model {args.model} outputs logits: use --cost log-likelihood or cross-entropy, "
                             f"not {args.cost}")
        shape = train.image_shape if train.image_shape is not None else (1, train.x.shape[1])
        model = sequence_classifier(args.model, shape, train.n_classes, rng=rng)
    else:
        sizes = [train.x.shape[1], *args.hidden, train.n_classes]
        check_memory(mlp_parameters(sizes), f"--hidden {','.join(map(str, args.hidden))} on {args.data}")
        model = mlp(sizes, args.activation, output_activation=None if cost.takes_logits else "sigmoid",
                    init=args.init, rng=rng, dropout=args.dropout, batch_norm=args.batch_norm)
    return model, make_optimizer(args.optimizer, model.parameters(), args.eta, lmbda=args.lmbda,
                                 n_examples=len(train.x))


def schedules(args: argparse.Namespace, optimizer) -> list:
    """--schedule cosine: an EpochSchedule from η to η/100 along half a cosine (none for constant)."""
    if args.schedule == "constant" or optimizer is None:
        return []
    from synaptica.optim.schedules import cosine
    from synaptica.train.callbacks import EpochSchedule
    return [EpochSchedule(optimizer, cosine(args.eta, max(args.epochs - 1, 1), min_learning_rate=args.eta / 100))]


def _augment(args: argparse.Namespace, train):
    """--augment shift: Nielsen's one-pixel shifts of every training image as it is drawn."""
    if args.augment == "none":
        return None
    if train.image_shape is None:
        raise DataError(f"--augment {args.augment} needs image data; {args.data} has none")
    from synaptica.data.augment import Augment, Shift
    return Augment([Shift(1)], image_shape=tuple(train.image_shape[-2:]))


def rule_options(args: argparse.Namespace, stack: ExitStack) -> dict:
    """The rule's own options: population, σ and the executor (closed with ``stack``) for evolution
    strategies; those of :data:`SYNTHETIC_GRADIENT_OPTIONS` given for synthetic gradients; none for the others."""
    if args.rule == "synthetic-gradients":
        return {keyword: getattr(args, name) for name, keyword in SYNTHETIC_GRADIENT_OPTIONS.items()
                if getattr(args, name, None) is not None}
    if args.rule != "evolution-strategies":
        return {}
    executor = stack.enter_context(make_executor(args.executor, args.workers))
    return {"population": args.population, "sigma": args.sigma, "executor": executor}


def _step_report(args: argparse.Namespace, held_out, cost) -> list:
    """Evolution strategies: a line every 10 generations with the fitness, a held-out accuracy and the speed."""
    if args.rule != "evolution-strategies" or args.quiet:
        return []
    probe = Classification(held_out.x[:1000], held_out.y[:1000], cost, name="held-out")
    return [StepReport(10, probe, unit="generation")]


def train_command(args: argparse.Namespace) -> int:
    with ExitStack() as stack:
        return _train(args, stack)


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output the run could not write (:mod:`synaptica.cli.paths`); remove
    what an earlier run killed while writing the same file left behind (its temporary file)."""
    for path, option in [(args.out, "--out"), (args.history, "--history")]:
        if check_output_file(path, option) is not None:  # its directory exists: checked
            remove_temporaries(os.path.dirname(os.path.abspath(path)), target=os.path.basename(path))
    check_output_directory(args.log_dir, "--log-dir")
    check_output_directory(args.tensorboard, "--tensorboard")
    if args.tensorboard is not None:
        from synaptica.train.tensorboard import require_tensorboardx

        require_tensorboardx()  # a missing extra stops the command before any work
    check_output_directory(args.checkpoint, "--checkpoint")


def _train(args: argparse.Namespace, stack: ExitStack) -> int:
    resume = adopt_settings(args, _defaults()) if args.resume else None
    _check_outputs(args)
    recipe_defaults(args)
    check_snn_arguments(args)
    if args.model == "snn":
        return train_snn(args)
    splits = load_dataset(args.data)
    train, validation, test = splits.train, splits.validation, splits.test
    cost = get_cost(args.cost)
    rng = np.random.default_rng(args.seed)
    model, optimizer = build_model(args, train, cost, rng)
    rule = make_rule(args.rule, cost, optimizer, **rule_options(args, stack))
    held_out = validation if validation is not None else test
    if not args.quiet:
        print(f"{args.data}: {len(train.x)} training, {len(held_out.x)} validation, {len(test.x)} test examples")
        print(f"{model!r}\nrule {args.rule}, {type(optimizer).__name__}, cost {args.cost}, η = {args.eta}, λ = {args.lmbda}, "
              f"batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}")
    run_logs = _run_logs(args, resume, rule, cost, train, model)
    checkpoint = Checkpoint(args.checkpoint or run_logs.directory / "checkpoints", keep=args.keep,
                            every_minutes=args.checkpoint_every, stop=stack.enter_context(stop_on_signals()),
                            metadata=saved_settings(args))
    live = start_live(args, run_logs.directory.name, getattr(rule, "optimizer", None),
                      {"model": args.model, "rule": args.rule, "data": str(args.data), "eta": args.eta}, stack)
    started = time.perf_counter()
    try:
        history = fit(model, rule, (train.x, train.y), epochs=args.epochs, batch_size=args.batch_size, rng=rng,
                      validation=(held_out.x, held_out.y), patience=args.patience,
                      restore_best=not args.last and validation is not None, verbose=not args.quiet,
                      callbacks=[*run_logs.callbacks, *live, *schedules(args, getattr(rule, "optimizer", None)),
                                 *_step_report(args, held_out, cost), checkpoint],
                      augment=_augment(args, train), resume=resume)
    except TrainingInterrupted as stopped:
        return _stopped(args, stopped, model, cost)
    result = evaluate(model, test.x, test.y, cost)
    print(f"Test accuracy: {result.accuracy:.4f} ({result.correct} / {result.total}), cost {result.cost:.4f}, "
          f"trained in {time.perf_counter() - started:.1f} s")
    metadata = {"synaptica.cost": cost.name, "synaptica.dataset": str(args.data),
                "synaptica.test_accuracy": f"{result.accuracy:.4f}"}
    failures = write_all([
        ("--out", lambda: _save_model(args.out, model, metadata)),
        ("--history", lambda: _write_history(args.history, history)),
        (f"the pictures in {run_logs.directory}", lambda: print(
            f"Logs in {run_logs.directory}: {', '.join(path.name for path in run_logs.finish(history))}")),
        *([] if run_logs.tensorboard is None else [("--tensorboard", lambda: print(
            f"TensorBoard events in {run_logs.tensorboard.directory} (view with: tensorboard --logdir "
            f"{args.tensorboard})"))]),
    ])
    warning = verdict(history, train.n_classes, args.eta)
    if warning:
        print(f"synaptica train: warning: {warning}", file=sys.stderr)
    if failures:
        raise OSError("; ".join(failures))
    return 0


def _save_model(path: str | None, model, metadata: dict[str, str]) -> None:
    """--out: the trained model, written atomically."""
    if path:
        save_model(path, model, metadata)
        print(f"Saved {path}")


def _write_history(path: str | None, history) -> None:
    """--history: one JSON line per epoch, written atomically."""
    if path:
        with atomic_write(path, "w", encoding="utf-8") as f:
            for row in history.as_rows():
                f.write(json.dumps(row) + "\n")


def _defaults() -> argparse.Namespace:
    """The options' defaults, to tell which ones a resumed run was given."""
    from synaptica.cli import build_parser

    return build_parser().parse_args(["train"])


def _run_logs(args: argparse.Namespace, resume, rule, cost, train, model) -> RunLogs:
    """The run's logs: in a new directory under --log-dir, or, resuming a run of this command, in its own."""
    options = dict(plot=args.plot, cost=cost, speed_batch=(train.x[:SPEED_BATCH], train.y[:SPEED_BATCH]),
                   model=model, tensorboard=args.tensorboard)
    directory = run_directory(resume) if resume is not None else None
    if directory is not None:
        return RunLogs(directory, getattr(rule, "optimizer", None), resumed=True, **options)
    return RunLogs.in_new_directory(args.log_dir, args.seed, getattr(rule, "optimizer", None), **options)


def _stopped(args: argparse.Namespace, stopped: TrainingInterrupted, model, cost) -> int:
    """A signal stopped training at a step boundary: save --out too, say how to continue, exit 128 + signal."""
    _save_model(args.out, model, {"synaptica.cost": cost.name, "synaptica.dataset": str(args.data),
                                  "synaptica.stopped": f"epoch {stopped.epoch}, step {stopped.step}"})
    print(f"Stopped by {stopped.signal_name} at epoch {stopped.epoch}, step {stopped.step}; the run is saved in "
          f"{stopped.path}.\nResume with: synaptica train --resume {stopped.path.parent}", flush=True)
    return EXIT_STATUS.get(stopped.signal_name, 1)
