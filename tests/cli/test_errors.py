"""Every user mistake ends with a one-paragraph message, a non-zero exit status and no traceback.

One table of mistakes across the commands. Each row runs ``synaptica.cli.main`` in this process
(the FIFO rows in a child process with a timeout, so that a regression hangs nothing) and checks
the exit status, that no traceback is shown, that the message names the option or file at fault,
and that the command stopped at once, before any training.
"""

import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from synaptica.cli import main
from synaptica.cli.memory import available_memory
from synaptica.io import save_model
from synaptica.io.safetensors_format import save_tensors
from synaptica.nn import mlp
from tests.conftest import run_python

#: seconds a refused command may take: loading the small data sets, never training
#: an architecture 600 Sequentials deep, written as text (json.dumps itself would recurse too deeply)
NESTED = '{"type":"Sequential","layers":[' * 600 + '{"type":"Linear","in_features":2,"out_features":2}' + "]}" * 600
SPACE = '[fixed]\ndataset = "digits"\nepochs = 1\n\n[search.eta]\nchoices = [0.1, 0.3]\n'


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The paths the table's rows name, made once: ``{model}`` in a row stands for ``files["model"]``."""
    root = tmp_path_factory.mktemp("mistakes")
    paths = {"model": "model.safetensors", "a_directory": "a-directory", "a_file": "a-file.txt",
             "dangling": "dangling", "fifo": "fifo", "space": "space.toml", "latin1_space": "latin1.toml",
             "syntax_space": "syntax.toml", "nested_space": "nested.toml", "latin1_results": "latin1.jsonl",
             "pickle": "pickle.safetensors", "truncated": "truncated.safetensors", "nested_model": "nested.safetensors"}
    paths = {key: root / name for key, name in paths.items()}
    save_model(paths["model"], mlp([64, 16, 10], "relu", rng=0), {"synaptica.cost": "log-likelihood"})
    paths["a_directory"].mkdir()
    paths["a_file"].write_text("not a directory\n")
    paths["dangling"].symlink_to(root / "gone")
    os.mkfifo(paths["fifo"])
    paths["space"].write_text(SPACE)
    paths["latin1_space"].write_bytes("[fixed]\n# café\n".encode("latin-1"))
    paths["syntax_space"].write_text("[fixed\nepochs = 1\n")
    paths["nested_space"].write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    paths["latin1_results"].write_bytes(b'{"trial": 0, "caf\xe9"}\n')
    paths["pickle"].write_bytes(b"\x80\x04\x95junk")
    paths["truncated"].write_bytes(paths["model"].read_bytes()[:100])
    save_tensors(paths["nested_model"], {}, {"synaptica.format": "1", "synaptica.architecture": NESTED})
    names = {key: str(path) for key, path in paths.items()}
    names.update(missing=str(root / "missing.safetensors"), root=str(root), locked=_locked_directory(root))
    yield names
    (root / "locked").chmod(0o755)


def _locked_directory(root: Path) -> str | None:
    """A directory this process cannot write to: a read-only one, or /proc/sys for root (whom the
    permission bits do not stop); None if there is none."""
    locked = root / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if not os.access(locked, os.W_OK):
        return str(locked)
    if Path("/proc/sys").is_dir() and not os.access("/proc/sys", os.W_OK):
        return "/proc/sys"
    return None


def row(*argv: str, says: tuple[str, ...], needs: str | None = None, child: bool = False):
    """A mistake: the command line (``{name}`` stands for ``files[name]``), the words its message must
    contain, the file a row needs (skipped when the machine cannot make it), and whether it runs in a
    child process."""
    return pytest.param(list(argv), says, needs, child, id=" ".join(part or "''" for part in argv))


TRAIN = ("train", "--data", "digits", "--epochs", "1", "--quiet")

MISTAKES = [
    # evaluate: the model file
    row("evaluate", "{missing}", "--data", "digits", says=("MODEL", "missing.safetensors", "no such file")),
    row("evaluate", "{a_directory}", "--data", "digits", says=("MODEL", "a-directory", "is a directory")),
    row("evaluate", "{dangling}", "--data", "digits", says=("MODEL", "dangling", "symbolic link", "does not exist")),
    row("evaluate", "", "--data", "digits", says=("MODEL", "must not be empty")),
    row("evaluate", "{fifo}", "--data", "digits", says=("MODEL", "fifo", "not a regular file"), child=True),
    row("evaluate", "{a_file}", "--data", "digits", says=("a-file.txt", "safetensors")),
    row("evaluate", "{pickle}", "--data", "digits", says=("pickle.safetensors", "pickle")),
    row("evaluate", "{truncated}", "--data", "digits", says=("truncated.safetensors", "truncated")),
    row("evaluate", "{nested_model}", "--data", "digits", says=("nested.safetensors", "nests arrays and objects", "at most 256")),
    row("evaluate", "{model}", "--data", "xor", says=("MODEL", "model.safetensors", "--data xor", "64")),
    row("evaluate", "{model}", "--data", "no-such-set", says=("unknown dataset 'no-such-set'",)),
    row("evaluate", "{model}", "--data", "{a_directory}", says=("a-directory", "train-images-idx3-ubyte")),
    row("evaluate", "{model}", "--split", "holdout", says=("--split", "holdout")),
    # train: numbers refused when parsing
    row("train", "--eta", "inf", says=("--eta", "finite", "inf")),
    row("train", "--eta", "nan", says=("--eta", "finite", "nan")),
    row("train", "--eta", "0", says=("--eta", "> 0")),
    row("train", "--eta", "fast", says=("--eta", "expected a number", "fast")),
    row("train", "--lmbda", "nan", says=("--lmbda", "nan")),
    row("train", "--lmbda", "inf", says=("--lmbda", "inf")),
    row("train", "--lmbda", "-1", says=("--lmbda", ">= 0", "-1")),
    row("train", "--patience", "0", says=("--patience", "positive integer", "0")),
    row("train", "--patience", "-1", says=("--patience", "positive integer", "-1")),
    row("train", "--hidden", "", says=("--hidden", "at least one size")),
    row("train", "--hidden", "30,-1", says=("--hidden", "positive", "30,-1")),
    row("train", "--hidden", "30,x", says=("--hidden", "30,x")),
    row("train", "--epochs", "0", says=("--epochs", "positive integer")),
    row("train", "--epochs", "2.5", says=("--epochs", "expected an integer", "2.5")),
    row("train", "--batch-size", "0", says=("--batch-size", "positive integer")),
    row("train", "--dropout", "1", says=("--dropout", "[0, 1)")),
    row("train", "--dropout", "-0.1", says=("--dropout", "-0.1")),
    row("train", "--seed", "-1", says=("--seed", ">= 0")),
    row("train", "--rule", "es", "--sigma", "0", says=("--sigma", "> 0")),
    row("train", "--rule", "es", "--population", "3", says=("--population", "even", "3")),
    row("train", "--rule", "es", "--workers", "0", says=("--workers", "positive integer")),
    row("train", "--rule", "backprob", says=("--rule", "unknown rule 'backprob'")),
    row(*TRAIN, "--sigma", "0.1", says=("--sigma", "evolution-strategies")),
    # train: checkpoints and resume
    row("train", "--keep", "0", says=("--keep", "positive integer")),
    row("train", "--checkpoint-every", "0", says=("--checkpoint-every", "> 0")),
    row("train", "--checkpoint", "", says=("--checkpoint", "must not be empty")),
    row(*TRAIN, "--checkpoint", "{a_file}", says=("--checkpoint", "a-file.txt", "not a directory")),
    row(*TRAIN, "--resume", "{missing}", says=("cannot resume", "missing.safetensors", "no such checkpoint")),
    row(*TRAIN, "--resume", "{a_directory}", says=("cannot resume", "a-directory", "holds no checkpoint")),
    row(*TRAIN, "--resume", "{model}", says=("model.safetensors", "not a synaptica checkpoint")),
    # train: outputs checked before any work
    row("train", "--out", "", says=("--out", "must not be empty")),
    row(*TRAIN, "--out", "/nonexistent/dir/m.safetensors", says=("--out", "/nonexistent/dir", "does not exist")),
    row(*TRAIN, "--out", "{a_directory}", says=("--out", "a-directory", "is a directory")),
    row(*TRAIN, "--out", "{fifo}", says=("--out", "fifo", "not a regular file")),
    row(*TRAIN, "--out", "{locked}/m.safetensors", says=("--out", "not writable"), needs="locked"),
    row(*TRAIN, "--history", "{root}/no-dir/h.jsonl", says=("--history", "no-dir", "does not exist")),
    row(*TRAIN, "--history", "{a_directory}", says=("--history", "is a directory")),
    row(*TRAIN, "--log-dir", "{a_file}", says=("--log-dir", "a-file.txt", "not a directory")),
    row(*TRAIN, "--log-dir", "{a_file}/runs", says=("--log-dir", "a-file.txt", "not a directory")),
    row(*TRAIN, "--log-dir", "{dangling}", says=("--log-dir", "dangling", "symbolic link")),
    row(*TRAIN, "--log-dir", "{locked}/runs", says=("--log-dir", "not writable"), needs="locked"),
    row("train", "--log-dir", "", says=("--log-dir", "must not be empty")),
    # train: data and model that do not go together
    row("train", "--data", "no-such-set", says=("unknown dataset 'no-such-set'",)),
    row(*TRAIN, "--model", "cnn", "--cost", "quadratic", says=("--model cnn", "quadratic")),
    row("train", "--data", "xor", "--model", "cnn", "--epochs", "1", says=("--model cnn", "xor", "image")),
    row(*TRAIN, "--hidden", "30000000,30000000", says=("--hidden 30000000,30000000", "memory", "GiB")),
    # search
    row("search", "{missing}", says=("SPACE", "missing.safetensors", "no such file")),
    row("search", "{a_directory}", says=("SPACE", "a-directory", "is a directory")),
    row("search", "{fifo}", says=("SPACE", "fifo", "not a regular file"), child=True),
    row("search", "{latin1_space}", says=("latin1.toml", "UTF-8")),
    row("search", "{syntax_space}", says=("syntax.toml", "line 1")),
    row("search", "{nested_space}", says=("nested.toml", "nest too deeply")),
    row("search", "{space}", "--results", "{a_directory}", says=("--results", "a-directory", "is a directory")),
    row("search", "{space}", "--results", "{root}/no-dir/r.jsonl", says=("--results", "no-dir", "does not exist")),
    row("search", "{space}", "--results", "{latin1_results}", says=("latin1.jsonl", "UTF-8")),
    row("search", "{space}", "--report", "--results", "{a_directory}", says=("--results", "is a directory")),
    row("search", "{space}", "--results", "", says=("--results", "must not be empty")),
    row("search", "{space}", "--trials", "0", says=("--trials", "positive integer")),
    row("search", "{space}", "--workers", "-2", says=("--workers", "positive integer")),
    row("search", "{space}", "--seed", "-1", says=("--seed", ">= 0")),
    row("search", "{space}", "--sampler", "bayes", "--journal", "{root}/no-dir/j", says=("--journal", "no-dir")),
    # visualize
    row("visualize", "{missing}", "--what", "filters", says=("MODEL", "missing.safetensors", "no such file")),
    row("visualize", "{fifo}", "--what", "filters", says=("MODEL", "fifo", "not a regular file"), child=True),
    row("visualize", "{model}", "--what", "filters", "--out", "{root}/pictures",
        says=("Conv2d", "no filters to draw")),
    row("visualize", "{model}", "--what", "filters", "--out", "{a_file}", says=("--out", "a-file.txt", "not a directory")),
    row("visualize", "{model}", "--what", "filters", "--out", "{locked}/pictures", says=("--out", "not writable"),
        needs="locked"),
    row("visualize", "{model}", "--what", "features", "--layer", "99", "--out", "{root}/pictures",
        says=("layer 99 does not exist",)),
    row("visualize", "{model}", "--what", "dream", "--steps", "-1", says=("--steps", ">= 0")),
    row("visualize", "{model}", "--what", "saliency", "--class", "-1", says=("--class", ">= 0")),
    row("visualize", "{model}", "no-such.png", "--what", "saliency", "--data", "digits", "--out", "{root}/pictures",
        says=("IMAGE", "no-such.png")),
    row("visualize", "{model}", "99999", "--what", "saliency", "--data", "digits", "--out", "{root}/pictures",
        says=("image index 99999", "out of range")),
    row("visualize", "{model}", "--what", "everything", says=("--what", "everything")),
    row("visualize", "", "--what", "filters", says=("MODEL", "must not be empty")),
    # export
    row("export", "{missing}", "{root}/m.onnx", says=("MODEL", "missing.safetensors", "no such file")),
    row("export", "{a_directory}", "{root}/m.onnx", says=("MODEL", "a-directory", "is a directory")),
    row("export", "{fifo}", "{root}/m.onnx", says=("MODEL", "fifo", "not a regular file"), child=True),
    row("export", "{pickle}", "{root}/m.onnx", says=("pickle.safetensors", "pickle")),
    row("export", "{model}", "{root}/no-dir/m.onnx", says=("OUTPUT", "no-dir", "does not exist")),
    row("export", "{model}", "{a_directory}", says=("OUTPUT", "a-directory", "is a directory")),
    row("export", "{model}", "{locked}/m.onnx", says=("OUTPUT", "not writable"), needs="locked"),
    row("export", "{model}", "", says=("OUTPUT", "must not be empty")),
]


@pytest.mark.parametrize("argv, says, needs, child", MISTAKES)
def test_a_mistake_is_one_clear_message_and_no_traceback(argv, says, needs, child, files, tmp_path, monkeypatch,
                                                          capsys):
    if needs and files[needs] is None:
        pytest.skip(f"this machine has no {needs} directory to try")
    argv = [part.format(**files) for part in argv]
    monkeypatch.chdir(tmp_path)  # a run's default outputs (runs/, *.results.jsonl) stay in here
    if child:
        result = run_python(["-m", "synaptica.cli", *argv], cwd=tmp_path, timeout=60)
        status, out, err = result.returncode, result.stdout, result.stderr
    else:
        try:
            status = main(argv)
        except SystemExit as exit:  # argparse refuses an option this way
            status = exit.code
        out, err = capsys.readouterr()
    assert status not in (0, None), (out, err)
    assert "Traceback" not in err and "Warning" not in err, err
    message = re.search(rf"^synaptica {argv[0]}: error: (.+)$", err, re.MULTILINE)
    assert message, err
    for words in [s.format(**files) for s in says]:
        assert words in message.group(1), (words, message.group(1))
    assert "Epoch" not in out and not list(tmp_path.glob("runs/*/history.csv")), out  # refused before any work


def test_the_table_covers_every_command_with_at_least_forty_mistakes():
    commands = [param.values[0][0] for param in MISTAKES]
    assert len(commands) >= 40
    commands_named = ["train", "evaluate", "search", "visualize", "export"]
    assert {command: commands.count(command) >= 5 for command in commands_named} == dict.fromkeys(commands_named, True)


def test_a_network_too_large_for_the_memory_is_refused_before_it_is_built(subset_dir, tmp_path, monkeypatch, capsys):
    """The issue's own example: one hidden layer of 30,000,000 units on 784 inputs (282 GiB to train)."""
    if (available_memory() or 0) > 300 * 2**30:
        pytest.skip("this machine has the memory for it")
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", str(subset_dir), "--hidden", "30000000", "--epochs", "1"]) == 2
    out, err = capsys.readouterr()
    assert "--hidden 30000000" in err and "GiB" in err and "Traceback" not in err
    assert "Epoch" not in out and not list(tmp_path.glob("runs/*/history.csv")), out  # refused before building


def test_numpy_warnings_are_not_shown_in_place_of_a_message(tmp_path):
    """η = 1000 makes the weights overflow: the user sees the non-finite cost in words, not NumPy's
    RuntimeWarnings."""
    result = run_python(["-m", "synaptica.cli", "train", "--data", "digits", "--eta", "1000", "--epochs", "1",
                         "--quiet"], cwd=tmp_path)
    assert result.returncode == 2
    assert "non-finite cost" in result.stderr
    assert "RuntimeWarning" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert np.geterr()["over"] == "warn"  # this process is untouched
