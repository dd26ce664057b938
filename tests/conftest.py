"""Shared fixtures: fixture sites written into tmp_path, and the command run as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from checks import require_tool

SITE_YAML = """\
title: Example Status
base_url: https://status.example.com/
description: Incidents and maintenance for Example.
timezone: UTC
components:
  - name: API
  - name: Web app
  - group: Publishing
    components:
      - name: Scheduler
      - name: Queue
"""

INCIDENT = """\
---
title: Login failures
impact: major
components: [API]
---
Some customers cannot log in.

## 2026-11-29 09:05 UTC — Investigating
We are looking into it.

## 2026-11-29 10:40 UTC — Identified
A bad deploy. Rolling back.

## 2026-11-29 11:30 UTC — Resolved
Logins work again.
"""

MAINTENANCE = """\
---
title: Database upgrade
start: 2026-12-06 02:00 UTC
end: 2026-12-06 04:00 UTC
components: [API]
---
The API is read-only for up to 15 minutes.

## 2026-12-06 02:00 UTC — In progress
The upgrade has begun.

## 2026-12-06 03:10 UTC — Completed
The upgrade is done.
"""

MakeSite = Callable[..., Path]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite the golden files from this run"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write FILES (path → text, dedented, or bytes) under ROOT."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8", newline="")


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """make_site({path: content}, site_yaml=...) → a site folder in tmp_path."""

    def make(
        files: dict[str, str | bytes] | None = None, site_yaml: str | None = SITE_YAML
    ) -> Path:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        if site_yaml is not None:
            (site / "site.yaml").write_text(site_yaml, encoding="utf-8")
        write_files(site, files or {})
        return site

    return make


def run_outpost(
    *args: str | Path, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`outpost ARGS` in CWD, as a separate process, the way writers and CI run it."""
    if env is None:
        # A SOURCE_DATE_EPOCH from the environment running the tests would fix the build time.
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=cwd,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium, driven by Playwright: for the tests that need a real browser."""
    require_tool("Chromium (Debian package chromium)", CHROMIUM.exists())
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()
