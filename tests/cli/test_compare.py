"""``synaptica compare`` run as a user runs it: five rules on a 4,000-image IDX subset, and its refusals;
``synaptica train --rule dni``."""

import csv
import re

import numpy as np
import pytest

from synaptica.cli import build_parser, main
from synaptica.cli.train import recipe_defaults, rule_options
from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.rules import make_rule
from tests.conftest import run_python
from tests.png_check import assert_png_not_blank

CLI = ["-m", "synaptica.cli"]


def test_five_rules_on_one_network_write_a_table_and_curves(subset_dir, tmp_path):
    out = tmp_path / "report"
    result = run_python([*CLI, "compare", "--rules", "backprop,fa,dfa,dni,es", "--data", str(subset_dir),
                         "--epochs", "1", "--seeds", "0,1", "--hidden", "32", "--angle-examples", "200",
                         "--out", str(out)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[1/10] backprop, seed 0" in result.stdout and "[10/10] evolution-strategies, seed 1" in result.stdout
    with open(out / "results.csv", newline="") as f:
        rows = {row["rule"]: row for row in csv.DictReader(f)}
    assert list(rows) == ["backprop", "feedback-alignment", "direct-feedback-alignment", "synthetic-gradients",
                          "evolution-strategies"]
    for rule, row in rows.items():
        assert row["seeds"] == "2"
        assert 0 <= float(row["test_accuracy_sd"]) <= 0.5 and float(row["seconds"]) > 0
        assert float(row["steps_per_second"]) > 0
        assert 0 <= float(row["test_accuracy_mean"]) <= 1, row  # one short epoch: only backprop is sure to learn
        if rule == "backprop":
            assert row["angle_layers.0.weight"] == "" and float(row["test_accuracy_mean"]) > 0.5
        else:
            assert 0 < float(row["angle_layers.0.weight"]) < 180, row  # a hidden layer: not backprop's update
    for rule in ("feedback-alignment", "direct-feedback-alignment", "synthetic-gradients"):
        assert float(rows[rule]["angle_layers.2.weight"]) < 1e-3  # the output layer gets the true error
    assert rows["evolution-strategies"]["settings"] == "adam η=0.01 batch 500 cosine"  # its own recipe
    assert rows["synthetic-gradients"]["settings"] == "adam η=0.001 batch 32"
    table = (out / "results.md").read_text()
    assert "| rule | settings | test accuracy (mean ± sd) | seconds | steps/s |" in table
    assert re.search(r"\| backprop \| sgd η=0.1 batch 32 \| 0\.\d{4} ± 0\.\d{4} \|", table)
    assert_png_not_blank(out / "curves.png")


def test_an_unknown_rule_is_refused_with_the_known_ones(capsys):
    for rules, message in [("backprop,dfb", "unknown rule 'dfb'"), ("bp,backprop", "named twice")]:
        with pytest.raises(SystemExit) as stopped:
            main(["compare", "--rules", rules])
        error = capsys.readouterr().err
        last = error.strip().splitlines()[-1]  # after argparse's usage lines, one line of error
        assert stopped.value.code == 2 and last.startswith("synaptica compare: error: argument --rules") and message in last
    with pytest.raises(SystemExit):
        main(["compare", "--rules", "dfb"])
    assert "synthetic-gradients" in capsys.readouterr().err


def test_synthetic_gradients_from_the_command_line(subset_dir, tmp_path):
    """cDNI by its alias: learns (3 epochs from zero predictors), and --conditional belongs to it alone."""
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--epochs", "3", "--rule", "dni", "--conditional",
                         "--hidden", "64,64", "--batch-norm", "--log-dir", str(tmp_path / "runs")], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rule synthetic-gradients, Adam" in result.stdout and "BatchNorm1d" in result.stdout
    assert float(re.search(r"Test accuracy: ([0-9.]+)", result.stdout).group(1)) > 0.3  # chance: 0.1
    with pytest.raises(ValueError, match="--conditional belongs to --rule synthetic-gradients, not backprop"):
        recipe_defaults(build_parser().parse_args(["train", "--conditional"]))


def test_the_synthetic_gradient_options_reach_the_rule_and_belong_to_it_alone():
    """--layers-per-block and --predictor-eta build the rule with them (one predictor for a block of
    both hidden layers); given to another rule they are refused by name."""
    args = build_parser().parse_args(["train", "--rule", "dni", "--layers-per-block", "2", "--predictor-eta", "0.01"])
    recipe_defaults(args)
    options = rule_options(args, None)
    assert options == {"conditional": False, "layers_per_block": 2, "predictor_learning_rate": 0.01}
    model = mlp([6, 5, 4, 3], "relu", rng=0)
    rule = make_rule(args.rule, get_cost("log-likelihood"), Adam(model.parameters(), 1e-3), **options)
    rule.bind(model, np.random.default_rng(0))
    rule.step(model, (np.ones((2, 6), np.float32), np.array([0, 2])))
    assert list(rule.predictors) == ["layers.3"] and rule.predictor_learning_rate == 0.01
    for given in (["--layers-per-block", "2"], ["--predictor-eta", "0.01"]):
        with pytest.raises(ValueError, match=f"{given[0]} belongs to --rule synthetic-gradients, not backprop"):
            recipe_defaults(build_parser().parse_args(["train", *given]))
    with pytest.raises(ValueError, match="--population belongs to --rule evolution-strategies, not backprop"):
        recipe_defaults(build_parser().parse_args(["train", "--population", "4"]))
