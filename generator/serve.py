"""`outpost serve`: build into memory, serve over HTTP, rebuild on every change, reload open pages."""

from __future__ import annotations

import errno
import html
import mimetypes
import os
import secrets
import signal
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from watchdog import events as fs
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from generator.build import BuildResult, build_site
from generator.config import CONFIG_FILE, load_config
from generator.problems import OutpostError, UsageError, count_summary, sort_problems
from generator.theme import BUILTIN, find_theme

QUIET = 0.1  # seconds without a change before rebuilding: a burst of saves is one rebuild
LONGEST = 2.0  # ...but a steady stream of changes still rebuilds this often
KEEPALIVE = 15.0  # seconds between event-stream comments, so a closed tab's thread ends
RELOAD_PATH = "/__outpost/reload.js"
EVENTS_PATH = "/__outpost/events"
RELOAD_TAG = '<script src="' + RELOAD_PATH + '" data-build="{build}"></script>'
# An external file, not an inline script, so a page's `script-src 'self'` policy allows it.
RELOAD_JS = b"""\
// outpost serve: reload this page when the site is rebuilt. Never part of `outpost build`.
(() => {
  const shown = document.currentScript.dataset.build;
  const events = new EventSource("/__outpost/events");
  events.addEventListener("build", (event) => {
    if (event.data !== shown) {
      events.close();
      location.reload();
    }
  });
})();
"""
ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The site did not build</title></head>
<body><h1>The site did not build</h1>
<p>Fix these problems (the terminal running <code>outpost serve</code> shows them too);
this page reloads once the site builds.</p>
<pre>{errors}</pre></body></html>
"""
NOT_FOUND = b"<!doctype html>\n<title>Not found</title>\n<body><h1>Not found</h1></body>\n"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}
# Not "opened" or "closed without writing": every build reads every file, and would rebuild forever.
CHANGES: list[type[fs.FileSystemEvent]] = [
    *(fs.FileCreatedEvent, fs.FileModifiedEvent, fs.FileDeletedEvent, fs.FileMovedEvent),
    *(fs.FileClosedEvent, fs.DirCreatedEvent, fs.DirDeletedEvent, fs.DirMovedEvent),
]


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
    watcher = Watcher(builder.site_dir, lambda: rebuilder.notice())

    def rebuild() -> None:
        watcher.sync()  # content/ or a theme may be new: watch it before reading it
        builder.build(first=False)

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


@dataclass(frozen=True)
class Snapshot:
    """What is served: the last good build's files, or no files and the errors of a failed first."""

    build: str
    files: Mapping[str, bytes]
    errors: tuple[str, ...] = ()


class Live:
    """The current snapshot, swapped by the rebuilder and read by every request thread."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._run = secrets.token_hex(4)  # build ids from an earlier run never match: reload
        self._count = 0
        self._snapshot = Snapshot(f"{self._run}-0", {})
        self._closed = False

    @property
    def current(self) -> Snapshot:
        return self._snapshot

    def publish(self, files: Mapping[str, bytes], errors: tuple[str, ...] = ()) -> None:
        """Serve FILES (or, when there are none, ERRORS) as a new build from now on."""
        with self._changed:
            self._count += 1
            self._snapshot = Snapshot(f"{self._run}-{self._count}", files, errors)
            self._changed.notify_all()

    def wait_for_change(self, build: str | None, timeout: float) -> Snapshot | None:
        """The snapshot once it is not BUILD, or after TIMEOUT anyway; None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._snapshot.build != build, timeout)
            return None if self._closed else self._snapshot

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class Builder:
    """Builds the site into memory; publishes each good build, prints each failed one."""

    def __init__(
        self, site_dir: Path, drafts: bool, now: datetime | None, url: str, live: Live
    ) -> None:
        self.site_dir, self.drafts, self.now, self.url, self.live = site_dir, drafts, now, url, live

    def build(self, first: bool) -> None:
        previous = self.live.current
        try:
            result = build_site(
                self.site_dir, None, self.now or datetime.now(UTC), self.drafts, self.url
            )
        except OutpostError as exc:
            errors = [str(p) for p in sort_problems(exc.problems)]
            print_lines(errors)
            self.fail(count_summary(exc.problems), previous, tuple(errors))
            return
        except Exception as exc:  # a bug or a file vanishing mid-read must not stop the watching
            self.fail(f"internal error: {exc!r}", previous, (f"internal error: {exc!r}",))
            return
        print_lines([str(p) for p in sort_problems(result.warnings)])
        changed = count_changed(previous.files, result.files)
        if changed or not previous.files:
            self.live.publish(result.files)
        print(summary(result, changed, first), flush=True)

    def fail(self, what: str, previous: Snapshot, errors: tuple[str, ...]) -> None:
        """Keep serving the last good build; with none yet, serve (and reload) the errors."""
        if previous.files:
            print_lines([f"rebuild failed: {what}; still serving the last good build"])
        else:
            print_lines([f"build failed: {what}; serving an error page until it is fixed"])
            self.live.publish({}, errors)


def summary(result: BuildResult, changed: int, first: bool) -> str:
    """`rebuilt in 0.12 s (3 files changed)`, or the first build's counts."""
    if first:
        return result.summary("memory")
    files = f"{changed} file{'s' if changed != 1 else ''}" if changed else "no files"
    return f"rebuilt in {result.seconds:.2f} s ({files} changed)"


def count_changed(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> int:
    """How many output files were added, removed or changed."""
    return sum(old.get(path) != new.get(path) for path in old.keys() | new.keys())


def print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)
    sys.stderr.flush()


@dataclass
class Debounce:
    """When to rebuild: QUIET seconds after the last change, at most LONGEST after the first."""

    quiet: float
    longest: float
    first: float | None = None
    last: float = 0.0

    def note(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    def due_in(self, now: float) -> float | None:
        """Seconds until the rebuild is due (0: now); None when nothing has changed."""
        if self.first is None:
            return None
        return max(0.0, min(self.last + self.quiet, self.first + self.longest) - now)

    def clear(self) -> None:
        self.first = None


class Rebuilder:
    """Runs REBUILD on its own thread whenever the debounce says a burst of changes is over."""

    def __init__(self, rebuild: Callable[[], None], debounce: Debounce) -> None:
        self.rebuild = rebuild
        self.debounce = debounce
        self.changed = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self.run, name="outpost-rebuild", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def notice(self) -> None:
        with self.changed:
            self.debounce.note(time.monotonic())
            self.changed.notify()

    def run(self) -> None:
        while self.wait_until_due():
            self.rebuild()

    def wait_until_due(self) -> bool:
        """Wait for changes and then a pause: True to rebuild, False to stop."""
        with self.changed:
            while not self.stopping:
                delay = self.debounce.due_in(time.monotonic())
                if delay == 0:
                    self.debounce.clear()  # changes from now on lead to the next rebuild
                    return True
                self.changed.wait(delay)
            return False

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify()
        self.thread.join()


class Watcher(fs.FileSystemEventHandler):
    """Watches site.yaml, content/ and the theme; calls ON_CHANGE for every change that matters."""

    def __init__(self, site_dir: Path, on_change: Callable[[], None]) -> None:
        super().__init__()
        self.site_dir = site_dir.resolve()
        self.on_change = on_change
        self.observer = Observer()
        self.watches: dict[tuple[Path, bool], ObservedWatch] = {}

    def start(self) -> None:
        self.sync()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join()

    def sync(self) -> None:
        """Watch what the site uses now."""
        wanted = watch_targets(self.site_dir)
        for target in self.watches.keys() - wanted:
            self.observer.unschedule(self.watches.pop(target))
        for target in wanted - self.watches.keys():
            path, recursive = target
            try:
                self.watches[target] = self.observer.schedule(
                    self, str(path), recursive=recursive, event_filter=CHANGES
                )
            except OSError as exc:  # gone again, or the system's limit on watches reached
                print_lines([f"outpost serve: cannot watch {path}: {exc.strerror or exc}"])

    def on_any_event(self, event: fs.FileSystemEvent) -> None:
        paths = [Path(os.fsdecode(p)) for p in (event.src_path, event.dest_path) if p]
        if any(self.matters(path) for path in paths):
            self.on_change()

    def matters(self, path: Path) -> bool:
        """Whether a change to PATH can change the site: not an editor's backup, swap or lock file."""
        if path.name.startswith((".", "#")) or path.name.endswith("~"):
            return False
        return path.parent != self.site_dir or path.name in (CONFIG_FILE, "content", "themes")


def watch_targets(site_dir: Path) -> set[tuple[Path, bool]]:
    """The folders to watch, each with whether its subfolders are watched too."""
    config, _ = load_config(site_dir)
    theme = find_theme(site_dir, config.theme if config else BUILTIN)
    themes = site_dir / "themes"
    folders = [
        site_dir / "content",
        themes,
        *(d for d in theme.dirs if not d.is_relative_to(themes)),
    ]
    return {(site_dir, False)} | {(folder, True) for folder in folders if folder.is_dir()}


class LiveServer(ThreadingHTTPServer):
    """A threaded HTTP server over a Live snapshot; request threads never delay the exit."""

    daemon_threads = True
    allow_reuse_port = False  # two servers on one port would split the requests between them
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], live: Live) -> None:
        self.live = live
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def server_bind(self) -> None:
        # HTTPServer's own looks the host's name up in DNS, which can take seconds; no need.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A tab closed mid-answer is normal; anything else gets one line, not a traceback."""
        exc = sys.exception()
        if not isinstance(exc, ConnectionError):
            print_lines([f"outpost serve: error answering a request: {exc!r}"])


class Handler(BaseHTTPRequestHandler):
    """Answers from the current snapshot; HTML gets the reload script."""

    server: LiveServer
    server_version = "outpost-serve"
    timeout = 60  # a connection that sends no request gives its thread back

    def do_GET(self) -> None:
        self.answer(body=True)

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a rebuild's line is easier to spot without one line per request around it."""

    def answer(self, body: bool) -> None:
        path = urlsplit(self.path).path
        snapshot = self.server.live.current
        if path == RELOAD_PATH:
            self.send(200, RELOAD_JS, content_type(path), body)
        elif path == EVENTS_PATH and body:
            self.stream_events()
        elif path == EVENTS_PATH:
            self.send(200, b"", "text/event-stream", body)
        elif not snapshot.files:
            page = with_reload(error_page(snapshot), snapshot.build)
            self.send(503, page, content_type("error.html"), body)
        else:
            status, name = find_file(snapshot.files, path)
            if status == 301:
                self.send(301, b"", "text/plain", body, name)
                return
            data = snapshot.files.get(name, NOT_FOUND)
            if name.endswith(".html"):
                data = with_reload(data, snapshot.build)
            self.send(status, data, content_type(name), body)

    def send(
        self, status: int, data: bytes, mime: str, body: bool, location: str | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")  # every load sees the latest build
        if location:
            self.send_header("Location", location)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def stream_events(self) -> None:
        """Server-sent events: the current build's id now, then the new id after each rebuild."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        sent: str | None = None
        try:
            self.wfile.write(b"retry: 500\n\n")
            while snapshot := self.server.live.wait_for_change(sent, KEEPALIVE):
                if snapshot.build == sent:
                    self.wfile.write(b": still here\n\n")
                else:
                    self.wfile.write(f"event: build\ndata: {snapshot.build}\n\n".encode())
                    sent = snapshot.build
                self.wfile.flush()
        except ConnectionError:
            pass  # the tab was closed or reloaded


def find_file(files: Mapping[str, bytes], url_path: str) -> tuple[int, str]:
    """(200, the file), (301, the folder's URL with a slash) or (404, '404.html') for URL_PATH."""
    name = unquote(url_path).lstrip("/")
    if name == "" or name.endswith("/"):
        name += "index.html"
    if name in files:
        return 200, name
    if f"{name}/index.html" in files:
        return 301, url_path + "/"
    return 404, "404.html"


def content_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    guessed = mimetypes.guess_type(path)[0]
    return CONTENT_TYPES.get(suffix) or guessed or "application/octet-stream"


def with_reload(page: bytes, build: str) -> bytes:
    """PAGE with the reload script just before its last </body>, or at its end."""
    tag = RELOAD_TAG.format(build=build).encode()
    at = page.lower().rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def error_page(snapshot: Snapshot) -> bytes:
    return ERROR_PAGE.format(errors=html.escape("\n".join(snapshot.errors))).encode()
