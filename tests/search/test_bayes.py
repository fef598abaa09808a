"""Bayesian search with Optuna: seeded proposals, failures told as failures, and one study shared
through a journal file by two processes."""

import json
import os
import subprocess
import sys

import pytest

from synaptica.search import Choice, FloatRange, IntRange, SearchSpace
from synaptica.search.bayes import OptunaSampler, open_study
from tests.conftest import REPO
from tests.search.spaces import CLI, write_space

SPACE = SearchSpace(fixed={}, parameters={
    "eta": FloatRange(1e-3, 1.0, log=True), "epochs": IntRange(1, 5),
    "hidden": Choice(([30], [100, 30])), "cost": Choice(("quadratic", "log-likelihood"))})


@pytest.fixture(scope="module")
def optuna():
    """Optuna is an optional extra of the library but part of ``dev``: when it is missing these tests
    fail rather than skip."""
    try:
        import optuna
    except ImportError:
        pytest.fail("Optuna is missing: pip install -e '.[dev]' (or '.[search]')")
    return optuna


def test_the_seeded_sampler_repeats_its_proposals_and_decodes_list_choices(tmp_path, optuna):
    def proposals(journal, seed):
        sampler = OptunaSampler(SPACE, journal, seed=seed)
        asked = [sampler.ask() for _ in range(4)]
        for number, params in asked:
            sampler.tell(number, {"status": "ok", "validation_accuracy": params["eta"]})
        return asked

    first = proposals(tmp_path / "a.journal", 5)
    assert first == proposals(tmp_path / "b.journal", 5)
    assert first != proposals(tmp_path / "c.journal", 6)
    assert [number for number, _ in first] == [0, 1, 2, 3]
    for _, params in first:
        assert 1e-3 <= params["eta"] <= 1.0 and params["epochs"] in range(1, 6)
        assert params["hidden"] in ([30], [100, 30]) and params["cost"] in ("quadratic", "log-likelihood")
    study = open_study(tmp_path / "a.journal", SPACE.name, 0)
    assert [t.value for t in study.trials] == [params["eta"] for _, params in first]


def test_a_failed_trial_is_told_as_failed(tmp_path, optuna):
    sampler = OptunaSampler(SPACE, tmp_path / "s.journal", seed=0)
    number, _ = sampler.ask()
    sampler.tell(number, {"status": "failed", "validation_accuracy": None})
    study = open_study(tmp_path / "s.journal", SPACE.name, 0)
    assert study.trials[0].state == optuna.trial.TrialState.FAIL


@pytest.mark.slow
def test_two_processes_share_one_study_through_the_journal_file(tmp_path, subset_dir, optuna):
    space = write_space(tmp_path, "[search.eta]\nlow = 0.01\nhigh = 1.0\nlog = true\n\n"
                                  "[search.lmbda]\nchoices = [0.0, 5.0]\n", dataset=str(subset_dir),
                        train_examples=500, validation_examples=200, hidden=[5])
    journal = tmp_path / "shared.journal"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO / "src"))
    processes = [subprocess.Popen([sys.executable, *CLI, "search", str(space), "--sampler", "bayes", "--trials", "3",
                                   "--seed", str(seed), "--journal", str(journal), "--results", f"{name}.jsonl"],
                                  cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for seed, name in [(1, "a"), (2, "b")]]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert "A new study created" not in stderr  # Optuna's own log lines are quietened
    records = {name: [json.loads(line) for line in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
               for name in "ab"}
    assert len(records["a"]) == len(records["b"]) == 3
    numbers = {name: {r["trial"] for r in records[name]} for name in "ab"}
    assert not numbers["a"] & numbers["b"]  # the study gave each process its own trial numbers
    study = open_study(journal, "space", 0)
    assert len(study.trials) == 6 and {t.number for t in study.trials} == numbers["a"] | numbers["b"]
    for r in records["a"] + records["b"]:
        trial = study.trials[r["trial"]]
        assert trial.state == optuna.trial.TrialState.COMPLETE and trial.value == r["validation_accuracy"]
        assert trial.params == r["params"]

