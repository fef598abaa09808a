"""Expanded training data, seen: a grid of training images and their shifted, rotated, sheared and
elastically distorted versions (Nielsen ch. 3 and 6; Simard, Steinkraus and Platt 2003).

The first row holds the originals; each further row applies one distortion, and the last all of them
in turn. Needs matplotlib (pip install 'synaptica[plot]').

    python examples/augment.py                          # Fashion-MNIST, writes augment.png
    python examples/augment.py --data mnist --out digits.png --seed 3
"""

import argparse

import numpy as np

from synaptica.data import load_dataset
from synaptica.data.augment import Augment, Elastic, Rotate, Shear, Shift

ROWS = [
    ("original", []),
    ("Shift(2)", [Shift(2)]),
    ("Rotate(15)", [Rotate(15)]),
    ("Shear(0.3)", [Shear(0.3)]),
    ("Elastic(34, 4)", [Elastic(alpha=34, sigma=4)]),
    ("all four", [Shift(2), Rotate(15), Shear(0.3), Elastic(alpha=34, sigma=4)]),
]


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist", help="dataset name or IDX directory")
    parser.add_argument("--out", default="augment.png", help="where to write the PNG")
    parser.add_argument("--columns", type=int, default=8, help="how many training images to show")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("examples/augment.py draws with matplotlib: pip install 'synaptica[plot]'") from None

    images = load_dataset(args.data).train.x[:args.columns].reshape(-1, 28, 28)
    rng = np.random.default_rng(args.seed)
    figure, axes = plt.subplots(len(ROWS), args.columns, figsize=(1.2 * args.columns, 1.3 * len(ROWS)),
                                squeeze=False)
    for row, (title, transforms) in enumerate(ROWS):
        shown = Augment(transforms)(images, rng) if transforms else images
        for column, image in enumerate(shown):
            axis = axes[row, column]
            axis.imshow(image, cmap="gray_r", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        axes[row, 0].set_ylabel(title, rotation=0, ha="right", va="center", fontsize=9)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    plt.close(figure)
    print(f"Wrote {args.out}: {len(ROWS)} rows of {args.columns} images")
    return args.out


if __name__ == "__main__":
    main()
