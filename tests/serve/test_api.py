"""The prediction API on a real server: the same answers as ``predict``, in every input form."""

import json

import numpy as np

from synaptica.io import load_model
from synaptica.train import predict
from tests.serve.conftest import call, pixels, png_bytes


def _image_request(image):
    return json.dumps({"image": np.asarray(image).tolist()}).encode()


def test_an_image_gets_the_class_predict_gives_with_probabilities_layers_and_saliency(server, model_file, fashion):
    model, _ = load_model(model_file)
    images = fashion.test.x[:20]
    expected = predict(model, images)
    for image, output in zip(images, expected):
        status, answer = call(server.url, "/api/predict", _image_request(image))
        assert status == 200, answer
        assert answer["label"] == int(output.argmax())
        probabilities = np.exp(output - output.max()) / np.exp(output - output.max()).sum()
        np.testing.assert_allclose(answer["probabilities"], probabilities, atol=1e-5)
        assert list(answer["layers"]) == ["layers.1", "layers.2"]  # ReLU(64) and the 10 logits
        assert answer["layers"]["layers.1"]["shape"] == [64] and answer["layers"]["layers.2"]["shape"] == [10]
        assert pixels(answer["saliency"]).shape == (28, 28) and pixels(answer["saliency"]).max() == 255
        np.testing.assert_allclose(pixels(answer["input"]).ravel() / 255, image, atol=0.5 / 255 + 1e-6)


def test_flat_square_drawing_and_png_forms_agree(server, fashion):
    image = fashion.test.x[3]
    _, flat = call(server.url, "/api/predict", _image_request(image))
    _, square = call(server.url, "/api/predict", _image_request(image.reshape(28, 28)))
    canvas = np.zeros((160, 160))
    canvas[20:132, 30:142] = np.kron(image.reshape(28, 28), np.ones((4, 4)))
    _, drawn = call(server.url, "/api/predict", json.dumps({"drawing": canvas.tolist()}).encode())
    pixels = np.rint(image.reshape(28, 28) * 255).astype(np.uint8)
    _, uploaded = call(server.url, "/api/predict.png", png_bytes(pixels), "image/png")
    _, uploaded_canvas = call(server.url, "/api/predict.png", png_bytes(np.rint(canvas * 255)), "image/png")
    assert flat["probabilities"] == square["probabilities"]
    assert flat["label"] == drawn["label"] == uploaded["label"] == uploaded_canvas["label"]
    np.testing.assert_allclose(drawn["probabilities"], flat["probabilities"], atol=1e-4)


def test_without_layers_only_the_label_and_probabilities_come_back(server, fashion):
    status, answer = call(server.url, "/api/predict?layers=0", _image_request(fashion.test.x[0]))
    assert status == 200 and set(answer) == {"label", "name", "probabilities"}


def test_info_and_the_gallery_of_test_images_and_mistakes(server, model_file, fashion):
    status, info = call(server.url, "/api/info")
    assert status == 200 and info["classes"][9] == "Ankle boot" and info["framing"] == {"box": 28, "centre": "box"}
    model, _ = load_model(model_file)
    guesses = predict(model, fashion.test.x).argmax(axis=1)
    status, page = call(server.url, "/api/samples?count=30&seed=4&mistakes=1")
    assert status == 200 and len(page["items"]) == 30
    assert page["accuracy"] == np.mean(guesses == fashion.test.y)
    for item in page["items"]:
        assert item["label"] == fashion.test.y[item["index"]] != item["guess"] == guesses[item["index"]]
    _, again = call(server.url, "/api/samples?count=30&seed=4&mistakes=1")
    assert [item["index"] for item in again["items"]] == [item["index"] for item in page["items"]]


def test_the_pages_are_served_and_fetch_nothing_from_the_network(server):
    import urllib.request

    for path in ["", "gallery", "static/draw.js", "static/heatmap.js", "static/gallery.js", "static/style.css"]:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            text = response.read().decode()
        assert response.status == 200
        assert "http://" not in text and "https://" not in text, path


def test_a_cnn_shows_its_feature_maps(tmp_path, fashion):
    from synaptica.io import save_model
    from synaptica.nn.cnn import cnn
    from tests.serve.conftest import start_server

    path = tmp_path / "cnn.safetensors"
    save_model(path, cnn((1, 28, 28), 10, rng=0), {"synaptica.dataset": "mnist"})
    running = start_server(path)
    try:
        status, answer = call(running.url, "/api/predict", _image_request(fashion.test.x[0]))
        _, info = call(running.url, "/api/info")
    finally:
        running.stop()
    assert status == 200 and info["framing"] == {"box": 20, "centre": "mass"} and info["classes"][3] == "3"
    shapes = [layer["shape"] for layer in answer["layers"].values()]
    assert shapes[:4] == [[32, 24, 24], [32, 12, 12], [64, 8, 8], [64, 4, 4]]  # conv, pool, conv, pool
    assert shapes[-1] == [10] and pixels(answer["saliency"]).shape == (28, 28)
    assert pixels(answer["layers"]["layers.2"]).shape == (32, 24, 24)


def test_the_listening_socket_is_tcp_so_its_connections_get_no_nagle_delay(server):
    """asyncio turns Nagle's algorithm off (TCP_NODELAY) only on connections of a socket whose protocol
    says TCP; on one made with protocol 0 every answer waited for the client's delayed ACK (40 ms)."""
    import socket

    assert server.socket.proto == socket.IPPROTO_TCP
