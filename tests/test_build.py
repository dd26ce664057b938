"""`outpost build` end to end: the pages, their links, drafts, determinism and the atomic swap."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from checks import broken_links, page
from conftest import INCIDENT, MAINTENANCE, SITE_YAML, MakeSite, run_outpost

from generator.build import build_site
from generator.output import TreeWriter
from generator.outputs.markup import MarkdownRenderer
from generator.outputs.pages import rebase_links
from generator.theme import fingerprint

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://status.example.com/"
BERLIN_YAML = SITE_YAML.replace("timezone: UTC", "timezone: Europe/Berlin")
NOW = "2026-12-10 00:00 UTC"

OPEN_INCIDENT = """\
---
title: Slow queue
impact: minor
components:
  Queue: partial_outage
---
## 2026-12-02 08:00 UTC — Investigating
Jobs wait longer than usual.

## 2026-12-02 08:30 UTC — Update
### Details
Only jobs with attachments are slow.
"""

OLD_INCIDENT = """\
---
title: Search outage
impact: critical
components: [Web app]
---
## 2026-10-04 07:00 UTC — Investigating
Search returns no results.

## 2026-10-04 07:45 UTC — Resolved
Search works again. It was not related to the [login failures](../2026-11-29-login-failures/#update-20261129T104000Z).
"""

DRAFT = """\
---
title: Secret draft
draft: true
---
## 2026-12-03 12:00 UTC — Investigating
Not for publication yet.
"""

FILES: dict[str, str | bytes] = {
    "content/incidents/2026-11-29-login-failures.md": INCIDENT,
    "content/incidents/2026-12-02-slow-queue.md": OPEN_INCIDENT,
    "content/incidents/2026-10-04-search-outage.md": OLD_INCIDENT,
    "content/incidents/2026-12-03-secret-draft.md": DRAFT,
    "content/maintenance/2026-12-06-db-upgrade.md": MAINTENANCE,
}

# The theme's static files are copied as they are; the theme may gain some (a favicon, say).
STATIC_DIR = ROOT / "themes/default/static"
STATIC_FILES = {
    p.relative_to(STATIC_DIR).as_posix(): p.read_bytes()
    for p in STATIC_DIR.rglob("*")
    if p.is_file()
}
STATIC = sorted(f"static/{name}" for name in STATIC_FILES)
# ... and again in assets/HASH/, named by their content, for the pages to link.
ASSETS = sorted(fingerprint(STATIC_FILES).values())
COMPONENTS = ["api", "web-app", "scheduler", "queue"]  # from conftest.SITE_YAML
COMPONENT_FILES = [
    f"components/{slug}/{name}"
    for slug in COMPONENTS
    for name in ("badge.svg", "feed.atom", "index.html")
]
API_FILES = [
    f"api/v2/{name}.json"
    for name in (
        "components",
        "incidents",
        "incidents/unresolved",
        "scheduled-maintenances",
        "scheduled-maintenances/active",
        "scheduled-maintenances/upcoming",
        "status",
        "summary",
    )
]
EXPECTED_FILES = [
    "404.html",
    *API_FILES,
    "badge.svg",
    "feed.json",
    "maintenance.ics",
    *COMPONENT_FILES,
    "feed.atom",
    "feed.rss",
    "history/2026/10/index.html",
    "history/2026/11/index.html",
    "history/2026/12/index.html",
    "history/index.html",
    "incidents/2026-10-04-search-outage/feed.atom",
    "incidents/2026-10-04-search-outage/index.html",
    "incidents/2026-11-29-login-failures/feed.atom",
    "incidents/2026-11-29-login-failures/index.html",
    "incidents/2026-12-02-slow-queue/feed.atom",
    "incidents/2026-12-02-slow-queue/index.html",
    "index.html",
    "maintenance/2026-12-06-db-upgrade/feed.atom",
    "maintenance/2026-12-06-db-upgrade/index.html",
    "robots.txt",
    "sitemap.xml",
    *STATIC,
    *ASSETS,
    "_headers",
]
EXPECTED_FILES.sort()


# --- helpers ---------------------------------------------------------------------------------


def outpost(
    *args: str | Path, cwd: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """run_outpost with this checkout importable and no build time from the caller's environment."""
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    environ["PYTHONPATH"] = str(ROOT)
    return run_outpost(*args, cwd=cwd, stdin=stdin, env={**environ, **env})


def build(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`outpost build ARGS` in SITE; fails the test unless it succeeds."""
    result = outpost("build", *args, cwd=site, **env)
    assert result.returncode == 0, result.stderr
    return result


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under FOLDER by its relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def text(element: lxml.html.HtmlElement) -> str:
    """The element's text as a browser shows it, whitespace collapsed."""
    return " ".join(element.text_content().split())


def texts(doc: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [text(e) for e in doc.xpath(xpath)]


def facts(doc: lxml.html.HtmlElement) -> dict[str, str]:
    """The `<dl class="facts">` of a post page: term → description."""
    return {
        text(div.find("dt")): text(div.find("dd")) for div in doc.xpath("//dl[@class='facts']/div")
    }


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(FILES, site_yaml=BERLIN_YAML)


@pytest.fixture
def out(site: Path) -> Path:
    build(site, "--now", NOW)
    return site / "public"


# --- what a build writes ---------------------------------------------------------------------


def test_build_writes_every_page_feed_and_file(site: Path) -> None:
    result = build(site, "--now", NOW)
    assert sorted(tree(site / "public")) == EXPECTED_FILES
    assert result.stderr == ""
    others = len(API_FILES) + 3 + len(COMPONENTS) + len(STATIC) + len(ASSETS) + 1
    assert re.fullmatch(
        rf"built 14 pages, 12 feeds and {others} other files into public/ in \d+\.\d\d s\n",
        result.stdout,
    )


def test_build_into_a_folder_given_with_out(site: Path, tmp_path: Path) -> None:
    result = build(site, "--out", tmp_path / "web" / "status", "--now", NOW)
    assert sorted(tree(tmp_path / "web" / "status")) == EXPECTED_FILES
    assert result.stdout.startswith("built 14 pages, 12 feeds and ")
    assert f" other files into {tmp_path}/web/status/ in " in result.stdout
    assert not (site / "public").exists()


def test_incident_page_shows_the_whole_incident(out: Path) -> None:
    doc = page(out, "incidents/2026-11-29-login-failures/index.html")
    assert text(doc.find(".//title")) == "Login failures – Example Status"
    assert texts(doc, "//h1") == ["Login failures"]
    assert facts(doc) == {
        "Status": "Resolved",
        "Impact": "Major impact",
        "Affects": "API",
        "Began": "29 November 2026, 10:05 CET",
        "Resolved": "29 November 2026, 12:30 CET",
        "Duration": "2 h 25 min",
    }
    assert texts(doc, "//section[contains(@class, 'preamble')]") == [
        "Some customers cannot log in."
    ]
    updates = doc.xpath("//ol[@class='updates']/li")
    assert [u.get("id") for u in updates] == [
        "update-20261129T113000Z",
        "update-20261129T104000Z",
        "update-20261129T090500Z",
    ]
    assert [text(u.find("h3")) for u in updates] == [
        "Resolved 29 November 2026, 12:30 CET",
        "Identified 29 November 2026, 11:40 CET",
        "Investigating 29 November 2026, 10:05 CET",
    ]
    assert [u.find("h3/a").get("href") for u in updates] == [f"#{u.get('id')}" for u in updates]
    assert [u.xpath(".//time/@datetime")[0] for u in updates] == [
        "2026-11-29T11:30:00Z",
        "2026-11-29T10:40:00Z",
        "2026-11-29T09:05:00Z",
    ]
    assert [text(u.find("div")) for u in updates] == [
        "Logins work again.",
        "A bad deploy. Rolling back.",
        "We are looking into it.",
    ]


def test_open_incident_page_has_no_resolution(out: Path) -> None:
    doc = page(out, "incidents/2026-12-02-slow-queue/index.html")
    assert facts(doc) == {
        "Status": "Investigating",
        "Impact": "Minor impact",
        "Affects": "Queue",
        "Began": "2 December 2026, 09:00 CET",
    }
    first = doc.xpath("//ol[@class='updates']/li")[0]
    assert text(first.find("h3")) == "Update 2 December 2026, 09:30 CET"
    # `###` inside an update sits below the update's own h3.
    assert texts(first, ".//h4") == ["Details"]


def test_time_zone_without_an_abbreviation_is_named_by_its_offset(make_site: MakeSite) -> None:
    site = make_site(
        {"content/incidents/2026-11-29-login-failures.md": INCIDENT},
        site_yaml=SITE_YAML.replace("timezone: UTC", "timezone: America/Sao_Paulo"),
    )
    build(site, "--now", NOW)
    doc = page(site / "public", "incidents/2026-11-29-login-failures/index.html")
    assert facts(doc)["Began"] == "29 November 2026, 06:05 UTC-03"


def test_maintenance_page(out: Path) -> None:
    doc = page(out, "maintenance/2026-12-06-db-upgrade/index.html")
    assert texts(doc, "//h1") == ["Database upgrade"]
    assert facts(doc) == {
        "Status": "Completed",
        "Scheduled": "6 December 2026, 03:00 CET to 6 December 2026, 05:00 CET",
        "Affects": "API",
    }
    assert texts(doc, "//ol[@class='updates']/li/h3") == [
        "Completed 6 December 2026, 04:10 CET",
        "In progress 6 December 2026, 03:00 CET",
    ]


def test_index_shows_open_incidents_and_recent_resolved(out: Path) -> None:
    doc = page(out, "index.html")
    # The open incident puts the Queue in partial outage.
    assert texts(doc, "//h1") == ["Partial System Outage"]
    assert texts(doc, "//section[@aria-labelledby='active']//h3") == ["Slow queue"]
    assert texts(doc, "//section[@aria-labelledby='recent']//li/a") == [
        "Login failures",
        "Search outage",
    ]
    assert "Secret draft" not in text(doc)


def test_history_lists_months_and_each_month_its_posts(out: Path) -> None:
    history = page(out, "history/index.html")
    assert texts(history, "//ul[@class='months']/li") == [
        "December 2026 1 incident, 1 maintenance window",
        "November 2026 1 incident",
        "October 2026 1 incident",
    ]
    assert history.xpath("//ul[@class='months']/li/a/@href") == [
        "../history/2026/12/",
        "../history/2026/11/",
        "../history/2026/10/",
    ]
    december = page(out, "history/2026/12/index.html")
    assert texts(december, "//h1") == ["December 2026"]
    assert texts(december, "//ul[@class='post-list']/li/a") == ["Slow queue", "Database upgrade"]
    assert texts(december, "//nav[@class='pager']/a") == ["All months", "Older: November 2026"]


def test_404_page_links_absolutely(out: Path) -> None:
    doc = page(out, "404.html")
    assert texts(doc, "//h1") == ["Page not found"]
    links = [link for _e, _a, link, _p in doc.iterlinks() if not link.startswith("#")]
    assert links
    assert all(link.startswith(BASE) for link in links), links
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]


def test_sitemap_and_robots_use_absolute_urls(out: Path) -> None:
    robots = (out / "robots.txt").read_text()
    assert robots == f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n"
    sitemap = lxml.etree.fromstring((out / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = sitemap.xpath("//s:loc/text()", namespaces=ns)
    assert sorted(locations) == sorted(
        BASE + path.removesuffix("index.html")
        for path in EXPECTED_FILES
        if path.endswith(".html") and path != "404.html"
    )
    lastmod = sitemap.xpath(
        "//s:url[s:loc='{}']/s:lastmod/text()".format(
            BASE + "incidents/2026-11-29-login-failures/"
        ),
        namespaces=ns,
    )
    assert lastmod == ["2026-11-29T11:30:00Z"]


def test_theme_static_files_are_copied(out: Path) -> None:
    assert "static/style.css" in STATIC
    for path in STATIC:
        assert (out / path).read_bytes() == (ROOT / "themes/default" / path).read_bytes()
    (folder,) = {path.rsplit("/", 1)[0] for path in ASSETS}
    assert re.fullmatch(r"assets/[0-9a-f]{10}", folder)
    for name, data in STATIC_FILES.items():
        assert (out / folder / name).read_bytes() == data


# --- links -----------------------------------------------------------------------------------


def test_every_page_links_the_feeds_for_autodiscovery(out: Path) -> None:
    for path in EXPECTED_FILES:
        if path.endswith(".html"):
            doc = page(out, path)
            atom = doc.xpath("//head/link[@rel='alternate'][@type='application/atom+xml']/@href")
            rss = doc.xpath("//head/link[@rel='alternate'][@type='application/rss+xml']/@href")
            root = BASE if path == "404.html" else "../" * path.count("/")
            assert atom[0] == f"{root}feed.atom", path
            assert rss == [f"{root}feed.rss"], path


def test_post_pages_link_their_own_feed(out: Path) -> None:
    doc = page(out, "incidents/2026-11-29-login-failures/index.html")
    assert doc.xpath("//head/link[@type='application/atom+xml']/@href") == [
        "../../feed.atom",
        "../../incidents/2026-11-29-login-failures/feed.atom",
    ]


def test_every_relative_link_reaches_a_file_and_fragment(out: Path) -> None:
    assert broken_links(out) == []


def test_link_checker_finds_a_broken_link(out: Path) -> None:
    (out / "history/2026/11/index.html").unlink()
    (out / "incidents/2026-11-29-login-failures/index.html").write_text(
        '<a href="#nowhere">x</a>', encoding="utf-8"
    )
    assert "history/index.html: ../history/2026/11/" in broken_links(out)
    assert (
        "incidents/2026-10-04-search-outage/index.html: "
        "../2026-11-29-login-failures/#update-20261129T104000Z (no such id)"
    ) in broken_links(out)


def test_relative_links_in_an_open_incident_work_on_the_index(site: Path) -> None:
    with (site / "content/incidents/2026-12-02-slow-queue.md").open("a") as file:
        file.write("See the [earlier incident](../2026-11-29-login-failures/#updates).\n")
    build(site, "--now", NOW)
    assert broken_links(site / "public") == []


@pytest.mark.parametrize(
    ("link", "on_index", "on_month_page"),
    [
        (
            "../2026-11-29-login-failures/",
            "incidents/2026-11-29-login-failures/",
            "../../../incidents/2026-11-29-login-failures/",
        ),
        ("../../feed.atom", "feed.atom", "../../../feed.atom"),
        ("feed.atom#top", "incidents/x/feed.atom#top", "../../../incidents/x/feed.atom#top"),
        ("#update-1", "incidents/x/#update-1", "../../../incidents/x/#update-1"),
        ("../", "incidents/", "../../../incidents/"),
        ("https://example.org/a", "https://example.org/a", "https://example.org/a"),
        ("/a", "/a", "/a"),
        ("mailto:ops@example.com", "mailto:ops@example.com", "mailto:ops@example.com"),
    ],
)
def test_rebase_links_moves_relative_links_to_another_page(
    link: str, on_index: str, on_month_page: str
) -> None:
    html = f'<p><a href="{link}">x</a> <img src="{link}"></p>'
    assert rebase_links(html, "incidents/x/", "incidents/x/index.html") == html
    assert rebase_links(html, "incidents/x/", "index.html") == html.replace(link, on_index)
    assert rebase_links(html, "incidents/x/", "history/2026/12/index.html") == html.replace(
        link, on_month_page
    )


def test_rebase_links_moves_links_never_what_text_shows() -> None:
    html = MarkdownRenderer().render(
        'Write `<a href="../x/">` to link it; the log reads src="a.png".\n\n'
        "See [the fix](../y/) and ![a > b](c.png)."
    )
    moved = rebase_links(html, "incidents/x/", "index.html")
    assert moved == html.replace('href="../y/"', 'href="incidents/y/"').replace(
        'src="c.png"', 'src="incidents/x/c.png"'
    )
    assert 'href="../y/"' in html and 'src="c.png"' in html  # what was replaced was there


def test_ids_are_unique_on_every_page(out: Path) -> None:
    for path in EXPECTED_FILES:
        if path.endswith(".html"):
            ids = page(out, path).xpath("//@id")
            assert len(ids) == len(set(ids)), path


def test_base_url_appears_only_where_absolute_urls_belong(out: Path) -> None:
    holding = sorted(path for path, data in tree(out).items() if BASE.encode() in data)
    assert [p for p in holding if not p.endswith("index.html")] == [
        "404.html",
        "api/v2/incidents.json",
        "api/v2/incidents/unresolved.json",
        "api/v2/scheduled-maintenances.json",
        "api/v2/summary.json",
        *(f"components/{slug}/feed.atom" for slug in sorted(COMPONENTS)),
        "feed.atom",
        "feed.json",
        "feed.rss",
        "incidents/2026-10-04-search-outage/feed.atom",
        "incidents/2026-11-29-login-failures/feed.atom",
        "incidents/2026-12-02-slow-queue/feed.atom",
        "maintenance.ics",
        "maintenance/2026-12-06-db-upgrade/feed.atom",
        "robots.txt",
        "sitemap.xml",
    ]
    for path in EXPECTED_FILES:
        if path.endswith("index.html"):
            html = (out / path).read_text(encoding="utf-8")
            canonical = page(out, path).xpath("//link[@rel='canonical']/@href")
            assert canonical == [BASE + path.removesuffix("index.html")]
            assert html.count(BASE) == 1, path


def test_base_url_option_moves_links_but_not_feed_ids(site: Path) -> None:
    build(site, "--now", NOW)
    before = (site / "public/feed.atom").read_text()
    build(site, "--now", NOW, "--base-url", "https://example.org/status")
    out = site / "public"
    moved = "https://example.org/status/"
    assert page(out, "index.html").xpath("//link[@rel='canonical']/@href") == [moved]
    assert (out / "robots.txt").read_text().endswith(f"Sitemap: {moved}sitemap.xml\n")
    assert page(out, "404.html").xpath("//h1/following-sibling::p/a/@href") == [
        moved,
        f"{moved}history/",
    ]
    ids = re.compile(r"<id>(tag:[^<]*)</id>")
    after = (out / "feed.atom").read_text()
    assert ids.findall(after) == ids.findall(before)
    assert ids.findall(after)[0].startswith("tag:status.example.com,")
    assert BASE not in after.replace("tag:status.example.com", "")
    assert broken_links(out) == []


def test_bad_base_url_option_is_a_usage_error(site: Path) -> None:
    result = outpost("build", "--base-url", "status.example.org", cwd=site)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "outpost build: error: --base-url: must be an absolute http or https URL;"
        " got 'status.example.org'\n"
    )


# --- drafts ----------------------------------------------------------------------------------


def test_drafts_are_left_out(out: Path) -> None:
    assert not (out / "incidents/2026-12-03-secret-draft").exists()
    for path, data in tree(out).items():
        assert b"Secret draft" not in data, path
        assert b"secret-draft" not in data, path


def test_drafts_option_builds_drafts(site: Path) -> None:
    build(site, "--now", NOW, "--drafts")
    out = site / "public"
    doc = page(out, "incidents/2026-12-03-secret-draft/index.html")
    assert texts(doc, "//h1") == ["Secret draft"]
    assert "Draft: not published" in text(doc)
    assert b"Investigating: Secret draft" in (out / "feed.atom").read_bytes()
    assert broken_links(out) == []


# --- determinism -----------------------------------------------------------------------------


def test_same_content_and_time_give_identical_trees(site: Path, tmp_path: Path) -> None:
    build(site, "--out", tmp_path / "a", "--now", NOW)
    build(site, "--out", tmp_path / "b", "--now", NOW)
    epoch = str(int(datetime(2026, 12, 10, tzinfo=UTC).timestamp()))
    build(site, "--out", tmp_path / "c", SOURCE_DATE_EPOCH=epoch)
    build(site, "--out", tmp_path / "d", SOURCE_DATE_EPOCH=epoch)
    assert tree(tmp_path / "a") == tree(tmp_path / "b") == tree(tmp_path / "c")
    assert tree(tmp_path / "c") == tree(tmp_path / "d")


def test_build_time_only_changes_the_state_of_maintenance_without_updates(
    site: Path, tmp_path: Path
) -> None:
    window = site / "content/maintenance/2026-12-06-db-upgrade.md"
    window.write_text(MAINTENANCE.split("\n## ")[0], encoding="utf-8")
    build(site, "--out", tmp_path / "before", "--now", "2026-12-05 00:00")
    build(site, "--out", tmp_path / "after", "--now", "2026-12-07 00:00")
    before, after = tree(tmp_path / "before"), tree(tmp_path / "after")
    changed = sorted(p for p in before if before[p] != after[p])
    # Besides the window's state (pages and the API), the build's day ends the uptime bars.
    assert [p for p in changed if not p.startswith("api/")] == [
        *(f"components/{slug}/index.html" for slug in sorted(COMPONENTS)),
        "history/2026/12/index.html",
        "index.html",
        "maintenance/2026-12-06-db-upgrade/index.html",
    ]
    assert texts(
        page(tmp_path / "before", "index.html"), "//article[@class='card maintenance']//h3"
    ) == ["Database upgrade"]
    assert (
        facts(page(tmp_path / "after", "maintenance/2026-12-06-db-upgrade/index.html"))["Status"]
        == "Completed"
    )


def test_no_build_time_is_written(make_site: MakeSite, tmp_path: Path) -> None:
    # Components are left out: their uptime bars are the last 90 days before the build.
    without_components = SITE_YAML.split("components:")[0]
    open_incident = OPEN_INCIDENT.replace("components:\n  Queue: partial_outage\n", "")
    site = make_site(
        {
            "content/incidents/2026-11-29-login-failures.md": INCIDENT.replace("[API]", "[]"),
            "content/incidents/2026-12-02-slow-queue.md": open_incident,
        },
        site_yaml=without_components,
    )
    build(site, "--out", tmp_path / "clock")  # the real clock
    build(site, "--out", tmp_path / "2031", "--now", "2031-05-17 13:47:29")
    build(site, "--out", tmp_path / "2040", SOURCE_DATE_EPOCH="2208988800")
    clock = tree(tmp_path / "clock")
    assert clock == tree(tmp_path / "2031") == tree(tmp_path / "2040")
    for path, data in clock.items():
        assert b"2031" not in data, path
        assert b"13:47" not in data, path


def test_bad_build_times_are_usage_errors(site: Path) -> None:
    result = outpost("build", "--now", "yesterday", cwd=site)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(
        "outpost build: error: --now: cannot read timestamp 'yesterday'"
    )
    result = outpost("build", cwd=site, SOURCE_DATE_EPOCH="soon")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "outpost build: error: SOURCE_DATE_EPOCH must be whole seconds; got 'soon'\n"
    )
    assert not (site / "public").exists()


# --- atomicity -------------------------------------------------------------------------------


def break_content(site: Path) -> None:
    path = site / "content/incidents/2026-11-29-login-failures.md"
    path.write_text(INCIDENT.replace("impact: major", "impact: huge"), encoding="utf-8")


def test_build_with_an_error_writes_nothing(site: Path, out: Path) -> None:
    (out / "CNAME").write_text("status.example.com\n")
    before = tree(out)
    break_content(site)
    result = outpost("build", "--now", NOW, cwd=site)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "content/incidents/2026-11-29-login-failures.md:3: error: "
        "impact must be one of none, minor, major, critical; got 'huge'",
        "1 error; nothing written",
    ]
    assert tree(out) == before
    # The cache is the earlier good build's: the failed one left the folder as it was.
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]


def test_first_build_with_an_error_creates_no_output(site: Path) -> None:
    break_content(site)
    assert outpost("build", cwd=site).returncode == 1
    assert not (site / "public").exists()


def test_new_build_replaces_the_output_whole(site: Path, out: Path) -> None:
    (out / "CNAME").write_text("status.example.com\n")
    (site / "content/incidents/2026-10-04-search-outage.md").unlink()
    build(site, "--now", NOW)
    assert sorted(tree(out)) == [
        p for p in EXPECTED_FILES if "search-outage" not in p and "2026/10" not in p
    ]
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]


@pytest.mark.parametrize("interruption", [OSError, KeyboardInterrupt])
def test_interrupted_build_leaves_the_old_output(
    site: Path, out: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
) -> None:
    before = tree(out)
    (site / "content/incidents/2026-10-04-search-outage.md").unlink()
    written: list[str] = []
    put = TreeWriter.put

    def put_some(self: TreeWriter, path: str, data: bytes, digest: str) -> None:
        if len(written) == 5:
            raise interruption()
        written.append(path)
        put(self, path, data, digest)

    monkeypatch.setattr(TreeWriter, "put", put_some)
    with pytest.raises(interruption):
        build_site(site, out, datetime(2026, 12, 10, tzinfo=UTC))
    monkeypatch.undo()
    assert len(written) == 5
    assert tree(out) == before
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]


def test_failed_swap_puts_the_old_output_back(
    site: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(out)
    rename = Path.rename

    def rename_but_not_into_place(self: Path, target: Path) -> Path:
        if Path(target) == out and self.name.startswith(".outpost-new-"):
            raise PermissionError(13, "Permission denied")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", rename_but_not_into_place)
    with pytest.raises(PermissionError):
        build_site(site, out, datetime(2026, 12, 10, tzinfo=UTC))
    monkeypatch.undo()
    assert tree(out) == before
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]


def test_leftovers_of_a_killed_build_are_cleaned_up(site: Path, out: Path) -> None:
    staging = site / ".outpost-new-public-abc123"
    (staging / "incidents").mkdir(parents=True)
    (staging / "index.html").write_text("half a build")
    build(site, "--now", NOW)
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]
    assert sorted(tree(out)) == EXPECTED_FILES


def test_build_killed_mid_swap_is_undone(site: Path, out: Path) -> None:
    out.rename(site / ".outpost-old-public-4242")  # the old tree moved aside, the new one lost
    (site / "content/incidents/2026-10-04-search-outage.md").unlink()
    build(site, "--now", NOW)
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]
    assert "incidents/2026-10-04-search-outage/index.html" not in tree(out)


@pytest.mark.parametrize("folder", [".", "..", "content", "content/incidents/public", "themes/x"])
def test_output_folder_that_would_replace_the_site_is_refused(site: Path, folder: str) -> None:
    before = tree(site.parent)
    result = outpost("build", "--out", folder, cwd=site)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith(f"outpost build: error: the output folder {folder} ")
    assert tree(site.parent) == before


def test_output_folder_that_is_a_file_is_refused(site: Path) -> None:
    (site / "notes.txt").write_text("mine\n")
    result = outpost("build", "--out", "notes.txt", cwd=site)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "outpost build: error: the output folder notes.txt is a file: choose a folder\n"
    )
    assert (site / "notes.txt").read_text() == "mine\n"
    assert sorted(p.name for p in site.iterdir()) == ["content", "notes.txt", "site.yaml"]


def test_output_folder_that_cannot_be_made_is_an_error_not_a_traceback(site: Path) -> None:
    (site / "notes.txt").write_text("mine\n")
    result = outpost("build", "--out", "notes.txt/public", cwd=site)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"outpost build: error: {site / 'notes.txt'}: File exists\n"


def test_symlinked_output_folder_keeps_its_link(site: Path, tmp_path: Path) -> None:
    served = tmp_path / "www" / "status"
    served.mkdir(parents=True)
    (served / "stale.html").write_text("old")
    (site / "public").symlink_to(served, target_is_directory=True)
    build(site, "--now", NOW)
    assert (site / "public").is_symlink()
    assert sorted(tree(served)) == EXPECTED_FILES
    assert sorted(p.name for p in site.iterdir()) == [
        ".outpost-cache",
        "content",
        "public",
        "site.yaml",
    ]
    assert sorted(p.name for p in served.parent.iterdir()) == ["status"]
