"""Huge and odd sites build, and every output of theirs is well-formed and valid."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.etree
import lxml.html
import pytest
from checks import (
    ENDPOINTS,
    api_validator,
    check_atom,
    check_calendar,
    check_rss,
    events,
    nu_errors,
    validate_json_feed,
)
from conftest import write_files
from test_hostile import check_page

from generator.build import build_site

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BASE = "https://status.odd.example/"
TITLE = "Odd Status"
SITE_YAML = f"title: {TITLE}\nbase_url: {BASE}\ntimezone: Europe/Berlin\n"
ATOM = "{http://www.w3.org/2005/Atom}"
STATUSES = ("Investigating", "Identified", "Monitoring", "Update")
UPDATES = 500
ALONE, GROUPS, PER_GROUP = 100, 10, 10


def many_updates() -> str:
    """An incident with UPDATES updates, a minute apart, the last one resolving it."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    lines = ["---", "title: A very long incident", "impact: critical", "---", "It went on."]
    for index in range(UPDATES):
        when = start + timedelta(minutes=index)
        status = "Resolved" if index == UPDATES - 1 else STATUSES[index % len(STATUSES)]
        lines += ["", f"## {when:%Y-%m-%d %H:%M} UTC — {status}", f"Update number {index}."]
    return "\n".join(lines) + "\n"


def many_components() -> str:
    """site.yaml with ALONE components of their own and GROUPS groups of PER_GROUP."""
    lines = [SITE_YAML.rstrip("\n"), "components:"]
    lines += [f"  - name: Service {n:03d}" for n in range(ALONE)]
    for group in range(GROUPS):
        lines += [f"  - group: Region {group:02d}", "    components:"]
        lines += [f"      - name: Node {group:02d}-{n:02d}" for n in range(PER_GROUP)]
    return "\n".join(lines) + "\n"


def component_posts() -> dict[str, str | bytes]:
    affected = ", ".join(f"Service {n:03d}" for n in range(0, ALONE, 2))
    nodes = ", ".join(f"Node {g:02d}-00" for g in range(GROUPS))
    return {
        "content/incidents/2026-11-30-half.md": (
            f"---\ntitle: Half the services\ncomponents: [{affected}]\n---\n"
            "## 2026-11-30 08:00 UTC — Investigating\nLooking.\n"
        ),
        "content/maintenance/2026-12-01-nodes.md": (
            f"---\ntitle: Node upgrades\nstart: 2026-12-01 11:00 UTC\nend: 2026-12-01 14:00 UTC\n"
            f"components: [{nodes}]\n---\nOne node per region at a time.\n"
        ),
    }


DRAFTS: dict[str, str | bytes] = {
    "content/incidents/2026-11-30-draft.md": (
        "---\ntitle: Not yet\ndraft: true\n---\n## 2026-11-30 08:00 UTC — Investigating\nHush.\n"
    ),
    "content/incidents/2026-11-30-empty-draft.md": "---\ntitle: Not even begun\ndraft: true\n---\n",
    "content/maintenance/2026-12-09-draft.md": (
        "---\ntitle: Planned\nstart: 2026-12-09 02:00 UTC\nend: 2026-12-09 03:00 UTC\n"
        "draft: true\n---\n"
    ),
}

SITES: dict[str, tuple[str, dict[str, str | bytes]]] = {
    "500-updates": (SITE_YAML, {"content/incidents/2026-11-01-long.md": many_updates()}),
    "no-content-folder": (SITE_YAML, {}),
    "empty-content-folders": (
        SITE_YAML,
        {"content/incidents/.keep": "", "content/maintenance/.keep": ""},
    ),
    "only-drafts": (SITE_YAML, DRAFTS),
    "200-components": (many_components(), component_posts()),
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every odd site, built once for the tests of this module."""
    outs = {}
    for name, (site_yaml, files) in SITES.items():
        root = tmp_path_factory.mktemp(name)
        write_files(root / "site", {"site.yaml": site_yaml, **files})
        build_site(root / "site", root / "out", NOW)
        outs[name] = root / "out"
    return outs


def check_feed(out: Path, path: str) -> None:
    assert not feedparser.parse((out / path).read_bytes()).bozo, path
    if path.endswith(".rss"):
        check_rss(out, path, BASE)
    else:
        check_atom(out, path, BASE, TITLE)


def check_json(out: Path, path: str) -> None:
    document = json.loads((out / path).read_bytes())
    if path == "feed.json":
        validate_json_feed(document)
    elif path.startswith("api/v2/"):
        api_validator(path.removeprefix("api/v2/")).validate(document)


def check_html(out: Path, path: str) -> None:
    check_page((out / path).read_bytes())


def check_ics(out: Path, path: str) -> None:
    check_calendar((out / path).read_bytes())


def check_xml(out: Path, path: str) -> None:
    lxml.etree.fromstring((out / path).read_bytes())  # well-formed: sitemap and badges


CHECKS: dict[str, Callable[[Path, str], None]] = {
    ".html": check_html,
    ".atom": check_feed,
    ".rss": check_feed,
    ".json": check_json,
    ".ics": check_ics,
    ".svg": check_xml,
    ".xml": check_xml,
}


@pytest.mark.parametrize("name", SITES)
def test_every_output_of_an_odd_site_is_well_formed_and_valid(
    builds: dict[str, Path], name: str
) -> None:
    out = builds[name]
    paths = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    checked = 0
    for path in paths:
        suffix = Path(path).suffix
        if suffix in CHECKS:
            CHECKS[suffix](out, path)
            checked += 1
    assert {f"api/v2/{endpoint}" for endpoint in ENDPOINTS} <= set(paths)
    assert {"index.html", "feed.atom", "feed.rss", "feed.json", "maintenance.ics"} <= set(paths)
    # All but robots.txt, _headers and the theme's stylesheet (in static/ and in assets/).
    assert checked >= len(paths) - 4


# One of each kind of page and badge: the checker takes a minute over all 200 components.
SAMPLES = ("index.html", "history/index.html", "404.html", "incidents/*/index.html")
SAMPLES += ("components/service-000/index.html", "components/node-09-09/*", "badge.svg")


def test_every_kind_of_odd_page_passes_the_nu_html_checker(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    for name, out in builds.items():
        for pattern in SAMPLES:
            for path in out.glob(pattern):
                copy = tmp_path / name / path.relative_to(out)
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(path.read_bytes())
    assert len(list(tmp_path.rglob("*.html"))) > 15
    assert nu_errors(tmp_path) == []


def files_of(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def atom_ids(out: Path, path: str) -> list[str]:
    return (
        lxml.etree.parse(str(out / path))
        .getroot()
        .xpath("a:entry/a:id/text()", namespaces={"a": ATOM.strip("{}")})
    )


def test_an_incident_with_500_updates_shows_and_feeds_every_one(builds: dict[str, Path]) -> None:
    out = builds["500-updates"]
    page = lxml.html.parse(str(out / "incidents/2026-11-01-long/index.html"))
    shown = page.xpath("//*[starts-with(@id, 'update-')]/@id")
    assert len(shown) == len(set(shown)) == UPDATES
    assert page.xpath("string(//*[@id='update-20261101T000000Z'])").count("Update number 0.") == 1
    own = atom_ids(out, "incidents/2026-11-01-long/feed.atom")
    assert len(own) == len(set(own)) == UPDATES
    assert atom_ids(out, "feed.atom") == own[:50]
    assert len(json.loads((out / "feed.json").read_bytes())["items"]) == 50
    (incident,) = json.loads((out / "api/v2/incidents.json").read_bytes())["incidents"]
    assert len(incident["incident_updates"]) == UPDATES
    assert incident["status"] == "resolved"


@pytest.mark.parametrize("name", ["no-content-folder", "empty-content-folders", "only-drafts"])
def test_a_site_with_nothing_published_is_a_complete_quiet_site(
    builds: dict[str, Path], name: str
) -> None:
    out = builds[name]
    tree = files_of(out)
    assert tree == files_of(builds["no-content-folder"])
    assert atom_ids(out, "feed.atom") == []
    assert json.loads(tree["feed.json"])["items"] == []
    assert json.loads(tree["api/v2/status.json"])["status"]["indicator"] == "none"
    assert events(tree["maintenance.ics"]) == []
    assert not any(path.startswith(("incidents/", "maintenance/")) for path in tree)


def test_200_components_alone_and_in_groups_each_get_a_page_a_feed_and_a_badge(
    builds: dict[str, Path],
) -> None:
    out = builds["200-components"]
    total = ALONE + GROUPS * PER_GROUP
    for kind in ("index.html", "feed.atom", "badge.svg"):
        assert len(list(out.glob(f"components/*/{kind}"))) == total
    index = lxml.html.parse(str(out / "index.html"))
    text = index.xpath("string(//main)")
    assert all(f"Service {n:03d}" in text for n in range(ALONE))
    assert all(f"Node {g:02d}-{n:02d}" in text for g in range(GROUPS) for n in range(PER_GROUP))
    components = json.loads((out / "api/v2/components.json").read_bytes())["components"]
    assert len([c for c in components if not c["group"]]) == total
    assert len([c for c in components if c["group"]]) == GROUPS
    statuses = {c["name"]: c["status"] for c in components}
    assert statuses["Service 000"] == "degraded_performance"
    assert statuses["Service 001"] == "operational"
    assert statuses["Node 03-00"] == "under_maintenance"
    assert statuses["Node 03-01"] == "operational"
    assert len(atom_ids(out, "components/service-000/feed.atom")) == 1
    assert atom_ids(out, "components/service-001/feed.atom") == []
