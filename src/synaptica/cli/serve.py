"""``synaptica serve MODEL``: a local web page to draw on and watch the network classify, layer by layer.

    synaptica serve model.safetensors            # http://127.0.0.1:8000/
    synaptica serve --demo --port 8080           # a small Fashion-MNIST model, trained once and cached

Needs the ``serve`` extra (``pip install 'synaptica[serve]'``: Starlette, uvicorn, Pillow). The page
and its API are described in :mod:`synaptica.serve.app` and docs/serve.md.
"""

from __future__ import annotations

import argparse

from synaptica.cli.arguments import MAKE_MODEL, path_text, port_number



def add_serve_command(commands) -> None:
    """Register ``serve`` on the ``synaptica`` command's sub-parsers."""
    parser = commands.add_parser(
        "serve", help="a web page to draw on and see the network's prediction and insides",
        description="Serve a local web page where you draw on a canvas and see, as you draw, the class "
                    "probabilities, the input as the network sees it, each layer's activations and the "
                    "saliency; plus a JSON API (POST /api/predict) and a gallery of test images. Needs "
                    "pip install 'synaptica[serve]'.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("model", type=path_text, metavar="MODEL", nargs="?",
                        help="a model file written by 'synaptica train --out' (omit with --demo)")
    parser.add_argument("--demo", action="store_true",
                        help="serve a small Fashion-MNIST model, trained on first use (seconds) and kept in the "
                             "user cache")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (only this machine by default)")
    parser.add_argument("--port", type=port_number, default=8000, help="the port to listen on (0: any free one)")


def class_names(dataset: str | None) -> list[str] | None:
    """The class names of a dataset the page knows (Fashion-MNIST's garments, MNIST's digits)."""
    if dataset == "fashion-mnist":
        from synaptica.viz.command import FASHION_CLASSES

        return list(FASHION_CLASSES)
    if dataset in ("mnist", "digits"):
        return [str(digit) for digit in range(10)]
    return None


def serve_command(args: argparse.Namespace) -> int:
    if (args.model is None) == (not args.demo):
        raise ValueError("give a MODEL file or --demo (one of them)")
    from synaptica.cli.paths import check_input_file
    from synaptica.io import load_model
    from synaptica.parallel.blas import blas_threads

    if args.demo:
        from synaptica.serve.demo import demo_model

        args.model = str(demo_model())
    check_input_file(args.model, "MODEL", hint=MAKE_MODEL)
    from synaptica.serve.app import Server, model_app
    from synaptica.serve.inference import Predictor
    from synaptica.serve.samples import Samples

    model, metadata = load_model(args.model)
    dataset = metadata.get("synaptica.dataset")
    predictor = Predictor(model, metadata, class_names(dataset))
    server = Server(model_app(predictor, Samples(predictor, dataset)), args.host, args.port)
    print(f"Serving {args.model} at {server.url}  (Ctrl-C stops)", flush=True)
    with blas_threads(1):  # one image a request: BLAS threads would only contend with the parallel requests
        server.run()
    return 0
