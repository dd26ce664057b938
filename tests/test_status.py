"""Component and overall status, uptime bars and badges, for the combinations that matter."""

from __future__ import annotations

import pickle
import re
from dataclasses import fields
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import MakeSite

from generator.build import build_site
from generator.load import load_site
from generator.model import Site
from generator.uptime import component_uptime, incidents_affecting

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def incident(title: str, impact: str, components: str, *updates: str) -> str:
    heads = "\n\n".join(f"## {u}\nText." for u in updates)
    return f"---\ntitle: {title}\nimpact: {impact}\ncomponents: {components}\n---\n\n{heads}\n"


def window(start: str, end: str, components: str, *updates: str) -> str:
    heads = "\n\n".join(f"## {u}\nText." for u in updates)
    return (
        f"---\ntitle: Upgrade\nstart: {start}\nend: {end}\ncomponents: {components}\n---\n{heads}\n"
    )


def load(make_site: MakeSite, files: dict[str, str | bytes], now: datetime = NOW) -> Site:
    site, problems = load_site(make_site(files), now)
    assert site is not None, problems
    return site


def statuses(site: Site) -> dict[str, str]:
    return {c.name: site.component_status(c.name) for c in site.config.components}


OPEN_MINOR = incident("Slow API", "minor", "[API]", "2026-12-01 09:00 UTC — Investigating")
OPEN_MAJOR = incident(
    "Outage",
    "major",
    "{API: major_outage, Scheduler: partial_outage}",
    "2026-12-01 10:00 UTC — Identified",
)
RESOLVED = incident(
    "Old",
    "critical",
    "[Web app]",
    "2026-11-01 09:00 UTC — Investigating",
    "2026-11-01 10:00 UTC — Resolved",
)
REOPENED = incident(
    "Back again",
    "major",
    "[Web app]",
    "2026-11-30 09:00 UTC — Investigating",
    "2026-11-30 10:00 UTC — Resolved",
    "2026-11-30 11:00 UTC — Monitoring",
)
NOTICE = incident("Heads up", "none", "[Queue]", "2026-12-01 08:00 UTC — Update")
RUNNING = window("2026-12-01 11:00 UTC", "2026-12-01 13:00 UTC", "[Queue, API]")


def test_nothing_open_is_all_operational(make_site: MakeSite) -> None:
    site = load(make_site, {"content/incidents/a.md": RESOLVED})
    assert set(statuses(site).values()) == {"operational"}
    assert site.indicator == "none"


def test_overlapping_incidents_the_worst_wins(make_site: MakeSite) -> None:
    site = load(
        make_site, {"content/incidents/a.md": OPEN_MINOR, "content/incidents/b.md": OPEN_MAJOR}
    )
    assert statuses(site) == {
        "API": "major_outage",
        "Web app": "operational",
        "Scheduler": "partial_outage",
        "Queue": "operational",
    }
    assert site.group_status(site.config.groups[2]) == "partial_outage"
    # The worst component is down: a major outage is critical, whatever the incidents' impact.
    assert site.indicator == "critical"


def test_an_impact_maps_to_a_component_status(make_site: MakeSite) -> None:
    for impact, expected in [
        ("minor", "degraded_performance"),
        ("major", "partial_outage"),
        ("critical", "major_outage"),
    ]:
        text = OPEN_MINOR.replace("impact: minor", f"impact: {impact}")
        site = load(make_site, {"content/incidents/a.md": text})
        assert statuses(site)["API"] == expected
        assert site.indicator == impact


def test_a_reopened_incident_counts_again(make_site: MakeSite) -> None:
    site = load(make_site, {"content/incidents/a.md": REOPENED})
    assert statuses(site)["Web app"] == "partial_outage"
    assert site.indicator == "major"


def test_a_notice_changes_no_status(make_site: MakeSite) -> None:
    site = load(make_site, {"content/incidents/a.md": NOTICE})
    assert set(statuses(site).values()) == {"operational"}
    assert site.indicator == "none"
    assert [i.title for i in site.active_incidents] == ["Heads up"]


def test_running_maintenance_is_under_maintenance_unless_something_is_worse(
    make_site: MakeSite,
) -> None:
    site = load(make_site, {"content/maintenance/m.md": RUNNING})
    assert statuses(site) == {
        "API": "under_maintenance",
        "Web app": "operational",
        "Scheduler": "operational",
        "Queue": "under_maintenance",
    }
    assert site.indicator == "maintenance"
    site = load(
        make_site, {"content/maintenance/m.md": RUNNING, "content/incidents/a.md": OPEN_MINOR}
    )
    assert statuses(site)["API"] == "degraded_performance"
    assert statuses(site)["Queue"] == "under_maintenance"
    assert site.indicator == "minor"


def test_maintenance_before_and_after_its_window_changes_nothing(make_site: MakeSite) -> None:
    for now in (
        datetime(2026, 12, 1, 10, 59, tzinfo=UTC),
        datetime(2026, 12, 1, 13, 0, tzinfo=UTC),
    ):
        site = load(make_site, {"content/maintenance/m.md": RUNNING}, now)
        assert set(statuses(site).values()) == {"operational"}
        assert site.indicator == "none"


def test_uptime_counts_major_outages_fully_and_partial_ones_at_30_percent(
    make_site: MakeSite,
) -> None:
    files = {
        # 6 hours of major outage on API, 10 hours of partial outage on Scheduler.
        "content/incidents/a.md": incident(
            "A",
            "critical",
            "[API]",
            "2026-11-20 00:00 UTC — Investigating",
            "2026-11-20 06:00 UTC — Resolved",
        ),
        "content/incidents/b.md": incident(
            "B",
            "major",
            "[Scheduler]",
            "2026-11-21 00:00 UTC — Investigating",
            "2026-11-21 10:00 UTC — Resolved",
        ),
        "content/maintenance/m.md": RUNNING,
    }
    site = load(make_site, files)
    total = (89 * 24 + 12) * 3600  # from 3 September 00:00 to 1 December 12:00
    api = component_uptime(site, "API")
    assert api.percent == pytest.approx(100 * (1 - 6 * 3600 / total))
    assert api.shown_percent == "99.72%"
    scheduler = component_uptime(site, "Scheduler")
    assert scheduler.percent == pytest.approx(100 * (1 - 0.3 * 10 * 3600 / total))
    assert component_uptime(site, "Queue").shown_percent == "100.00%"  # maintenance is not down
    days = {d.day: d for d in api.days}
    assert len(api.days) == 90
    assert api.days[0].day == date(2026, 9, 3)
    assert api.days[-1].day == date(2026, 12, 1)
    assert days[date(2026, 11, 20)].status == "major_outage"
    assert [p.title for p in days[date(2026, 11, 20)].posts] == ["A"]
    assert days[date(2026, 11, 21)].status == "operational"
    assert days[date(2026, 12, 1)].status == "under_maintenance"


def test_uptime_days_are_the_sites_local_days(make_site: MakeSite) -> None:
    late = incident(
        "Late",
        "critical",
        "[API]",
        "2026-11-20 23:30 UTC — Investigating",
        "2026-11-20 23:45 UTC — Resolved",
    )
    site_yaml = Path(make_site().joinpath("site.yaml")).read_text()
    tokyo = site_yaml.replace("timezone: UTC", "timezone: Asia/Tokyo")
    site, problems = load_site(make_site({"content/incidents/a.md": late}, site_yaml=tokyo), NOW)
    assert site is not None, problems
    days = {d.day: d.status for d in component_uptime(site, "API").days}
    assert days[date(2026, 11, 21)] == "major_outage"  # 08:30 in Tokyo
    assert days[date(2026, 11, 20)] == "operational"


def test_uptime_counts_what_began_before_the_90_days_only_from_their_start(
    make_site: MakeSite,
) -> None:
    files: dict[str, str | bytes] = {
        # Began before the 90 days, resolved inside them: down from 3 September 00:00 to 06:00.
        "content/incidents/a.md": incident(
            "Long",
            "critical",
            "[API]",
            "2026-08-01 00:00 UTC — Investigating",
            "2026-09-03 06:00 UTC — Resolved",
        ),
        # Resolved the day before the 90 days: neither a day nor downtime.
        "content/incidents/b.md": incident(
            "Before",
            "critical",
            "[API]",
            "2026-09-01 00:00 UTC — Investigating",
            "2026-09-02 23:00 UTC — Resolved",
        ),
        # Began before the 90 days and still open: down for all of them.
        "content/incidents/c.md": incident(
            "Open", "major", "[Scheduler]", "2026-06-01 00:00 UTC — Investigating"
        ),
    }
    site = load(make_site, files)
    total = (89 * 24 + 12) * 3600
    api = component_uptime(site, "API")
    assert api.percent == pytest.approx(100 * (1 - 6 * 3600 / total))
    assert [(d.day, [p.title for p in d.posts]) for d in api.days if d.posts] == [
        (date(2026, 9, 3), ["Long"])
    ]
    scheduler = component_uptime(site, "Scheduler")
    assert scheduler.percent == pytest.approx(70.0)
    assert {d.status for d in scheduler.days} == {"partial_outage"}
    assert [i.title for i in incidents_affecting(site, "API")] == ["Before", "Long"]


def test_a_day_lists_incidents_newest_first_then_maintenance_soonest_first(
    make_site: MakeSite,
) -> None:
    def on_the_25th(title: str, hour: int) -> str:
        return incident(title, "minor", "[API]", f"2026-11-25 {hour:02}:00 UTC — Investigating")

    files: dict[str, str | bytes] = {
        "content/incidents/a.md": on_the_25th("Early", 1),
        "content/incidents/b.md": on_the_25th("Late", 5),
        "content/maintenance/m.md": window(
            "2026-11-25 03:00 UTC", "2026-11-25 04:00 UTC", "[API]"
        ).replace("Upgrade", "Later window"),
        "content/maintenance/n.md": window(
            "2026-11-25 00:00 UTC", "2026-11-25 02:00 UTC", "[API]"
        ).replace("Upgrade", "Earlier window"),
    }
    site = load(make_site, files)
    days = {d.day: d for d in component_uptime(site, "API").days}
    assert [p.title for p in days[date(2026, 11, 25)].posts] == [
        "Late",
        "Early",
        "Earlier window",
        "Later window",
    ]
    assert [p.title for p in incidents_affecting(site, "API")] == [
        "Late",
        "Later window",
        "Early",
        "Earlier window",
    ]


def test_a_pickled_site_keeps_no_cached_value_and_behaves_the_same(make_site: MakeSite) -> None:
    files: dict[str, str | bytes] = {
        "content/incidents/a.md": OPEN_MAJOR,
        "content/incidents/b.md": REOPENED,
        "content/incidents/c.md": RESOLVED,
        "content/maintenance/m.md": RUNNING,
    }
    site = load(make_site, files)

    def derived(site: Site) -> tuple[object, ...]:
        posts = [*site.incidents, *site.maintenance]
        return (
            statuses(site),
            site.indicator,
            site.last_updated,
            [i.slug for i in site.resolved_incidents],
            [(i.status, i.began, i.resolved_at, i.duration) for i in site.incidents],
            [p.component_names for p in posts],
            [[p.slug for p in incidents_affecting(site, c.name)] for c in site.config.components],
            [component_uptime(site, c.name) for c in site.config.components],
        )

    before = derived(site)  # fills every cache
    assert "resolved_at" in vars(site.incidents[0]) and "indicator" in vars(site)
    unpickled = pickle.loads(pickle.dumps(site))
    assert unpickled == site
    for value in (unpickled, *unpickled.incidents, *unpickled.maintenance):
        assert set(vars(value)) == {f.name for f in fields(value)}
    assert derived(unpickled) == before


def built(make_site: MakeSite, files: dict[str, str | bytes]) -> dict[str, bytes]:
    return build_site(make_site(files), None, NOW).files


def test_component_pages_feeds_and_badges_agree_with_the_status(make_site: MakeSite) -> None:
    files = built(
        make_site,
        {
            "content/incidents/a.md": OPEN_MINOR,
            "content/incidents/b.md": OPEN_MAJOR,
            "content/incidents/c.md": RESOLVED,
        },
    )
    page = files["components/api/index.html"].decode()
    assert '<span class="label component-major-outage">Major outage</span>' in page
    assert 'href="../../incidents/a/"' in page and 'href="../../incidents/b/"' in page
    assert "incidents/c/" not in page
    web = files["components/web-app/index.html"].decode()
    assert '<span class="label component-operational">Operational</span>' in web
    assert 'href="../../incidents/c/"' in web
    feed = files["components/api/feed.atom"].decode()
    assert feed.count("<entry>") == 2
    assert "incidents/c/" not in feed
    assert 'aria-label="API: major outage"' in files["components/api/badge.svg"].decode()
    assert 'fill="#cf222e"' in files["components/api/badge.svg"].decode()
    assert 'aria-label="status: major outage"' in files["badge.svg"].decode()
    assert 'aria-label="Queue: operational"' in files["components/queue/badge.svg"].decode()
    index = files["index.html"].decode()
    assert '<h1 id="overall">Major System Outage</h1>' in index
    # The group is open because one of its components is not operational.
    assert re.search(
        r"<details open>\s*<summary[^>]*><span class=\"component-name\">Publishing", index
    )


def test_a_postmortem_is_its_own_section(make_site: MakeSite) -> None:
    text = incident(
        "Old",
        "minor",
        "[API]",
        "2026-11-01 09:00 UTC — Investigating",
        "2026-11-01 10:00 UTC — Resolved",
        "2026-11-03 10:00 UTC — Postmortem",
    )
    page = built(make_site, {"content/incidents/a.md": text})["incidents/a/index.html"].decode()
    section = page[
        page.index('<section class="postmortem"') : page.index(
            '<section aria-labelledby="updates">'
        )
    ]
    assert 'id="update-20261103T100000Z"' in section
    updates = page[page.index('<section aria-labelledby="updates">') :]
    assert 'id="update-20261103T100000Z"' not in updates
    assert updates.count('class="update"') == 2


def test_a_component_page_lists_its_newest_posts_and_points_to_the_history(
    make_site: MakeSite,
) -> None:
    from conftest import INCIDENT

    posts: dict[str, str | bytes] = {
        f"content/incidents/2026-10-{day:02d}-outage.md": INCIDENT.replace(
            "2026-11-29", f"2026-10-{day:02d}"
        )
        for day in range(1, 24)
    }
    site = make_site(posts)
    page = (
        build_site(site, None, datetime(2026, 12, 1, tzinfo=UTC))
        .files["components/api/index.html"]
        .decode()
    )
    history = page.split('id="history"')[1]
    listed = re.findall(r'href="\.\./\.\./incidents/2026-10-(\d\d)-outage/"', history)
    assert listed == [f"{day:02d}" for day in range(23, 3, -1)]  # the 20 newest
    assert '3 older posts about API are in the <a href="../../history/">history</a>.' in page
