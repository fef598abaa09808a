"""Seed 000's two-layer network that learns XOR, written with synaptica's engine.

The seed's program: a 3-4-1 network of sigmoid neurons without biases (the third input is a constant
1 and plays the bias's part), weights drawn after ``np.random.seed(1)`` as ``2*random((3,4)) - 1``,
60,000 full-batch steps of backprop with learning rate 1 on the summed quadratic cost, the mean
absolute error printed every 10,000 steps. Here the same numbers come from a local RandomState(1)
(no global state is touched), the forward pass and the backward pass come from the engine, and
one step is one call of the Backprop rule.

    python examples/xor.py
"""

import numpy as np

from synaptica import Backprop, QuadraticCost, SGD
from synaptica.data import load_dataset
from synaptica.nn import Linear, Sequential, Sigmoid
from synaptica.train import predict


def build_network() -> Sequential:
    """3-4-1 sigmoid network with the seed's initial weights (float64, as NumPy's default)."""
    legacy = np.random.RandomState(1)  # the stream np.random.seed(1) gives, without the global state
    syn0 = 2 * legacy.random_sample((3, 4)) - 1
    syn1 = 2 * legacy.random_sample((4, 1)) - 1
    hidden = Linear(3, 4, bias=False, init="zeros", dtype=np.float64)
    output = Linear(4, 1, bias=False, init="zeros", dtype=np.float64)
    hidden.weight.data = syn0.T.copy()  # synaptica stores W as (out, in); the seed's syn0 is (in, out)
    output.weight.data = syn1.T.copy()
    return Sequential(hidden, Sigmoid(), output, Sigmoid())


def main(steps: int = 60_000) -> float:
    data = load_dataset("xor").train
    x, y = data.x.astype(np.float64), data.y.astype(np.float64)
    model = build_network()
    print(model.layers[0].weight.data.T)  # printed as the seed prints syn0 and syn1
    print(model.layers[2].weight.data.T)
    # the seed adds k.T·delta with rate 1: gradient descent on ½ Σ (a − y)², summed over the 4 examples
    rule = Backprop(QuadraticCost(reduction="sum"), SGD(model.parameters(), learning_rate=1.0))
    error = float("nan")
    for step in range(steps):
        if step % 10_000 == 0:
            error = float(np.mean(np.abs(y - predict(model, x))))
            print(f"Error:{error}")
        rule.step(model, (x, y))
    error = float(np.mean(np.abs(y - predict(model, x))))
    print(f"Final error after {steps} steps: {error}")
    print("Output after training:")
    print(predict(model, x))
    return error


if __name__ == "__main__":
    main()
