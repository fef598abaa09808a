"""Text corpora: strict UTF-8 with the byte offset of a bad byte, the KJV from Debian, the held-out split."""

import shutil

import numpy as np
import pytest

from synaptica.data.text import CharVocabulary, kjv_text, load_corpus, read_text, split_text
from synaptica.errors import DataError, FormatError


def test_a_file_that_is_not_utf8_names_the_file_and_byte_offset(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait\n".encode("utf-8") + "naïve".encode("latin-1"))
    with pytest.raises(FormatError, match=r"latin1\.txt: not UTF-8 text: byte offset 16 holds 0xef"):
        read_text(path)


def test_utf8_text_reads_back_exactly_without_its_byte_order_mark(tmp_path):
    path = tmp_path / "t.txt"
    text = "Ἐν ἀρχῇ ἦν ὁ λόγος\r\nIn the beginning\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert read_text(path) == text
    assert load_corpus(path) == text


def test_missing_empty_and_directory_inputs_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt: no such file"):
        read_text(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(FormatError, match="the file is empty"):
        read_text(tmp_path / "empty.txt")
    with pytest.raises(FormatError, match="is a directory"):
        read_text(tmp_path)


def test_vocabulary_round_trips_and_names_an_unknown_character():
    vocabulary = CharVocabulary.of("hello world")
    assert vocabulary.alphabet == " dehlorw"
    ids = vocabulary.encode("world hello")
    assert ids.dtype == np.int64
    assert vocabulary.decode(ids) == "world hello"
    with pytest.raises(DataError, match=r"character 'z' \(U\+007A\) at position 2"):
        vocabulary.encode("hez")
    with pytest.raises(DataError, match=r"ids must lie in \[0, 8\)"):
        vocabulary.decode([8])


def test_split_holds_out_the_last_tenth_contiguously():
    text = "abcdefghij" * 10
    split = split_text(text)
    assert split.train.size == 90 and split.held_out.size == 10
    assert split.vocabulary.decode(split.held_out) == text[90:]
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split_text(text, held_out=1.0)
    with pytest.raises(DataError, match="too short"):
        split_text("a", held_out=0.1)


@pytest.mark.skipif(shutil.which("bible") is None, reason="needs Debian's bible-kjv (scripts/setup.sh installs it)")
def test_kjv_is_printed_once_then_read_from_the_cache(tmp_path):
    text = kjv_text(tmp_path)
    assert text.startswith("Genesis 1\n")
    assert "In the beginning God created the heaven and the earth." in text
    assert text.rstrip().endswith("The grace of our Lord Jesus Christ be with you all. Amen.")
    assert 4_000_000 < len(text) < 4_600_000
    cached = tmp_path / "kjv.txt"
    assert cached.read_text(encoding="utf-8") == text
    cached.write_text("cached copy", encoding="utf-8")
    assert load_corpus("kjv", tmp_path) == "cached copy"
