"""The executors the parallel tests share: one process pool and one local Ray cluster for the session."""

import importlib.util
import os

import pytest

from synaptica.parallel import ProcessExecutor, make_executor
from tests.conftest import REPO


@pytest.fixture(scope="session")
def pool():
    with ProcessExecutor(2) as executor:
        yield executor


@pytest.fixture(scope="session")
def ray_cluster():
    if importlib.util.find_spec("ray") is None:  # not imported here: the executor sets Ray up before that
        pytest.fail("Ray is missing: the dev extra installs it (bash test.sh)")
    paths = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), paths]))  # Ray workers import the tests
    try:
        with make_executor("ray", 2) as executor:
            yield executor
    finally:
        os.environ["PYTHONPATH"] = paths


