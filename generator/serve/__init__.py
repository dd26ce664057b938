"""`outpost serve`: build into memory, serve over HTTP, rebuild on every change, reload open pages."""

from __future__ import annotations

import errno
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from generator.config import CONFIG_FILE, load_config
from generator.problems import OutpostError, UsageError
from generator.serve.http import Live, LiveServer, find_file, with_reload
from generator.serve.watch import (
    LONGEST,
    QUIET,
    Builder,
    Debounce,
    Rebuilder,
    Watcher,
    count_changed,
)

__all__ = ["QUIET", "Debounce", "count_changed", "find_file", "serve_site", "with_reload"]


def serve_site(site_dir: Path, host: str, port: int, drafts: bool, now: datetime | None) -> int:
    """Serve the site in SITE_DIR on HOST:PORT, rebuilding on changes, until Ctrl-C."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535; got {port}")
    if not (site_dir / CONFIG_FILE).is_file():
        raise OutpostError(load_config(site_dir)[1])  # no site here: say so, serve nothing
    live = Live()
    try:
        server = LiveServer((host, port), live)
    except OSError as exc:
        reason = "address already in use; try --port 0" if exc.errno == errno.EADDRINUSE else ""
        raise UsageError(
            f"cannot listen on {host}:{port}: {reason or exc.strerror or exc}"
        ) from None
    with server:
        url = site_url(host, server.server_address[1])
        builder = Builder(site_dir, drafts, now, url, live)
        builder.build(first=True)
        run_server(server, builder, url)
    return 0


def run_server(server: LiveServer, builder: Builder, url: str) -> None:
    """Watch and serve until Ctrl-C or SIGTERM, then stop every thread."""
    watcher = Watcher(builder.site_dir, lambda paths: rebuilder.notice(paths))

    def rebuild(changed: frozenset[Path]) -> None:
        watcher.sync()  # content/ or a theme may be new: watch it before reading it
        builder.build(first=False, changed=changed)

    rebuilder = Rebuilder(rebuild, Debounce(QUIET, LONGEST))
    saved = set_stop_signals(signal.default_int_handler)  # SIGTERM stops like Ctrl-C
    try:
        watcher.start()
        rebuilder.start()
        print(f"Serving {url} — watching site.yaml, content/ and the theme; Ctrl-C to stop")
        sys.stdout.flush()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        set_stop_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        server.live.close()  # ends the event streams, so no request thread outlives us
        rebuilder.stop()
        watcher.stop()
        for number, handler in saved.items():
            signal.signal(number, handler)


def set_stop_signals(handler: Any) -> dict[int, Any]:
    """Handle Ctrl-C and SIGTERM with HANDLER, unless ignored (as in a background job); the old."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    numbers = (signal.SIGINT, signal.SIGTERM)
    wanted = [n for n in numbers if signal.getsignal(n) is not signal.SIG_IGN]
    return {number: signal.signal(number, handler) for number in wanted}


def site_url(host: str, port: int) -> str:
    """The address to print and to build absolute links with."""
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(host)
    return f"http://{shown or (f'[{host}]' if ':' in host else host)}:{port}/"
