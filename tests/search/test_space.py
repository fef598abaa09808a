"""Search spaces from TOML files: what is read, and every refusal naming the file, line and key."""

import re
from pathlib import Path

import pytest

from synaptica.errors import FormatError
from synaptica.search import Choice, FloatRange, IntRange, load_space
from synaptica.search.settings import SETTINGS
from tests.conftest import REPO

GOOD = """\
[fixed]
dataset = "fashion-mnist"
epochs = 2
hidden = [30]
activation = "sigmoid"

[search.eta]
low = 0.01
high = 3
log = true
points = 4

[search.lmbda]
choices = [0.0, 0.5, 5]

[search]
batch_size = {low = 10, high = 100, log = true}
"""


def write(tmp_path: Path, text: str, name: str = "space.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_space_is_read_with_its_kinds_types_and_defaults(tmp_path):
    space = load_space(write(tmp_path, GOOD))
    assert space.fixed == {"dataset": "fashion-mnist", "epochs": 2, "hidden": [30], "activation": "sigmoid"}
    assert list(space.parameters) == ["eta", "lmbda", "batch_size"]
    assert space.parameters["eta"] == FloatRange(0.01, 3.0, log=True, points=4)
    assert isinstance(space.parameters["eta"].high, float)  # a TOML integer is a valid float setting
    assert space.parameters["lmbda"] == Choice((0.0, 0.5, 5.0))
    assert space.parameters["batch_size"] == IntRange(10, 100, log=True, points=None)
    assert space.name == "space"
    settings = space.settings({"eta": 0.1, "lmbda": 0.5, "batch_size": 20})
    assert settings["epochs"] == 2 and settings["eta"] == 0.1 and settings["batch_size"] == 20
    assert settings["cost"] == SETTINGS["cost"].default == "log-likelihood"  # synaptica train's default
    assert set(settings) == set(SETTINGS)


def test_the_example_file_loads():
    space = load_space(REPO / "examples" / "search.toml")
    assert set(space.parameters) == {"eta", "lmbda"}
    assert space.fixed["dataset"] == "fashion-mnist"


def test_a_dataset_directory_is_found_relative_to_the_space_file(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    path = write(tmp_path, '[fixed]\ndataset = "data"\n[search.eta]\nchoices = [0.1]\n')
    monkeypatch.chdir(REPO)
    assert load_space(path).fixed["dataset"] == str(tmp_path / "data")


# (file text, the key the error must name, the line it must name or None, a phrase of the problem)
REFUSALS = [
    ('[fixed]\nepochs = 2\n[search.eta]\nchoices = [0.1]\n[serach.lmbda]\nchoices = [1.0]\n',
     "serach", 5, "unknown key"),
    ('[fixed]\nepochz = 2\n[search.eta]\nchoices = [0.1]\n', "fixed.epochz", 2, "unknown setting"),
    ('[search.learning_rate]\nchoices = [0.1]\n', "search.learning_rate", 1, "unknown setting"),
    ('[search.eta]\nchoices = [0.1]\nstep = 2\n', "search.eta.step", 3, "unknown key"),
    ('[search.eta]\nlow = 3.0\nhigh = 0.01\n', "search.eta", 1, "low (3.0) must be < high (0.01)"),
    ('[search.eta]\nlow = 0.5\nhigh = 0.5\n', "search.eta", 1, "must be < high"),
    ('[search.lmbda]\nlow = 0.0\nhigh = 5.0\nlog = true\n', "search.lmbda.low", 2, "log range needs low > 0"),
    ('[search.lmbda]\nchoices = []\n', "search.lmbda.choices", 2, "is empty"),
    ('[search.eta]\nchoices = [0.1, -0.5]\n', "search.eta.choices", 2, "must be > 0, got -0.5"),
    ('[search.eta]\nlow = 0.0\nhigh = 1.0\n', "search.eta.low", 2, "must be > 0, got 0.0"),
    ('[fixed]\neta = 0\n[search.lmbda]\nchoices = [1.0]\n', "fixed.eta", 2, "must be > 0"),
    ('[search]\neta = {low = 1.0, high = 0.1}\n', "search.eta", 2, "must be < high"),
    ('[search.eta]\nchoices = [0.1, 0.1]\n', "search.eta.choices", 2, "twice"),
    ('[search.eta]\nlow = 0.1\n', "search.eta", 1, "needs either choices"),
    ('[search.eta]\nchoices = [0.1]\nlow = 0.1\n', "search.eta.low", 3, "takes no range keys"),
    ('[search.batch_size]\nlow = 1.5\nhigh = 10\n', "search.batch_size.low", 2, "must be an integer"),
    ('[search.batch_size]\nlow = 1\nhigh = 3\npoints = 4\n', "search.batch_size.points", 4, "only 3"),
    ('[search.eta]\nlow = 0.1\nhigh = 1.0\npoints = 1\n', "search.eta.points", 4, "integer >= 2"),
    ('[search.eta]\nlow = 0.1\nhigh = 1.0\nlog = "yes"\n', "search.eta.log", 4, "true or false"),
    ('[search.activation]\nlow = 1\nhigh = 2\n', "search.activation", 1, "takes choices"),
    ('[search.activation]\nchoices = ["relu", "swish"]\n', "search.activation.choices", 2, "must be one of"),
    ('[search.hidden]\nchoices = [[30], [0]]\n', "search.hidden.choices", 2, "positive integers"),
    ('[search.epochs]\nchoices = [true]\n', "search.epochs.choices", 2, "must be an integer"),
    ('[fixed]\neta = 0.1\n[search.eta]\nchoices = [0.1]\n', "search.eta", 3, "both fixed and searched"),
    ('[fixed]\noptimizer = "adam"\nmomentum = 0.9\n[search.eta]\nchoices = [0.1]\n', "fixed.momentum", 3, "sgd optimizer only"),
    ('[fixed]\nepochs = 2\n', "search", None, "is missing"),
    ('[fixed]\nepochs = 2\n[search]\n', "search", 3, "has no parameters"),
    ('search = 3\n', "search", 1, "must be a table"),
    ('[search]\neta = 0.1\n', "search.eta", 2, "must be a table"),
]


@pytest.mark.parametrize("text, key, line, problem", REFUSALS, ids=[r[1] + ":" + r[3] for r in REFUSALS])
def test_refusals_name_the_file_the_line_and_the_key(tmp_path, text, key, line, problem):
    path = write(tmp_path, text, "bad.toml")
    with pytest.raises(FormatError) as caught:
        load_space(path)
    message = str(caught.value)
    where = f"{path}, line {line}: " if line else f"{path}: "
    assert message.startswith(f"{where}{key}: "), message
    assert problem in message


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, '[search.eta]\nlow = 0.1\nhigh = \n', "broken.toml")
    with pytest.raises(FormatError, match=re.escape(str(path)) + r": not valid TOML: .*line 3"):
        load_space(path)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_space(tmp_path / "nowhere.toml")


def test_a_file_that_is_not_utf8_names_the_file_the_line_and_the_byte(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("[fixed]\nepochs = 2\n# café\n[search.eta]\nchoices = [0.1]\n".encode("latin-1"))
    with pytest.raises(FormatError, match=re.escape(str(path)) + r", line 3: not UTF-8 \(byte 0xE9 at offset 24\)"):
        load_space(path)


@pytest.mark.parametrize("nested", ["[" * 3000 + "]" * 3000, "{a = " * 3000 + "1" + "}" * 3000])
def test_deep_nesting_is_a_format_error_naming_the_file(tmp_path, nested):
    path = write(tmp_path, f"[search.hidden]\nchoices = {nested}\n", "deep.toml")
    with pytest.raises(FormatError, match=re.escape(str(path)) + ": arrays or inline tables nest too deeply"):
        load_space(path)
