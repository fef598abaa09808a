"""The training recipes: one place for the defaults the command line and the search start from."""

from synaptica.recipes import CNN_DEFAULTS, DEFAULTS, ES_DEFAULTS, VARYING, recipe
from synaptica.search.settings import SETTINGS


def test_each_model_and_rule_gets_its_own_defaults_in_that_order():
    assert recipe("mlp", "backprop") == {"eta": 0.1, "lmbda": 0.5, "batch_size": 32, "epochs": 20,
                                         "schedule": "constant", "optimizer": "sgd"}
    cnn = recipe("cnn", "feedback-alignment")
    assert {name: cnn[name] for name in CNN_DEFAULTS} == CNN_DEFAULTS and cnn["optimizer"] == "adam"
    es = recipe("cnn", "evolution-strategies")  # the rule's defaults win over the model's
    assert all(es[name] == ES_DEFAULTS[name] for name in VARYING if name in ES_DEFAULTS)
    assert es["lmbda"] == CNN_DEFAULTS["lmbda"]


def test_the_search_starts_from_the_same_defaults():
    for name in ("activation", "cost", "init", "eta", "lmbda", "batch_size", "epochs", "rule", "seed"):
        assert SETTINGS[name].default == DEFAULTS[name], name
    assert SETTINGS["hidden"].default == [int(size) for size in DEFAULTS["hidden"].split(",")]
