"""One way to write a file whole and one way to append to a log, used by every writer of the library."""

import ast
import csv
import os
import stat

import numpy as np
import pytest

from synaptica.data import read_idx, write_idx
from synaptica.io import save_tensors
from synaptica.io.atomic import appending, atomic_write
from synaptica.search.results import ResultsFile
from synaptica.train.logs import CsvLog, JsonlLog
from synaptica.viz.figure import new_figure, save_png
from tests.conftest import REPO


def _write_bytes(path):
    with atomic_write(path) as f:
        f.write(b"new")


def _write_png(path):
    figure = new_figure(2, 2)
    figure.add_subplot().plot([0, 1], [1, 0])
    save_png(figure, path)


#: every library function that writes a file whole, as a callable of the target path
WRITERS = {
    "atomic_write": lambda path: _write_bytes(path),
    "save_tensors": lambda path: save_tensors(path, {"w": np.zeros(3, np.float32)}),
    "write_idx": lambda path: write_idx(path, np.arange(6, dtype=np.uint8).reshape(2, 3)),
    "write_idx (.gz)": lambda path: write_idx(path.with_suffix(".gz"), np.arange(6, dtype=np.uint8)),
    "save_png": lambda path: _write_png(path.with_suffix(".png")),
    "CsvLog": lambda path: CsvLog(path.with_suffix(".csv")),
}


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_new_files_follow_the_umask_and_leave_no_temporary_file(tmp_path, writer, umask, mode):
    old = os.umask(umask)
    try:
        WRITERS[writer](tmp_path / "out")
        WRITERS[writer](tmp_path / "out")  # replacing an existing file, too
    finally:
        os.umask(old)
    (written,) = list(tmp_path.iterdir())
    assert stat.S_IMODE(written.stat().st_mode) == mode, written.name


def test_an_error_inside_the_block_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="stopped halfway"):
        with atomic_write(path) as f:
            f.write(b"half of the new")
            raise RuntimeError("stopped halfway")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(tmp_path / "fresh.bin") as f:
            raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_a_failed_check_aborts_the_write(tmp_path):
    path = tmp_path / "images.idx"
    write_idx(path, np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="not an IDX file|magic"):
        with atomic_write(path, check=read_idx) as f:
            f.write(b"<html>404</html>")
    assert np.array_equal(read_idx(path), np.zeros(4, np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["images.idx"]


def test_a_failed_rename_leaves_no_temporary_file(tmp_path):
    occupied = tmp_path / "occupied.idx"
    occupied.mkdir()
    with pytest.raises(OSError):
        write_idx(occupied, np.zeros(3, np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["occupied.idx"] and not any(occupied.iterdir())


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"the directory {tmp_path / 'missing'} does not exist"):
        write_idx(tmp_path / "missing" / "x.idx", np.zeros(3, np.uint8))


def test_text_mode_writes_what_a_reader_reads(tmp_path):
    with atomic_write(tmp_path / "t.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(["η", 0.5])
    assert (tmp_path / "t.csv").read_bytes() == "η,0.5\r\n".encode("utf-8")


def test_appending_adds_lines_and_keeps_what_was_there(tmp_path):
    path = tmp_path / "log.jsonl"
    for line in ("a\n", "b\n"):
        with appending(path) as f:
            f.write(line)
        assert path.read_text().endswith(line)  # on disk when the block ends
    assert path.read_text() == "a\nb\n"
    results = ResultsFile(tmp_path / "sub" / "results.jsonl")
    results.append({"trial": 0, "status": "ok", "params": {}})
    results.append({"trial": 1, "status": "ok", "params": {}})
    assert [r["trial"] for r in results.read()] == [0, 1]
    log = JsonlLog(tmp_path / "h.jsonl")
    assert (tmp_path / "h.jsonl").read_text() == "" and log.path.exists()


def test_only_the_atomic_module_renames_or_syncs_files():
    """No second copy of the write-then-rename dance: every writer goes through synaptica.io.atomic."""
    for source in (REPO / "src" / "synaptica").rglob("*.py"):
        if source.name == "atomic.py":
            continue
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
                assert node.attr not in {"replace", "rename", "fsync"}, f"{source}:{node.lineno} os.{node.attr}"
            if isinstance(node, ast.Attribute) and node.attr in {"mkstemp", "NamedTemporaryFile"}:
                raise AssertionError(f"{source}:{node.lineno} {node.attr}")
