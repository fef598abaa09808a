"""Every module imports first, in a fresh interpreter, and in any order: no import cycle hides behind
the order the test suite happens to import things in."""

import ast
import pkgutil
import random

import pytest

import synaptica
from tests.conftest import REPO, run_python

MODULES = sorted(info.name for info in pkgutil.walk_packages(synaptica.__path__, "synaptica.")
                 if not info.name.endswith(".__main__"))  # a __main__ runs the command line


@pytest.mark.parametrize("module", ["synaptica.viz", "synaptica.viz.history", "synaptica.train.run_logs",
                                    "synaptica.io.atomic", "synaptica.data.idx", "synaptica.checks"])
def test_a_module_imports_first_in_a_fresh_process(module):
    result = run_python(f"import {module}")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_module_imports_in_a_random_order(seed):
    order = list(MODULES)
    random.Random(seed).shuffle(order)
    result = run_python("import importlib\nfor name in %r:\n    importlib.import_module(name)\n" % order)
    assert result.returncode == 0, f"order {order}:\n{result.stderr}"


def _imported_modules(tree: ast.Module) -> set[str]:
    """What a module imports anywhere except under ``if TYPE_CHECKING:``."""
    names = set()
    skip = {id(node) for guard in ast.walk(tree) if isinstance(guard, ast.If)
            and getattr(guard.test, "id", None) == "TYPE_CHECKING" for node in ast.walk(guard)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_pictures_do_not_import_the_training_code():
    """viz draws what train measured; train.run_logs imports viz (lazily) to draw, never the reverse."""
    for source in (REPO / "src" / "synaptica" / "viz").glob("*.py"):
        imported = _imported_modules(ast.parse(source.read_text(), filename=str(source)))
        assert not {name for name in imported if name.startswith("synaptica.train")}, source.name
