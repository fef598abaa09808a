"""What does a CNN learn? Train a small CNN on Fashion-MNIST (or load one) and draw every answer.

Seed notes 004, "What does CNN learn?", Deep Dream and Deep Style, on a network small enough to train
in seconds:

    Conv2d(1→8, 5×5), ReLU, MaxPool2d(2)     layers 0-2
    Conv2d(8→16, 5×5), ReLU, MaxPool2d(2)    layers 3-5
    Flatten, Linear(256→10)                   layers 6-7 (the class logits)

Pictures written into --out:

    filters.png           the first layer's eight 5×5 kernels (red positive, blue negative)
    features-layer1.png   the first layer's feature maps (after ReLU) for one test image
    features-layer4.png   the second layer's feature maps for the same image
    channels-layer3.png   for each second-layer filter, the image that excites it most (textures)
    classes.png           for each class, an image the network assigns to it with p ≥ 0.99
    saliency.png          |∂S_c/∂x| for six test images: the pixels the class score depends on
    dream.png             Deep Dream at layer 4 on six test images: what the network "sees", exaggerated
    style.png             Deep Style: a test image's content in another's style (Gatys et al. use VGG;
                          here this small network serves)

    python examples/what_cnn_learns.py                          # 10,000 images, 3 epochs: about 30 s
    python examples/what_cnn_learns.py --limit 4000 --epochs 2 --out pictures
    python examples/what_cnn_learns.py --model cnn.safetensors  # explain a saved network instead
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from synaptica import Backprop, SGD
from synaptica.data import load_dataset
from synaptica.interpret import (
    deep_dream, feature_maps, first_layer_filters, maximize_channel, maximize_class, saliency_maps, style_transfer,
)
from synaptica.io import load_model, save_model
from synaptica.losses import get_cost
from synaptica.nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from synaptica.train import evaluate, fit
from synaptica.viz.cnn import (
    plot_before_after, plot_feature_maps, plot_filters, plot_image_grid, plot_saliency, plot_style_transfer,
)
from synaptica.viz.command import FASHION_CLASSES


def small_cnn(seed: int) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 8, 5, rng=rng), ReLU(), MaxPool2d(2),
        Conv2d(8, 16, 5, rng=rng), ReLU(), MaxPool2d(2),
        Flatten(), Linear(256, 10, init="he", rng=rng),
    )


def train(args, data) -> Sequential:
    shape = data.train.image_shape
    x, y = data.train.x[:args.limit].reshape(-1, *shape), data.train.y[:args.limit]
    net = small_cnn(args.seed)
    rule = Backprop(get_cost("log-likelihood"), SGD(net.parameters(), learning_rate=0.05))
    started = time.perf_counter()
    fit(net, rule, (x, y), epochs=args.epochs, batch_size=32, rng=args.seed,
        validation=(data.validation.x.reshape(-1, *shape), data.validation.y))
    print(f"Trained on {len(x)} images in {time.perf_counter() - started:.1f} s")
    return net


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default=None, help="a saved CNN to explain instead of training one")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=10_000, help="training images used")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="what_cnn_learns", help="directory for the pictures")
    parser.add_argument("--save", default=None, help="also save the trained network here (.safetensors)")
    args = parser.parse_args(argv)

    data = load_dataset("fashion-mnist")
    shape = data.test.image_shape
    test_x, test_y = data.test.x.reshape(-1, *shape), data.test.y
    net = load_model(args.model)[0] if args.model else train(args, data)
    if args.save:
        save_model(args.save, net)
    print(f"Test accuracy: {evaluate(net, test_x, test_y).accuracy:.4f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = []

    written.append(plot_filters(first_layer_filters(net), out / "filters.png"))
    for layer in (1, 4):
        maps = feature_maps(net, test_x[0], layer)
        written.append(plot_feature_maps(maps, out / f"features-layer{layer}.png", image=test_x[0],
                                         title=f"Test image 0: layer {layer} {net[layer]!r} ({net[layer - 1]!r})"))

    channels = maximize_channel(net, 3, range(16), shape, rng=args.seed)
    written.append(plot_image_grid(channels.images[:, 0], out / "channels-layer3.png", value_range=(0.0, 1.0),
                                   titles=[f"{c}: {a:.2f}" for c, a in zip(channels.channels, channels.activations)],
                                   title="Images maximising each filter of layer 3 (mean activation)"))

    classes = maximize_class(net, range(10), shape, rng=args.seed)
    for c, p in zip(classes.classes, classes.probabilities):
        print(f"class {c} {FASHION_CLASSES[c]:<12} p = {p:.4f}")
    written.append(plot_image_grid(classes.images[:, 0], out / "classes.png", value_range=(0.0, 1.0), columns=5,
                                   titles=[f"{c} {FASHION_CLASSES[c]}\np={p:.3f}"
                                           for c, p in zip(classes.classes, classes.probabilities)],
                                   panel_inches=1.5, title="Images maximising each class's logit (L1 + TV prior)"))

    picked = np.array([int(np.flatnonzero(test_y == c)[0]) for c in (0, 1, 5, 7, 8, 9)])
    saliency = saliency_maps(net, test_x[picked])
    written.append(plot_saliency(test_x[picked], saliency.maps, out / "saliency.png",
                                 titles=[FASHION_CLASSES[c] for c in saliency.classes]))

    dream = deep_dream(net, test_x[picked], 4, rng=args.seed)
    print(f"Deep Dream at layer 4: RMS activation {dream.start_norm.mean():.3f} -> {dream.end_norm.mean():.3f}")
    written.append(plot_before_after(test_x[picked], dream.images, out / "dream.png", title="Deep Dream at layer 4"))

    content, style = test_x[int(np.flatnonzero(test_y == 9)[0])], test_x[int(np.flatnonzero(test_y == 8)[0])]
    result = style_transfer(net, content, style, rng=args.seed)
    print(f"Deep Style: content loss {result.content_loss[0]:.3g} -> {result.content_loss[-1]:.3g}, "
          f"style loss {result.style_loss[0]:.3g} -> {result.style_loss[-1]:.3g}")
    written.append(plot_style_transfer(content, style, result.image, out / "style.png",
                                       title="Deep Style: an ankle boot in the style of a bag"))
    for path in written:
        print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
