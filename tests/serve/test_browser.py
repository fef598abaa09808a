"""The pages in a real browser: Playwright drives Debian's chromium, headless, against a real server."""

import os
import time

import numpy as np
import pytest

from synaptica.io import load_model
from synaptica.train import predict
from synaptica.train.live import LiveFeed
from tests.serve.conftest import png_bytes
from tests.serve.test_live import _train

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh dev does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    opened = browser.new_page(viewport={"width": 1300, "height": 1000})
    yield opened
    opened.close()


def _keep(page, name):
    """With SYNAPTICA_SCREENSHOTS=DIR, also save the screenshot as DIR/name (docs/figures' are made so)."""
    if os.environ.get("SYNAPTICA_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["SYNAPTICA_SCREENSHOTS"], name), full_page=True)


SHOWN = "document.getElementById('guess').textContent.length > 0 && document.querySelectorAll('.layer-map').length == 2"


def test_a_stroke_shows_a_prediction_and_the_layer_heat_maps_within_a_second(server, page, tmp_path):
    page.goto(server.url)
    page.wait_for_function("document.getElementById('model').textContent.length > 0")
    box = page.locator("#pad").bounding_box()
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15
    page.mouse.move(x, y)
    started = time.perf_counter()
    page.mouse.down()
    page.mouse.move(x, y + 10)
    page.wait_for_function(SHOWN, timeout=1000)  # the page answers while the stroke is being drawn
    first_answer = time.perf_counter() - started
    for step in range(1, 21):  # a long vertical stroke: a trouser leg or a one
        page.mouse.move(x - step * 2, y + 10 + step * box["height"] * 0.035)
    page.mouse.up()
    shown = int(page.evaluate("document.body.dataset.predictions"))
    page.wait_for_function(f"+document.body.dataset.predictions > {shown - 1} && !document.querySelector('#error').textContent")
    assert first_answer < 1.0
    assert page.locator("#bars .bar").count() == 10
    assert page.locator("#saliency").evaluate("c => c.width") == 112
    page.screenshot(path=str(tmp_path / "serve.png"), full_page=True)
    _keep(page, "serve.png")
    assert (tmp_path / "serve.png").stat().st_size > 10_000


def test_uploading_a_test_image_gives_the_class_predict_gives(server, model_file, page, fashion, tmp_path):
    model, _ = load_model(model_file)
    page.goto(server.url)
    for index in [0, 1, 2, 12]:
        image = fashion.test.x[index]
        path = tmp_path / f"test-{index}.png"
        path.write_bytes(png_bytes(np.rint(image.reshape(28, 28) * 255)))
        expected = int(predict(model, np.rint(image * 255)[None] / 255).argmax())
        page.set_input_files("#upload", str(path))
        page.wait_for_function(f"document.getElementById('guess').dataset.label === '{expected}'", timeout=5000)


def test_the_gallery_shows_test_images_and_only_mistakes_when_asked(server, page):
    page.goto(server.url + "gallery")
    page.wait_for_function("document.body.dataset.loaded === '0'", timeout=20000)
    assert page.locator(".item").count() == 40
    page.check("#mistakes")
    page.wait_for_function("document.querySelectorAll('.item.wrong').length === 40", timeout=10000)


def test_the_live_page_draws_a_run_that_the_feed_published(fashion, page, tmp_path):
    from synaptica.serve.app import Server, live_app

    feed = LiveFeed("a finished run")
    _train(fashion, feed, epochs=3)
    server = Server(live_app(feed)).start()
    try:
        page.goto(server.url)
        page.wait_for_function("document.body.dataset.finished === '1'", timeout=10000)
        assert page.evaluate("document.body.dataset.epochs") == "3"
        assert page.locator("#rows tr").count() == 4
        assert page.locator("#filters").evaluate("c => c.width") > 100
        page.screenshot(path=str(tmp_path / "live.png"), full_page=True)
        _keep(page, "serve_live.png")
    finally:
        server.stop()


def test_a_cnn_shows_every_layer_with_its_feature_maps(page, tmp_path):
    from synaptica.io import save_model
    from synaptica.nn.cnn import cnn
    from tests.serve.conftest import start_server

    path = tmp_path / "cnn.safetensors"
    save_model(path, cnn((1, 28, 28), 10, rng=0), {"synaptica.dataset": "mnist"})
    running = start_server(path)
    try:
        page.goto(running.url)
        page.wait_for_function("document.getElementById('model').textContent.length > 0")
        box = page.locator("#pad").bounding_box()
        page.mouse.move(box["x"] + 40, box["y"] + 60)
        page.mouse.down()
        page.mouse.move(box["x"] + 200, box["y"] + 200, steps=8)
        page.mouse.up()
        page.wait_for_function("document.querySelectorAll('.layer-map').length === 6", timeout=5000)
        titles = page.locator(".layer div").all_text_contents()
        assert titles[0].startswith("layers.2 ReLU(): 32 × 24 × 24") and "64 × 4 × 4" in titles[3]
        _keep(page, "serve_cnn.png")
    finally:
        running.stop()
