"""The sequence examples run end to end on real data and reach their figures (small settings)."""

import re

import pytest

from tests.conftest import REPO, run_python
from tests.png_check import assert_png_not_blank


@pytest.mark.slow
def test_ctc_reads_digit_strips_without_segmentation(tmp_path):
    figure = tmp_path / "ctc.png"
    result = run_python([str(REPO / "examples" / "ctc_strips.py"), "--train-strips", "1500", "--test-strips", "300",
                         "--epochs", "10", "--hidden", "48", "--out", str(figure)])
    assert result.returncode == 0, result.stderr
    best, beam = map(float, re.search(r"best path ([\d.]+), prefix beam search \(width 8\) ([\d.]+)",
                                      result.stdout).groups())
    assert best > 0.6 and beam >= best - 0.02          # chance is 0: a strip is right only when every digit is
    assert_png_not_blank(figure)


@pytest.mark.slow
def test_mnist1d_table_runs_and_the_gru_learns():
    result = run_python([str(REPO / "examples" / "mnist1d.py"), "--models", "logistic,gru", "--epochs", "8"])
    assert result.returncode == 0, result.stderr
    rows = dict(re.findall(r"^(logistic|gru)\s+[\d,]+\s+([\d.]+) ±", result.stdout, flags=re.M))
    assert 0.2 < float(rows["logistic"]) < 0.45                            # the published 32 %
    assert float(rows["gru"]) > 0.5                                        # chance is 0.1


@pytest.mark.slow
def test_g2p_learns_pronunciations_and_draws_alignments(tmp_path):
    figure = tmp_path / "g2p.png"
    result = run_python([str(REPO / "examples" / "g2p.py"), "--words", "3000", "--test-words", "200", "--epochs", "3",
                         "--validation-words", "300", "--hidden", "48", "--embedding", "32", "--beam", "2",
                         "--out", str(figure)])
    assert result.returncode == 0, result.stderr
    per = [float(v) for v in re.findall(r"(?:greedy|beam 2): word error rate [\d.]+%, phoneme error rate ([\d.]+)%",
                                        result.stdout)]
    assert len(per) == 2 and max(per) < 60                   # an untrained decoder is near 100 %
    # the default recipe: dropout, and the epoch chosen on the validation words (3 of them measured)
    assert "dropout 0.3" in result.stdout
    assert len(re.findall(r"validation words right [\d.]+%  phoneme error rate", result.stdout)) == 3
    assert_png_not_blank(figure)


@pytest.mark.slow
def test_seq2seq_autoencoder_writes_spellings_back_and_finds_neighbours():
    result = run_python([str(REPO / "examples" / "g2p.py"), "--autoencoder", "--words", "3000", "--test-words", "200",
                         "--epochs", "3", "--validation-words", "300", "--hidden", "48", "--embedding", "32",
                         "--beam", "1"])
    assert result.returncode == 0, result.stderr
    exact = float(re.search(r"greedy: ([\d.]+)% of held-out words written back exactly", result.stdout).group(1))
    assert exact > 5
    assert re.search(r"water\s+→ \w+, \w+, \w+, \w+, \w+", result.stdout)
