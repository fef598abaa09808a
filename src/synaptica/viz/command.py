"""``synaptica visualize``: pictures of what a saved network learned, one kind per call.

    synaptica visualize cnn.safetensors --what filters                   # first-layer kernels
    synaptica visualize cnn.safetensors 7 --what features --layer 1      # layer 1's maps for test image 7
    synaptica visualize cnn.safetensors --what maximize                  # an image for every class
    synaptica visualize cnn.safetensors --what maximize --layer 3        # an image for every channel of layer 3
    synaptica visualize cnn.safetensors shirt.png --what saliency --class 6
    synaptica visualize cnn.safetensors 12 --what dream --layer 4 --steps 40

IMAGE, written right after MODEL (argparse ends the positional arguments at the first option), is
an index into the test split of ``--data`` (default: image 0), or a file: a PNG (read with
matplotlib's ``imread``; colour is averaged to grey for a one-channel network, an alpha channel is
dropped) or an IDX file such as ``t10k-images-idx3-ubyte.gz`` (its first image; bytes are scaled
to [0, 1]). Other formats (JPEG, ...) are refused. Layers are numbered from 0 as the model prints
them. The pictures go into ``--out`` (created if missing); the algorithms are in
:mod:`synaptica.interpret` and the drawing in :mod:`synaptica.viz.cnn`.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from synaptica.cli.arguments import MAKE_MODEL, non_negative, path_text
from synaptica.cli.paths import check_input_file, check_output_directory
from synaptica.data import DATASETS, load_dataset, read_idx
from synaptica.errors import DataError, FormatError, ShapeError
from synaptica.interpret import (
    CHANNEL_SETTINGS, CLASS_SETTINGS, DREAM_SETTINGS, class_probabilities, deep_dream, feature_maps,
    first_conv, maximize_channel, maximize_class, saliency_maps,
)
from synaptica.interpret.maximize import layer_width
from synaptica.interpret.probe import (
    check_layer, declared_image_shape, input_channels, layers_of, logits_layer, n_classes,
)
from synaptica.interpret.style import conv_feature_layers
from synaptica.io import load_model
from synaptica.nn.module import Module
from synaptica.viz.cnn import plot_before_after, plot_feature_maps, plot_filters, plot_image_grid, plot_saliency

WHAT = ("filters", "features", "maximize", "saliency", "dream")
#: the most channels drawn by ``--what maximize --layer N``
MAX_CHANNELS = 32
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def add_visualize_command(commands) -> None:
    """Register ``visualize`` on the ``synaptica`` command's sub-parsers."""
    parser = commands.add_parser(
        "visualize", help="draw what a saved network learned: filters, feature maps, maximising images, "
                          "saliency, dreams",
        description="Write PNG pictures of what a saved network learned (seed notes 004, 'What does CNN learn?'). "
                    "IMAGE is an index into the test split of --data, or a PNG or IDX file.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("model", type=path_text, metavar="MODEL", help="a model file written by 'synaptica train --out' or save_model")
    parser.add_argument("image", metavar="IMAGE", nargs="?", default=None,
                        help="a test-set index (default 0), or a .png or IDX image file, written right after "
                             "MODEL; used by features, saliency and dream")
    parser.add_argument("--what", choices=WHAT, required=True,
                        help="filters: first-layer kernels; features: a layer's maps for IMAGE; maximize: images "
                             "that maximise each class (or each channel of --layer); saliency: |∂score/∂x| for "
                             "IMAGE; dream: Deep Dream of IMAGE at --layer")
    parser.add_argument("--data", default="fashion-mnist", metavar="NAME_OR_DIR",
                        help=f"the dataset IMAGE indexes and whose image size maximize uses ({', '.join(DATASETS)}, "
                             "or an IDX directory)")
    parser.add_argument("--out", type=path_text, default="visualize", metavar="DIR", help="directory for the PNG files")
    parser.add_argument("--layer", type=non_negative, default=None,
                        help="layer index (from 0, as the model prints); default: the activation after the first "
                             "convolution for features, after the last for dream")
    parser.add_argument("--class", dest="class_index", type=non_negative, default=None, metavar="K",
                        help="the class for maximize (default: every class) or saliency (default: the predicted one)")
    parser.add_argument("--steps", type=non_negative, default=None,
                        help=f"gradient steps (default {CLASS_SETTINGS.steps} for classes, {CHANNEL_SETTINGS.steps} "
                             f"for channels, {DREAM_SETTINGS.steps} for dream)")
    parser.add_argument("--seed", type=non_negative, default=0, help="seed for the starting images and the jitter")


def visualize_command(args: argparse.Namespace) -> int:
    """Run ``synaptica visualize``; errors are raised for the CLI to print."""
    out = check_output_directory(args.out, "--out")
    check_input_file(args.model, "MODEL", hint=MAKE_MODEL)
    model, _ = load_model(args.model)
    layers_of(model)  # refuse a model that is not a Sequential before any work
    if args.layer is not None:
        check_layer(model, args.layer)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{args.model}:\n{model!r}")
    handler = {"filters": _filters, "features": _features, "maximize": _maximize, "saliency": _saliency,
               "dream": _dream}[args.what]
    for path in handler(model, args, out):
        print(f"Wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------ the five pictures


def _filters(model: Module, args, out: Path) -> list[Path]:
    index, conv = first_conv(model)
    kernels = conv.weight.data
    print(f"layer {index} {conv!r}: {kernels.shape[0]} filters of {'×'.join(map(str, kernels.shape[1:]))}")
    return [plot_filters(kernels, out / "filters.png", title=f"Filters of layer {index}: {conv!r}")]


def _features(model: Module, args, out: Path) -> list[Path]:
    image, label = _read_image(model, args)
    layer = args.layer if args.layer is not None else _default_feature_layer(model)
    maps = feature_maps(model, image, layer)
    print(f"{label}: layer {layer} {layers_of(model)[layer]!r} gives {maps.shape}")
    path = out / f"features-layer{layer}.png"
    shown = image[0] if image.shape[1] == 1 else None
    return [plot_feature_maps(maps, path, image=shown, title=f"{label}: layer {layer} {layers_of(model)[layer]!r}")]


def _maximize(model: Module, args, out: Path) -> list[Path]:
    shape = _image_shape(model, args)
    if args.layer is not None:
        settings = _with_steps(CHANNEL_SETTINGS, args.steps)
        width = layer_width(model, args.layer, shape)
        channels = np.arange(min(width, MAX_CHANNELS))
        found = maximize_channel(model, args.layer, channels, shape, settings=settings, rng=args.seed)
        print(f"layer {args.layer} {layers_of(model)[args.layer]!r}, channels 0 to {channels[-1]}"
              + (f" (the first {MAX_CHANNELS} of {width})" if width > MAX_CHANNELS else "") + ": mean activation")
        for c, before, after in zip(channels, found.start_activations, found.activations):
            print(f"  channel {c}: {before:.4f} -> {after:.4f}")
        titles = [f"{c}: {a:.2f}" for c, a in zip(channels, found.activations)]
        path = out / f"maximize-layer{args.layer}.png"
        return [plot_image_grid(_grey(found.images), path, titles=titles, value_range=(0.0, 1.0),
                                title=f"Images maximising each channel of layer {args.layer}")]
    settings = _with_steps(CLASS_SETTINGS, args.steps)
    classes = np.arange(n_classes(model, shape)) if args.class_index is None else np.array([args.class_index])
    found = maximize_class(model, classes, shape, settings=settings, rng=args.seed)
    names = _class_names(args)
    for c, p in zip(found.classes, found.probabilities):
        print(f"class {c}{names.get(c, '')}: p = {p:.4f}")
    titles = [f"{c}{names.get(c, '')}\np={p:.3f}" for c, p in zip(found.classes, found.probabilities)]
    name = "maximize-classes.png" if args.class_index is None else f"maximize-class{args.class_index}.png"
    return [plot_image_grid(_grey(found.images), out / name, titles=titles, value_range=(0.0, 1.0),
                            columns=min(5, len(classes)), panel_inches=1.5,
                            title=f"Images maximising each class's {found.score}")]


def _saliency(model: Module, args, out: Path) -> list[Path]:
    image, label = _read_image(model, args)
    found = saliency_maps(model, image, args.class_index)
    probabilities = class_probabilities(model, image)[0]
    c = int(found.classes[0])
    names = _class_names(args)
    print(f"{label}: predicted class {int(probabilities.argmax())} (p = {probabilities.max():.4f}); "
          f"saliency of class {c}{names.get(c, '')}, logit {found.scores[0]:.3f}")
    return [plot_saliency(image, found.maps, out / "saliency.png", titles=[f"class {c}{names.get(c, '')}"],
                          title=f"{label}: saliency")]


def _dream(model: Module, args, out: Path) -> list[Path]:
    image, label = _read_image(model, args)
    layer = args.layer if args.layer is not None else _default_dream_layer(model)
    dream = deep_dream(model, image, layer, settings=_with_steps(DREAM_SETTINGS, args.steps), rng=args.seed)
    print(f"{label}: layer {layer} {layers_of(model)[layer]!r} root-mean-square activation "
          f"{dream.start_norm[0]:.4f} -> {dream.end_norm[0]:.4f}")
    return [plot_before_after(image, dream.images, out / f"dream-layer{layer}.png",
                              title=f"Deep Dream at layer {layer}")]


# ------------------------------------------------------------------------------------------ inputs and defaults


def _read_image(model: Module, args) -> tuple[np.ndarray, str]:
    """The IMAGE argument as one image (1, C, H, W) in the model's dtype, and how to name it."""
    text = "0" if args.image is None else args.image
    if text.isdigit():
        split = load_dataset(args.data).test
        index = int(text)
        if index >= len(split):
            raise DataError(f"image index {index} is out of range: the test split of {args.data} has "
                            f"{len(split)} images (0 to {len(split) - 1})")
        if split.image_shape is None:
            raise DataError(f"{args.data} holds no images, so there is nothing to visualize")
        image = split.x[index].reshape(split.image_shape)
        label = f"{args.data} test image {index} (label {int(split.y[index])})"
    else:
        image, label = _read_image_file(Path(text), input_channels(model) or 1), text
    channels = input_channels(model)
    if channels is not None and image.shape[0] != channels:
        raise ShapeError(f"{label}: the image has {image.shape[0]} channel(s), the model takes images of {channels}")
    return image[None].astype(np.float32), label


def _read_image_file(path: Path, channels: int) -> np.ndarray:
    """A PNG or IDX file as (C, H, W) pixels in [0, 1]."""
    if not path.is_file():
        raise DataError(f"IMAGE {str(path)!r} is neither a test-set index nor an existing file")
    if path.suffix.lower() == ".png":
        from synaptica.viz.figure import require_matplotlib

        require_matplotlib()
        from matplotlib.image import imread

        try:
            pixels = np.asarray(imread(path), dtype=np.float64)
        except (OSError, ValueError, SyntaxError) as error:
            raise FormatError(f"{path}: not a readable PNG file ({error})") from None
        if pixels.max() > 1.0:  # imread gives 0-255 for some PNG modes
            pixels = pixels / 255.0
        if pixels.ndim == 3:
            pixels = pixels[..., :3]
            if channels == 1:
                pixels = pixels.mean(axis=2)
            else:
                return pixels.transpose(2, 0, 1)
        return pixels[None]
    try:
        array = read_idx(path)
    except FormatError as error:
        raise FormatError(f"IMAGE must be a test-set index, a PNG file or an IDX file: {error}") from None
    if array.ndim == 3:
        array = array[0]
    if array.ndim != 2:
        raise ShapeError(f"{path}: an IDX image file holds (H, W) or (n, H, W) arrays, this one {array.shape}")
    scale = 255.0 if np.issubdtype(array.dtype, np.integer) else 1.0
    return (array.astype(np.float64) / scale)[None]


def _image_shape(model: Module, args) -> tuple[int, int, int]:
    """(C, H, W) of the model's input: a leading Unflatten's shape, else IMAGE's when one is given, else
    --data's image shape."""
    declared = declared_image_shape(model)
    if declared is not None:
        return declared
    if args.image is not None:
        return tuple(_read_image(model, args)[0].shape[1:])
    shape = load_dataset(args.data).test.image_shape
    if shape is None:
        raise DataError(f"{args.data} holds no images, so there is no image size to maximise over")
    channels = input_channels(model)
    return (channels or shape[0], *shape[1:]) if len(shape) == 3 else (channels or 1, *shape)


def _default_feature_layer(model: Module) -> int:
    try:
        return conv_feature_layers(model)[0]
    except ValueError:
        return 0


def _default_dream_layer(model: Module) -> int:
    try:
        return conv_feature_layers(model)[-1]
    except ValueError:
        return max(0, logits_layer(model) - 1)


def _with_steps(settings, steps: int | None):
    return settings if steps is None else dataclasses.replace(settings, steps=steps)


def _class_names(args) -> dict[int, str]:
    """' T-shirt/top' etc. for Fashion-MNIST's classes, nothing for other data."""
    if args.data != "fashion-mnist":
        return {}
    return {i: f" {name}" for i, name in enumerate(FASHION_CLASSES)}


def _grey(images: np.ndarray) -> np.ndarray:
    return images[:, 0] if images.shape[1] == 1 else images
