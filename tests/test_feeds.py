"""The Atom and RSS feeds as a feed reader and a feed validator see them."""

from __future__ import annotations

import calendar
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from checks import check_atom, check_rss
from conftest import INCIDENT, MAINTENANCE, SITE_YAML, MakeSite

from generator.build import build_site
from generator.edit import append_update, find_post, load_site_config
from generator.load import load_site
from generator.model import Incident, Site, Update
from generator.outputs.feeds import (
    FeedWriter,
    _absolute_links,
    entries_of,
    latest_entries,
    render_feeds,
    render_post_feeds,
    render_site_feeds,
)
from generator.outputs.markup import MarkdownRenderer
from generator.uptime import incidents_affecting

GOLDEN = Path(__file__).parent / "golden"
BASE = "https://status.example.com/"
NOW = datetime(2026, 12, 10, tzinfo=UTC)
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}

OPEN_INCIDENT = """\
---
title: Slow queue & <jobs>
components: [Queue]
---
## 2026-12-02 08:00 UTC — investigating
Jobs wait longer than usual.

## 2026-12-02 08:30 UTC — update
### Details
Jobs with attachments are slow; see [the earlier incident](../2026-11-29-login-failures/#update-20261129T104000Z)
and the [status page](../../).
"""

FILES: dict[str, str | bytes] = {
    "content/incidents/2026-11-29-login-failures.md": INCIDENT,
    "content/incidents/2026-12-02-slow-queue.md": OPEN_INCIDENT,
    "content/maintenance/2026-12-06-db-upgrade.md": MAINTENANCE,
}

LOGIN = "incidents/2026-11-29-login-failures/"
QUEUE = "incidents/2026-12-02-slow-queue/"
UPGRADE = "maintenance/2026-12-06-db-upgrade/"


def tag(path: str, when: str) -> str:
    return f"tag:status.example.com,{when[:10]}:{path}{when}"


# Every update of FILES, newest first: (page, anchor time, title).
UPDATES = [
    (UPGRADE, "2026-12-06T03:10:00Z", "Completed: Database upgrade"),
    (UPGRADE, "2026-12-06T02:00:00Z", "In progress: Database upgrade"),
    (QUEUE, "2026-12-02T08:30:00Z", "Update: Slow queue & <jobs>"),
    (QUEUE, "2026-12-02T08:00:00Z", "Investigating: Slow queue & <jobs>"),
    (LOGIN, "2026-11-29T11:30:00Z", "Resolved: Login failures"),
    (LOGIN, "2026-11-29T10:40:00Z", "Identified: Login failures"),
    (LOGIN, "2026-11-29T09:05:00Z", "Investigating: Login failures"),
]
IDS = [tag(path, when) for path, when, _ in UPDATES]


def anchor(when: str) -> str:
    return "update-" + when.replace("-", "").replace(":", "")


# --- helpers ---------------------------------------------------------------------------------


def build(site: Path, now: datetime = NOW, base_url: str | None = None) -> Path:
    out = site.parent / "public"
    build_site(site, out, now, base_url=base_url)
    return out


def read(out: Path, path: str) -> Any:
    """The feed at PATH, parsed by feedparser; it must be well-formed."""
    feed = feedparser.parse((out / path).read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def moment(parsed: Any) -> datetime:
    """feedparser's UTC struct_time as an aware datetime."""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def utc(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def feeds_in(out: Path) -> list[str]:
    """Every Atom and RSS feed in OUT (feed.json is JSON Feed, tested on its own)."""
    found = [*out.rglob("feed.atom"), *out.rglob("feed.rss")]
    return sorted(p.relative_to(out).as_posix() for p in found)


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(FILES)


@pytest.fixture
def out(site: Path) -> Path:
    return build(site)


# --- what a reader sees ----------------------------------------------------------------------


def test_site_atom_feed_has_every_update_newest_first(out: Path) -> None:
    feed = read(out, "feed.atom")
    assert feed.version == "atom10"
    assert feed.feed.title == "Example Status"
    assert [e.id for e in feed.entries] == IDS
    assert [e.title for e in feed.entries] == [title for _, _, title in UPDATES]
    assert [e.link for e in feed.entries] == [
        f"{BASE}{path}#{anchor(when)}" for path, when, _ in UPDATES
    ]
    assert [moment(e.published_parsed) for e in feed.entries] == [utc(w) for _, w, _ in UPDATES]
    assert [moment(e.updated_parsed) for e in feed.entries] == [utc(w) for _, w, _ in UPDATES]
    assert moment(feed.feed.updated_parsed) == utc(UPDATES[0][1])


def test_site_rss_feed_has_every_update_newest_first(out: Path) -> None:
    feed = read(out, "feed.rss")
    assert feed.version == "rss20"
    assert feed.feed.title == "Example Status"
    assert feed.feed.link == BASE
    assert [e.id for e in feed.entries] == IDS
    assert [e.guidislink for e in feed.entries] == [False] * len(IDS)
    assert [e.title for e in feed.entries] == [title for _, _, title in UPDATES]
    assert [e.link for e in feed.entries] == [
        f"{BASE}{path}#{anchor(when)}" for path, when, _ in UPDATES
    ]
    assert [moment(e.published_parsed) for e in feed.entries] == [utc(w) for _, w, _ in UPDATES]
    assert moment(feed.feed.updated_parsed) == utc(UPDATES[0][1])


def test_entry_content_is_the_update_as_html(out: Path) -> None:
    atom, rss = read(out, "feed.atom"), read(out, "feed.rss")
    assert atom.entries[-1].content[0].type == "text/html"
    assert atom.entries[-1].content[0].value == "<p>We are looking into it.</p>"
    assert rss.entries[-1].summary == "<p>We are looking into it.</p>"
    details = atom.entries[2].content[0].value
    assert details.startswith("<h4>Details</h4>\n<p>Jobs with attachments are slow;")
    assert rss.entries[2].summary == details


def test_links_in_entries_are_absolute(out: Path) -> None:
    """Readers resolve a relative link against the feed, not the incident page: make them absolute."""
    for path in ("feed.atom", "feed.rss", f"{QUEUE}feed.atom"):
        entry = read(out, path).entries[0 if path.startswith(QUEUE) else 2]
        html = entry.content[0].value if "content" in entry else entry.summary
        assert re.findall(r'href="([^"]*)"', html) == [
            f"{BASE}{LOGIN}#update-20261129T104000Z",
            BASE,
        ], path


def test_feed_updated_is_the_newest_update_never_the_build_time(site: Path) -> None:
    out = build(site, now=datetime(2031, 5, 17, 13, 47, tzinfo=UTC))
    for path in feeds_in(out):
        data = (out / path).read_bytes()
        assert b"2031" not in data, path
    assert moment(read(out, "feed.atom").feed.updated_parsed) == utc("2026-12-06T03:10:00Z")
    assert moment(read(out, f"{LOGIN}feed.atom").feed.updated_parsed) == utc("2026-11-29T11:30:00Z")


def test_feeds_of_a_site_without_posts_are_valid_and_reproducible(
    make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site({})
    first = build(site, now=datetime(2026, 1, 1, tzinfo=UTC))
    atom = (first / "feed.atom").read_bytes()
    rss = (first / "feed.rss").read_bytes()
    again = build(site, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert (again / "feed.atom").read_bytes() == atom
    assert (again / "feed.rss").read_bytes() == rss
    assert read(again, "feed.atom").entries == []
    check_atom(again, "feed.atom", BASE)
    check_rss(again, "feed.rss", BASE)


def test_site_feeds_hold_at_most_the_configured_number_of_entries(make_site: MakeSite) -> None:
    site = make_site(FILES, site_yaml=SITE_YAML + "feed:\n  entries: 3\n")
    out = build(site)
    assert [e.id for e in read(out, "feed.atom").entries] == IDS[:3]
    assert [e.id for e in read(out, "feed.rss").entries] == IDS[:3]
    # The per-incident feed keeps every update of its incident.
    assert [e.id for e in read(out, f"{LOGIN}feed.atom").entries] == IDS[4:]


def test_site_feeds_hold_50_entries_by_default(make_site: MakeSite) -> None:
    updates = "".join(
        f"\n## 2026-11-{day:02d} {hour:02d}:00 UTC — Update\nStill slow.\n"
        for day in range(1, 4)
        for hour in range(20)
    )
    site = make_site({"content/incidents/2026-11-01-slow.md": "---\ntitle: Slow\n---\n" + updates})
    out = build(site)
    atom = read(out, "feed.atom")
    assert len(atom.entries) == 50
    assert atom.entries[0].id == tag("incidents/2026-11-01-slow/", "2026-11-03T19:00:00Z")
    assert len(read(out, "feed.rss").entries) == 50
    assert len(read(out, "incidents/2026-11-01-slow/feed.atom").entries) == 60


def test_each_post_has_a_feed_of_all_its_updates(out: Path) -> None:
    for path, title in [
        (LOGIN, "Login failures – Example Status"),
        (QUEUE, "Slow queue & <jobs> – Example Status"),
        (UPGRADE, "Database upgrade – Example Status"),
    ]:
        feed = read(out, f"{path}feed.atom")
        assert feed.feed.title == title
        assert feed.feed.link == f"{BASE}{path}"
        assert [e.id for e in feed.entries] == [
            i for i, (page, _, _) in zip(IDS, UPDATES, strict=True) if page == path
        ]


def test_appending_an_update_adds_exactly_one_entry(site: Path) -> None:
    out = build(site)
    before = {path: [e.id for e in read(out, path).entries] for path in feeds_in(out)}
    config = load_site_config(site)
    target = find_post(site, "login-failures")
    append_update(site, target, "Postmortem", "What happened.", config, NOW)
    build(site)
    after = {path: [e.id for e in read(out, path).entries] for path in feeds_in(out)}
    new_id = tag(LOGIN, "2026-12-10T00:00:00Z")
    assert after["feed.atom"] == [new_id, *before["feed.atom"]]
    assert after["feed.rss"] == [new_id, *before["feed.rss"]]
    assert after[f"{LOGIN}feed.atom"] == [new_id, *before[f"{LOGIN}feed.atom"]]
    assert after[f"{QUEUE}feed.atom"] == before[f"{QUEUE}feed.atom"]
    assert read(out, "feed.atom").entries[0].title == "Postmortem: Login failures"


def test_base_url_option_keeps_entry_ids(site: Path) -> None:
    out = build(site, base_url="https://example.org/status")
    feed = read(out, "feed.atom")
    assert [e.id for e in feed.entries] == IDS
    assert feed.entries[0].link == f"https://example.org/status/{UPGRADE}#update-20261206T031000Z"
    check_atom(out, "feed.atom", base="https://example.org/status/")
    check_rss(out, "feed.rss", base="https://example.org/status/")


def test_id_host_names_the_entry_ids(make_site: MakeSite) -> None:
    site = make_site(FILES, site_yaml=SITE_YAML + "id_host: old.example.net\n")
    out = build(site)
    assert read(out, "feed.atom").entries[-1].id == (
        "tag:old.example.net,2026-11-29:incidents/2026-11-29-login-failures/2026-11-29T09:05:00Z"
    )


# --- the feeds one at a time ---------------------------------------------------------------

# Two updates at one moment in two incidents: only their ids order them.
SAME_TIME = """\
---
title: Queue backlog
components: [Queue, API]
---
## 2026-11-29 10:40 UTC — Investigating
Jobs pile up; see [the login incident](../2026-11-29-login-failures/).

## 2026-12-02 08:00 UTC — Resolved
Drained.
"""


def loaded(site_dir: Path) -> Site:
    site, _ = load_site(site_dir, NOW, False)
    assert site is not None
    return site


def test_a_posts_feed_alone_is_the_one_the_build_writes(make_site: MakeSite) -> None:
    hub = "notify:\n  websub_hub: https://hub.example.net/\n"
    site = loaded(
        make_site(
            {**FILES, "content/incidents/2026-11-28-backlog.md": SAME_TIME},
            site_yaml=SITE_YAML + hub,
        )
    )
    feeds = render_feeds(site, MarkdownRenderer())
    posts = (*site.incidents, *site.maintenance)
    for post in posts:
        assert render_post_feeds(site, post, MarkdownRenderer()) == {
            f"{post.url}feed.atom": feeds[f"{post.url}feed.atom"]
        }
    # One writer for feed after feed, in any order: nothing of one feed is left in the next.
    writer = FeedWriter(site.config, MarkdownRenderer())
    for post in sorted(posts, key=lambda p: len(p.updates), reverse=True):
        path = f"{post.url}feed.atom"
        assert render_post_feeds(site, post, MarkdownRenderer(), writer) == {path: feeds[path]}
    assert render_site_feeds(site, MarkdownRenderer(), writer).items() <= feeds.items()
    assert b'<link href="https://hub.example.net/" rel="hub"/>' in feeds[f"{LOGIN}feed.atom"]


def test_latest_entries_are_the_first_of_all_entries(make_site: MakeSite) -> None:
    site = loaded(make_site({**FILES, "content/incidents/2026-11-28-backlog.md": SAME_TIME}))
    posts = (*site.incidents, *site.maintenance)
    every = entries_of(posts)
    assert [e.update.when for e in every].count(utc("2026-11-29T10:40:00Z")) == 2
    for count in range(1, len(every) + 2):
        assert latest_entries(posts, count) == every[:count]


def test_latest_entries_of_many_interleaved_posts_are_the_first_of_all_entries() -> None:
    # Posts whose updates interleave in time, with shared times and posts without updates:
    # the latest entries are found among the posts with the latest last updates only.
    rng = random.Random(5)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    posts = []
    for number in range(60):
        times = sorted(rng.sample(range(200), rng.randrange(0, 6)))
        slug = f"2026-01-01-post-{number:02}"
        updates = tuple(
            Update(start + timedelta(hours=t), "Update", "investigating", "", 1, f"{slug}/{t}", "")
            for t in times
        )
        posts.append(Incident("incidents", slug, slug, slug, (), False, "", updates))
    every = entries_of(posts)
    assert len({e.update.when for e in every}) < len(every)  # some share their time
    for count in (1, 2, 5, 17, 50, len(every), len(every) + 3):
        assert latest_entries(posts, count) == every[:count]


def test_component_feeds_hold_the_latest_updates_of_the_posts_naming_them(
    make_site: MakeSite,
) -> None:
    site_yaml = SITE_YAML + "feed:\n  entries: 3\n"
    files = {**FILES, "content/incidents/2026-11-28-backlog.md": SAME_TIME}
    site = loaded(make_site(files, site_yaml=site_yaml))
    feeds = render_feeds(site, MarkdownRenderer())
    for component in site.config.components:
        feed = feedparser.parse(feeds[f"{component.url}feed.atom"])
        wanted = entries_of(incidents_affecting(site, component.name))[:3]
        assert [e.id for e in feed.entries] == [e.update.id for e in wanted], component.name
    api = feedparser.parse(feeds["components/api/feed.atom"])
    assert [e.id for e in api.entries] == [
        tag(UPGRADE, "2026-12-06T03:10:00Z"),
        tag(UPGRADE, "2026-12-06T02:00:00Z"),
        tag("incidents/2026-11-28-backlog/", "2026-12-02T08:00:00Z"),
    ]


# --- what a validator checks -----------------------------------------------------------------


def test_every_feed_follows_the_validator_rules(out: Path) -> None:
    paths = feeds_in(out)
    components = [f"components/{slug}/" for slug in ("api", "queue", "scheduler", "web-app")]
    posts = (LOGIN, QUEUE, UPGRADE)
    assert paths == sorted(
        ["feed.atom", "feed.rss", *(f"{p}feed.atom" for p in (*components, *posts))]
    )
    for path in paths:
        if path.endswith(".rss"):
            check_rss(out, path, BASE)
        else:
            check_atom(out, path, BASE)


def test_update_without_a_message_keeps_the_feeds_valid(make_site: MakeSite) -> None:
    quiet = INCIDENT.replace("Logins work again.\n", "")
    out = build(make_site({"content/incidents/2026-11-29-login-failures.md": quiet}))
    check_rss(out, "feed.rss", BASE)
    check_atom(out, "feed.atom", BASE)
    assert read(out, "feed.atom").entries[0].title == "Resolved: Login failures"


def test_validator_rules_catch_a_wrong_self_link(out: Path) -> None:
    rss = out / "feed.rss"
    rss.write_bytes(rss.read_bytes().replace(b"feed.rss", b"feed.atom"))
    with pytest.raises(AssertionError):
        check_rss(out, "feed.rss", BASE)
    atom = out / "feed.atom"
    atom.write_bytes(atom.read_bytes().replace(b"2026-12-06T03:10:00+00:00", b"6 Dec 2026 03:10"))
    with pytest.raises(AssertionError):
        check_atom(out, "feed.atom", BASE)


# --- exact bytes -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["feed.atom", "feed.rss"])
def test_feed_matches_golden_file(out: Path, name: str, update_golden: bool) -> None:
    golden = GOLDEN / name
    data = (out / name).read_bytes()
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(data)
    assert data == golden.read_bytes()


@pytest.mark.parametrize(
    "text",
    [
        'Write `<a href="../x/">` to link it.',
        'Write `<img alt="chart" src="chart.png">` to show it.',
        'The field reads href="../x/" in the log.',
        '```\n<a href="../x/">old</a>\n```',
    ],
)
def test_only_real_links_are_made_absolute_never_what_text_shows(text: str) -> None:
    page = f"{BASE}incidents/p/"
    html = MarkdownRenderer().render(f"{text}\n\nSee [the fix](../y/) and ![a > b](c.png).")
    assert _absolute_links(html, page) == html.replace(
        'href="../y/"', f'href="{BASE}incidents/y/"'
    ).replace('src="c.png"', f'src="{page}c.png"')
    assert 'href="../y/"' in html and 'src="c.png"' in html  # what was replaced was there
