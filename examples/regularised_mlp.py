"""A regularised fully connected network on Fashion-MNIST: ReLU layers with He initialisation,
dropout after every hidden layer, Adam with a cosine learning-rate decay by epoch, one-pixel shifts
of the training images, and the weights of the best validation epoch kept.

    python examples/regularised_mlp.py                     # seed 0, the recipe below
    python examples/regularised_mlp.py --seed 1 --epochs 25 --input-dropout 0.1 --dropout 0.3
    python examples/regularised_mlp.py --torch             # the same recipe trained by PyTorch
    python examples/regularised_mlp.py --limit 5000 --epochs 1   # a quick look on 5,000 images

Each technique here is in the lecture notes and Nielsen's chapter 3; what each one adds on its own is
measured in docs/results.md ("What each technique adds"):

- ReLU units with He initialisation, N(0, 2/n_in) (He et al., "Delving deep into rectifiers", ICCV
  2015), so that the activations keep their scale through the layers;
- dropout (Srivastava et al., JMLR 2014): each hidden unit is dropped with probability p while
  training, and with ``--input-dropout`` each input pixel with probability p_in (their MNIST networks
  drop 20% of the inputs; on Fashion-MNIST at this budget it held the network back, docs/results.md);
- Adam (Kingma and Ba, ICLR 2015), with η falling along half a cosine from η₀ to η₀/100 over the
  run, one value per epoch (Loshchilov and Hutter, ICLR 2017, without restarts):
  ηₑ = η_min + ½ (η₀ − η_min)(1 + cos(π e / E));
- expanded training data: every image is shifted by −1, 0 or +1 pixel in each direction as it is
  drawn (Nielsen ch. 6; Simard et al. 2003), so no epoch sees exactly the same images twice;
- model selection: the weights of the epoch with the best validation accuracy are kept, and the
  test set is read once, at the end.

``--torch`` trains the same network from the same initial weights, with the same shifted batches,
in PyTorch (a benchmark dependency, not one of synaptica's: ``pip install torch``).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from synaptica import Backprop, LogLikelihoodCost
from synaptica.data import load_dataset
from synaptica.data.augment import Augment, Shift
from synaptica.nn import Dropout, Linear, ReLU, Sequential
from synaptica.optim import Adam
from synaptica.optim.schedules import cosine
from synaptica.train import evaluate, fit
from synaptica.train.callbacks import EpochSchedule

#: the recipe; every value can be changed from the command line
RECIPE = {"hidden": [1024, 512], "dropout": 0.2, "input_dropout": 0.0, "eta": 1e-3, "batch_size": 128,
          "epochs": 50, "shift": 1}


def build_network(sizes: list[int], dropout: float, input_dropout: float, rng: np.random.Generator) -> Sequential:
    """[Dropout(p_in)] → (Linear → ReLU → Dropout(p)) per hidden layer → Linear (logits)."""
    layers = [Dropout(input_dropout, rng=rng)] if input_dropout else []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [Linear(n_in, n_out, init="he", rng=rng), ReLU()]
        if dropout:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Linear(sizes[-2], sizes[-1], init="he", rng=rng))
    return Sequential(layers)


def epoch_learning_rate(eta: float, epochs: int):
    """η for each epoch: half a cosine from η₀ down to η₀/100 at the last epoch."""
    return cosine(eta, total_steps=max(epochs - 1, 1), min_learning_rate=eta / 100)


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--seed", type=int, default=0, help="seed for the weights, dropout masks, shuffling and shifts")
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--limit", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--hidden", type=int, nargs="+", default=RECIPE["hidden"], help="hidden layer sizes")
    parser.add_argument("--dropout", type=float, default=RECIPE["dropout"], help="p after each hidden layer")
    parser.add_argument("--input-dropout", type=float, default=RECIPE["input_dropout"], help="p on the input pixels")
    parser.add_argument("--eta", type=float, default=RECIPE["eta"], help="Adam's first learning rate η₀")
    parser.add_argument("--batch-size", type=int, default=RECIPE["batch_size"])
    parser.add_argument("--shift", type=int, default=RECIPE["shift"], help="largest shift in pixels (0: none)")
    parser.add_argument("--torch", action="store_true", help="train the same recipe in PyTorch instead")
    return parser.parse_args(argv)


def main(argv=None) -> float:
    args = parse_arguments(argv)
    splits = load_dataset(args.data)
    train, validation, test = splits.train, splits.validation, splits.test
    x_train, y_train = train.x[:args.limit], train.y[:args.limit]
    rng = np.random.default_rng(args.seed)
    net = build_network([train.x.shape[1], *args.hidden, train.n_classes], args.dropout, args.input_dropout, rng)
    side = int(round(np.sqrt(train.x.shape[1])))
    augment = Augment([Shift(args.shift)], image_shape=(side, side)) if args.shift else None
    print(f"{net!r}\nAdam η₀ = {args.eta:g} (cosine by epoch), batch {args.batch_size}, {args.epochs} epochs, "
          f"Shift({args.shift}), {len(x_train)} training images, seed {args.seed}"
          + (", trained by PyTorch" if args.torch else ""))
    started = time.perf_counter()
    if args.torch:
        accuracy = train_in_torch(net, args, (x_train, y_train), validation, test, augment, rng)
    else:
        optimizer = Adam(net.parameters(), args.eta)
        schedule = EpochSchedule(optimizer, epoch_learning_rate(args.eta, args.epochs))
        fit(net, Backprop(LogLikelihoodCost(), optimizer), (x_train, y_train), epochs=args.epochs,
            batch_size=args.batch_size, rng=rng, validation=(validation.x, validation.y), restore_best=True,
            callbacks=[schedule], augment=augment)
        accuracy = evaluate(net, test.x, test.y).accuracy
    print(f"Test accuracy: {accuracy:.4f} (seed {args.seed}, {time.perf_counter() - started:.0f} s)")
    return accuracy


def train_in_torch(net: Sequential, args, train, validation, test, augment, rng: np.random.Generator) -> float:
    """The same network (initial weights copied from ``net``), optimizer, schedule, batches and shifts,
    in PyTorch; the best validation epoch's weights are kept. Returns the test accuracy."""
    import torch
    from torch import nn

    if os.environ.get("OPENBLAS_NUM_THREADS"):  # the thread count NumPy's BLAS was given, for a fair comparison
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
    torch.manual_seed(args.seed)
    layers = []
    for layer in net.layers:
        if isinstance(layer, Linear):
            twin = nn.Linear(layer.in_features, layer.out_features)
            with torch.no_grad():
                twin.weight.copy_(torch.from_numpy(layer.weight.data))
                twin.bias.copy_(torch.from_numpy(layer.bias.data))
            layers.append(twin)
        elif isinstance(layer, ReLU):
            layers.append(nn.ReLU())
        else:
            layers.append(nn.Dropout(layer.p))
    model = nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.eta)
    schedule = epoch_learning_rate(args.eta, args.epochs)
    x_train, y_train = train

    def accuracy_on(x, y) -> float:
        model.eval()
        with torch.no_grad():
            predictions = model(torch.from_numpy(x)).argmax(dim=1).numpy()
        model.train()
        return float(np.mean(predictions == y))

    best, best_state = -1.0, None
    for epoch in range(args.epochs):
        for group in optimizer.param_groups:
            group["lr"] = schedule(epoch)
        started = time.perf_counter()
        order = rng.permutation(len(x_train))
        for start in range(0, len(x_train), args.batch_size):
            rows = order[start:start + args.batch_size]
            x = augment(x_train[rows], rng) if augment else x_train[rows]
            loss = nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y_train[rows]).long())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        accuracy = accuracy_on(validation.x, validation.y)
        print(f"Epoch {epoch}: validation accuracy {accuracy:.4f} ({time.perf_counter() - started:.2f} s)", flush=True)
        if accuracy > best:
            best, best_state = accuracy, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return accuracy_on(test.x, test.y)


if __name__ == "__main__":
    main()
