"""Fuzzed files: 1,050 mutated model files and 360 mutated IDX files, loaded in one child process.

The mutations (tests/io/fuzz_files.py says which may load, and as what): truncations, bit flips,
header bytes, header lengths, weight bytes, inserted and deleted bytes, dtype relabels, huge layer
sizes and tensor shapes, deep nesting, non-finite weights, reformatted headers; for IDX, raw and
gzip files with damaged headers, data, declared sizes and streams, bytes after the data or after
the gzip stream, and gzip bombs up to 1 GiB. Changes of meaning are made three ways: leaving the
checksums stale, recomputing them as a forger would, and dropping them (claiming the version
written before checksums), so that every check behind the checksums is reached too.

Every file must be refused with a library error naming it, or load as exactly what it may load
as; no other exception, no reader stuck (the child's alarm marks a file ``hung``), and the child's
peak memory under 500 MB.
"""

import json
from collections import Counter

import numpy as np

from tests.conftest import run_python
from tests.io.fuzz_files import idx_cases, model_cases

SEED = 20240612
MODEL_FILES = 1050
IDX_FILES = 360


def test_fuzzed_files_are_refused_cleanly_or_load_as_what_they_say(tmp_path):
    rng = np.random.default_rng(SEED)
    cases = model_cases(tmp_path, rng, MODEL_FILES) + idx_cases(tmp_path, rng, IDX_FILES)
    manifest, results = tmp_path / "manifest.json", tmp_path / "results.json"
    manifest.write_text(json.dumps(cases))
    child = run_python(["-m", "tests.io.fuzz_child", str(manifest), str(results)], timeout=300)
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(results.read_text())

    outcomes = {outcome["file"]: outcome for outcome in report["outcomes"]}
    assert len(outcomes) == len(cases) == MODEL_FILES + IDX_FILES
    crashed = [o for o in outcomes.values() if o["outcome"] in ("crashed", "hung")]
    assert not crashed, "\n".join(f"{o['file']}: {o.get('traceback', 'hung')}" for o in crashed[:5])
    assert report["peak_mb"] < 500

    wrongly_loaded = [case for case in cases if outcomes[case["file"]]["outcome"] == "loaded"
                      and outcomes[case["file"]]["digest"] != case["expected"]]
    assert not wrongly_loaded, wrongly_loaded[:5]
    unnamed = [o for o in outcomes.values() if o["outcome"] == "refused" and o["file"] not in o["message"]]
    assert not unnamed, unnamed[:5]

    tally = Counter((case["kind"], case["mutation"].split(":")[0], outcomes[case["file"]]["outcome"]) for case in cases)
    refused = Counter(kind for (kind, _, outcome), n in tally.items() if outcome == "refused" for _ in range(n))
    assert refused["model"] > 800 and refused["idx"] > 250, tally
    # the one mutation meant to load does load
    assert tally["model", "reformatted header (may load)", "loaded"] > 50, tally
