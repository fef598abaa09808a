"""Nothing lost: ``synaptica train`` checkpoints every run, stops cleanly on SIGINT and SIGTERM with a
resume line, survives SIGKILL at any moment, and ``--resume`` continues bit for bit."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from synaptica.io.safetensors_format import load_tensors
from synaptica.train.checkpoints import checkpoint_metadata, latest_checkpoint
from tests.conftest import REPO, run_python

CLI = ["-m", "synaptica.cli"]
#: a run whose epochs take a second or two: batches of one, dropout and shifted images on
SLOW_RUN = ["train", "--hidden", "64", "--batch-size", "1", "--eta", "0.02", "--dropout", "0.2",
            "--augment", "shift", "--quiet"]


def _start(args, cwd) -> subprocess.Popen:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(REPO / "src"))
    return subprocess.Popen([sys.executable, *CLI, *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _test_line(result) -> str:
    """``Test accuracy: 0.8010 (801 / 1000), cost 0.5763``, without the time it took."""
    return result.stdout.splitlines()[0].split(", trained in")[0]


def _checkpoints(directory) -> set[str]:
    return {p.name for p in directory.iterdir() if p.suffix == ".safetensors"} if directory.is_dir() else set()


def _wait_for_a_checkpoint(directory, process, timeout=120.0) -> None:
    """Until the running ``process`` has written a checkpoint of its own into ``directory``."""
    deadline, before = time.monotonic() + timeout, _checkpoints(directory)
    while not _checkpoints(directory) - before:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.02)


@pytest.mark.parametrize("signal_number, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_at_a_step_saves_and_the_resumed_run_equals_the_whole_run(
        subset_dir, tmp_path, signal_number, status):
    data = ["--data", str(subset_dir), "--epochs", "3", "--log-dir", str(tmp_path / "runs")]
    whole = run_python([*CLI, *SLOW_RUN, *data, "--out", str(tmp_path / "whole.safetensors")], cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr

    stopped = _start([*SLOW_RUN, *data, "--checkpoint", str(tmp_path / "ck"), "--out",
                      str(tmp_path / "stopped.safetensors")], tmp_path)
    _wait_for_a_checkpoint(tmp_path / "ck", stopped)
    time.sleep(0.3)  # into the second epoch
    stopped.send_signal(signal_number)
    out, err = stopped.communicate(timeout=60)
    assert stopped.returncode == status, err
    assert "Traceback" not in err
    assert f"Stopped by {signal.Signals(signal_number).name} at epoch 1, step" in out
    assert f"Resume with: synaptica train --resume {tmp_path / 'ck'}" in out
    assert (tmp_path / "stopped.safetensors").is_file()
    assert latest_checkpoint(tmp_path / "ck").name.startswith("checkpoint-e0001-s")  # between two steps

    resumed = run_python([*CLI, "train", "--resume", str(tmp_path / "ck"), "--quiet",
                          "--out", str(tmp_path / "resumed.safetensors")], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert _test_line(resumed) == _test_line(whole)
    assert (tmp_path / "resumed.safetensors").read_bytes() == (tmp_path / "whole.safetensors").read_bytes()


def test_resume_continues_in_the_run_directory_and_its_logs(subset_dir, tmp_path):
    data = ["--data", str(subset_dir), "--hidden", "20", "--epochs", "2", "--log-dir", str(tmp_path / "runs"), "--quiet"]
    first = run_python([*CLI, "train", *data], cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    (run,) = (tmp_path / "runs").iterdir()
    more = run_python([*CLI, "train", "--resume", str(run), "--epochs", "4", "--quiet"], cwd=tmp_path)
    assert more.returncode == 0, more.stderr
    assert f"Logs in {run}" in more.stdout
    epochs = [line.split(",")[0] for line in (run / "history.csv").read_text().splitlines()]
    assert epochs == ["epoch", "0", "1", "2", "3"]
    four = run_python([*CLI, "train", *data[:4], "--epochs", "4", "--log-dir", str(tmp_path / "other"), "--quiet"],
                      cwd=tmp_path)
    assert _test_line(four) == _test_line(more)


def test_resume_refuses_options_that_would_change_the_run(subset_dir, tmp_path):
    data = ["--data", str(subset_dir), "--hidden", "20", "--epochs", "1", "--log-dir", str(tmp_path / "runs"), "--quiet"]
    assert run_python([*CLI, "train", *data], cwd=tmp_path).returncode == 0
    (run,) = (tmp_path / "runs").iterdir()
    result = run_python([*CLI, "train", "--resume", str(run), "--hidden", "30", "--eta", "0.5"], cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--hidden 30 (the run has 20)" in result.stderr and "--eta 0.5 (the run has 0.1)" in result.stderr
    missing = run_python([*CLI, "train", "--resume", str(tmp_path / "nowhere")], cwd=tmp_path)
    assert missing.returncode != 0 and "no such checkpoint" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.slow
def test_thirty_kills_at_random_moments_leave_a_loadable_checkpoint_and_no_temporary_files(subset_dir, tmp_path):
    """SIGKILL gives no chance to clean up: every kill must still leave the newest checkpoint whole, and
    the next run removes what a torn write left. Checkpoints every ~0.1 s of 8 MB each, so kills land
    in writes too."""
    directory = tmp_path / "ck"
    rng = np.random.default_rng(0)
    run = ["train", "--data", str(subset_dir), "--hidden", "1000", "--batch-size", "10", "--epochs", "50",
           "--checkpoint", str(directory), "--checkpoint-every", "0.002", "--keep", "2", "--quiet",
           "--log-dir", str(tmp_path / "runs")]
    temporaries_seen = 0
    for kill in range(30):
        process = _start(run if kill == 0 else [*run, "--resume", str(directory)], tmp_path)
        _wait_for_a_checkpoint(directory, process)
        time.sleep(rng.uniform(0.0, 0.6))
        process.kill()
        process.communicate()
        newest = latest_checkpoint(directory)
        checkpoint_metadata(newest)
        load_tensors(newest)  # every byte read and checked
        temporaries_seen += sum(name.endswith(".tmp") for name in os.listdir(directory))
    finish = run_python([*CLI, *run[:run.index("--epochs")], "--epochs", "1", *run[run.index("--checkpoint"):],
                         "--resume", str(directory)], cwd=tmp_path)
    assert finish.returncode == 0, finish.stderr
    assert not [name for name in os.listdir(directory) if name.endswith(".tmp")]
    print(f"temporary files left by the kills and then removed: {temporaries_seen}")


def test_a_torn_write_of_out_is_removed_by_the_next_run(subset_dir, tmp_path):
    torn = tmp_path / ".net.safetensors.0123456789ab.tmp"
    torn.write_bytes(b"half a model")
    other = tmp_path / ".other.safetensors.0123456789ab.tmp"
    other.write_bytes(b"not ours")
    result = run_python([*CLI, "train", "--data", str(subset_dir), "--hidden", "10", "--epochs", "1", "--quiet",
                         "--out", str(tmp_path / "net.safetensors"), "--log-dir", str(tmp_path / "runs")], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not torn.exists() and other.exists()
