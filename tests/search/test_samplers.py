"""Grid and random search propose exactly what they promise; results files and the report."""

import itertools
import json
import math

import numpy as np
import pytest

from synaptica.errors import FormatError
from synaptica.search import (Choice, FloatRange, IntRange, ResultsFile, SearchSpace, format_table,
                              grid_search, random_search)
from synaptica.search.grid import grid_points, grid_values
from synaptica.search.random_search import trial_params


def space(**parameters) -> SearchSpace:
    return SearchSpace(fixed={}, parameters=parameters)


# ------------------------------------------------------------------------------------------ grid
def test_grid_values_of_each_kind():
    assert grid_values("lmbda", Choice((0.0, 0.5, 5.0))) == [0.0, 0.5, 5.0]
    assert grid_values("eta", FloatRange(0.0001, 1.0, log=True, points=5)) == [0.0001, 0.001, 0.01, 0.1, 1.0]
    assert grid_values("momentum", FloatRange(0.0, 0.9, points=4)) == [0.0, 0.3, 0.6, 0.9]
    assert grid_values("epochs", IntRange(1, 9, points=5)) == [1, 3, 5, 7, 9]
    # geometric spacing 1, 1.78, 3.16, 5.62, 10 rounds to distinct integers
    assert grid_values("batch_size", IntRange(1, 10, log=True, points=5)) == [1, 2, 3, 6, 10]
    # 1, 1.26, 1.59, 2 rounds to 1, 1, 2, 2: repeats are dropped, not run twice
    assert grid_values("batch_size", IntRange(1, 2, log=True, points=2)) == [1, 2]
    assert grid_values("epochs", IntRange(1, 3, log=True, points=3)) == [1, 2, 3]


def test_a_range_without_points_cannot_be_gridded():
    with pytest.raises(ValueError, match=r"search\.eta; add points = N"):
        grid_values("eta", FloatRange(0.01, 1.0, log=True))


def test_grid_enumerates_every_combination_exactly_once_in_file_order():
    s = space(eta=FloatRange(0.01, 1.0, log=True, points=3), lmbda=Choice((0.0, 5.0)),
              hidden=Choice(([30], [100, 30])), batch_size=IntRange(10, 30, points=2))
    points = grid_points(s)
    expected = [dict(zip(["eta", "lmbda", "hidden", "batch_size"], combination)) for combination in
                itertools.product([0.01, 0.1, 1.0], [0.0, 5.0], [[30], [100, 30]], [10, 30])]
    assert points == expected and len(points) == 24
    sampler = grid_search(s)
    assert sampler.size == 24
    proposals = [sampler.ask() for _ in range(24)]
    assert [number for number, _ in proposals] == list(range(24))
    assert [params for _, params in proposals] == expected
    assert sampler.ask() is None


# ---------------------------------------------------------------------------------------- random
RANDOM_SPACE = space(eta=FloatRange(1e-4, 1.0, log=True), momentum=FloatRange(0.0, 0.9),
                     epochs=IntRange(1, 4), batch_size=IntRange(1, 100, log=True),
                     activation=Choice(("relu", "tanh", "sigmoid")))


def test_random_search_is_seeded_and_each_trial_depends_only_on_its_number():
    first = [trial_params(RANDOM_SPACE, 7, n) for n in range(20)]
    assert first == [trial_params(RANDOM_SPACE, 7, n) for n in range(20)]
    assert first != [trial_params(RANDOM_SPACE, 8, n) for n in range(20)]
    assert trial_params(RANDOM_SPACE, 7, 13) == first[13]  # not the 13th draw of one stream
    sampler = random_search(RANDOM_SPACE, 7)
    assert [sampler.ask() for _ in range(5)] == [(n, first[n]) for n in range(5)]
    assert len({json.dumps(p, sort_keys=True) for p in first}) == 20


def test_random_draws_stay_in_range_and_follow_their_distributions():
    draws = [trial_params(RANDOM_SPACE, 0, n) for n in range(2000)]
    eta = np.array([d["eta"] for d in draws])
    assert eta.min() >= 1e-4 and eta.max() <= 1.0
    # log-uniform: each decade of [1e-4, 1] holds a quarter of the draws
    decades = np.histogram(np.log10(eta), bins=[-4, -3, -2, -1, 0])[0] / len(eta)
    assert np.allclose(decades, 0.25, atol=0.04), decades
    momentum = np.array([d["momentum"] for d in draws])
    assert momentum.min() >= 0 and momentum.max() <= 0.9 and abs(momentum.mean() - 0.45) < 0.03
    epochs = [d["epochs"] for d in draws]
    assert all(isinstance(e, int) for e in epochs) and set(epochs) == {1, 2, 3, 4}  # both ends included
    batch = np.array([d["batch_size"] for d in draws])
    assert batch.min() == 1 and batch.max() == 100
    assert abs(np.median(np.log(batch)) - math.log(10)) < 0.25  # log scale: median near √(1·100)
    assert {d["activation"] for d in draws} == {"relu", "tanh", "sigmoid"}


# ---------------------------------------------------------------------------------------- resume
def test_resume_skips_recorded_trials_and_refuses_ones_it_would_not_propose():
    sampler = random_search(RANDOM_SPACE, 3)
    recorded = [{"trial": n, "status": "ok", "params": json.loads(json.dumps(trial_params(RANDOM_SPACE, 3, n)))}
                for n in (0, 2)]
    sampler.resume(recorded)
    assert [sampler.ask()[0] for _ in range(3)] == [1, 3, 4]
    with pytest.raises(ValueError, match="trial 0 was run with .* a different space, sampler or seed"):
        random_search(RANDOM_SPACE, 4).resume(recorded)
    grid = grid_search(space(lmbda=Choice((0.0, 5.0))))
    with pytest.raises(ValueError, match="trial 7 is outside this grid search of 2 trials"):
        grid.resume([{"trial": 7, "status": "ok", "params": {"lmbda": 0.0}}])


# ----------------------------------------------------------------------------------- results file
def record(number, accuracy, status="ok", **params):
    return {"trial": number, "status": status, "params": params or {"eta": 0.1 * (number + 1)},
            "validation_accuracy": accuracy, "validation_cost": None if accuracy is None else 1 - accuracy,
            "best_epoch": None if accuracy is None else 0, "seconds": 1.25,
            "reason": "diverged: non-finite cost at epoch 0, batch 3" if status != "ok" else None}


def test_results_file_appends_whole_lines_and_reads_them_back(tmp_path):
    results = ResultsFile(tmp_path / "sub" / "r.jsonl")
    assert results.read() == []
    records = [record(0, 0.5), record(1, None, "failed"), record(2, 0.75)]
    for r in records:
        results.append(r)
    assert results.read() == records
    assert results.path.read_text().count("\n") == 3


def test_a_torn_last_line_is_skipped_then_repaired(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl")
    results.append(record(0, 0.5))
    with open(results.path, "a") as f:
        f.write('{"trial": 1, "status": "o')  # a write cut short
    assert results.read() == [record(0, 0.5)]
    assert results.repair() is True and results.repair() is False
    results.append(record(1, 0.6))
    assert results.read() == [record(0, 0.5), record(1, 0.6)]


def test_a_corrupt_line_is_refused_with_file_and_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(record(0, 0.5)) + "\nnot json\n")
    with pytest.raises(FormatError, match=r"r\.jsonl, line 2: not a JSON record"):
        ResultsFile(path).read()
    path.write_text('{"trial": 0}\n')
    with pytest.raises(FormatError, match=r"line 1: a trial record needs the keys trial, status, params"):
        ResultsFile(path).read()


def test_nan_is_never_written(tmp_path):
    with pytest.raises(ValueError):
        ResultsFile(tmp_path / "r.jsonl").append(record(0, float("nan")))
    assert not (tmp_path / "r.jsonl").exists()  # refused before the file is touched


# ---------------------------------------------------------------------------------------- report
def test_the_table_is_sorted_best_first_with_failures_last_and_their_reasons():
    records = [record(0, 0.5, eta=0.01), record(1, None, "failed", eta=100.0), record(2, 0.75, eta=0.1),
               record(3, 0.5, eta=0.02, hidden=[100, 30])]
    lines = format_table(records).splitlines()
    assert lines[0] == ("4 trials: 3 finished, 1 failed. Best: trial 2, validation accuracy 0.7500 "
                        "with eta = 0.1.")
    header = lines[2].split()
    assert header == ["rank", "trial", "accuracy", "cost", "epoch", "seconds", "eta", "hidden"]
    rows = [line.split() for line in lines[3:7]]
    assert [row[1] for row in rows] == ["2", "0", "3", "1"]  # ties by trial number, failed last
    assert rows[0][:4] == ["1", "2", "0.7500", "0.2500"]
    assert rows[2][-1] == "[100,30]"
    assert rows[3][:3] == ["-", "1", "failed"]
    assert lines[-1] == "trial 1 failed: diverged: non-finite cost at epoch 0, batch 3"
    assert format_table([]) == "No trials recorded yet."
