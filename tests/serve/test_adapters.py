"""Starlette, uvicorn and Pillow stay at the edge: each is imported by one adapter file, and nothing
outside the command line imports the web server."""

import ast

from tests.conftest import REPO, run_python
from tests.test_imports import _imported_modules

SRC = REPO / "src" / "synaptica"
ADAPTERS = {"starlette": "serve/app.py", "uvicorn": "serve/app.py", "PIL": "serve/png.py"}


def test_each_web_library_is_imported_by_its_one_adapter_file():
    for source in SRC.rglob("*.py"):
        imported = {name.split(".")[0] for name in _imported_modules(ast.parse(source.read_text()))}
        for library, adapter in ADAPTERS.items():
            if library in imported:
                assert source.relative_to(SRC).as_posix() == adapter, f"{source} imports {library}"


def test_only_the_command_line_reaches_the_web_server():
    for source in SRC.rglob("*.py"):
        relative = source.relative_to(SRC).as_posix()
        if relative.startswith(("serve/", "cli/")):
            continue
        assert not any(name.startswith("synaptica.serve") for name in _imported_modules(ast.parse(source.read_text()))), relative


def test_the_library_and_its_commands_load_without_the_web_libraries():
    result = run_python("import sys\nimport synaptica, synaptica.cli, synaptica.train.live, synaptica.data.preprocess\n"
                        "import synaptica.serve.inference, synaptica.serve.payload\n"
                        "synaptica.cli.build_parser()\n"
                        "assert not {'starlette', 'uvicorn', 'PIL'} & set(sys.modules), sorted(sys.modules)")
    assert result.returncode == 0, result.stderr
