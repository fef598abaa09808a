"""``synaptica text``: train a character model on a real text, sample it, score it; clear refusals."""

import json

import numpy as np
import pytest

from synaptica.cli import main
from synaptica.io import load_model, save_model
from synaptica.nn import mlp

VERSE = ("And God said, Let there be light: and there was light. And God saw the light, that it was good: "
         "and God divided the light from the darkness. And God called the light Day, and the darkness he "
         "called Night. And the evening and the morning were the first day.\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "genesis.txt"
    path.write_text(VERSE * 60, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "lm.safetensors"
    status = main(["text", "train", str(corpus), "--out", str(out), "--epochs", "10", "--windows-per-epoch", "15",
                   "--hidden", "48", "--layers", "1", "--embedding", "16", "--steps", "40", "--batch-size", "8",
                   "--eta", "0.01", "--minutes", "5"])
    assert status == 0
    return out


@pytest.mark.slow
def test_train_learns_a_repeated_verse_and_saves_its_vocabulary(trained, corpus, capsys):
    model, metadata = load_model(trained)
    assert json.loads(metadata["vocabulary"]) == "".join(sorted(set(VERSE)))
    assert float(metadata["held_out_bpc"]) < 0.5                           # uniform would be log2(30) ≈ 4.9
    assert main(["text", "evaluate", str(trained), str(corpus)]) == 0
    out = capsys.readouterr().out
    assert f"{float(metadata['held_out_bpc']):.4f} bits per character" in out and "Kneser–Ney order 5" in out


@pytest.mark.slow
def test_sample_continues_the_prompt_reproducibly(trained, capsys):
    assert main(["text", "sample", str(trained), "--prompt", "And God", "--length", "60", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert main(["text", "sample", str(trained), "--prompt", "And God", "--length", "60", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first and first.startswith("And God") and len(first) == 7 + 60 + 1
    assert main(["text", "sample", str(trained), "--prompt", "And God said", "--length", "9",
                 "--temperature", "0"]) == 0
    assert capsys.readouterr().out == "And God said, Let the\n"                  # greedy: the verse itself


def test_bad_inputs_get_one_line_and_status_2(tmp_path, capsys):
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"plain words, then caf\xe9")
    assert main(["text", "train", str(latin), "--out", str(tmp_path / "m.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "latin.txt: not UTF-8 text: byte offset 21 holds 0xe9" in err and len(err.splitlines()) == 1
    save_model(tmp_path / "mlp.safetensors", mlp([4, 2], rng=0))
    assert main(["text", "sample", str(tmp_path / "mlp.safetensors")]) == 2
    assert "not a character language model" in capsys.readouterr().err
    assert main(["text", "sample", str(tmp_path / "none.safetensors")]) == 2
    assert "synaptica text train FILE --out MODEL" in capsys.readouterr().err
