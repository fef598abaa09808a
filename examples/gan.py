"""A generative adversarial network that learns to draw Fashion-MNIST garments (MLP or DCGAN).

    python examples/gan.py                                   # MLP GAN, 20 epochs
    python examples/gan.py --model dcgan --epochs 5          # the small DCGAN (transposed convolutions)
    python examples/gan.py --train-examples 10000 --epochs 3 --out-dir gan-run   # a quick look

The generator and the discriminator (:func:`synaptica.models.mlp_gan` or
:func:`synaptica.models.dcgan`) are trained by the same ``fit`` as every classifier, with the
adversarial rule (Goodfellow et al. 2014): two Adam optimizers (η = ``--eta``, β = (0.5, 0.999)),
``--k`` discriminator steps per generator step, the non-saturating generator cost. After every epoch
a callback writes ``samples-<epoch>.png`` (the same 64 noise vectors each time) in ``--out-dir``, and
an evaluator scores 1,000 samples with the library's cached Fashion-MNIST CNN: the Fréchet distance
to the test images in its feature space, its mean confidence, and how many of the ten classes its
arg-max reaches. At the end ``frechet.png`` draws the distance per epoch and the generator is saved
as ``generator.safetensors`` (``synaptica.io.load_model`` reads it; ``predict`` turns noise into images).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synaptica import fit
from synaptica.data import load_dataset
from synaptica.io import save_model
from synaptica.models import dcgan, mlp_gan
from synaptica.optim import Adam
from synaptica.rules import Adversarial
from synaptica.train.sample_quality import SampleGrid, SampleQuality, fashion_classifier
from synaptica.viz.curves import plot_curves


NAMES = {"mlp": "MLP GAN", "dcgan": "DCGAN"}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["mlp", "dcgan"], default="mlp")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--train-examples", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--eta", type=float, default=2e-4, help="Adam's learning rate, both players")
    parser.add_argument("--k", type=int, default=1, help="discriminator steps per generator step")
    parser.add_argument("--noise", type=int, default=64, help="noise dimensions")
    parser.add_argument("--samples", type=int, default=1000, help="samples scored after each epoch")
    parser.add_argument("--test-images", type=int, default=None,
                        help="compare with the first N test images only (default: all 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="where the judging CNN is kept (default: the user cache)")
    parser.add_argument("--classifier-epochs", type=int, default=2, help="epochs of the judging CNN")
    parser.add_argument("--classifier-examples", type=int, default=None,
                        help="train the judging CNN on the first N images only (a quick, weaker judge)")
    parser.add_argument("--out-dir", default="gan-run", help="sample grids, the distance curve and the generator")
    args = parser.parse_args(argv)

    data = load_dataset("fashion-mnist")
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = (mlp_gan(args.noise, rng=args.seed) if args.model == "mlp" else dcgan(args.noise, rng=args.seed))
    rule = Adversarial(Adam(model.generator.parameters(), args.eta, betas=(0.5, 0.999)),
                       Adam(model.discriminator.parameters(), args.eta, betas=(0.5, 0.999)), k=args.k)
    judge = fashion_classifier(args.cache_dir, args.classifier_epochs, args.classifier_examples)
    quality = SampleQuality(judge, data.test.x[:args.test_images], samples=args.samples, seed=args.seed)
    untrained = quality(model)
    history = fit(model, rule, data.train.x[:args.train_examples], epochs=args.epochs, batch_size=args.batch_size,
                  rng=args.seed, evaluators=[quality],
                  callbacks=[SampleGrid(out / "samples-{epoch:02d}.png", title=f"{NAMES[args.model]} samples")])
    distances = [untrained["samples_frechet"], *history.metrics["samples_frechet"]]
    plot_curves({NAMES[args.model]: distances}, out / "frechet.png", epochs=list(range(len(distances))),
                title="Fréchet distance of 1,000 samples to the test images", xlabel="Epochs trained",
                ylabel="Fréchet distance (CNN features)")
    save_model(out / "generator.safetensors", model)
    last = {name: history.metrics[f"samples_{name}"][-1] for name in ("frechet", "confidence", "classes")}
    print(f"Fréchet distance {distances[0]:.2f} untrained, {last['frechet']:.2f} after {args.epochs} epochs; "
          f"classifier confidence {last['confidence']:.3f}; {last['classes']:.0f} of 10 classes in "
          f"{args.samples} samples")
    print(f"Wrote {out}/samples-*.png, {out}/frechet.png and {out}/generator.safetensors")
    return {"frechet": distances, **last}


if __name__ == "__main__":
    main()
