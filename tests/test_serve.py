"""`outpost serve`: a real server in a subprocess, fetched with urllib, changed on disk."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote, urlsplit

import pytest

from generator.serve import QUIET, Debounce, count_changed, find_file, with_reload
from generator.serve.http import Live, Snapshot
from generator.serve.watch import Builder
from tests.conftest import INCIDENT, SITE_YAML, MakeSite, run_outpost

WAIT = 10.0  # seconds: generous, since every wait ends as soon as its event arrives
POST = "content/incidents/2026-11-29-login-failures.md"
PAGE = "incidents/2026-11-29-login-failures/"
REBUILT = r"^rebuilt in \d+\.\d\d s \(.*changed\)$"
SCRIPT = re.compile(
    r'<script src="/__outpost/reload\.js" data-version="([^"]+)"></script>\n?</body>'
)
OTHER = "content/incidents/2026-11-02-slow-search.md"
OTHER_PAGE = "incidents/2026-11-02-slow-search/"
OTHER_INCIDENT = INCIDENT.replace("Login failures", "Slow search").replace(
    "2026-11-29", "2026-11-02"
)


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # the test sees the 301 itself


_opener = urllib.request.build_opener(_NoRedirects)


class Serve:
    """`outpost serve --port 0` in a subprocess; its output lines arrive on a queue."""

    def __init__(self, site: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--port", "0", "--site", str(site), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.ended: set[str] = set()
        self.url = ""
        assert self.process.stdout is not None and self.process.stderr is not None
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def wait_until_serving(self) -> None:
        self.url = self.wait_for(r"^Serving (http://\S+/) — watching ", "stdout").group(1)

    def _read(self, name: str, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))
        self.lines.put((name, None))

    def printed(self, pattern: str, stream: str) -> re.Match[str]:
        """A line on STREAM matching PATTERN, already read or still to come."""
        for name, line in self.seen:
            if name == stream and (match := re.search(pattern, line)):
                return match
        return self.wait_for(pattern, stream)

    def wait_for(self, pattern: str, stream: str) -> re.Match[str]:
        """The next line on STREAM matching PATTERN; fails on a timeout or the process's end."""
        deadline = time.monotonic() + WAIT
        while True:
            try:
                name, line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line matching {pattern!r} within {WAIT} s; got {self.seen}")
            if line is None:
                self.ended.add(name)
                if self.ended == {"stdout", "stderr"}:
                    pytest.fail(f"the server ended before {pattern!r}; got {self.seen}")
                continue
            self.seen.append((name, line))
            if name == stream and (match := re.search(pattern, line)):
                return match

    def lines_within(self, seconds: float) -> list[tuple[str, str]]:
        """Every line printed in the next SECONDS: for checking that nothing more happens."""
        deadline, lines = time.monotonic() + seconds, []
        while (left := deadline - time.monotonic()) > 0:
            try:
                name, line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is not None:
                lines.append((name, line))
        self.seen.extend(lines)
        return lines

    def count(self, pattern: str, stream: str) -> int:
        return sum(name == stream and bool(re.search(pattern, line)) for name, line in self.seen)

    def fetch(self, path: str, method: str = "GET") -> Response:
        request = urllib.request.Request(self.url + path.lstrip("/"), method=method)
        try:
            with _opener.open(request, timeout=WAIT) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.headers, exc.read())

    def stop(self) -> int:
        """Ctrl-C, then the exit code; every line it printed is in `seen` afterwards."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=WAIT)
        for reader in self.readers:
            reader.join(timeout=WAIT)
        while not self.lines.empty():
            name, line = self.lines.get()
            if line is not None:
                self.seen.append((name, line))
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=WAIT)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


StartServe = Callable[..., Serve]


@pytest.fixture
def serve() -> Iterator[StartServe]:
    """serve(site, *options) → a running Serve, killed at the end of the test."""
    started: list[Serve] = []

    def start(site: Path, *args: str) -> Serve:
        started.append(Serve(site, *args))
        started[-1].wait_until_serving()
        return started[-1]

    yield start
    for server in started:
        server.kill()


def update(text: str, status: str = "Monitoring", minute: int = 45) -> str:
    """INCIDENT with one more update, at 11:MINUTE, saying TEXT."""
    return INCIDENT + f"\n## 2026-11-29 11:{minute:02d} UTC — {status}\n{text}\n"


def write(site: Path, path: str, text: str) -> None:
    (site / path).write_text(text, encoding="utf-8")


def test_serves_pages_and_feeds_with_their_content_types(
    make_site: MakeSite, serve: StartServe
) -> None:
    server = serve(make_site({POST: INCIDENT}))
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url)
    assert int(server.url.rsplit(":", 1)[1].rstrip("/")) > 0  # port 0 printed as the real one
    index, page = server.fetch("/"), server.fetch(PAGE)
    assert (index.status, index.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert "Login failures" in index.text
    assert (page.status, page.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert "Logins work again." in page.text
    assert page.headers["Cache-Control"] == "no-cache"
    types = {
        "feed.atom": "application/atom+xml",
        "feed.rss": "application/rss+xml",
        "static/style.css": "text/css",
        "sitemap.xml": "application/xml",
        "robots.txt": "text/plain",
        "__outpost/reload.js": "text/javascript",
    }
    for path, expected in types.items():
        response = server.fetch(path)
        assert response.status == 200, path
        assert response.headers["Content-Type"].split(";")[0] == expected, path
        assert b'src="/__outpost/reload.js"' not in response.body, "HTML only"


def test_head_folder_redirect_and_not_found(make_site: MakeSite, serve: StartServe) -> None:
    server = serve(make_site({POST: INCIDENT}))
    head = server.fetch(PAGE, method="HEAD")
    assert (head.status, head.body) == (200, b"")
    assert int(head.headers["Content-Length"]) == len(server.fetch(PAGE).body)
    redirect = server.fetch(PAGE.rstrip("/"))
    assert (redirect.status, redirect.headers["Location"]) == (301, "/" + PAGE)
    missing = server.fetch("incidents/no-such-incident/")
    assert (missing.status, missing.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "Page not found" in missing.text
    assert server.url + "history/" in missing.text  # the 404 page's links point here


def test_drafts_are_served_with_drafts_only(make_site: MakeSite, serve: StartServe) -> None:
    draft = INCIDENT.replace("impact: major", "impact: major\ndraft: true")
    site = make_site({POST: draft})
    assert serve(site, "--drafts").fetch(PAGE).status == 200
    assert serve(site).fetch(PAGE).status == 404


def test_change_is_rebuilt_and_served(make_site: MakeSite, serve: StartServe) -> None:
    site = make_site({POST: INCIDENT})
    server = serve(site)
    assert "We keep watching." not in server.fetch(PAGE).text
    write(site, POST, update("We keep watching."))
    server.wait_for(REBUILT, "stdout")
    assert "We keep watching." in server.fetch(PAGE).text


def test_burst_of_saves_is_one_rebuild(make_site: MakeSite, serve: StartServe) -> None:
    site = make_site({POST: INCIDENT})
    server = serve(site)
    for n in range(5):
        if n:
            time.sleep(0.02)  # an editor's burst of saves: a pace, not a wait for the server
        write(site, POST, update(f"Save number {n}."))
    server.wait_for(REBUILT, "stdout")
    assert "Save number 4." in server.fetch(PAGE).text  # not rebuilt after the first save
    assert server.lines_within(5 * QUIET) == []  # nor again, after the burst or after itself


def test_debounce_waits_for_a_pause() -> None:
    debounce = Debounce(quiet=0.1, longest=2.0)
    assert debounce.due_in(0.0) is None
    debounce.note(10.0)
    debounce.note(10.05)
    assert debounce.due_in(10.06) == pytest.approx(0.09)
    assert debounce.due_in(10.15) == 0.0
    debounce.clear()
    assert debounce.due_in(10.2) is None


def test_debounce_rebuilds_during_a_steady_stream() -> None:
    debounce = Debounce(quiet=0.1, longest=2.0)
    for tick in range(30):
        debounce.note(tick * 0.05)
    assert debounce.due_in(1.45) == pytest.approx(0.1)
    for tick in range(30, 41):
        debounce.note(tick * 0.05)
    assert debounce.due_in(2.0) == 0.0


def test_error_keeps_last_good_site_until_fixed(make_site: MakeSite, serve: StartServe) -> None:
    site = make_site({POST: INCIDENT})
    server = serve(site)
    write(site, POST, update("Broken.").replace("impact: major", "impact: catastrophic"))
    error = server.wait_for(r"^(\S+):(\d+): error: impact must be one of", "stderr")
    assert error.group(1) == POST
    server.wait_for(r"^rebuild failed: 1 error; still serving the last good build$", "stderr")
    page = server.fetch(PAGE)
    assert page.status == 200
    assert "Logins work again." in page.text and "Broken." not in page.text
    write(site, POST, update("Fixed."))
    server.wait_for(REBUILT, "stdout")
    assert "Fixed." in server.fetch(PAGE).text
    assert server.count(REBUILT, "stdout") == 1


def test_first_build_failure_serves_errors_until_fixed(
    make_site: MakeSite, serve: StartServe
) -> None:
    site = make_site({POST: INCIDENT.replace("impact: major", "impact: catastrophic")})
    server = serve(site)
    # stderr's lines come before the address line, but the two pipes are read apart
    server.printed(rf"^{POST}:\d+: error: impact must be one of", "stderr")
    server.printed(r"^build failed: 1 error; serving an error page until it is fixed$", "stderr")
    failed = server.fetch("/")
    assert failed.status == 503
    assert "impact must be one of" in failed.text and SCRIPT.search(failed.text)
    write(site, POST, INCIDENT)
    server.wait_for(REBUILT, "stdout")
    assert server.fetch(PAGE).status == 200


def test_pages_get_reload_script_and_events_announce_rebuilds(
    make_site: MakeSite, serve: StartServe
) -> None:
    site = make_site({POST: INCIDENT})
    server = serve(site)
    shown = SCRIPT.search(server.fetch(PAGE).text)
    assert shown, "the reload script is injected just before </body>"
    script = server.fetch("__outpost/reload.js").text
    assert '"/__outpost/events?page=" + page' in script and "location.reload()" in script
    with urllib.request.urlopen(
        server.url + "__outpost/events?page=/" + PAGE, timeout=WAIT
    ) as events:
        assert events.headers["Content-Type"] == "text/event-stream"
        assert next_event(events) == ("version", shown.group(1))
        write(site, POST, update("Reload me."))
        kind, version = next_event(events)
        assert kind == "version" and version != shown.group(1)
        server.wait_for(REBUILT, "stdout")
        fresh = SCRIPT.search(server.fetch(PAGE).text)
        assert fresh and fresh.group(1) == version and "Reload me." in server.fetch(PAGE).text


def test_only_the_pages_a_rebuild_changes_are_reloaded(
    make_site: MakeSite, serve: StartServe
) -> None:
    site = make_site({POST: INCIDENT, OTHER: OTHER_INCIDENT})
    server = serve(site)
    streams = {page: Events(server.url, page) for page in ("/" + PAGE, "/" + OTHER_PAGE, "/")}
    try:
        shown = {page: stream.next() for page, stream in streams.items()}
        write(site, POST, update("Resolved, and said again.", status="Resolved"))
        server.wait_for(REBUILT, "stdout")
        # The post's own page, served first, is what the whole build makes: one reload.
        post = streams["/" + PAGE]
        first = post.next()
        assert first is not None and first != shown["/" + PAGE]
        served = SCRIPT.search(server.fetch(PAGE).text)
        assert served and served.group(1) == first[1]
        assert post.next(within=1.0) is None
        # The home page lists the update once the whole site is built: one reload too.
        home = streams["/"].next()
        assert home is not None and home != shown["/"]
        assert streams["/"].next(within=1.0) is None
        # The other post's page is as it was: it is left alone.
        assert streams["/" + OTHER_PAGE].next(within=1.0) is None
    finally:
        for stream in streams.values():
            stream.close()


def test_in_a_browser_the_edited_post_reloads_once_and_another_not_at_all(
    make_site: MakeSite, serve: StartServe, browser: Any
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    site = make_site({POST: INCIDENT, OTHER: OTHER_INCIDENT})
    server = serve(site)
    context = browser.new_context()
    try:
        # Counts each load of a tab (sessionStorage lives as long as the tab).
        context.add_init_script("sessionStorage.loads = Number(sessionStorage.loads || 0) + 1")
        tabs = {path: context.new_page() for path in (PAGE, OTHER_PAGE)}
        for path, tab in tabs.items():
            tab.goto(server.url + path, wait_until="load")
        write(site, POST, update("Seen in the browser.", status="Resolved"))
        expect(tabs[PAGE].locator("body")).to_contain_text(
            "Seen in the browser.", timeout=WAIT * 1000
        )
        server.wait_for(REBUILT, "stdout")
        time.sleep(1)  # a needless reload would have come by now
        loads = {path: tab.evaluate("Number(sessionStorage.loads)") for path, tab in tabs.items()}
        assert loads == {PAGE: 2, OTHER_PAGE: 1}
    finally:
        context.close()


class Events:
    """One page's event stream on a plain socket, so that a read can give up after a while."""

    def __init__(self, url: str, page: str) -> None:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT)
        self.sock.sendall(f"GET /__outpost/events?page={quote(page)} HTTP/1.0\r\n\r\n".encode())
        self.stream = self.sock.makefile("rb")
        while self.stream.readline() not in (b"\r\n", b""):  # the status line and headers
            pass

    def next(self, within: float = WAIT) -> tuple[str, str] | None:
        """The next event; None when none comes WITHIN seconds (the stream is then done)."""
        self.sock.settimeout(within)
        try:
            return next_event(self.stream)
        except TimeoutError:
            return None

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


def next_event(stream: Any) -> tuple[str, str]:
    """The next server-sent event's (event, data), skipping comments and retry lines."""
    fields: dict[str, str] = {}
    while line := stream.readline().decode("utf-8"):
        if line == "\n" and "data" in fields:
            return fields.get("event", "message"), fields["data"]
        name, _, value = line.rstrip("\n").partition(": ")
        if name:
            fields[name] = value
    pytest.fail(f"the event stream ended; got {fields}")


def test_build_output_has_no_reload_script(make_site: MakeSite, tmp_path: Path) -> None:
    site = make_site({POST: INCIDENT})
    result = run_outpost("build", "--out", tmp_path / "out", cwd=site)
    assert result.returncode == 0, result.stderr
    pages = list((tmp_path / "out").rglob("*.html"))
    assert pages and not any("__outpost" in p.read_text() for p in pages)


def test_ctrl_c_stops_cleanly_with_an_event_stream_open(
    make_site: MakeSite, serve: StartServe
) -> None:
    server = serve(make_site({POST: INCIDENT}))
    with urllib.request.urlopen(server.url + "__outpost/events", timeout=WAIT) as events:
        next_event(events)
        assert server.stop() == 0
        assert events.read() == b""  # the stream was closed, not left hanging
    stderr = "\n".join(line for name, line in server.seen if name == "stderr")
    assert "Traceback" not in stderr and "interrupted" not in stderr


def test_address_in_use_is_one_line_and_exit_2(make_site: MakeSite) -> None:
    site = make_site({POST: INCIDENT})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "generator", "serve", "--port", str(port), "--site", str(site)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert result.stderr == (
        f"outpost serve: error: cannot listen on 127.0.0.1:{port}: "
        "address already in use; try --port 0\n"
    )


def test_no_site_here_exits_1(tmp_path: Path) -> None:
    result = run_outpost("serve", "--port", "0", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("site.yaml:1: error: no site.yaml here")


def test_find_file() -> None:
    files = {"index.html": b"", "incidents/a/index.html": b"", "feed.atom": b""}
    assert find_file(files, "/") == (200, "index.html")
    assert find_file(files, "/incidents/a/") == (200, "incidents/a/index.html")
    assert find_file(files, "/incidents/a") == (301, "/incidents/a/")
    assert find_file(files, "/feed.atom") == (200, "feed.atom")
    assert find_file(files, "/incidents/b/") == (404, "404.html")


def test_with_reload_goes_before_the_last_body_end() -> None:
    tag = b'<script src="/__outpost/reload.js" data-version="x-1"></script>'
    assert with_reload(b"<p></body></BODY>", "x-1") == b"<p></body>" + tag + b"</BODY>"
    assert with_reload(b"<p>", "x-1") == b"<p>" + tag


def test_a_page_version_follows_its_own_bytes_and_the_theme_files() -> None:
    files = {"index.html": b"home", "a/index.html": b"a", "assets/s.1.css": b"x", "feed.atom": b"f"}
    shown = Snapshot("run-1", files)
    assert shown.version("/a/") == Snapshot("run-2", dict(files)).version("/a/")  # not the build
    assert shown.version("/") != shown.version("/a/")
    assert Snapshot("run-2", {**files, "feed.atom": b"g"}).version("/a/") == shown.version("/a/")
    assert Snapshot("run-2", {**files, "a/index.html": b"b"}).version("/a/") != shown.version("/a/")
    theme = {**files, "assets/s.1.css": b"y"}
    assert Snapshot("run-2", theme).version("/a/") != shown.version("/a/")
    assert shown.version("/a") != shown.version("/a/")  # a redirect to the page is not the page
    assert shown.version("/b/") == Snapshot("run-2", {**files, "c/index.html": b""}).version("/b/")
    failed = Snapshot("run-3", {}, ("x.md:1: error: bad",))
    assert failed.version("/a/") not in (shown.version("/a/"), shown.version("/"))
    assert failed.version("/a/") != Snapshot("run-4", {}, ("x.md:2: error: bad",)).version("/a/")


def test_count_changed() -> None:
    old = {"a": b"1", "b": b"2", "c": b"3"}
    assert count_changed(old, {"a": b"1", "b": b"two", "d": b"4"}) == 3
    assert count_changed(old, dict(old)) == 0


# --- the post's own page first ---


def builder_for(site: Path, now: str = "2026-12-01T00:00:00+00:00") -> tuple[Builder, Live]:
    live = Live()
    builder = Builder(site, False, datetime.fromisoformat(now), "http://127.0.0.1:8000/", live)
    builder.build(first=True)
    return builder, live


def test_a_post_is_served_first_on_a_site_of_any_size(make_site: MakeSite) -> None:
    site = make_site({POST: INCIDENT})  # one post
    live = Live()
    builder = Builder(site, False, None, "http://127.0.0.1:8000/", live)
    builder.build(first=True)
    builds: list[dict[str, bytes]] = []
    live.publish = lambda files, errors=(): builds.append(dict(files))  # type: ignore[method-assign]
    write(site, POST, update("Once."))
    builder.build(first=False, changed=frozenset({(site / POST).resolve()}))
    assert len(builds) == 2
    assert b"Once." in builds[0][PAGE + "index.html"] and b"Once." not in builds[0]["index.html"]
    assert b"Once." in builds[1]["index.html"]
    assert builds[0][PAGE + "index.html"] == builds[1][PAGE + "index.html"]


def test_an_edited_post_is_served_before_the_pages_that_list_it(make_site: MakeSite) -> None:
    site = make_site({POST: INCIDENT})
    builder, live = builder_for(site)
    before = live.current
    write(site, POST, update("Seen first."))
    changed = frozenset({(site / POST).resolve(), (site / "content/incidents/4913").resolve()})
    builder.serve_posts_first(changed, before)
    first = live.current
    assert first.build != before.build
    assert b"Seen first." in first.files[PAGE + "index.html"]
    assert b"Seen first." in first.files[PAGE + "feed.atom"]
    assert first.files["index.html"] == before.files["index.html"]  # listed by the whole build
    assert first.files.keys() == before.files.keys()
    builder.build(first=False, changed=changed)
    whole = live.current
    assert b"Seen first." in whole.files["feed.atom"]
    # What was served first is what the whole build makes.
    assert first.files[PAGE + "index.html"] == whole.files[PAGE + "index.html"]
    assert first.files[PAGE + "feed.atom"] == whole.files[PAGE + "feed.atom"]


@pytest.mark.parametrize(
    "case", ["an error", "the config", "a theme listing posts on a post's page", "a draft"]
)
def test_only_a_post_page_that_depends_on_the_post_alone_is_served_first(
    make_site: MakeSite, case: str
) -> None:
    site = make_site({POST: INCIDENT})
    changed = {(site / POST).resolve()}
    if case == "a theme listing posts on a post's page":
        (site / "site.yaml").write_text(SITE_YAML + "theme: mine\n")
        template = site / "themes/mine/templates/incident.html"
        template.parent.mkdir(parents=True)
        template.write_text(
            '{% extends "base.html" %}{% block main %}{{ incident.title }}'
            "{% for other in site.incidents %}{{ other.title }}{% endfor %}{% endblock %}"
        )
    builder, live = builder_for(site)
    before = live.current
    text = update("Not first.")
    if case == "an error":
        text = text.replace("impact: major", "impact: catastrophic")
    if case == "the config":
        changed.add((site / "site.yaml").resolve())
    if case == "a draft":
        text = text.replace("impact: major", "impact: major\ndraft: true")
    write(site, POST, text)
    builder.serve_posts_first(frozenset(changed), before)
    assert live.current is before


def test_a_new_config_is_used_for_the_posts_served_first(make_site: MakeSite) -> None:
    site = make_site({POST: INCIDENT})
    builder, live = builder_for(site)
    write(site, POST, update("First."))
    builder.build(first=False, changed=frozenset({(site / POST).resolve()}))  # makes the shell
    config = site / "site.yaml"
    config.write_text(config.read_text().replace("title: Example Status", "title: Acme Status"))
    builder.build(first=False, changed=frozenset({config.resolve()}))  # not posts: no post first
    write(site, POST, update("Second."))
    builder.serve_posts_first(frozenset({(site / POST).resolve()}), live.current)
    page = live.current.files[PAGE + "index.html"]
    assert b"Second." in page and b"Acme Status" in page
