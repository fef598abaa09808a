"""A real server on a free port of 127.0.0.1, serving a small network trained on real Fashion-MNIST."""

import base64
import http.client
import io
import json
import socket
from urllib.parse import urlsplit

import numpy as np
import pytest

from synaptica.cli.serve import class_names
from synaptica.io import load_model, save_model
from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.optim import make_optimizer
from synaptica.rules import make_rule
from synaptica.train import fit

pytest.importorskip("starlette", reason="the serve extra: pip install 'synaptica[serve]'")


@pytest.fixture(scope="package")
def model_file(fashion, tmp_path_factory):
    """784 → 64 → 10 ReLU, two epochs of SGD on 20,000 training images (about 0.83 test accuracy)."""
    x, y = fashion.train.x[:20000], fashion.train.y[:20000]
    model = mlp([784, 64, 10], "relu", init="he", rng=0)
    cost = get_cost("log-likelihood")
    rule = make_rule("backprop", cost, make_optimizer("sgd", model.parameters(), 0.1, lmbda=0.5, n_examples=len(x)))
    fit(model, rule, (x, y), epochs=2, batch_size=32, rng=1, verbose=False, progress=False)
    path = tmp_path_factory.mktemp("serve-model") / "mlp.safetensors"
    save_model(path, model, {"synaptica.cost": cost.name, "synaptica.dataset": "fashion-mnist"})
    return path


def start_server(path):
    from synaptica.serve.app import Server, model_app
    from synaptica.serve.inference import Predictor
    from synaptica.serve.samples import Samples

    model, metadata = load_model(path)
    predictor = Predictor(model, metadata, class_names(metadata.get("synaptica.dataset")))
    return Server(model_app(predictor, Samples(predictor, metadata.get("synaptica.dataset")))).start()


@pytest.fixture(scope="package")
def server(model_file):
    running = start_server(model_file)
    yield running
    running.stop()


def call(url: str, path: str, body=None, content_type="application/json", method=None, timeout=20):
    """(status, parsed JSON answer) of one request on a fresh connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.connect()  # no Nagle: http.client writes the headers and the body separately
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = {"Content-Type": content_type} if body is not None else {}
        connection.request(method or ("POST" if body is not None else "GET"), path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def pixels(map_: dict) -> np.ndarray:
    """A heat-map's pixels (base64, one byte each) as a uint8 array of its shape."""
    return np.frombuffer(base64.b64decode(map_["pixels"]), np.uint8).reshape(map_["shape"])


def png_bytes(pixels: np.ndarray) -> bytes:
    """``pixels`` (uint8: (h, w) grey, (h, w, 3) RGB or (h, w, 4) RGBA) written as a PNG by Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
