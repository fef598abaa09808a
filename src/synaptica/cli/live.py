"""``synaptica train --serve [PORT]``: the run's learning curves and first-layer filters, live in a browser.

The page is served from a background thread (:class:`synaptica.serve.app.Server`) while the main
thread trains; a :class:`~synaptica.train.live.LiveFeed` callback publishes each epoch, and the page
receives it as a server-sent event. Without a PORT any free port is taken, so several runs can be
watched at once, each on its own page (and any number of browser tabs can follow one run). When
training ends (or Ctrl-C stops it) the feed is marked finished, the open pages receive their last
events, and the server stops.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from synaptica.train.live import LiveFeed


def start_live(args: argparse.Namespace, title: str, optimizer, settings: dict, stack: ExitStack) -> list:
    """The ``fit`` callbacks of ``--serve``: none without it; else a LiveFeed whose page is being served
    (stopped when ``stack`` closes)."""
    if args.serve is None:
        return []
    from synaptica.serve.app import Server, live_app

    feed = LiveFeed(title, optimizer, settings)
    server = Server(live_app(feed), "127.0.0.1", args.serve)

    def stop() -> None:
        feed.finish("training was stopped")  # nothing new when fit ended the feed itself
        server.stop()

    stack.callback(stop)
    server.start()
    print(f"Live training at {server.url}", flush=True)
    return [feed]
