"""Every reader refuses a path that is not a regular file, naming it, and never waits on a FIFO."""

import os
import signal

import numpy as np
import pytest

from synaptica.data import read_idx, write_idx
from synaptica.errors import FormatError, MissingFileError, NotRegularFileError
from synaptica.io import load_model, load_tensors, save_model
from synaptica.io.safetensors_format import read_metadata
from synaptica.nn import mlp
from synaptica.search import load_space

#: every library function that reads a file a user names
READERS = {"load_model": load_model, "load_tensors": load_tensors, "read_metadata": read_metadata,
           "read_idx": read_idx, "load_space": load_space}


def _dangling(tmp_path):
    link = tmp_path / "link.safetensors"
    link.symlink_to(tmp_path / "gone.safetensors")
    return link


MISSING = {"missing": lambda tmp_path: tmp_path / "nope.safetensors", "empty path": lambda tmp_path: "",
           "dangling link": _dangling}


@pytest.mark.parametrize("case", sorted(MISSING))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_missing_file_is_a_file_not_found_error_naming_the_path(tmp_path, reader, case):
    path = MISSING[case](tmp_path)
    with pytest.raises(MissingFileError) as error:
        READERS[reader](path)
    assert isinstance(error.value, FileNotFoundError)
    assert str(path) in str(error.value)
    if case == "dangling link":
        assert "gone.safetensors" in str(error.value) and "symbolic link" in str(error.value)
    if case == "empty path":
        assert "empty path" in str(error.value)


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_directory_is_refused_naming_it(tmp_path, reader):
    with pytest.raises(NotRegularFileError, match=f"{tmp_path}: is a directory, not a regular file") as error:
        READERS[reader](tmp_path)
    assert isinstance(error.value, FormatError)


def _timeout(signum, frame):
    raise TimeoutError("the reader waited on the FIFO")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_is_refused_at_once_and_never_waited_on(tmp_path, reader):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    old = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(5)  # opening a FIFO for reading blocks until a writer comes: this interrupts it
    try:
        with pytest.raises(NotRegularFileError, match=f"{fifo}: is a FIFO"):
            READERS[reader](fifo)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_a_device_is_refused(tmp_path):
    with pytest.raises(NotRegularFileError, match="/dev/zero: is a character device"):
        read_idx("/dev/zero")


def test_a_link_to_a_regular_file_still_loads(tmp_path):
    save_model(tmp_path / "net.safetensors", mlp([3, 2], rng=0))
    (tmp_path / "link.safetensors").symlink_to(tmp_path / "net.safetensors")
    write_idx(tmp_path / "labels", np.arange(4, dtype=np.uint8))
    (tmp_path / "labels-link").symlink_to(tmp_path / "labels")
    load_model(tmp_path / "link.safetensors")
    assert read_idx(tmp_path / "labels-link").tolist() == [0, 1, 2, 3]
