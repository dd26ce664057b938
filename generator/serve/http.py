"""The live server: serves the last good build from memory, and tells open pages to reload."""

from __future__ import annotations

import hashlib
import html
import mimetypes
import secrets
import socket
import socketserver
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

KEEPALIVE = 15.0  # seconds between event-stream comments, so a closed tab's thread ends
RELOAD_PATH = "/__outpost/reload.js"
EVENTS_PATH = "/__outpost/events"
RELOAD_TAG = '<script src="' + RELOAD_PATH + '" data-version="{version}"></script>'
# An external file, not an inline script, so a page's `script-src 'self'` policy allows it.
RELOAD_JS = b"""\
// outpost serve: reload this page when a rebuild changes it. Never part of `outpost build`.
(() => {
  const shown = document.currentScript.dataset.version;
  const page = encodeURIComponent(location.pathname);
  const events = new EventSource("/__outpost/events?page=" + page);
  events.addEventListener("version", (event) => {
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


# What pages load besides themselves (the theme's stylesheet, images...): a change there
# changes how every page looks.
LOOKS = ("assets/", "static/")


@dataclass(frozen=True)
class Snapshot:
    """What is served: the last good build's files, or no files and the errors of a failed first."""

    build: str
    files: Mapping[str, bytes]
    errors: tuple[str, ...] = ()
    _versions: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def answer(self, url_path: str) -> tuple[int, str, bytes]:
        """(status, the file's name, its bytes) for URL_PATH; without the reload script."""
        if not self.files:
            return 503, "error.html", error_page(self)
        status, name = find_file(self.files, url_path)
        if status == 301:
            return 301, name, b""
        return status, name, self.files.get(name, NOT_FOUND)

    def version(self, url_path: str) -> str:
        """What an open page at URL_PATH shows in this snapshot, as a short digest: its own
        bytes and those of what pages load (the theme's files). A rebuild that leaves it
        the same leaves the page as it is; one that changes it reloads the page."""
        found = self._versions.get(url_path)
        if found is None:
            status, name, data = self.answer(url_path)
            digest = hashlib.sha256(f"{status} {name}\n".encode())
            digest.update(data)
            digest.update(self.looks)
            found = self._versions[url_path] = digest.hexdigest()[:16]
        return found

    @cached_property
    def looks(self) -> bytes:
        """The digest of every file that pages load (see LOOKS)."""
        digest = hashlib.sha256()
        for name in sorted(self.files):
            if name.startswith(LOOKS):
                digest.update(f"{name}\n{len(self.files[name])}\n".encode())
                digest.update(self.files[name])
        return digest.digest()


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
            print(f"outpost serve: error answering a request: {exc!r}", file=sys.stderr, flush=True)


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
        url = urlsplit(self.path)
        path = url.path
        snapshot = self.server.live.current
        if path == RELOAD_PATH:
            self.send(200, RELOAD_JS, content_type(path), body)
        elif path == EVENTS_PATH and body:
            self.stream_events(parse_qs(url.query).get("page", ["/"])[0])
        elif path == EVENTS_PATH:
            self.send(200, b"", "text/event-stream", body)
        else:
            status, name, data = snapshot.answer(path)
            if status == 301:
                self.send(301, b"", "text/plain", body, name)
                return
            if name.endswith(".html"):
                data = with_reload(data, snapshot.version(path))
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

    def stream_events(self, page: str) -> None:
        """Server-sent events: the version of PAGE (a URL path) now, then each new one.

        A rebuild that leaves the page as it was sends nothing: only the pages that a
        change touched reload.
        """
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        build: str | None = None
        sent: str | None = None
        try:
            self.wfile.write(b"retry: 500\n\n")
            while snapshot := self.server.live.wait_for_change(build, KEEPALIVE):
                if snapshot.build == build:
                    self.wfile.write(b": still here\n\n")
                build = snapshot.build
                if (version := snapshot.version(page)) != sent:
                    self.wfile.write(f"event: version\ndata: {version}\n\n".encode())
                    sent = version
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
        # Built from the file's name, not the request: `http://x//history` must not send the
        # browser to `//history/`, another host.
        return 301, "/" + quote(name) + "/"
    return 404, "404.html"


def content_type(path: str) -> str:
    suffix = Path(path).suffix.lower()
    guessed = mimetypes.guess_type(path)[0]
    return CONTENT_TYPES.get(suffix) or guessed or "application/octet-stream"


def with_reload(page: bytes, version: str) -> bytes:
    """PAGE, shown at VERSION, with the reload script just before its last </body>, or at its end."""
    tag = RELOAD_TAG.format(version=version).encode()
    at = page.lower().rfind(b"</body>")
    return page + tag if at < 0 else page[:at] + tag + page[at:]


def error_page(snapshot: Snapshot) -> bytes:
    return ERROR_PAGE.format(errors=html.escape("\n".join(snapshot.errors))).encode()
