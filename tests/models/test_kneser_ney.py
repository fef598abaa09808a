"""Kneser–Ney: equal to a plain dictionary implementation of Chen and Goodman's formulas, normalised."""

from collections import Counter, defaultdict

import numpy as np
import pytest

from synaptica.data.text import CharVocabulary
from synaptica.errors import DataError
from synaptica.models.kneser_ney import KneserNey

TEXT = ("the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat; "
        "then the cat ran, and the dog ran after the cat, and the mat was left alone.")


def reference_probability(text_ids, order, base, history, w):
    """Chen and Goodman's interpolated modified Kneser–Ney, written with dictionaries and recursion."""
    seq = [int(i) for i in text_ids]
    grams = {k: [tuple(seq[i:i + k]) for i in range(len(seq) - k + 1)] for k in range(1, order + 1)}
    counts = {}
    for k in range(1, order + 1):
        if k == order:
            counts[k] = Counter(grams[k])
        else:
            counts[k] = Counter(g[1:] for g in set(grams[k + 1]))

    def discounts(k):
        n = [sum(1 for c in counts[k].values() if c == r) for r in (1, 2, 3, 4)]
        d = [0.5, 0.5, 0.5]
        if n[0] and n[0] + 2 * n[1]:
            y = n[0] / (n[0] + 2 * n[1])
            for r in (1, 2, 3):
                if n[r - 1]:
                    estimate = r - (r + 1) * y * n[r] / n[r - 1]
                    d[r - 1] = estimate if 0 < estimate < r else 0.5
        return d

    def p(k, context):
        if k == 0:
            return 1.0 / base
        lower = p(k - 1, context[1:])
        d = discounts(k)
        following = {g[-1]: c for g, c in counts[k].items() if g[:-1] == context}
        total = sum(following.values())
        if total == 0:
            return lower
        c = following.get(w, 0)
        kept = max(c - d[min(c, 3) - 1], 0.0) if c else 0.0
        gamma = sum(d[min(v, 3) - 1] for v in following.values())
        return (kept + gamma * lower) / total

    return p(order, tuple(history[len(history) - (order - 1):]) if order > 1 else ())


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_equals_the_dictionary_reference_for_every_next_character(order):
    vocabulary = CharVocabulary.of(TEXT + "xyz")          # three symbols never seen in training
    ids = vocabulary.encode(TEXT)
    model = KneserNey(order).fit(ids, len(vocabulary))
    for history in ["the c", "and a", "q zzz", " ran,"]:
        h = vocabulary.encode(history.replace("q", "x"))
        ours = model.next_distribution(h)
        theirs = [reference_probability(ids, order, len(vocabulary), list(h), w) for w in range(len(vocabulary))]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("order", [1, 3, 6])
def test_every_distribution_sums_to_one_and_nothing_is_impossible(order, rng):
    vocabulary = CharVocabulary.of(TEXT + "#")
    ids = vocabulary.encode(TEXT)
    model = KneserNey(order).fit(ids, len(vocabulary))
    for _ in range(30):
        history = rng.integers(0, len(vocabulary), size=order + 2)     # mostly unseen contexts
        d = model.next_distribution(history)
        assert d.min() > 0
        assert d.sum() == pytest.approx(1.0, abs=1e-12)
    if order >= 3:
        seen = model.next_distribution(vocabulary.encode("the ca"))
        assert seen.argmax() == vocabulary.encode("t")[0]


def test_scores_follow_from_the_distributions():
    vocabulary = CharVocabulary.of(TEXT)
    ids = vocabulary.encode(TEXT)
    model = KneserNey(3).fit(ids[:100], len(vocabulary))
    logs = model.log2_probabilities(ids, start=100)
    assert logs.shape == (ids.size - 100,)
    for i in (100, 120, ids.size - 1):
        assert logs[i - 100] == pytest.approx(np.log2(model.next_distribution(ids[:i])[ids[i]]))
    assert model.bits_per_character(ids, start=100) == pytest.approx(-logs.mean())


def test_longer_contexts_predict_english_better(tmp_path):
    text = TEXT * 3
    vocabulary = CharVocabulary.of(text)
    ids = vocabulary.encode(text)
    cut = len(TEXT) * 2
    bpc = [KneserNey(n).fit(ids[:cut], len(vocabulary)).bits_per_character(ids, start=cut) for n in (1, 2, 4)]
    assert bpc[0] > bpc[1] > bpc[2]
    assert bpc[0] < np.log2(len(vocabulary))


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="order must be a positive integer"):
        KneserNey(0)
    with pytest.raises(DataError, match=r"ids must lie in \[0, 3\), got 0..5"):
        KneserNey(2).fit(np.array([0, 1, 5, 2]), 3)
    with pytest.raises(DataError, match="integer ids"):
        KneserNey(2).fit(np.array([0.5, 1.0, 2.0]), 3)
    with pytest.raises(DataError, match="needs more than 3 symbols"):
        KneserNey(3).fit(np.array([0, 1, 2]), 3)
    with pytest.raises(ValueError, match="overflow a 64-bit gram key; use a lower order"):
        KneserNey(12).fit(np.arange(20) % 2, 100_000)
    with pytest.raises(RuntimeError, match="call fit first"):
        KneserNey(2).bits_per_character(np.array([0, 1, 2]))
