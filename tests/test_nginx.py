"""docs/nginx-outpost.conf in a real nginx: headers as _headers says, types, gzip, 404, 304."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from checks import require_tool
from sites import NOW, write_rich_site
from test_hosting import headers_for, parse_rules

from generator.build import build_site
from generator.outputs.hosting import CONTENT_SECURITY_POLICY, IMMUTABLE, cache_control

ROOT = Path(__file__).resolve().parent.parent
SNIPPET = ROOT / "docs/nginx-outpost.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")
LISTEN = re.compile(r"^(\s*)listen 80;", re.MULTILINE)
DOCUMENT_ROOT = re.compile(r"^(\s*)root /srv/status;", re.MULTILINE)
POST = "incidents/2026-12-01-api-outage/"
TYPES = {
    "": "text/html; charset=utf-8",
    POST: "text/html; charset=utf-8",
    "feed.atom": "application/atom+xml",
    f"{POST}feed.atom": "application/atom+xml",
    "feed.rss": "application/rss+xml",
    "feed.json": "application/feed+json",
    "maintenance.ics": "text/calendar; charset=utf-8",
    "api/v2/summary.json": "application/json",
    "badge.svg": "image/svg+xml",
    "static/style.css": "text/css; charset=utf-8",
    "sitemap.xml": "text/xml; charset=utf-8",
    "robots.txt": "text/plain; charset=utf-8",
}


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def nginx_conf(prefix: Path, site: Path, port: int) -> str:
    """A whole nginx.conf around the snippet, with its listen and root lines put to PORT and SITE."""
    snippet = SNIPPET.read_text()
    snippet = LISTEN.sub(rf"\g<1>listen 127.0.0.1:{port};", snippet)
    snippet = DOCUMENT_ROOT.sub(rf"\g<1>root {site};", snippet)
    (prefix / "outpost.conf").write_text(snippet)
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/temp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, workers would become 'nobody' and could not read a private temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    include {MIME_TYPES};\n    default_type application/octet-stream;\n"
        f"    access_log off;\n{temp}\n    include {prefix}/outpost.conf;\n}}\n"
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once PORT accepts connections; fail if nginx exits or 10 s pass first."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)  # between attempts to connect, not instead of one
    pytest.fail(f"nginx did not listen on {port}:\n{log.read_text()}")


@dataclass(frozen=True)
class Response:
    """What nginx answered."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass(frozen=True)
class Served:
    """The built site, and nginx serving it."""

    out: Path
    port: int

    def get(self, path: str, **headers: str) -> Response:
        """GET /PATH with HEADERS."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", "/" + path, headers=headers)
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    nginx = nginx_binary()
    require_tool("nginx (Debian package nginx)", bool(nginx) and MIME_TYPES.is_file())
    assert nginx
    root = tmp_path_factory.mktemp("nginx")
    out = root / "out"
    build_site(write_rich_site(root / "site"), out, NOW, compress=True)
    prefix = root / "prefix"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "temp" / kind).mkdir(parents=True)
    port = free_port()
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, out, port))
    log = prefix / "error.log"
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(log)]
    process = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, log)
        yield Served(out, port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the snippet itself, without nginx -------------------------------------------------------


def test_the_snippet_has_one_listen_and_one_root_line_to_change() -> None:
    text = SNIPPET.read_text()
    assert len(LISTEN.findall(text)) == len(DOCUMENT_ROOT.findall(text)) == 1


def test_the_snippet_sends_the_headers_of_the_headers_file() -> None:
    text = SNIPPET.read_text()
    assert f'Content-Security-Policy "{CONTENT_SECURITY_POLICY}" always;' in text
    assert f'"{cache_control(60)}"' in text and f'"{IMMUTABLE}"' in text
    # nginx drops the server's add_header lines in a location with one of its own.
    locations = re.findall(r"location[^{]*\{((?:[^{}]|\{[^{}]*\})*)\}", text)
    assert locations and not [body for body in locations if "add_header" in body]


# --- nginx serving a build -------------------------------------------------------------------


def test_every_kind_of_file_has_the_headers_of_the_headers_file(served: Served) -> None:
    rules = parse_rules((served.out / "_headers").read_text())
    (stylesheet,) = (served.out / "assets").rglob("style.css")
    asset = stylesheet.relative_to(served.out).as_posix()
    for path in [*TYPES, asset, "components/api/badge.svg", "api/v2/status.json"]:
        response = served.get(path)
        assert response.status == 200, path
        expected = headers_for(rules, "/" + path)
        assert "Cache-Control" in expected
        for name, (value,) in expected.items():
            assert response.getheader(name) == value, (path, name)
        if "Access-Control-Allow-Origin" not in expected:
            assert response.getheader("Access-Control-Allow-Origin") is None, path
    assert served.get(asset).getheader("Cache-Control") == IMMUTABLE


def test_content_types(served: Served) -> None:
    for path, expected in TYPES.items():
        response = served.get(path)
        assert response.getheader("Content-Type") == expected, path
        assert response.getheader("X-Content-Type-Options") == "nosniff", path


def test_the_bytes_are_the_built_files(served: Served) -> None:
    for path in ("", "feed.atom", "api/v2/summary.json", "maintenance.ics"):
        response = served.get(path)
        assert response.body == (served.out / (path or "index.html")).read_bytes(), path


def test_a_missing_page_gets_404_html(served: Served) -> None:
    response = served.get("incidents/no-such-incident/")
    assert response.status == 404
    assert response.body == (served.out / "404.html").read_bytes()
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert response.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY


def test_a_folder_without_its_slash_is_redirected_on_this_host(served: Served) -> None:
    response = served.get("history")
    assert (response.status, response.getheader("Location")) == (301, "/history/")


def test_gzip_from_the_compressed_copies(served: Served) -> None:
    for path in ("", "feed.atom", "api/v2/summary.json"):
        response = served.get(path, **{"Accept-Encoding": "gzip, deflate, br"})
        assert response.getheader("Content-Encoding") == "gzip", path
        assert response.getheader("Vary") == "Accept-Encoding", path
        built = served.out / f"{path or 'index.html'}.gz"
        assert response.body == built.read_bytes(), path
        assert response.getheader("Content-Type") == TYPES[path], path
    # A file too small for a copy comes as it is.
    assert not (served.out / "api/v2/status.json.gz").exists()
    small = served.get("api/v2/status.json", **{"Accept-Encoding": "gzip"})
    assert small.getheader("Content-Encoding") is None


def test_revalidation_answers_304(served: Served) -> None:
    for path, encoding in [("", "identity"), ("feed.atom", "gzip"), (POST, "identity")]:
        first = served.get(path, **{"Accept-Encoding": encoding})
        etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
        assert etag and modified, path
        for condition in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
            again = served.get(path, **{"Accept-Encoding": encoding}, **condition)
            assert again.status == 304, (path, condition)
            assert again.body == b""
            assert again.getheader("Cache-Control") == first.getheader("Cache-Control")
        changed = served.get(path, **{"Accept-Encoding": encoding, "If-None-Match": '"other"'})
        assert changed.status == 200
