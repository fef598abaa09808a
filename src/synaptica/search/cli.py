"""``synaptica search SPACE.toml``: the command-line front of the search package.

    synaptica search examples/search.toml --sampler grid --workers 2
    synaptica search examples/search.toml --executor ray --workers 2
    synaptica search examples/search.toml --sampler random --trials 20 --seed 1
    synaptica search examples/search.toml --sampler bayes --trials 30 --journal study.journal
    synaptica search examples/search.toml --report          # the table again, from the results file

:mod:`synaptica.cli` registers the sub-command with :func:`add_search_command` and calls
:func:`search_command` with the parsed arguments.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from synaptica.cli.arguments import count, non_negative, path_text
from synaptica.cli.paths import check_input_file, check_output_file
from synaptica.parallel import EXECUTORS
from synaptica.search.load import load_space
from synaptica.search.report import format_table
from synaptica.search.results import ResultsFile
from synaptica.search.runner import read_results, run_search
from synaptica.search.sampler import make_sampler

#: trials run by the random and Bayesian samplers when --trials is not given
DEFAULT_TRIALS = 10


def add_search_command(commands) -> argparse.ArgumentParser:
    """Add the ``search`` sub-command to ``commands`` (the sub-parsers of ``synaptica``)."""
    search = commands.add_parser(
        "search", help="search hyper-parameters: grid, random or Bayesian (Optuna)",
        description="Train one network per trial with the settings of a search space (a TOML file; see "
                    "docs/search.md), score each by its best validation accuracy, append each result to "
                    "a JSON-lines results file as it finishes, and print the trials best first. Running "
                    "the same command again resumes a stopped search.",
    )
    search.add_argument("space", type=path_text, metavar="SPACE.toml",
                        help="the search space: [fixed] settings and [search.NAME] parameters")
    search.add_argument("--sampler", choices=["grid", "random", "bayes"], default="random",
                        help="grid: every combination (ranges need points = N); random: independent "
                             "draws (Bergstra and Bengio 2012); bayes: Optuna's TPE, needs the 'search' "
                             "extra (pip install 'synaptica[search]') (default: random)")
    search.add_argument("--trials", type=count, default=None, metavar="N",
                        help=f"how many trials the results file should hold at the end (default: the "
                             f"whole grid for grid, {DEFAULT_TRIALS} otherwise)")
    search.add_argument("--workers", type=count, default=1, metavar="N",
                        help="trials trained at once, in separate processes; 1 trains in this process "
                             "(default: 1)")
    search.add_argument("--executor", choices=EXECUTORS, default=None,
                        help="where trials train: in this process, a pool of worker processes, or a Ray "
                             "cluster started on this machine with --workers CPUs (default: serial for one "
                             "worker, process for more)")
    search.add_argument("--results", type=path_text, metavar="FILE", default=None,
                        help="the JSON-lines results file, appended to and resumed from "
                             "(default: SPACE's name + .results.jsonl, in the current directory)")
    search.add_argument("--seed", type=non_negative, default=0,
                        help="seed for the random and bayes samplers' proposals (the training seed is "
                             "the space's 'seed' setting) (default: 0)")
    search.add_argument("--journal", type=path_text, metavar="FILE", default=None,
                        help="bayes only: the Optuna journal file holding the study, which several "
                             "processes may share (default: SPACE's name + .optuna-journal, in the "
                             "current directory)")
    search.add_argument("--report", action="store_true",
                        help="print the table from the results file and run nothing")
    search.add_argument("--quiet", action="store_true", help="print only the final table")
    return search


def search_command(args: argparse.Namespace) -> int:
    """Run ``synaptica search`` with parsed ``args``; returns the exit status."""
    space_path = Path(args.space)
    results = ResultsFile(args.results or f"{space_path.stem}.results.jsonl")
    if args.report:
        if os.path.lexists(results.path):  # none yet: an empty table
            check_input_file(results.path, "--results")
        print(format_table(read_results(results)))
        return 0
    journal = args.journal or f"{space_path.stem}.optuna-journal"
    check_input_file(space_path, "SPACE")
    check_output_file(results.path, "--results")
    if args.sampler == "bayes":
        check_output_file(journal, "--journal")
    space = load_space(space_path)  # names the file when it is not UTF-8 TOML
    try:
        if args.sampler == "bayes":
            _quiet_optuna()
        sampler = make_sampler(args.sampler, space, seed=args.seed, journal=journal)
    except (ImportError, OSError) as error:
        print(f"synaptica search: error: {error}", file=sys.stderr)
        return 2
    trials = args.trials if args.trials is not None or args.sampler == "grid" else DEFAULT_TRIALS
    progress = io.StringIO() if args.quiet else sys.stdout
    try:
        records = run_search(space, sampler, results, trials=trials, workers=args.workers, executor=args.executor,
                             out=progress)
    except KeyboardInterrupt:
        print(f"\nStopped. The finished trials are in {results.path}; run the same command to resume.",
              file=sys.stderr)
        return 130
    print(f"\n{format_table(records)}\n\nResults in {results.path}")
    return 0


def _quiet_optuna() -> None:
    """Optuna logs every study it creates; the search prints its own lines instead."""
    from synaptica.search.bayes import import_optuna
    optuna = import_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
