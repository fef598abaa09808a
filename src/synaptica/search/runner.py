"""The search loop: ask the sampler, train in parallel, record each result the moment it arrives.

    read the results file; the sampler skips what it already holds
    keep `workers` trials running:
        number, params = sampler.ask()
        submit run_trial(number, params, settings) to the executor
    as each trial finishes (in any order):
        append its record to the results file (flushed), tell the sampler, print one line

Trials run through an executor of :mod:`synaptica.parallel`: in this process (``serial``, the default
for one worker), in ``workers`` spawned processes (``process``, the default for more) or on a Ray
cluster (``ray``), each worker training with one BLAS thread. A trial is the worker task
:func:`~synaptica.search.trial.trial_task`: only the parameters and settings (JSON) go to a worker
and only the record comes back, since each trial loads its own data: the pattern of Salimans et al.
(2017), who send seeds and scores, not weights. A worker that dies has its trial run again.

A trial that diverges comes back as a ``failed`` record and the search goes on. Any other error in a
trial (a bug, running out of memory) stops the search: the trials still running are let finish and
recorded, then the error is raised. Either way nothing already recorded is lost, and running the
same search again resumes it.
"""

from __future__ import annotations

import sys
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import TextIO

from synaptica.errors import FormatError
from synaptica.parallel import make_executor, task_name
from synaptica.search.report import format_value
from synaptica.search.results import ResultsFile
from synaptica.search.sampler import Sampler
from synaptica.search.space import SearchSpace
from synaptica.search.trial import trial_task, training_data

#: the worker task that trains one trial
TRIAL_TASK = task_name(trial_task)


def run_search(space: SearchSpace, sampler: Sampler, results: ResultsFile, *, trials: int | None,
               workers: int = 1, executor: str | None = None, out: TextIO | None = None) -> list[dict]:
    """Run trials until ``results`` holds ``trials`` of them (or the sampler runs out); return every record.

    Args:
        space: what to search.
        sampler: proposes the trials (:func:`synaptica.search.sampler.make_sampler`).
        results: the results file; the trials it already holds count towards ``trials``.
        trials: how many trials the file should hold when the search ends; None for every trial the
            sampler can propose (the whole grid).
        workers: trials run at once (processes); 1 runs them one after another in this process.
        executor: ``serial``, ``process`` or ``ray`` (:func:`synaptica.parallel.make_executor`);
            default ``serial`` for one worker and ``process`` for more.
        out: where the one-line progress reports go (default: standard output).

    Raises:
        ValueError: the results file holds trials this sampler would not have proposed, or
            ``trials`` is None for a sampler with no end.
        DataError: the dataset cannot be loaded, or holds fewer examples than the space asks for.
        Exception: whatever a trial raised other than divergence, once the running trials are
            recorded; a note names the trial.
    """
    out = sys.stdout if out is None else out
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    target = trials if trials is not None else sampler.size
    if target is None:
        raise ValueError(f"the {sampler.name} sampler has no end: give a number of trials")
    if sampler.size is not None:
        target = min(target, sampler.size)
    if results.repair():
        print(f"{results.path}: removed a last line left incomplete by an interrupted write", file=out)
    records = read_results(results)
    try:
        sampler.resume(records)
    except ValueError as error:
        raise ValueError(f"{results.path}: {error}; give a new --results file to start afresh") from None
    remaining = target - len(records)
    if remaining <= 0:
        print(f"{results.path} already holds {len(records)} trials: nothing to run", file=out, flush=True)
        return records
    if "dataset" not in space.parameters:
        training_data(space.settings({}))  # a missing dataset or too few examples: stop before any trial
    executor = make_executor(executor or ("serial" if workers == 1 else "process"), workers)
    print(f"{sampler.name} search of {space.source}: {remaining} trials to run "
          f"({len(records)} already in {results.path}), {workers} worker{'s' if workers > 1 else ''} "
          f"({executor.name})", file=out, flush=True)
    blas = 1  # every executor runs a task with one BLAS thread: the same trial gives the same bits anywhere
    running: dict[Future, int] = {}
    submitted, error = 0, None
    try:
        while True:
            while error is None and len(running) < workers and submitted < remaining:
                proposal = sampler.ask()
                if proposal is None:
                    remaining = submitted
                    break
                number, params = proposal
                payload = {"number": number, "params": params, "settings": space.settings(params), "blas": blas}
                running[executor.submit(TRIAL_TASK, payload, f"trial {number}")] = number
                submitted += 1
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                number = running.pop(future)
                if future.exception() is not None:
                    # not a result, so not recorded (a resumed search runs the trial again), but a
                    # shared Bayesian study must not keep it as running for ever
                    sampler.tell(number, {"trial": number, "status": "error", "params": {},
                                          "reason": repr(future.exception())})
                    if error is None:  # the first error is the one raised; the others had the same fate
                        error = future.exception()
                        error.add_note(f"(raised by trial {number}; the finished trials are in {results.path})")
                    continue
                record = future.result()
                results.append(record)
                sampler.tell(number, record)
                records.append(record)
                print(_progress_line(record), file=out, flush=True)
    finally:
        executor.close()
    if error is not None:
        raise error
    return records


def read_results(results: ResultsFile) -> list[dict]:
    """Every record of ``results`` (:meth:`ResultsFile.read`), with a file that is not UTF-8 text refused
    as a FormatError naming it."""
    try:
        return results.read()
    except UnicodeDecodeError as error:
        raise not_utf8(results.path, error, "a results file is JSON lines") from None


def not_utf8(path, error: UnicodeDecodeError, why: str) -> FormatError:
    """The error for a file that should be UTF-8 text and is not: names the file, the byte and ``why``."""
    return FormatError(f"{path}: not UTF-8 text (byte {error.start} is {error.object[error.start]:#04x}); {why}, "
                       "which is UTF-8")


def _progress_line(record: dict) -> str:
    params = ", ".join(f"{name}={format_value(value)}" for name, value in record["params"].items())
    if record["status"] == "ok":
        outcome = f"validation accuracy {record['validation_accuracy']:.4f}"
    else:
        outcome = f"{record['status']}: {record['reason']}"
    return f"trial {record['trial']} ({params}): {outcome} ({record['seconds']:.1f} s)"
