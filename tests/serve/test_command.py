"""``synaptica serve``: the command serves a model file or the demo model, and refuses bad arguments."""

import io
import os
import re
import signal
import subprocess
import sys

import pytest

from synaptica.io import load_model
from synaptica.serve import demo
from tests.conftest import REPO, run_python
from tests.serve.conftest import call


def test_the_serve_command_serves_a_model_and_stops_on_ctrl_c(model_file):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), OPENBLAS_NUM_THREADS="1")
    with subprocess.Popen([sys.executable, "-m", "synaptica.cli", "serve", str(model_file), "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            line = process.stdout.readline()
            url = re.search(r"at (http://\S+)", line).group(1)
            status, info = call(url, "/api/info")
            assert status == 200 and info["dataset"] == "fashion-mnist"
        finally:
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=20)
    assert process.returncode in (0, 130), errors
    assert "Traceback" not in errors, errors


def test_the_serve_command_refuses_a_missing_model_in_one_line():
    result = run_python(["-m", "synaptica.cli", "serve", "/nonexistent/model.safetensors"])
    assert result.returncode == 2 and "MODEL" in result.stderr and "Traceback" not in result.stderr
    result = run_python(["-m", "synaptica.cli", "serve"])
    assert result.returncode == 2 and "--demo" in result.stderr


@pytest.mark.slow
def test_the_demo_model_is_trained_once_then_reused_and_replaced_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "EPOCHS", 1)
    out = io.StringIO()
    path = demo.demo_model(tmp_path, out)
    assert path == tmp_path / "demo" / demo.DEMO_NAME and "Training the demo model" in out.getvalue()
    model, metadata = load_model(path)
    assert metadata["synaptica.dataset"] == "fashion-mnist" and float(metadata["synaptica.test_accuracy"]) > 0.75
    stamp = path.stat().st_mtime_ns
    again = io.StringIO()
    assert demo.demo_model(tmp_path, again) == path and again.getvalue() == "" and path.stat().st_mtime_ns == stamp
    path.write_bytes(path.read_bytes()[:100])
    damaged = io.StringIO()
    demo.demo_model(tmp_path, damaged)
    assert "does not load" in damaged.getvalue() and load_model(path)[1]["synaptica.dataset"] == "fashion-mnist"
