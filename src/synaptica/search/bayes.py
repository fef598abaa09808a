"""Bayesian search with Optuna's Tree-structured Parzen Estimator, in a study kept in a journal file.

Bayesian optimisation (Snoek, Larochelle and Adams 2012) models how the score depends on the
hyper-parameters from the trials run so far, and proposes next the setting the model expects to
improve on the best. Optuna's TPE (Bergstra, Bardenet, Bengio and Kégl 2011) is one such model: it
splits the finished trials into the best fraction γ and the rest, fits a density l(x) to the
parameters of the good ones and g(x) to the others, and proposes the candidate x that maximises
l(x) / g(x), which is the candidate with the greatest expected improvement. Its first trials
(``n_startup_trials``, 10 by default) are random.

The study lives in an Optuna journal file (``JournalStorage`` over ``JournalFileBackend``): an
append-only log of every operation, guarded by a file lock, so several processes (or machines
sharing a file system) can run trials for one study at once with no database server. Each process
asks for a trial, trains, and tells the result; every ask sees all the results told so far.

The seeded ``TPESampler`` makes one process with one worker repeat its proposals exactly; when
several processes or workers share a study the proposals depend on the order results arrive.

Optuna is imported only when this sampler is made, so the rest of synaptica runs without it; it is
the optional extra ``search`` (``pip install 'synaptica[search]'``).

References: J. Snoek, H. Larochelle and R. P. Adams, "Practical Bayesian optimization of machine
learning algorithms", NeurIPS 2012 (arXiv:1206.2944); J. Bergstra, R. Bardenet, Y. Bengio and
B. Kégl, "Algorithms for hyper-parameter optimization", NeurIPS 2011; T. Akiba et al., "Optuna: a
next-generation hyperparameter optimization framework", KDD 2019.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from synaptica.search.space import Choice, FloatRange, SearchSpace

_MISSING = ("the bayes sampler needs Optuna 4 or later, which is not installed: "
            "pip install 'synaptica[search]' (or pip install 'optuna>=4')")


def import_optuna():
    """The ``optuna`` module, or an ImportError that names the extra to install."""
    try:
        import optuna
    except ImportError:
        raise ImportError(_MISSING) from None
    if int(optuna.__version__.split(".")[0]) < 4:
        raise ImportError(f"{_MISSING}; found Optuna {optuna.__version__}")
    return optuna


def open_study(journal: str | os.PathLike[str], study_name: str, seed: int):
    """The study ``study_name`` in the journal file (created if new), maximising validation accuracy,
    with a TPE sampler seeded with ``seed``."""
    optuna = import_optuna()
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(journal)))
    return optuna.create_study(study_name=study_name, storage=storage, direction="maximize",
                               sampler=optuna.samplers.TPESampler(seed=seed), load_if_exists=True)


class OptunaSampler:
    """Proposes trials from a TPE study in ``journal``; its trial numbers are the study's, so
    processes sharing the journal never reuse one."""

    name = "bayes"
    size = None

    def __init__(self, space: SearchSpace, journal: str | os.PathLike[str], *, seed: int):
        if journal is None:
            raise ValueError("the bayes sampler needs a journal file for its study")
        self.space = space
        self.journal = Path(journal)
        self.optuna = import_optuna()
        self.study = open_study(self.journal, space.name, seed)
        self.running: dict[int, object] = {}

    def resume(self, records: list[dict]) -> None:
        pass  # the study in the journal already holds every told result

    def ask(self) -> tuple[int, dict]:
        trial = self.study.ask()
        params = {name: _suggest(trial, name, parameter) for name, parameter in self.space.parameters.items()}
        self.running[trial.number] = trial
        return trial.number, params

    def tell(self, number: int, record: dict) -> None:
        trial = self.running.pop(number)
        if record["status"] == "ok":
            self.study.tell(trial, record["validation_accuracy"])
        else:
            self.study.tell(trial, state=self.optuna.trial.TrialState.FAIL)


def _suggest(trial, name: str, parameter):
    """One value from Optuna. Optuna's choices must be numbers, strings, booleans or None, so a
    list (a ``hidden`` choice such as [100, 30]) goes through Optuna as its JSON text."""
    if isinstance(parameter, Choice):
        encoded = [json.dumps(value) if isinstance(value, list) else value for value in parameter.values]
        value = trial.suggest_categorical(name, encoded)
        return json.loads(value) if isinstance(parameter.values[encoded.index(value)], list) else value
    if isinstance(parameter, FloatRange):
        return trial.suggest_float(name, parameter.low, parameter.high, log=parameter.log)
    return trial.suggest_int(name, parameter.low, parameter.high, log=parameter.log)
