"""k-means and PCA in synaptica against scikit-learn, on the same Fashion-MNIST images, in one process.

    PYTHONPATH=src python bench/unsupervised.py                      # 10,000 images, one thread each
    PYTHONPATH=src python bench/unsupervised.py --examples 50000 --threads 2 --repeats 5

Two rows, each timed ``--repeats`` times in turn (synaptica, scikit-learn, synaptica, ...) and
reported as the median seconds and the ratio scikit-learn / synaptica (above 1: synaptica is faster):

    kmeans   Lloyd's algorithm, k = ``--k``, one run (n_init = 1) from the same initial centres (the
             first k images), at most ``--max-iter`` iterations (tol = 0, so both stop only when no
             label changes or at the limit); scikit-learn's ``KMeans(algorithm="lloyd")``
    pca      every component by the full SVD of the centred images; ``PCA(svd_solver="full")``

Both libraries get the same float32 (or ``--dtype float64``) array and the same thread limit
(threadpoolctl limits OpenBLAS and scikit-learn's OpenMP alike). The results are checked to agree:
the same number of iterations and inertia for k-means, the same explained variance for PCA.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402  (puts src/ on the path when needed)

from sklearn.cluster import KMeans as SklearnKMeans  # noqa: E402
from sklearn.decomposition import PCA as SklearnPCA  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from synaptica.unsupervised import PCA, KMeans  # noqa: E402


def timed(make, x) -> tuple[float, object]:
    started = time.perf_counter()
    fitted = make().fit(x)
    return time.perf_counter() - started, fitted


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--examples", type=int, default=10000, help="training images used")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for both libraries")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    x = common.load(args.data).train.x[:args.examples]
    x = np.ascontiguousarray(x.reshape(len(x), -1), dtype=args.dtype)
    start = x[:args.k]
    rows = {
        "kmeans": (lambda: KMeans(args.k, init=start, max_iter=args.max_iter, tol=0.0),
                   lambda: SklearnKMeans(args.k, init=start, n_init=1, max_iter=args.max_iter, tol=0.0,
                                         algorithm="lloyd")),
        "pca": (lambda: PCA(), lambda: SklearnPCA(svd_solver="full")),
    }
    print(f"{args.data}: {x.shape[0]} × {x.shape[1]} {args.dtype}, {args.threads} thread(s), "
          f"median of {args.repeats}")
    print(f"{'row':<8}{'synaptica s':>13}{'sklearn s':>11}{'ratio':>8}  check")
    record = {"examples": len(x), "dtype": args.dtype, "threads": args.threads, "rows": {}}
    with threadpool_limits(args.threads):
        for name, (ours, theirs) in rows.items():
            times = {"synaptica": [], "sklearn": []}
            for _ in range(args.repeats):
                seconds, fitted_ours = timed(ours, x)
                times["synaptica"].append(seconds)
                seconds, fitted_theirs = timed(theirs, x)
                times["sklearn"].append(seconds)
            if name == "kmeans":
                check = (f"iterations {fitted_ours.n_iter_} / {fitted_theirs.n_iter_}, inertia relative difference "
                         f"{abs(fitted_ours.inertia_ / fitted_theirs.inertia_ - 1):.1e}")
            else:
                top = slice(0, 100)
                difference = np.max(np.abs(fitted_ours.explained_variance_[top] /
                                           fitted_theirs.explained_variance_[top] - 1))
                check = f"explained variance (first 100) relative difference {difference:.1e}"
            ours_s, theirs_s = common.median(times["synaptica"]), common.median(times["sklearn"])
            print(f"{name:<8}{ours_s:>13.3f}{theirs_s:>11.3f}{theirs_s / ours_s:>8.2f}  {check}", flush=True)
            record["rows"][name] = {**times, "ratio": theirs_s / ours_s, "check": check}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2))
    return record


if __name__ == "__main__":
    main()
