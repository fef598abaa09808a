"""The checks of the paths a command reads and writes (synaptica.cli.paths), and the order in which
``synaptica train`` writes its outputs."""

import errno
import json
import os

import pytest

import synaptica.cli.train as train_command
from synaptica.cli import main
from synaptica.cli.paths import PathError, check_input_file, check_output_directory, check_output_file, write_all
from synaptica.io import load_model


def test_an_output_file_needs_an_existing_writable_directory_and_a_file_name(tmp_path):
    assert check_output_file(None, "--out") is None
    assert check_output_file(tmp_path / "m.safetensors", "--out") == tmp_path / "m.safetensors"
    (tmp_path / "old.jsonl").write_text("{}\n")
    assert check_output_file(tmp_path / "old.jsonl", "--history") == tmp_path / "old.jsonl"  # replaced whole
    for path, words in [("", "--out is empty"), (tmp_path, "is a directory"),
                        (tmp_path / "missing" / "m.safetensors", "does not exist"),
                        (tmp_path / "old.jsonl" / "m.safetensors", "is not a directory")]:
        with pytest.raises(PathError, match=words):
            check_output_file(path, "--out")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(PathError, match="fifo' exists and is not a regular file"):
        check_output_file(tmp_path / "fifo", "--out")


def test_an_output_directory_may_be_made_with_its_parents_but_not_under_a_file(tmp_path):
    assert check_output_directory(tmp_path, "--log-dir") == tmp_path
    assert check_output_directory(tmp_path / "a" / "b", "--log-dir") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # checking creates nothing
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    for path, words in [("", "--log-dir is empty"), (tmp_path / "file", "is a file, not a directory"),
                        (tmp_path / "file" / "a" / "b", "cannot be created: .*file' is a file"),
                        (tmp_path / "link", "symbolic link to .*gone")]:
        with pytest.raises(PathError, match=words):
            check_output_directory(path, "--log-dir")


def test_an_input_must_be_a_readable_regular_file(tmp_path):
    (tmp_path / "m").write_bytes(b"x")
    assert check_input_file(tmp_path / "m", "MODEL") == tmp_path / "m"
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    os.mkfifo(tmp_path / "fifo")
    for path, words in [("", "MODEL is empty"), (tmp_path / "none", r"no such file \(train first\)"),
                        (tmp_path / "link", "symbolic link"), (tmp_path, "is a directory"),
                        (tmp_path / "fifo", "not a regular file")]:
        with pytest.raises(PathError, match=words):
            check_input_file(path, "MODEL", hint="train first")


def test_write_all_tries_every_output_and_names_each_that_failed():
    written = []

    def fail():
        raise OSError(errno.ENOSPC, "No space left on device", "h.jsonl")

    failures = write_all([("--history", fail), ("--out", lambda: written.append("out"))])
    assert written == ["out"]
    assert failures == ["could not write --history: 'h.jsonl': No space left on device"]


def test_a_history_that_cannot_be_written_does_not_lose_the_model(tmp_path, monkeypatch, capsys):
    """The disk fills up after training: --out is saved first, and the --history failure is reported
    in words with a non-zero status."""
    def full_disk(path, history):
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(train_command, "_write_history", full_disk)
    monkeypatch.chdir(tmp_path)
    out, history = tmp_path / "m.safetensors", tmp_path / "h.jsonl"
    status = main(["train", "--data", "digits", "--hidden", "16", "--epochs", "1", "--quiet", "--out", str(out),
                   "--history", str(history)])
    err = capsys.readouterr().err
    assert status == 2 and "could not write --history" in err and "No space left on device" in err
    assert "Traceback" not in err
    load_model(out)  # the model is there, whole


def test_history_is_written_after_the_model(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    out, history = tmp_path / "m.safetensors", tmp_path / "h.jsonl"
    assert main(["train", "--data", "digits", "--hidden", "16", "--epochs", "2", "--quiet", "--out", str(out),
                 "--history", str(history)]) == 0
    assert [json.loads(line)["epoch"] for line in history.read_text().splitlines()] == [0, 1]
    assert out.stat().st_mtime_ns <= history.stat().st_mtime_ns
    assert "Saved" in capsys.readouterr().out
