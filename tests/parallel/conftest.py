"""The executors the parallel tests share: one process pool and one local Ray cluster for the session."""

import importlib.util

import pytest

from synaptica.parallel import ProcessExecutor, make_executor


@pytest.fixture(scope="session")
def pool():
    with ProcessExecutor(2) as executor:
        yield executor


@pytest.fixture(scope="session")
def ray_cluster():
    if importlib.util.find_spec("ray") is None:  # not imported here: the executor sets Ray up before that
        pytest.fail("Ray is missing: the dev extra installs it (bash test.sh)")
    with make_executor("ray", 2) as executor:
        yield executor


