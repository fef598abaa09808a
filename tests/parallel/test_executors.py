"""The executors: the same numbers everywhere, the order kept, dead workers' tasks re-run, failures named.

Everything is real: a spawned process pool and a local Ray cluster on 127.0.0.1, started once for the
module and shut down at its end; workers are killed with SIGKILL in the middle of a task.
"""

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from synaptica.errors import WorkerError
from synaptica.parallel import ProcessExecutor, SerialExecutor, diagnostics, make_executor, task_name
from synaptica.parallel.tasks import decode, encode, known_tasks
from tests.conftest import REPO, run_python

PRODUCT, HOLD, DIE_IF_ASKED, FAIL = (task_name(task) for task in (diagnostics.product, diagnostics.hold_then_product,
                                                                  diagnostics.die_if_asked, diagnostics.fail))


def _payloads(n=6):
    weights = np.random.default_rng(99).standard_normal((300, 50)).astype(np.float32)
    return [{"seed": seed, "weights": weights} for seed in range(n)]


def test_the_same_payloads_give_bitwise_the_same_results_in_order_everywhere(pool, ray_cluster):
    serial = SerialExecutor().map(PRODUCT, _payloads())
    assert [result["seed"] for result in serial] == list(range(6))
    for executor in (pool, ray_cluster):
        results = executor.map(PRODUCT, _payloads())
        assert [result["seed"] for result in results] == list(range(6)), executor.name
        assert all(np.array_equal(a["out"], b["out"]) for a, b in zip(results, serial)), executor.name


def test_the_ray_cluster_listens_on_the_loopback_address_only(ray_cluster):
    import ray

    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}


def _kill_one_worker_mid_task(executor, directory: Path, pids) -> list[dict]:
    """Start four held tasks, wait until two are running, SIGKILL one of those workers, then let all go."""
    payloads = [{**payload, "directory": str(directory)} for payload in _payloads(4)]
    futures = [executor.submit(HOLD, payload, f"held #{i}") for i, payload in enumerate(payloads)]
    deadline = time.monotonic() + 60
    while len(list(directory.glob("*.pid"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    running = sorted(directory.glob("*.pid"))
    assert len(running) >= 2, "the tasks never started"
    victim = int(running[0].read_text())  # the worker process itself wrote its id
    assert victim != os.getpid() and (pids is None or victim in pids())
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)  # the death is seen before the others may finish
    (directory / "go").write_text("")
    results = [future.result(timeout=120) for future in futures]
    assert len(list(directory.glob("*.pid"))) >= 5  # the killed task ran again, in another process
    return results


def test_a_worker_killed_in_the_middle_of_a_task_has_its_task_run_again(pool, tmp_path):
    restarts = pool.restarts
    results = _kill_one_worker_mid_task(pool, tmp_path, pool.worker_pids)
    expected = SerialExecutor().map(PRODUCT, _payloads(4))
    assert all(np.array_equal(a["out"], b["out"]) for a, b in zip(results, expected))
    assert pool.restarts == restarts + 1


def test_a_ray_worker_killed_in_the_middle_of_a_task_has_its_task_run_again(ray_cluster, tmp_path):
    results = _kill_one_worker_mid_task(ray_cluster, tmp_path, None)
    expected = SerialExecutor().map(PRODUCT, _payloads(4))
    assert all(np.array_equal(a["out"], b["out"]) for a, b in zip(results, expected))


@pytest.mark.parametrize("which", ["pool", "ray_cluster"])
def test_a_task_whose_worker_always_dies_is_named_and_the_finished_are_kept(which, request):
    executor = request.getfixturevalue(which)
    payloads = _payloads(3)
    payloads[1]["die"] = True
    with pytest.raises(WorkerError, match=r"die_if_asked #1: its (Ray )?worker( process)? died 3 times") as caught:
        executor.map(DIE_IF_ASKED, payloads)
    assert sorted(caught.value.completed) == [0, 2]
    expected = SerialExecutor().map(PRODUCT, _payloads(3))
    assert np.array_equal(caught.value.completed[2]["out"], expected[2]["out"])


@pytest.mark.parametrize("which", ["serial", "pool", "ray_cluster"])
def test_an_exception_inside_a_task_comes_back_at_once_with_the_task_named(which, request):
    executor = SerialExecutor() if which == "serial" else request.getfixturevalue(which)
    restarts = getattr(executor, "restarts", 0)
    with pytest.raises(ValueError, match="bad value 7") as caught:
        executor.map(FAIL, [{"value": 7}])
    assert any(f"{FAIL} #0" in note for note in caught.value.__notes__)
    assert getattr(executor, "restarts", 0) == restarts  # not a crash: no worker was replaced


def test_only_known_tasks_run_and_payloads_hold_data_only(pool):
    for executor in (SerialExecutor(), pool):
        for name in ("os:system", "synaptica.parallel.diagnostics:os", "tests.anything:task"):
            with pytest.raises(ValueError, match=f"{name!r} is not a known worker task"):
                executor.map(name, [{"command": "true"}])
    with pytest.raises(TypeError, match="'model' is object"):
        encode({"model": object()})
    round_trip = decode(encode({"n": np.int64(3), "sizes": (1, 2), "x": np.arange(3.0)}))
    assert round_trip["n"] == 3 and round_trip["sizes"] == [1, 2] and round_trip["x"].tolist() == [0, 1, 2]


def test_the_task_registry_holds_every_marked_function_of_the_package():
    """The registry is derived from the task functions; every function the package marks is in it."""
    import importlib
    import pkgutil

    import synaptica

    marked = set()
    for module in pkgutil.walk_packages(synaptica.__path__, "synaptica."):
        if module.name.endswith(("ray_executor", "__main__")):
            continue  # one imports Ray, the others run the command line; none holds a task
        for value in vars(importlib.import_module(module.name)).values():
            if callable(value) and getattr(value, "__synaptica_worker_task__", False):
                marked.add(task_name(value))
    assert marked == set(known_tasks())


def test_workers_that_cannot_start_give_a_clear_error(tmp_path):
    """A script that starts a pool without a main guard: every spawned worker re-runs it and dies."""
    script = tmp_path / "unguarded.py"
    script.write_text("from synaptica.parallel import ProcessExecutor\n"
                      "with ProcessExecutor(2) as executor:\n"
                      "    executor.map('synaptica.parallel.diagnostics:product', [{'seed': 1}])\n")
    result = run_python([str(script)], cwd=REPO, env_extra={"PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"},
                        timeout=120)
    assert result.returncode != 0
    assert 'keep its own work under `if __name__ == "__main__":`' in result.stderr.splitlines()[-1]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown executor 'threads'"):
        make_executor("threads", 2)
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        ProcessExecutor(0)
    with pytest.raises(ValueError, match="runs one task at a time"):
        make_executor("serial", 2)


def test_a_task_that_overflows_prints_no_numpy_warning_in_the_worker(capfd):
    """The result carries the overflow (inf); the worker's stderr stays quiet for the caller's message."""
    from synaptica.parallel import ProcessExecutor
    from synaptica.parallel.diagnostics import product
    from synaptica.parallel.tasks import task_name

    huge = np.full((300, 50), 1e38, dtype=np.float32)
    with ProcessExecutor(1) as executor:
        (result,) = executor.map(task_name(product), [{"seed": 0, "weights": huge}])
    assert np.isnan(result["out"]).any()  # inf − inf in the product
    assert "RuntimeWarning" not in capfd.readouterr().err
