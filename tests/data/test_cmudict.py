"""CMUdict for G2P: stress removed, variants kept, a split by distinct words, error rates."""

import numpy as np
import pytest

from synaptica.data.cmudict import (Lexicon, PHONEMES, edit_distance, error_rates, find_cmudict_file,
                                    load_cmudict, read_cmudict)
from synaptica.errors import FormatError

LINES = ["'bout B AW1 T", "a AH0", "a(2) EY1", "read R IY1 D", "read(2) R EH1 D", "o'neil OW2 N IY1 L",
         "aalborg AO1 L B AO0 R G # place, danish", "u.s. Y UW2 EH1 S", "x-ray EH1 K S R EY2"]


def _file(tmp_path, lines):
    path = tmp_path / "cmudict.dict"
    path.write_text("\n".join(lines + [f"word{chr(97 + i % 26)}{chr(97 + i // 26)} W ER1 D" for i in range(120)]) + "\n")
    return path


def test_reads_words_with_every_pronunciation_and_without_stress(tmp_path):
    lexicon = read_cmudict(_file(tmp_path, LINES))
    assert lexicon["read"] == [("R", "IY", "D"), ("R", "EH", "D")]
    assert lexicon["a"] == [("AH",), ("EY",)]
    assert lexicon["aalborg"] == [("AO", "L", "B", "AO", "R", "G")]          # the comment is dropped
    assert "'bout" not in lexicon and "u.s." not in lexicon and "x-ray" not in lexicon and "o'neil" not in lexicon


def test_a_line_that_is_not_arpabet_is_named(tmp_path):
    with pytest.raises(FormatError, match=r"line 2: 'cat K QQ1 T': not an ARPAbet pronunciation \(QQ\)"):
        read_cmudict(_file(tmp_path, ["a AH0", "cat K QQ1 T"]))


def test_the_real_dictionary_splits_by_distinct_word_the_same_way_every_time():
    splits = load_cmudict()
    again = load_cmudict()
    assert splits.test.words == again.test.words
    sizes = (len(splits.train), len(splits.validation), len(splits.test))
    assert sum(sizes) > 110_000 and sizes[1] == pytest.approx(0.05 * sum(sizes), abs=2)
    assert not set(splits.train.words) & set(splits.test.words)
    assert not set(splits.train.words) & set(splits.validation.words)
    phones = {p for prons in splits.train.pronunciations for pron in prons for p in pron}
    assert phones == set(PHONEMES)
    assert find_cmudict_file().name == "cmudict.dict"


def test_edit_distance_and_error_rates_against_hand_counts():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance((), ("A", "B")) == 2
    lexicon = Lexicon(("read", "cat"), (((("R", "IY", "D"), ("R", "EH", "D"))), (("K", "AE", "T"),)))
    rates = error_rates([("R", "EH", "D"), ("K", "AH", "T", "S")], lexicon)
    assert rates["word_error_rate"] == 0.5                    # "read" matches its second pronunciation
    assert rates["phoneme_error_rate"] == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match="1 predictions for 2 words"):
        error_rates([()], lexicon)
