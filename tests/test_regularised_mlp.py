"""examples/regularised_mlp.py and bench/techniques.py, run as a user runs them, on a subset of
Fashion-MNIST for one or two epochs: both the synaptica path and the PyTorch twin."""

import re

import pytest

from tests.conftest import REPO, run_python

EXAMPLE = str(REPO / "examples" / "regularised_mlp.py")
TECHNIQUES = str(REPO / "bench" / "techniques.py")


def _test_accuracy(stdout: str) -> float:
    return float(re.search(r"Test accuracy: ([0-9.]+)", stdout).group(1))


@pytest.mark.slow
@pytest.mark.parametrize("library", [[], ["--torch"]], ids=["synaptica", "pytorch"])
def test_the_regularised_mlp_runs_end_to_end(fashion, library):
    """One epoch on 3,000 images with a smaller network: the recipe (input and hidden dropout, Adam,
    cosine schedule, Shift(1)) learns well above chance in either library."""
    result = run_python([EXAMPLE, "--limit", "3000", "--epochs", "1", "--hidden", "128", "--input-dropout", "0.1",
                         "--seed", "2", *library])
    assert result.returncode == 0, result.stderr
    assert "Dropout(0.1)" in result.stdout and "Dropout(0.2)" in result.stdout and "Shift(1)" in result.stdout
    assert _test_accuracy(result.stdout) > 0.6, result.stdout


@pytest.mark.slow
def test_the_techniques_table_rows_agree_between_the_libraries(fashion):
    """The baseline row on 1,000 images, 2 epochs: synaptica and PyTorch start from the same weights and
    draw the same mini-batches, so the test accuracies agree to a few images (on this subset they were
    identical), and both learn. Each row's line is appended to --out."""
    results = {}
    for library in ([], ["--torch"]):
        run = run_python([TECHNIQUES, "--row", "baseline", "--limit", "1000", "--epochs", "2", *library])
        assert run.returncode == 0, run.stderr
        line = run.stdout.strip().splitlines()[-1]
        assert line.startswith("row=baseline seed=0 library=") and "epochs=2 limit=1000" in line, line
        results[line.split("library=")[1].split()[0]] = float(re.search(r"test=([0-9.]+)", line).group(1))
    assert results["synaptica"] > 0.6, results
    assert abs(results["synaptica"] - results["pytorch"]) <= 0.003, results


@pytest.mark.slow
def test_every_technique_row_runs_in_synaptica(fashion, tmp_path):
    """Every row of the table trains (200 images, 1 epoch) and appends one result line to --out."""
    out = tmp_path / "results.txt"
    listed = run_python([TECHNIQUES, "--list"])
    rows = [line.split(":")[0].strip() for line in listed.stdout.splitlines()]
    assert len(rows) == 12 and rows[0] == "baseline", listed.stdout
    code = ("import sys; sys.path.insert(0, 'bench'); import techniques\n"
            f"for row in {rows!r}:\n"
            f"    techniques.main(['--row', row, '--limit', '200', '--epochs', '1', '--out', {str(out)!r}])")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert [line.split()[0] for line in lines] == [f"row={row}" for row in rows]
