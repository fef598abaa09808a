"""bench/serve.py runs end to end as a user runs it, on a subset of Fashion-MNIST."""

import json

from tests.conftest import REPO, run_python


def test_the_serving_benchmark_reports_latency_cpu_and_memory(subset_dir, tmp_path):
    out = tmp_path / "serve.json"
    result = run_python([str(REPO / "bench" / "serve.py"), "--models", "mlp", "--requests", "40",
                         "--drawing-requests", "8", "--data", str(subset_dir), "--json", str(out)])
    assert result.returncode == 0, result.stderr
    for words in ("mlp: median", "over 40 requests from 4 clients", "ms of CPU per request", "after a 100 MB body"):
        assert words in result.stdout, result.stdout
    record = json.loads(out.read_text())["results"][0]
    assert record["requests"] == 40 and record["median_ms"] > 0
    assert record["peak_rss_after_attacks_mib"] < record["peak_rss_mib"] + 50  # the 100 MB body was never held
