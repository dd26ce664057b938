"""feed.json as a JSON Feed reader and the JSON Feed 1.1 schema see it."""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
from checks import validate_json_feed
from conftest import INCIDENT, SITE_YAML, MakeSite

from generator.build import build_site

NOW = datetime(2026, 12, 10, tzinfo=UTC)
BASE = "https://status.example.com/"

MAINTENANCE = """\
---
title: Datenbank-Upgrade für „Queue“ 🚀
start: 2026-12-06 02:00 UTC
end: 2026-12-06 04:00 UTC
components: [Queue]
---
## 2026-12-06 02:00 UTC — In progress
Das Upgrade läuft.

## 2026-12-06 03:10 UTC — Completed
Fertig. See [the earlier incident](../../incidents/2026-11-29-login-failures/#update-20261129T104000Z).
"""

OPEN_INCIDENT = """\
---
title: Slow queue & <jobs>
components: [Queue]
---
## 2026-12-02 08:00 UTC — investigating
Jobs wait longer than usual.

## 2026-12-02 08:30 UTC — update
### Details
Jobs with attachments are slow; see the [status page](../../).
"""

FILES: dict[str, str | bytes] = {
    "content/incidents/2026-11-29-login-failures.md": INCIDENT,
    "content/incidents/2026-12-02-slow-queue.md": OPEN_INCIDENT,
    "content/maintenance/2026-12-06-db-upgrade.md": MAINTENANCE,
}
LOGIN = f"{BASE}incidents/2026-11-29-login-failures/"
QUEUE = f"{BASE}incidents/2026-12-02-slow-queue/"
UPGRADE = f"{BASE}maintenance/2026-12-06-db-upgrade/"

# Every update of FILES, newest first: (page, time, title, tags).
UPDATES = [
    (UPGRADE, "2026-12-06T03:10:00Z", "Completed", ["maintenance", "Completed"]),
    (UPGRADE, "2026-12-06T02:00:00Z", "In progress", ["maintenance", "In progress"]),
    (QUEUE, "2026-12-02T08:30:00Z", "Update", ["incident", "Investigating"]),
    (QUEUE, "2026-12-02T08:00:00Z", "Investigating", ["incident", "Investigating"]),
    (LOGIN, "2026-11-29T11:30:00Z", "Resolved", ["incident", "Resolved"]),
    (LOGIN, "2026-11-29T10:40:00Z", "Identified", ["incident", "Identified"]),
    (LOGIN, "2026-11-29T09:05:00Z", "Investigating", ["incident", "Investigating"]),
]
TITLES = {
    LOGIN: "Login failures",
    QUEUE: "Slow queue & <jobs>",
    UPGRADE: "Datenbank-Upgrade für „Queue“ 🚀",
}


# --- helpers ---------------------------------------------------------------------------------


def build(site: Path, now: datetime = NOW, base_url: str | None = None) -> dict[str, bytes]:
    return build_site(site, None, now, base_url=base_url).files


def load(files: dict[str, bytes]) -> Any:
    return json.loads(files["feed.json"].decode("utf-8"))


def atom(files: dict[str, bytes]) -> Any:
    parsed = feedparser.parse(files["feed.atom"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def moment(parsed: Any) -> datetime:
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def anchor(when: str) -> str:
    return "update-" + when.replace("-", "").replace(":", "")


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(FILES)


@pytest.fixture
def files(site: Path) -> dict[str, bytes]:
    return build(site)


# --- what a reader sees ----------------------------------------------------------------------


def test_feed_is_valid_json_feed_1_1(files: dict[str, bytes]) -> None:
    feed = load(files)
    validate_json_feed(feed)
    assert {key: value for key, value in feed.items() if key != "items"} == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Example Status",
        "home_page_url": BASE,
        "feed_url": f"{BASE}feed.json",
        "description": "Incidents and maintenance for Example.",
        "language": "en",
        "authors": [{"name": "Example Status", "url": BASE}],
    }


def test_items_are_the_updates_newest_first(files: dict[str, bytes]) -> None:
    items = load(files)["items"]
    assert [item["url"] for item in items] == [f"{page}#{anchor(w)}" for page, w, _, _ in UPDATES]
    assert [item["title"] for item in items] == [
        f"{status}: {TITLES[page]}" for page, _, status, _ in UPDATES
    ]
    assert [item["date_published"] for item in items] == [w for _, w, _, _ in UPDATES]
    assert [item["date_modified"] for item in items] == [w for _, w, _, _ in UPDATES]
    assert [item["tags"] for item in items] == [tags for _, _, _, tags in UPDATES]
    assert items[-1]["id"] == (
        "tag:status.example.com,2026-11-29:incidents/2026-11-29-login-failures/2026-11-29T09:05:00Z"
    )
    assert items[-1]["content_html"] == "<p>We are looking into it.</p>"


def test_items_equal_the_atom_entries(files: dict[str, bytes]) -> None:
    items, entries = load(files)["items"], atom(files).entries
    assert [item["id"] for item in items] == [entry.id for entry in entries]
    assert [item["title"] for item in items] == [entry.title for entry in entries]
    assert [item["url"] for item in items] == [entry.link for entry in entries]
    assert [item["content_html"] for item in items] == [e.content[0].value for e in entries]
    assert [utc(item["date_published"]) for item in items] == [
        moment(entry.published_parsed) for entry in entries
    ]
    assert [utc(item["date_modified"]) for item in items] == [
        moment(entry.updated_parsed) for entry in entries
    ]


def test_links_in_items_are_absolute(files: dict[str, bytes]) -> None:
    items = load(files)["items"]
    assert items[0]["content_html"] == (
        f'<p>Fertig. See <a href="{LOGIN}#update-20261129T104000Z">the earlier incident</a>.</p>'
    )
    assert items[2]["content_html"] == (
        "<h4>Details</h4>\n"
        f'<p>Jobs with attachments are slow; see the <a href="{BASE}">status page</a>.</p>'
    )


def test_feed_holds_at_most_the_configured_number_of_items(make_site: MakeSite) -> None:
    files = build(make_site(FILES, site_yaml=SITE_YAML + "feed:\n  entries: 3\n"))
    items = load(files)["items"]
    assert [item["url"] for item in items] == [f"{p}#{anchor(w)}" for p, w, _, _ in UPDATES[:3]]
    assert [item["id"] for item in items] == [entry.id for entry in atom(files).entries]


def test_feed_holds_50_items_by_default(make_site: MakeSite) -> None:
    updates = "".join(
        f"\n## 2026-11-{day:02d} {hour:02d}:00 UTC — Update\nStill slow.\n"
        for day in range(1, 4)
        for hour in range(20)
    )
    site = make_site({"content/incidents/2026-11-01-slow.md": "---\ntitle: Slow\n---\n" + updates})
    files = build(site)
    items = load(files)["items"]
    assert len(items) == 50
    assert items[0]["date_published"] == "2026-11-03T19:00:00Z"
    assert [item["id"] for item in items] == [entry.id for entry in atom(files).entries]
    validate_json_feed(load(files))


def test_base_url_option_moves_urls_but_keeps_ids(site: Path, files: dict[str, bytes]) -> None:
    moved = load(build(site, base_url="https://example.org/status"))
    validate_json_feed(moved)
    assert [item["id"] for item in moved["items"]] == [item["id"] for item in load(files)["items"]]
    assert moved["feed_url"] == "https://example.org/status/feed.json"
    assert moved["items"][0]["url"].startswith("https://example.org/status/maintenance/")


# --- exact bytes -----------------------------------------------------------------------------


def test_feed_is_utf8_with_fixed_key_order_and_a_final_newline(files: dict[str, bytes]) -> None:
    data = files["feed.json"]
    assert data.endswith(b"}\n")
    assert "„Queue“ 🚀".encode() in data  # not \u-escaped
    feed = load(files)
    assert list(feed) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "language",
        "authors",
        "items",
    ]
    keys = ["id", "url", "title", "content_html", "date_published", "date_modified", "tags"]
    assert [list(item) for item in feed["items"]] == [keys] * len(UPDATES)


def test_feed_does_not_depend_on_the_build_time(site: Path, files: dict[str, bytes]) -> None:
    later = build(site, now=datetime(2031, 5, 17, 13, 47, tzinfo=UTC))
    assert later["feed.json"] == files["feed.json"]
    assert b"2031" not in later["feed.json"]


def test_feed_of_a_site_without_posts_is_valid(make_site: MakeSite) -> None:
    feed = load(build(make_site({})))
    validate_json_feed(feed)
    assert feed["items"] == []


# --- the schema can fail ---------------------------------------------------------------------


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Any], None]:
    def change(feed: Any) -> None:
        target = feed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path: tuple[str | int, ...]) -> Callable[[Any], None]:
    def change(feed: Any) -> None:
        target = feed
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set(("version",), "https://jsonfeed.org/version/2"),
        _drop(("title",)),
        _set(("feed_url",), "status.example.com/feed.json"),  # not a URI: no scheme
        _drop(("items", 0, "id")),
        _drop(("items", 0, "content_html")),
        _set(("items", 0, "date_published"), "2026-12-06 03:10"),  # not RFC 3339
        _set(("items", 0, "url"), "../x/#update"),
        _set(("items", 0, "contents_html"), "<p>typo</p>"),  # an unknown key
        _set(("authors", 0), {}),
    ],
)
def test_schema_rejects_a_broken_feed(
    files: dict[str, bytes], change: Callable[[Any], None]
) -> None:
    feed = load(files)
    change(feed)
    with pytest.raises(jsonschema.ValidationError):
        validate_json_feed(feed)
