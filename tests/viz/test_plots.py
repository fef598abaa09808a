"""The PNG plots: written, not blank, drawn without pyplot, and a clear error without matplotlib."""

import numpy as np
import pytest

from synaptica.train import History
from synaptica.viz import plot_curves, plot_gradient_norms, plot_history
from tests.conftest import run_python
from tests.png_check import assert_png_not_blank


def _history(epochs: int = 4, validation: bool = True) -> History:
    history = History()
    for e in range(epochs):
        history.epochs.append(e)
        history.train_cost.append(1.0 / (e + 1))
        history.train_accuracy.append(0.5 + 0.1 * e)
        if validation:
            history.validation_cost.append(1.2 / (e + 1))
            history.validation_accuracy.append(0.45 + 0.1 * e)
        history.seconds.append(0.1)
    return history


@pytest.mark.parametrize("validation", [True, False])
def test_plot_history_writes_a_picture_of_both_panels(tmp_path, validation):
    path = plot_history(_history(validation=validation), tmp_path / "curves.png", title="a run")
    pixels = assert_png_not_blank(path)
    assert pixels.shape[1] > pixels.shape[0]  # two panels side by side
    assert not list(tmp_path.glob(".*partial"))  # the temporary file is gone


def test_plot_history_of_a_single_epoch_still_shows_its_points(tmp_path):
    assert_png_not_blank(plot_history(_history(epochs=1), tmp_path / "one.png"))


def test_more_curves_draw_more_ink(tmp_path):
    """The picture depends on the data: two series colour more pixels than one."""
    one = assert_png_not_blank(plot_curves({"a": [0.1, 0.5, 0.6]}, tmp_path / "one.png"))
    two = assert_png_not_blank(plot_curves({"a": [0.1, 0.5, 0.6], "b": [0.7, 0.2, 0.3]}, tmp_path / "two.png"))
    white = np.array([1.0, 1.0, 1.0])
    assert np.count_nonzero(np.any(two[..., :3] != white, axis=-1)) > np.count_nonzero(
        np.any(one[..., :3] != white, axis=-1))


def test_plot_gradient_norms_on_a_log_scale(tmp_path):
    norms = {"hidden layer 1": [3e-3, 1e-4, 5e-5], "hidden layer 2": [1e-2, 5e-4, 2e-4],
             "output layer": [1.3, 0.05, 0.04]}
    assert_png_not_blank(plot_gradient_norms(norms, tmp_path / "speed.png", epochs=[0, 1, 2]))


def test_a_long_series_and_gaps_are_drawn(tmp_path):
    values = list(np.linspace(1, 0.1, 200))
    values[50] = None
    values[60] = float("nan")
    assert_png_not_blank(plot_curves({"long": values}, tmp_path / "long.png", log_scale=True))


def test_bad_input_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match="no finished epoch"):
        plot_history(History(), tmp_path / "x.png")
    with pytest.raises(ValueError, match="'a' has 3 values for 2 epochs"):
        plot_curves({"a": [1, 2, 3]}, tmp_path / "x.png", epochs=[0, 1])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_curves({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="negative"):
        plot_gradient_norms({"hidden layer 1": [0.1, -0.1]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"should end in \.png"):
        plot_curves({"a": [1, 2]}, tmp_path / "x.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_curves({"a": [1, 2]}, tmp_path / "missing" / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_the_library_imports_without_matplotlib_and_plotting_never_loads_pyplot(tmp_path):
    code = f"""
import sys
import synaptica, synaptica.train, synaptica.viz, synaptica.cli
assert "matplotlib" not in sys.modules, "importing synaptica loaded matplotlib"
from synaptica.viz import plot_curves
plot_curves({{"a": [1, 2, 3]}}, {str(tmp_path / "a.png")!r})
assert "matplotlib" in sys.modules and "matplotlib.pyplot" not in sys.modules
print("ok")
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert_png_not_blank(tmp_path / "a.png")


def test_without_matplotlib_the_error_says_how_to_install_it(tmp_path):
    code = f"""
import sys
sys.modules["matplotlib"] = None  # as if it were not installed
from synaptica.viz import plot_curves
try:
    plot_curves({{"a": [1, 2, 3]}}, {str(tmp_path / "a.png")!r})
except ModuleNotFoundError as error:
    print(error)
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "plotting needs matplotlib" in result.stdout and "pip install 'synaptica[plot]'" in result.stdout
    assert not (tmp_path / "a.png").exists()
