"""Live training: a LiveFeed callback publishes each epoch; pages follow it as server-sent events."""

import http.client
import json
import re
import socket
import threading
from urllib.parse import urlsplit

import numpy as np

from synaptica.losses import get_cost
from synaptica.nn import mlp
from synaptica.optim import make_optimizer
from synaptica.rules import make_rule
from synaptica.train import fit
from synaptica.train.live import LiveFeed
from tests.conftest import run_python
from tests.serve.conftest import pixels


def _train(fashion, feed, epochs=3):
    x, y = fashion.train.x[:3000], fashion.train.y[:3000]
    model = mlp([784, 20, 10], "relu", init="he", rng=0)
    optimizer = make_optimizer("sgd", model.parameters(), 0.1, n_examples=len(x))
    rule = make_rule("backprop", get_cost("log-likelihood"), optimizer)
    feed.optimizer = optimizer
    fit(model, rule, (x, y), epochs=epochs, batch_size=32, rng=0, verbose=False, progress=False,
        validation=(fashion.validation.x[:1000], fashion.validation.y[:1000]), callbacks=[feed])
    return model


def _read_events(url: str, out: list, timeout: float = 60) -> None:
    """Follow /api/events until the finished event; every event's data goes into ``out``."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    connection.request("GET", "/api/events")
    response = connection.getresponse()
    assert response.headers["content-type"].startswith("text/event-stream")
    kind = None
    for line in response:
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            out.append({"finished": True} if kind == "finished" else json.loads(line[6:]))
            if kind == "finished":
                break
    connection.close()


def test_the_feed_holds_each_epoch_with_its_metrics_and_the_changing_filters(fashion):
    feed = LiveFeed("run")
    _train(fashion, feed)
    events, finished = feed.since(0)
    assert finished and [event["kind"] for event in events] == ["start", "epoch", "epoch", "epoch", "end"]
    rows = [event["row"] for event in events if event["kind"] == "epoch"]
    assert [row["epoch"] for row in rows] == [0, 1, 2]
    assert all(0.5 < row["validation_accuracy"] <= 1 and row["learning_rate"] == 0.1 for row in rows)
    filters = [pixels(event["filters"]).astype(int) for event in events[:4]]
    assert events[0]["filters"]["shape"] == [20, 28, 28]
    assert all(np.abs(a - b).sum() > 0 for a, b in zip(filters, filters[1:]))  # they change
    assert feed.since(3)[0] == events[3:]


def test_several_pages_follow_a_run_live_and_a_late_one_gets_it_all(fashion):
    from synaptica.serve.app import Server, live_app

    feed = LiveFeed("two readers")
    server = Server(live_app(feed)).start()
    try:
        seen = [[], []]
        readers = [threading.Thread(target=_read_events, args=(server.url, out)) for out in seen]
        for reader in readers:
            reader.start()
        _train(fashion, feed, epochs=4)
        for reader in readers:
            reader.join(60)
        late = []
        _read_events(server.url, late)
        for events in [*seen, late]:
            assert [event.get("kind") for event in events] == ["start", *["epoch"] * 4, "end", None]
            assert events[-1] == {"finished": True}
    finally:
        server.stop()


def test_train_serve_prints_its_page_and_stops_the_server_when_training_ends(tmp_path, subset_dir):
    result = run_python(["-m", "synaptica.cli", "train", "--data", str(subset_dir), "--hidden", "16", "--epochs", "2",
                         "--serve", "--log-dir", str(tmp_path / "runs"), "--quiet"])
    assert result.returncode == 0, result.stderr
    url = re.search(r"Live training at (http://\S+)", result.stdout).group(1)
    port = urlsplit(url).port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


def test_ctrl_c_stops_training_and_its_page(tmp_path, subset_dir):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO

    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), OPENBLAS_NUM_THREADS="1")
    command = [sys.executable, "-m", "synaptica.cli", "train", "--data", str(subset_dir), "--hidden", "16",
               "--epochs", "1000", "--serve", "--log-dir", str(tmp_path / "runs")]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        url = None
        for line in process.stdout:
            match = re.search(r"Live training at (http://\S+)", line)
            if match:
                url = match.group(1)
            if url and line.startswith("Epoch 1:"):  # two epochs done: the page has something to show
                break
        events = []
        reader = threading.Thread(target=_read_events, args=(url, events))
        reader.start()
        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=60)
        reader.join(30)
    assert process.returncode == 130 and "Stopped by SIGINT" in output, errors
    assert events and events[-1] == {"finished": True} and events[-2]["kind"] == "end"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", urlsplit(url).port)) != 0
