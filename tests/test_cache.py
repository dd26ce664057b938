"""The build cache: a warm build gives exactly the cold build's output, and nothing stale."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import INCIDENT, SITE_YAML, MakeSite

from generator import cache
from generator.build import build_site
from generator.cache import CACHE_DIR, MARKDOWN_FILE
from generator.outputs.markup import cache_key

NOW = datetime(2026, 12, 1, tzinfo=UTC)
POST = "content/incidents/2026-11-29-login-failures.md"
BODY = "A bad deploy. Rolling back."


def files(site: Path) -> dict[str, bytes]:
    return build_site(site, None, NOW).files


def cached(site: Path) -> dict[str, str]:
    document = json.loads((site / CACHE_DIR / MARKDOWN_FILE).read_bytes())
    entries: dict[str, str] = document["entries"]
    return entries


def poison(site: Path, text: str, html: str) -> None:
    """Put HTML in the cache as the rendering of TEXT in an update."""
    path = site / CACHE_DIR / MARKDOWN_FILE
    document = json.loads(path.read_bytes())
    document["entries"][cache_key(text, 4, 1)] = html
    path.write_text(json.dumps(document))


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site({POST: INCIDENT})


def test_a_warm_build_is_byte_identical_to_a_cold_one(site: Path) -> None:
    cold = files(site)
    assert (site / CACHE_DIR / MARKDOWN_FILE).is_file()
    warm = files(site)
    shutil.rmtree(site / CACHE_DIR)
    assert warm == cold == files(site)


def test_the_cache_is_used(site: Path) -> None:
    files(site)
    poison(site, BODY, "<p>FROM THE CACHE</p>")
    page = files(site)["incidents/2026-11-29-login-failures/index.html"]
    assert b"FROM THE CACHE" in page  # so the next tests, where it must not be, can fail


def test_changed_text_is_rendered_anew(site: Path) -> None:
    files(site)
    poison(site, BODY, "<p>FROM THE CACHE</p>")
    (site / POST).write_text(INCIDENT.replace(BODY, "A bad deploy. Rolled back."))
    page = files(site)["incidents/2026-11-29-login-failures/index.html"]
    assert b"FROM THE CACHE" not in page
    assert b"Rolled back." in page


def test_another_renderer_empties_the_cache(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files(site)
    poison(site, BODY, "<p>FROM THE CACHE</p>")
    # A new Outpost version, Markdown or nh3 version, or a changed markup.py: another identity.
    monkeypatch.setattr(cache, "__version__", "99.0")
    page = files(site)["incidents/2026-11-29-login-failures/index.html"]
    assert b"FROM THE CACHE" not in page
    assert b"A bad deploy. Rolling back." in page


def test_templates_and_config_apply_with_a_warm_cache(site: Path) -> None:
    files(site)
    (site / "site.yaml").write_text(SITE_YAML + "theme: mine\nlanguage: de\n")
    (site / "themes/mine/templates").mkdir(parents=True)
    (site / "themes/mine/templates/404.html").write_text("<p>Nicht hier</p>\n")
    built = files(site)
    assert built["404.html"] == b"<p>Nicht hier</p>\n"
    assert b"Behoben" in built["incidents/2026-11-29-login-failures/index.html"]


def test_the_cache_holds_only_what_the_last_build_used(site: Path) -> None:
    files(site)
    before = cached(site)
    (site / POST).write_text(INCIDENT.replace(BODY, "Something else."))
    files(site)
    after = cached(site)
    assert cache_key(BODY, 4, 1) in before
    assert cache_key(BODY, 4, 1) not in after
    assert cache_key("Something else.", 4, 1) in after
    assert len(after) == len(before)


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"renderer": 1, "entries": []}'])
def test_a_damaged_cache_is_ignored(site: Path, damage: bytes) -> None:
    cold = files(site)
    (site / CACHE_DIR / MARKDOWN_FILE).write_bytes(damage)
    assert files(site) == cold
