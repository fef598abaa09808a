"""The web servers, on Starlette and uvicorn (the ``serve`` extra): the only file that imports them.

Two applications share the pages' static files (``static/``: plain HTML, JavaScript and CSS, no
build step, nothing fetched from the network):

* :func:`model_app`, the page of ``synaptica serve MODEL``:

      GET  /                   the drawing page          GET  /gallery        test images and mistakes
      GET  /api/info           classes, framing, layers  GET  /api/samples    ?count=N&seed=S&mistakes=1
      POST /api/predict        {"image": ...} or {"drawing": ...} → label, probabilities, layers, saliency
      POST /api/predict.png    a PNG body → the same     (?layers=0 on either: label and probabilities only)

* :func:`live_app`, the page of ``synaptica train --serve``: ``GET /`` draws the curves and filters,
  ``GET /api/events`` streams the run's :class:`~synaptica.train.live.LiveFeed` as server-sent events
  (each event's ``id`` is its number, so a reconnecting browser continues where it stopped).

Bounds: a request body is counted as it streams in and refused with 413 as soon as it passes
:data:`~synaptica.serve.payload.MAX_BODY_BYTES` (a Content-Length above it is refused before any
byte is read); uvicorn stops reading a connection's socket while its buffered body exceeds 64 KiB,
and serves at most :data:`MAX_CONNECTIONS` connections at once (503 beyond). At most one request
per core is parsed, decoded and predicted at a time; each of those holds at most its body, the
parsed numbers of the largest drawing (512², :mod:`synaptica.serve.payload`) or the pixels of the
largest PNG (1024², :mod:`synaptica.serve.png`), and the model's activations for one image. The
server's memory is therefore bounded by MAX_CONNECTIONS bodies of MAX_BODY_BYTES plus a core's
count of those, whatever the requests hold.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from pathlib import Path

from synaptica.extras import missing_extra

try:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles
except ImportError as error:
    raise missing_extra(error.name or "starlette", "the web page", "serve") from error

from synaptica.errors import DtypeError, ShapeError
from synaptica.parallel.blas import usable_cores
from synaptica.serve.payload import MAX_BODY_BYTES, RequestError, image_from_json, image_from_picture, parse_json
from synaptica.serve.png import read_png

STATIC = Path(__file__).parent / "static"
#: connections served at once; more are answered 503
MAX_CONNECTIONS = 64
#: how often an event stream looks for new events, in seconds
POLL_SECONDS = 0.2


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, refused (413) as soon as it passes ``limit`` bytes: never read whole first."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestError(400, f"bad Content-Length header {declared[:20]!r}")
        if int(declared) > limit:
            raise RequestError(413, f"the body is {int(declared)} bytes; at most {limit} are accepted")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RequestError(413, f"the body passed {limit} bytes, the most accepted; reading stopped there")
    return bytes(body)


def _guarded(handler):
    """``handler`` answering a refused request with its 4xx status and ``{"error": message}``."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except RequestError as error:
            return JSONResponse({"error": str(error)}, status_code=error.status, headers={"Connection": "close"}
                                if error.status == 413 else None)
        except (ShapeError, DtypeError) as error:
            return JSONResponse({"error": f"the model cannot read this input: {error}"}, status_code=422)

    return guarded


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return default
    if value not in ("0", "1", "true", "false"):
        raise RequestError(422, f"?{name}= must be 0 or 1, got {value[:20]!r}")
    return value in ("1", "true")


def _integer(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, str(default))
    if not value.isdigit() or len(value) > 12:
        raise RequestError(422, f"?{name}= must be a whole number, got {value[:20]!r}")
    return int(value)


def _page(name: str):
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / name, media_type="text/html")

    return page


def model_app(predictor, samples=None) -> Starlette:
    """The drawing page and the prediction API for a :class:`~synaptica.serve.inference.Predictor`."""
    slots = threading.BoundedSemaphore(usable_cores())  # requests decoded and predicted at once

    async def info(request: Request) -> Response:
        return JSONResponse(predictor.info())

    def predictor_of(read_image):
        """A handler answering for the image ``read_image(body, side, box, centre)`` reads from the body."""

        async def handler(request: Request) -> Response:
            body = await read_body(request)
            layers = _flag(request, "layers", True)

            def work():
                with slots:
                    image = read_image(body, predictor.side, predictor.box, predictor.centre)
                    return predictor.predict(image, layers)

            return JSONResponse(await run_in_threadpool(work))

        return handler

    predict = predictor_of(lambda body, *framing: image_from_json(parse_json(body), *framing))
    predict_png = predictor_of(lambda body, *framing: image_from_picture(read_png(body), *framing))

    async def gallery(request: Request) -> Response:
        if samples is None:
            raise RequestError(404, "this server has no test images to show")
        count, seed = _integer(request, "count", 24), _integer(request, "seed", 0)
        mistakes = _flag(request, "mistakes", False)
        return JSONResponse(await run_in_threadpool(samples.draw, count, seed, mistakes))

    return Starlette(routes=[
        Route("/", _page("index.html")), Route("/gallery", _page("gallery.html")),
        Route("/api/info", _guarded(info)), Route("/api/samples", _guarded(gallery)),
        Route("/api/predict", _guarded(predict), methods=["POST"]),
        Route("/api/predict.png", _guarded(predict_png), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC)),
    ])


def live_app(feed) -> Starlette:
    """The live training page for a :class:`~synaptica.train.live.LiveFeed`."""

    async def run(request: Request) -> Response:
        return JSONResponse({"title": feed.title, "settings": feed.settings, "started": feed.started})

    async def events(request: Request) -> Response:
        last = request.headers.get("last-event-id", "")
        start = int(last) + 1 if last.isdigit() and len(last) < 12 else 0

        async def stream():
            count = start
            yield "retry: 1000\n\n"
            while True:
                new, finished = feed.since(count)
                for event in new:
                    yield f"id: {count}\ndata: {json.dumps(event)}\n\n"
                    count += 1
                if finished and not new:
                    yield "event: finished\ndata: {}\n\n"
                    return
                await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    return Starlette(routes=[
        Route("/", _page("live.html")), Route("/api/run", run), Route("/api/events", events),
        Mount("/static", StaticFiles(directory=STATIC)),
    ])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 takes a free one. An OSError names a port in use."""
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections of a socket that says it
    # is TCP, and without it Nagle's algorithm holds each response's body for the client's delayed
    # ACK (40 ms a request on Linux)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


class Server:
    """A uvicorn server for ``app`` on a socket of its own, in this thread (:meth:`run`) or a
    background one (:meth:`start`, :meth:`stop`)."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0):
        self.socket = bind(host, port)
        self.host, self.port = host, self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", limit_concurrency=MAX_CONNECTIONS,
                                timeout_graceful_shutdown=2, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        """Serve until Ctrl-C."""
        self._server.run(sockets=[self.socket])

    def start(self) -> "Server":
        """Serve from a daemon thread; return once the server accepts connections."""
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self.socket]},
                                        name=f"synaptica-serve-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: open event streams end, then the thread joins."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.socket.close()
