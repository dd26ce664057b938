"""Every output of the demo site and a rich fixture site, through the validators the web trusts."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from checks import (
    ENDPOINTS,
    api_validator,
    broken_links,
    check_atom,
    check_calendar,
    check_rss,
    nu_errors,
    validate_json_feed,
)
from sites import NOW, build_into, copy_demo_site, write_rich_site

from generator.config import load_config

SITES = ("demo", "rich")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each fixture site, built once for the module."""
    root = tmp_path_factory.mktemp("validated")
    return {
        "demo": build_into(copy_demo_site(root / "demo"), root / "demo-out"),
        "rich": build_into(write_rich_site(root / "rich"), root / "rich-out"),
    }


@pytest.fixture(scope="module")
def nu_report(outputs: dict[str, Path]) -> list[str]:
    """One run of the Nu HTML Checker over both sites (it takes seconds to start)."""
    return nu_errors(*outputs.values())


def site_config(out: Path) -> tuple[str, str]:
    config, problems = load_config(out.parent / out.name.removesuffix("-out"))
    assert config is not None, problems
    return config.base_url, config.title


def test_every_page_stylesheet_and_badge_passes_the_nu_html_checker(nu_report: list[str]) -> None:
    assert nu_report == []


def test_the_nu_html_checker_catches_a_broken_page(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang=en><title>x</title><p><div>a</p></span>", encoding="utf-8"
    )
    (tmp_path / "style.css").write_text("body { colour: red; }\n", encoding="utf-8")
    found = nu_errors(tmp_path)
    assert any("index.html" in line and "Stray end tag “span”" in line for line in found), found
    assert any("style.css:1: error: CSS: “colour”" in line for line in found), found


@pytest.mark.parametrize("name", SITES)
def test_no_broken_internal_link_or_anchor(outputs: dict[str, Path], name: str) -> None:
    assert broken_links(outputs[name]) == []


@pytest.mark.parametrize("name", SITES)
def test_every_feed_parses_and_follows_the_validator_rules(
    outputs: dict[str, Path], name: str
) -> None:
    out = outputs[name]
    base, title = site_config(out)
    feeds = sorted([*out.rglob("feed.atom"), *out.rglob("feed.rss")])
    assert len(feeds) > 3
    for feed in feeds:
        path = feed.relative_to(out).as_posix()
        parsed = feedparser.parse(feed.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        if path.endswith(".rss"):
            check_rss(out, path, base)
        else:
            check_atom(out, path, base, author=title)


@pytest.mark.parametrize("name", SITES)
def test_json_feed_calendar_and_api_follow_their_schemas(
    outputs: dict[str, Path], name: str
) -> None:
    out = outputs[name]
    validate_json_feed(json.loads((out / "feed.json").read_bytes()))
    check_calendar((out / "maintenance.ics").read_bytes())
    for endpoint in ENDPOINTS:
        document = json.loads((out / "api/v2" / endpoint).read_bytes())
        errors = sorted(str(e.message) for e in api_validator(endpoint).iter_errors(document))
        assert errors == [], endpoint


def test_the_rich_site_is_built_at_the_fixed_time(outputs: dict[str, Path]) -> None:
    # The checks above see a running maintenance window and open incidents: the state at NOW.
    summary = json.loads((outputs["rich"] / "api/v2/summary.json").read_bytes())
    assert NOW.isoformat().startswith("2026-12-01T12:00")
    assert [m["name"] for m in summary["scheduled_maintenances"]] == [
        "Database upgrade",
        "Queue migration",
    ]
    assert summary["status"]["indicator"] == "critical"
