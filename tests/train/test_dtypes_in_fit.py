"""fit casts the data to the model's dtype, as predict does: float64 arrays train a float32 model and
float32 arrays a float64 one, with every rule."""

import numpy as np
import pytest

from synaptica import LogLikelihoodCost, fit
from synaptica.nn import mlp
from synaptica.optim import Adam
from synaptica.rules import NETWORK_RULES, make_rule
from synaptica.train import LayerSpeedMonitor


@pytest.mark.parametrize("rule_name", sorted(set(NETWORK_RULES) - {"damped-newton"}))
@pytest.mark.parametrize("model_dtype, data_dtype", [(np.float32, np.float64), (np.float64, np.float32)])
def test_every_rule_trains_a_model_on_data_of_another_dtype(rule_name, model_dtype, data_dtype):
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 8)).astype(data_dtype), rng.integers(0, 3, 60)
    model = mlp([8, 6, 5, 3], "tanh", rng=0, dtype=model_dtype)
    options = {"population": 6} if rule_name == "evolution-strategies" else {}
    rule = make_rule(rule_name, LogLikelihoodCost(), Adam(model.parameters(), 0.01), **options)
    monitor = LayerSpeedMonitor(LogLikelihoodCost(), x[:20], y[:20], model=model)
    history = fit(model, rule, (x, y), epochs=2, batch_size=20, rng=0, verbose=False, callbacks=[monitor])
    assert np.isfinite(history.train_cost).all() and len(monitor.epochs) == 3
    assert all(p.dtype == model_dtype for p in model.parameters())
