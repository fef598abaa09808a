"""A trained Seq2Seq through a model file: the same outputs after loading, and damaged files refused by name."""

import json

import numpy as np
import pytest

from synaptica.data.sequences import PaddedPairSource, pad
from synaptica.errors import FormatError, ShapeError
from synaptica.io.checksum import CHECKSUM_KEY, checksums
from synaptica.io.model_file import ARCHITECTURE_KEY, FORMAT_KEY, FORMAT_VERSION, load_model, save_model
from synaptica.io.onnx_export import onnx_model
from synaptica.io.safetensors_format import save_tensors
from synaptica.losses import SequenceLogLikelihoodCost
from synaptica.models.char_lm import CharLanguageModel
from synaptica.models.seq2seq import END, Seq2Seq, load_seq2seq
from synaptica.optim import Adam
from synaptica.rules.teacher_forcing import TeacherForcing
from synaptica.train import fit
from tests.conftest import REPO, run_python


def _trained(attention: str, dtype=np.float32) -> tuple[Seq2Seq, np.ndarray]:
    """A small model after a few epochs of reversing sequences, and sources to decode."""
    rng = np.random.default_rng(0)
    sources = [rng.integers(1, 9, size=rng.integers(2, 6)) for _ in range(96)]
    targets = [np.r_[s[::-1] + 1, END] for s in sources]
    model = Seq2Seq(9, 10, embedding_dim=6, hidden_size=8, attention=attention, max_length=8, rng=0, dtype=dtype)
    rule = TeacherForcing(SequenceLogLikelihoodCost(padding=0), Adam(model.parameters(), 0.01))
    fit(model, rule, PaddedPairSource(sources, targets, batch_size=32), epochs=2, rng=0, verbose=False)
    return model, pad(sources[:12])


def _write(path, config, state) -> None:
    """A model file holding ``config`` as its architecture and ``state`` as its tensors, checksums right."""
    header = {FORMAT_KEY: FORMAT_VERSION, ARCHITECTURE_KEY: json.dumps(config)}
    header[CHECKSUM_KEY] = checksums(state, header)
    save_tensors(path, state, header)


@pytest.mark.parametrize("attention, dtype", [("additive", np.float32), ("dot", np.float64), ("none", np.float32)])
def test_a_loaded_model_decodes_what_the_trained_one_did(tmp_path, attention, dtype):
    model, source = _trained(attention, dtype)
    path = tmp_path / "g2p.safetensors"
    save_model(path, model, {"symbols": "abc"})
    loaded, metadata = load_seq2seq(path)
    assert type(loaded) is Seq2Seq and loaded.config() == model.config() and metadata["symbols"] == "abc"
    assert [p.data.dtype for p in loaded.parameters()] == [np.dtype(dtype)] * len(loaded.parameters())
    for beam in (1, 3):
        assert loaded.decode(source, beam=beam)[0] == model.decode(source, beam=beam)[0]
    np.testing.assert_array_equal(loaded(source).data, model(source).data)
    assert [p.name for p in tmp_path.iterdir()] == ["g2p.safetensors"]        # written whole, nothing left over


def test_damaged_and_mismatched_files_are_refused_naming_the_file(tmp_path):
    model, _ = _trained("additive")
    good = tmp_path / "good.safetensors"
    save_model(good, model)
    data = good.read_bytes()
    flipped = tmp_path / "flipped.safetensors"
    flipped.write_bytes(data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:])
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(data[:len(data) // 2])
    for path in (flipped, truncated):
        with pytest.raises(FormatError, match=path.name):
            load_seq2seq(path)

    other = tmp_path / "lm.safetensors"
    save_model(other, CharLanguageModel(5, embedding_dim=3, hidden_size=4, num_layers=1, rng=0))
    with pytest.raises(FormatError, match=r"lm\.safetensors.*'CharLanguageModel', not the Seq2Seq"):
        load_seq2seq(other)

    state = model.state_dict()
    wider = tmp_path / "wider.safetensors"
    _write(wider, {**model.config(), "hidden_size": 9}, state)
    with pytest.raises(ShapeError, match=r"wider\.safetensors.*in the file but"):
        load_seq2seq(wider)
    unknown = tmp_path / "unknown.safetensors"
    _write(unknown, {**model.config(), "layers": 2}, state)
    with pytest.raises(FormatError, match=r"unknown\.safetensors.*Seq2Seq\) has unknown argument 'layers'"):
        load_seq2seq(unknown)
    refused = tmp_path / "refused.safetensors"
    _write(refused, {**model.config(), "attention": "multihead"}, state)
    with pytest.raises(FormatError, match=r"refused\.safetensors.*attention"):
        load_seq2seq(refused)


def test_it_stays_outside_the_registry_and_its_onnx_export(tmp_path):
    """No ONNX form (a greedy loop with attention): the generic loader and the exporter say so plainly."""
    model, _ = _trained("none")
    path = tmp_path / "s2s.safetensors"
    save_model(path, model)
    with pytest.raises(FormatError, match=r"s2s\.safetensors.*unknown layer type 'Seq2Seq'"):
        load_model(path)
    with pytest.raises(ValueError, match="not a layer of synaptica's registry"):
        onnx_model(model)


def test_parameter_count_is_what_the_model_holds():
    for attention in ("additive", "dot", "none"):
        model = Seq2Seq(7, 11, embedding_dim=3, hidden_size=5, attention=attention, rng=0)
        assert Seq2Seq.parameter_count(7, 11, 3, 5, attention) == sum(p.data.size for p in model.parameters())


@pytest.mark.slow
def test_g2p_saves_a_model_that_decodes_what_the_run_printed(tmp_path):
    saved = tmp_path / "g2p.safetensors"
    result = run_python([str(REPO / "examples" / "g2p.py"), "--words", "1500", "--test-words", "20", "--epochs", "2",
                         "--hidden", "24", "--embedding", "16", "--beam", "1", "--out", "", "--save", str(saved)])
    assert result.returncode == 0, result.stderr
    printed = [line.split(maxsplit=1) for line in result.stdout.splitlines() if line.startswith("  ")]
    assert len(printed) == 6 and sum(len(p) == 2 for p in printed) >= 3     # most words got some phonemes
    model, metadata = load_seq2seq(saved)
    letters, symbols = metadata["letters"].split(), metadata["symbols"].split()
    first = int(metadata["first_symbol"])
    decoded, _ = model.decode(pad([np.array([letters.index(ch) + 1 for ch in p[0]]) for p in printed]))
    for (word, *phonemes), ids in zip(printed, decoded):
        assert " ".join(symbols[i - first] for i in ids if i >= first) == " ".join(phonemes), word
