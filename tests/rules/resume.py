"""The check every stateful rule passes: its state saved mid-run and loaded into a fresh rule continues bitwise."""

import numpy as np


def assert_resumes_exactly(fresh, batches, split: int = 10) -> None:
    """``fresh()`` builds a new (model, rule); train on ``batches`` at once, and again with the model's
    and the rule's state saved after ``split`` batches and loaded into a fresh pair (bound to another
    seed, so anything not restored would show): the weights must be bitwise equal."""
    model, rule = fresh()
    rule.bind(model, np.random.default_rng(2))
    for batch in batches[:split]:
        rule.step(model, batch)
    weights, state = {k: v.copy() for k, v in model.state_dict().items()}, rule.state_dict()
    for batch in batches[split:]:
        rule.step(model, batch)
    resumed, resumed_rule = fresh()
    resumed.load_state_dict(weights)
    resumed_rule.bind(resumed, np.random.default_rng(99))
    resumed_rule.load_state_dict(state)
    for batch in batches[split:]:
        resumed_rule.step(resumed, batch)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(model.parameters(), resumed.parameters()))
