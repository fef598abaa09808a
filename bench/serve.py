"""Latency of ``POST /api/predict``: 1,000 requests from 4 concurrent clients on 127.0.0.1.

    PYTHONPATH=src python bench/serve.py                          # the default MLP and the default CNN
    PYTHONPATH=src python bench/serve.py --models cnn --requests 2000 --json serve.json

For each model the real command runs in a process of its own (``synaptica serve FILE --port 0``), so
the clients (threads here, each with its own keep-alive connection) never share the server's
interpreter. Every request sends one Fashion-MNIST test image in dataset form and asks for the full
answer the page draws (probabilities, every layer's heat-map, the saliency); a second, smaller round
sends the 140 × 140 canvas the page sends while a person draws. The weights are the untrained
initial ones: the work per request does not depend on their values.

The server's CPU time per request is read from /proc too: on a busy machine the latency measures
the machine's load as much as the server, and the CPU time is the part that is the server's own.
The server's memory is read from /proc (its peak resident size, VmHWM) after the requests, and
again after refused attacks (a 100 MB body, declared and chunked, and a PNG bomb): the bound on
what a request can make it hold shows as a peak that does not grow.

Targets (issue 16): median ≤ 20 ms for the default MLP, ≤ 60 ms for the default CNN.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from synaptica.data import load_dataset  # noqa: E402
from synaptica.io import save_model  # noqa: E402
from synaptica.nn import mlp  # noqa: E402
from synaptica.nn.cnn import cnn  # noqa: E402

TARGET_MS = {"mlp": 20.0, "cnn": 60.0}


def build(kind: str):
    if kind == "mlp":
        return mlp([784, 256, 128, 10], "relu", init="he", rng=0)  # synaptica train's default MLP
    return cnn((1, 28, 28), 10, rng=0)  # synaptica train --model cnn


def start(path: Path) -> tuple[subprocess.Popen, str, int]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    process = subprocess.Popen([sys.executable, "-m", "synaptica.cli", "serve", str(path), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        process.kill()
        raise SystemExit(f"the server did not start: {line}{process.stderr.read()}")
    return process, "127.0.0.1", int(match.group(1))


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", text).group(1))


def clients(host: str, port: int, body: bytes, requests: int, concurrency: int) -> list[float]:
    """Latencies (seconds) of ``requests`` POSTs shared by ``concurrency`` threads, one connection each."""
    latencies: list[float] = []
    lock = threading.Lock()
    shares = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]

    def client(count: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.connect()
        # http.client sends the headers and the body in two writes: without TCP_NODELAY, Nagle's
        # algorithm holds the body until the server's delayed ACK (40 ms on Linux) comes back
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            connection.request("POST", "/api/predict", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                raise SystemExit(f"status {response.status}: {answer[:200]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(count,)) for count in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def attack(host: str, port: int) -> None:
    """A 100 MB body declared, the same chunked, and a PNG bomb header; each should be refused."""
    for head in [b"Content-Length: 104857600\r\n", b"Transfer-Encoding: chunked\r\n"]:
        with socket.create_connection((host, port), timeout=30) as sock:
            sock.sendall(b"POST /api/predict HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
            chunk = (b"10000\r\n" + b"0" * 65536 + b"\r\n") if b"chunked" in head else b"0" * 65536
            try:
                for _ in range(1600):
                    sock.sendall(chunk)
            except OSError:
                pass
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", 50000, 50000, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("POST", "/api/predict.png", body=png + bytes(1000), headers={"Content-Type": "image/png"})
    assert connection.getresponse().status == 413
    connection.close()


def summary(latencies: list[float]) -> dict:
    ms = np.array(latencies) * 1000
    return {"requests": len(ms), "median_ms": float(np.median(ms)), "p90_ms": float(np.percentile(ms, 90)),
            "p99_ms": float(np.percentile(ms, 99)), "mean_ms": float(ms.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,cnn", help="comma-separated: mlp, cnn")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--drawing-requests", type=int, default=200)
    parser.add_argument("--data", default="fashion-mnist", help="a dataset name or a directory of IDX files")
    parser.add_argument("--json", metavar="FILE", help="also write every figure here")
    args = parser.parse_args()
    test = load_dataset(args.data).test
    image = json.dumps({"image": np.round(test.x[0], 4).tolist()}).encode()
    canvas = np.zeros((140, 140))
    canvas[14:126, 14:126] = np.kron(test.x[0].reshape(28, 28), np.ones((4, 4)))
    drawing = json.dumps({"drawing": np.round(canvas, 2).tolist()}).encode()
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for kind in args.models.split(","):
            path = Path(directory) / f"{kind}.safetensors"
            save_model(path, build(kind), {"synaptica.dataset": "fashion-mnist"})
            process, host, port = start(path)
            try:
                clients(host, port, image, 40, args.clients)  # warm-up
                started, cpu = time.perf_counter(), cpu_seconds(process.pid)
                latencies = clients(host, port, image, args.requests, args.clients)
                seconds, cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu
                drawn = clients(host, port, drawing, args.drawing_requests, args.clients)
                peak = peak_kib(process.pid)
                attack(host, port)
                after = peak_kib(process.pid)
            finally:
                process.terminate()
                process.communicate(timeout=30)
            record = {"model": kind, **summary(latencies), "per_second": args.requests / seconds,
                      "server_cpu_ms_per_request": 1000 * cpu / args.requests,
                      "drawing": summary(drawn), "peak_rss_mib": peak / 1024, "peak_rss_after_attacks_mib": after / 1024,
                      "target_ms": TARGET_MS[kind]}
            results.append(record)
            verdict = "meets" if record["median_ms"] <= TARGET_MS[kind] else "misses"
            print(f"{kind}: median {record['median_ms']:.1f} ms (p90 {record['p90_ms']:.1f}, p99 {record['p99_ms']:.1f}) "
                  f"over {args.requests} requests from {args.clients} clients, {record['per_second']:.0f} requests/s; "
                  f"{verdict} the {TARGET_MS[kind]:.0f} ms target")
            print(f"{kind}: the server spent {record['server_cpu_ms_per_request']:.1f} ms of CPU per request (the "
                  "latency an idle core would give one client)")
            print(f"{kind}: a 140 × 140 drawing: median {record['drawing']['median_ms']:.1f} ms")
            print(f"{kind}: server peak memory {record['peak_rss_mib']:.0f} MiB, after a 100 MB body (declared and "
                  f"chunked) and a PNG bomb {record['peak_rss_after_attacks_mib']:.0f} MiB")
    environment = {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
                   "load_average": os.getloadavg()}
    print(f"environment: {environment}")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "environment": environment}, indent=2))


if __name__ == "__main__":
    main()
