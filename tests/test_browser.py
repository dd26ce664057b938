"""The pages in a real browser: phone and desktop, light and dark, no errors, no other hosts, accessible."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from checks import require_tool
from sites import build_into, write_rich_site

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules/axe-core/axe.min.js"
SCREENSHOTS = Path(os.environ.get("OUTPOST_SCREENSHOTS", ROOT / "ci-artifacts/screenshots"))
PAGES = {
    "index": "",
    "incident": "incidents/2026-12-01-api-outage/",
    "history": "history/2026/12/",
    "component": "components/scheduler/",
}
VIEWPORTS = {"phone": (360, 740), "desktop": (1280, 800)}
SCHEMES = ("light", "dark")
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the tests report what matters."""


def serve_folder(folder: Path) -> Iterator[str]:
    """Serve FOLDER over HTTP on 127.0.0.1 until the generator is closed; yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    out = build_into(write_rich_site(root / "site"), root / "out")
    yield from serve_folder(out)


@dataclass
class Visit:
    """What the browser saw while loading one page."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    scroll_width: int = 0
    width: int = 0
    policy: str | None = None


def visit(
    browser: Any, url: str, viewport: tuple[int, int], scheme: str, shot: Path | None = None
) -> Visit:
    """Load URL as a reader would, recording console errors, failed and foreign requests."""
    seen = Visit(width=viewport[0])
    host = urlsplit(url).netloc
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, color_scheme=scheme
    )
    try:
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and seen.errors.append(m.text))
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("requestfailed", lambda r: seen.failed.append(f"{r.url} {r.failure}"))
        page.on(
            "request",
            lambda r: urlsplit(r.url).netloc != host and seen.foreign.append(r.url),
        )
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        seen.scroll_width = page.evaluate("document.documentElement.scrollWidth")
        seen.policy = page.evaluate(
            "document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')?.content"
        )
        if shot is not None:
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    return seen


def axe_violations(browser: Any, url: str, scheme: str) -> list[str]:
    """axe-core's WCAG 2.1 A and AA violations on URL, one line per failing element."""
    require_tool("axe-core (npm)", AXE.is_file())
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=scheme, bypass_csp=True
    )
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
        )
    finally:
        context.close()
    return [
        f"{v['id']}: {node['target']} {node.get('failureSummary', '')}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def problems(seen: Visit, phone: bool) -> list[str]:
    found = [f"console: {e}" for e in seen.errors]
    found += [f"failed: {f}" for f in seen.failed]
    found += [f"other host: {f}" for f in seen.foreign]
    if phone and seen.scroll_width > seen.width:
        found.append(f"horizontal scroll: {seen.scroll_width} px wide in {seen.width} px")
    return found


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly(
    browser: Any, site_url: str, name: str, viewport: str, scheme: str
) -> None:
    shot = SCREENSHOTS / f"{name}-{viewport}-{scheme}.png"
    seen = visit(browser, site_url + PAGES[name], VIEWPORTS[viewport], scheme, shot)
    assert problems(seen, phone=viewport == "phone") == []
    # The policy is in force: a violation would have been a console error above.
    assert seen.policy is not None and "default-src 'self'" in seen.policy
    assert "unsafe-inline" not in seen.policy
    assert shot.stat().st_size > 0


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_wcag_21_aa_violation(
    browser: Any, site_url: str, name: str, scheme: str
) -> None:
    assert axe_violations(browser, site_url + PAGES[name], scheme) == []


BROKEN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'">
<title>Broken</title></head>
<body>
<img src="http://192.0.2.1/pixel.png">
<img src="missing.png">
<script>document.title = "inline";</script>
<pre>{wide}</pre>
<p style="color: #eee; background: #fff">faint</p>
</body></html>
"""


def test_the_checks_catch_a_deliberately_broken_page(browser: Any, tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(BROKEN_PAGE.format(wide="w" * 500), encoding="utf-8")
    for url in serve_folder(tmp_path):
        found = problems(visit(browser, url, VIEWPORTS["phone"], "light"), phone=True)
        assert any(p.startswith("other host: http://192.0.2.1/") for p in found), found
        assert "failed: http://192.0.2.1/pixel.png csp" in found, found
        assert any("Content Security Policy" in p for p in found), found  # the inline script
        assert any(p.startswith("horizontal scroll: ") for p in found), found
        assert any(p.startswith("console: ") and "404" in p for p in found), found  # missing.png
        violations = axe_violations(browser, url, "light")
        assert any(v.startswith("image-alt: ") for v in violations), violations
        assert any(v.startswith("color-contrast: ") for v in violations), violations
