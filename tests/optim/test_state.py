"""Optimizer state: saved after some steps and loaded into a fresh optimizer, the run continues bitwise."""

import numpy as np
import pytest

from synaptica.nn import Parameter
from synaptica.optim import OPTIMIZERS, make_optimizer
from synaptica.optim.schedules import cosine


def _run(name, params, gradients, start_state=None, schedule=False):
    rate = cosine(0.05, 20) if schedule else 0.05
    optimizer = make_optimizer(name, params, rate, lmbda=0.1, n_examples=100,
                               momentum=0.9 if name == "sgd" else 0.0)
    if start_state is not None:
        optimizer.load_state_dict(start_state)
    for g in gradients:
        for p, grad in zip(params, g):
            p.grad = grad
        optimizer.step()
    return optimizer


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("schedule", [False, True])
def test_a_loaded_state_continues_exactly(name, schedule):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)]
    gradients = [[rng.standard_normal(a.shape).astype(np.float32) for a in start] for _ in range(10)]

    whole = [Parameter(a.copy()) for a in start]
    _run(name, whole, gradients, schedule=schedule)

    first = [Parameter(a.copy()) for a in start]
    state = _run(name, first, gradients[:4], schedule=schedule).state_dict()
    assert int(state["steps"]) == 4 and all(isinstance(v, np.ndarray) for v in state.values())
    resumed = [Parameter(p.data.copy()) for p in first]
    _run(name, resumed, gradients[4:], start_state=state, schedule=schedule)
    assert all(np.array_equal(a.data, b.data) for a, b in zip(whole, resumed))


def test_a_state_for_other_parameters_is_refused():
    optimizer = make_optimizer("adam", [Parameter(np.zeros((2, 2)))], 0.1)
    with pytest.raises(ValueError, match="unexpected entry '3.m' for 1 parameters"):
        optimizer.load_state_dict({"steps": np.array(1), "3.m": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="'0.m' has shape \\(3,\\), but parameter 0 has shape \\(2, 2\\)"):
        optimizer.load_state_dict({"steps": np.array(1), "0.m": np.zeros(3)})
