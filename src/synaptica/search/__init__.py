"""Hyper-parameter search: grid, random and Bayesian, over the settings of ``synaptica train``.

Nielsen's advice (Neural Networks and Deep Learning, ch. 3, "How to choose a neural network's
hyper-parameters?") comes first: get quick feedback from small runs, find the order of magnitude
of η where the cost starts to oscillate, then λ, then return to η. The automated techniques he
points to are here:

- grid search (:mod:`~synaptica.search.grid`): every combination of a few values per parameter;
- random search (:mod:`~synaptica.search.random_search`; Bergstra and Bengio 2012);
- Bayesian optimisation (:mod:`~synaptica.search.bayes`; Snoek, Larochelle and Adams 2012) with
  Optuna's TPE, the optional extra ``search``.

A space is a TOML file (:func:`load_space`; docs/search.md); each trial trains one network
(:func:`run_trial`) and is scored by its best validation accuracy; :func:`run_search` runs the
trials through a process pool and appends each result to a :class:`ResultsFile` as it finishes;
:func:`format_table` is the report. ``synaptica search`` is the command line.
"""

from synaptica.search.grid import grid_search as grid_search
from synaptica.search.load import load_space as load_space
from synaptica.search.random_search import random_search as random_search
from synaptica.search.report import format_table as format_table
from synaptica.search.results import ResultsFile as ResultsFile
from synaptica.search.runner import run_search as run_search
from synaptica.search.sampler import make_sampler as make_sampler
from synaptica.search.space import Choice as Choice
from synaptica.search.space import FloatRange as FloatRange
from synaptica.search.space import IntRange as IntRange
from synaptica.search.space import SearchSpace as SearchSpace
from synaptica.search.trial import run_trial as run_trial
