"""api/v2/: Statuspage's public API as its schemas and a tool written for Statuspage see it."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from checks import API_SCHEMAS, ENDPOINTS, api_validator
from conftest import MakeSite
from jsonschema import Draft202012Validator, ValidationError

from generator.build import build_site

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BASE = "https://status.example.com/"

SITE_YAML = """\
title: Example Status
base_url: https://status.example.com/
timezone: Europe/Berlin
id_host: status.example.com
components:
  - name: API
    description: REST and streaming API
  - name: Web app
  - group: Publishing
    components:
      - name: Scheduler
      - name: Queue
"""

FILES: dict[str, str | bytes] = {
    # Minor, open: API degraded.
    "content/incidents/api-latency.md": """\
        ---
        title: Slow API responses
        impact: minor
        components: [API]
        ---
        ## 2026-11-30 08:00 UTC — Investigating
        Some requests take **seconds**.

        ## 2026-11-30 09:00 UTC — Update
        Still looking.
        """,
    # Major, open, overlapping on API; its mapping sets each component's status.
    "content/incidents/publishing-outage.md": """\
        ---
        title: Posts are not published
        impact: major
        started: 2026-12-01 08:45 UTC
        components:
          API: partial_outage
          Scheduler: major_outage
        ---
        ## 2026-12-01 09:00 UTC — Investigating
        Scheduled posts stay in the queue.

        ## 2026-12-01 09:30 UTC — Identified
        A worker pool is down. See [the queue](https://queue.example.com/).

        ## 2026-12-01 10:00 UTC — Monitoring
        Workers are back.

        ## 2026-12-01 10:30 UTC — Update
        The backlog is draining.
        """,
    # Major, resolved.
    "content/incidents/login-failures.md": """\
        ---
        title: Login failures
        impact: major
        components: [Web app]
        ---
        ## 2026-11-20 10:00 UTC — Investigating
        Some customers cannot log in.

        ## 2026-11-20 11:00 UTC — Resolved
        Logins work again.
        """,
    # A notice: open, but it degrades nothing.
    "content/incidents/new-dashboard.md": """\
        ---
        title: A new dashboard
        impact: none
        components: [Web app]
        ---
        ## 2026-11-25 12:00 UTC — Update
        The dashboard looks different from today.
        """,
    # Running at NOW, by the clock.
    "content/maintenance/db-upgrade.md": """\
        ---
        title: Database upgrade
        start: 2026-12-01 11:00 UTC
        end: 2026-12-01 13:00 UTC
        components: [Queue]
        ---
        ## 2026-11-28 10:00 UTC — Scheduled
        The queue pauses for a few minutes.
        """,
    # Upcoming at NOW.
    "content/maintenance/queue-migration.md": """\
        ---
        title: Queue migration
        start: 2026-12-05 02:00 UTC
        end: 2026-12-05 04:00 UTC
        components: [Scheduler]
        ---
        ## 2026-11-29 15:00 UTC — Scheduled
        Scheduling pauses during the migration.
        """,
    # Completed by its own updates.
    "content/maintenance/old-window.md": """\
        ---
        title: Network maintenance
        start: 2026-11-10 00:00 UTC
        end: 2026-11-10 02:00 UTC
        components: [Queue]
        ---
        ## 2026-11-05 09:00 UTC — Scheduled
        A short network maintenance.

        ## 2026-11-10 00:01 UTC — In progress
        Started.

        ## 2026-11-10 01:10 UTC — Completed
        Done early.
        """,
}

ID = re.compile(r"^[0-9a-z]{12}$")
# The key order of Statuspage's responses.
COMPONENT_KEYS = [
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
]  # fmt: skip
INCIDENT_KEYS = [
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components", "reminder_intervals",
]  # fmt: skip
UPDATE_KEYS = [
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
]  # fmt: skip


def build_files(site: Path, now: datetime = NOW) -> dict[str, bytes]:
    """The API's files of SITE built at NOW, by their path under api/v2/."""
    files = build_site(site, out=None, now=now, drafts=False).files
    return {p.removeprefix("api/v2/"): data for p, data in files.items() if p.startswith("api/v2/")}


def build_api(site: Path, now: datetime = NOW) -> dict[str, Any]:
    return {path: json.loads(data) for path, data in build_files(site, now).items()}


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(FILES, site_yaml=SITE_YAML)


@pytest.fixture
def api(site: Path) -> dict[str, Any]:
    return build_api(site)


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


# --- the schemas ---------------------------------------------------------------------------------


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert set(ENDPOINTS.values()) | {"defs.json"} == set(API_SCHEMAS)
    for schema in API_SCHEMAS.values():
        Draft202012Validator.check_schema(schema)


def test_the_build_writes_every_endpoint(api: dict[str, Any]) -> None:
    assert sorted(api) == sorted(ENDPOINTS)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_follows_statuspages_schema(api: dict[str, Any], endpoint: str) -> None:
    errors = [e.message for e in api_validator(endpoint).iter_errors(api[endpoint])]
    assert errors == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_site_without_content_or_components_follows_the_schema_too(
    make_site: MakeSite, endpoint: str
) -> None:
    site = make_site({}, site_yaml="title: Empty\nbase_url: https://empty.example.org/status/\n")
    api = build_api(site)
    assert [e.message for e in api_validator(endpoint).iter_errors(api[endpoint])] == []
    assert api[endpoint]["page"] == {
        "id": api["status.json"]["page"]["id"],
        "name": "Empty",
        "url": "https://empty.example.org/status",
        "time_zone": "UTC",
        "updated_at": "1970-01-01T00:00:00.000Z",
    }


def _tamper(api: dict[str, Any], endpoint: str, change: str) -> dict[str, Any]:
    """A copy of ENDPOINT's document with one mistake of the kind CHANGE names."""
    document: dict[str, Any] = copy.deepcopy(api[endpoint])
    if change == "unknown component status":
        document["components"][0]["status"] = "down"
    elif change == "misspelt key":
        document["components"][0]["create_at"] = document["components"][0].pop("created_at")
    elif change == "time without a zone":
        document["page"]["updated_at"] = "2026-12-01 10:30:00"
    elif change == "relative shortlink":
        document["incidents"][0]["shortlink"] = "incidents/publishing-outage/"
    elif change == "maintenance status on an incident":
        document["incidents"][0]["status"] = "in_progress"
    elif change == "resolved incident in the summary":
        document["incidents"][0]["status"] = "resolved"
    elif change == "update without its id":
        del document["incidents"][0]["incident_updates"][0]["id"]
    elif change == "slug for an id":
        document["incidents"][0]["id"] = "publishing-outage"
    elif change == "group without its members":
        del by_name(document["components"])["Publishing"]["components"]
    elif change == "impact of an incident on a maintenance":
        document["scheduled_maintenances"][0]["impact"] = "minor"
    elif change == "unknown indicator":
        document["status"]["indicator"] = "down"
    return document


@pytest.mark.parametrize(
    "change",
    [
        "unknown component status",
        "misspelt key",
        "time without a zone",
        "relative shortlink",
        "maintenance status on an incident",
        "resolved incident in the summary",
        "update without its id",
        "slug for an id",
        "group without its members",
        "impact of an incident on a maintenance",
        "unknown indicator",
    ],
)
def test_the_schema_rejects_a_tampered_summary(api: dict[str, Any], change: str) -> None:
    tampered = _tamper(api, "summary.json", change)
    assert tampered != api["summary.json"]
    with pytest.raises(ValidationError):
        api_validator("summary.json").validate(tampered)


def test_the_schema_rejects_an_upcoming_list_with_a_completed_window(api: dict[str, Any]) -> None:
    document = copy.deepcopy(api["scheduled-maintenances/upcoming.json"])
    document["scheduled_maintenances"][0]["status"] = "completed"
    with pytest.raises(ValidationError):
        api_validator("scheduled-maintenances/upcoming.json").validate(document)


# --- the values, worked out by hand ------------------------------------------------------------


def test_page_names_the_site_and_its_newest_update(api: dict[str, Any]) -> None:
    page = api["summary.json"]["page"]
    assert ID.match(page["id"])
    assert page == {
        "id": page["id"],
        "name": "Example Status",
        "url": "https://status.example.com",
        "time_zone": "Europe/Berlin",
        "updated_at": "2026-12-01T10:30:00.000Z",
    }
    assert all(document["page"] == page for document in api.values())


def test_status_is_the_sites_indicator_with_statuspages_description(api: dict[str, Any]) -> None:
    # Scheduler's major_outage (from the mapping) outweighs the incidents' own impacts.
    expected = {"indicator": "critical", "description": "Major System Outage"}
    assert api["status.json"]["status"] == expected
    assert api["summary.json"]["status"] == expected


def test_component_statuses_overlap_as_worked_out_by_hand(api: dict[str, Any]) -> None:
    components = by_name(api["components.json"]["components"])
    assert {name: c["status"] for name, c in components.items()} == {
        "API": "partial_outage",  # minor → degraded, major's mapping → partial: the worst wins
        "Web app": "operational",  # resolved incident and a notice
        "Publishing": "major_outage",  # the worst of its members
        "Scheduler": "major_outage",  # the mapping; the upcoming window does not count yet
        "Queue": "under_maintenance",  # the running window
    }
    assert api["summary.json"]["components"] == api["components.json"]["components"]


def test_components_keep_site_yaml_order_positions_and_groups(api: dict[str, Any]) -> None:
    components = api["components.json"]["components"]
    assert [c["name"] for c in components] == ["API", "Web app", "Publishing", "Scheduler", "Queue"]
    assert [c["position"] for c in components] == [1, 2, 3, 1, 2]
    assert all(list(c)[: len(COMPONENT_KEYS)] == COMPONENT_KEYS for c in components)
    named = by_name(components)
    group = named["Publishing"]
    assert group["group"] is True and group["group_id"] is None
    assert group["components"] == [named["Scheduler"]["id"], named["Queue"]["id"]]
    assert named["Scheduler"]["group_id"] == named["Queue"]["group_id"] == group["id"]
    assert named["API"]["group_id"] is None and "components" not in named["API"]
    assert named["API"]["description"] == "REST and streaming API"
    assert named["Web app"]["description"] is None
    ids = [c["id"] for c in components]
    assert len(set(ids)) == len(ids) and all(ID.match(i) for i in ids)


def test_component_times_come_from_the_content(api: dict[str, Any]) -> None:
    components = by_name(api["components.json"]["components"])
    # The oldest time in the content: the first update of the old window.
    assert {c["created_at"] for c in components.values()} == {"2026-11-05T09:00:00.000Z"}
    assert {name: c["updated_at"] for name, c in components.items()} == {
        "API": "2026-12-01T09:00:00.000Z",  # the major incident's first update
        "Web app": "2026-11-20T11:00:00.000Z",  # resolved; the notice changes nothing
        "Publishing": "2026-12-01T11:00:00.000Z",  # its newest member
        "Scheduler": "2026-12-01T09:00:00.000Z",
        "Queue": "2026-12-01T11:00:00.000Z",  # the window's start, by the clock
    }


def test_unresolved_incidents_newest_first_with_notices(api: dict[str, Any]) -> None:
    unresolved = api["incidents/unresolved.json"]["incidents"]
    assert [(i["name"], i["status"], i["impact"]) for i in unresolved] == [
        ("Posts are not published", "monitoring", "major"),
        ("Slow API responses", "investigating", "minor"),
        ("A new dashboard", "investigating", "none"),
    ]
    assert api["summary.json"]["incidents"] == unresolved


def test_incidents_json_holds_every_incident_newest_first(api: dict[str, Any]) -> None:
    incidents = api["incidents.json"]["incidents"]
    assert [i["name"] for i in incidents] == [
        "Posts are not published",
        "Slow API responses",
        "A new dashboard",
        "Login failures",
    ]
    assert all(list(i) == INCIDENT_KEYS for i in incidents)


def test_an_incident_as_statuspage_describes_it(api: dict[str, Any]) -> None:
    incident = by_name(api["incidents.json"]["incidents"])["Posts are not published"]
    components = by_name(api["components.json"]["components"])
    assert ID.match(incident["id"])
    assert {k: v for k, v in incident.items() if k not in ("incident_updates", "components")} == {
        "id": incident["id"],
        "name": "Posts are not published",
        "status": "monitoring",
        "created_at": "2026-12-01T09:00:00.000Z",
        "updated_at": "2026-12-01T10:30:00.000Z",
        "monitoring_at": "2026-12-01T10:00:00.000Z",
        "resolved_at": None,
        "impact": "major",
        "shortlink": f"{BASE}incidents/publishing-outage/",
        "started_at": "2026-12-01T08:45:00.000Z",
        "page_id": api["status.json"]["page"]["id"],
        "reminder_intervals": None,
    }
    assert incident["components"] == [components["API"], components["Scheduler"]]


def test_updates_newest_first_with_the_status_they_leave(api: dict[str, Any]) -> None:
    incident = by_name(api["incidents.json"]["incidents"])["Posts are not published"]
    updates = incident["incident_updates"]
    assert [(u["status"], u["created_at"]) for u in updates] == [
        ("monitoring", "2026-12-01T10:30:00.000Z"),  # `Update` keeps the status
        ("monitoring", "2026-12-01T10:00:00.000Z"),
        ("identified", "2026-12-01T09:30:00.000Z"),
        ("investigating", "2026-12-01T09:00:00.000Z"),
    ]
    assert all(list(u) == UPDATE_KEYS for u in updates)
    assert all(u["created_at"] == u["updated_at"] == u["display_at"] for u in updates)
    assert all(u["incident_id"] == incident["id"] for u in updates)
    assert (
        updates[2]["body"] == "A worker pool is down. See [the queue](https://queue.example.com/)."
    )
    assert [u["deliver_notifications"] for u in updates] == [True] * 4
    assert {(u["custom_tweet"], u["tweet_id"]) for u in updates} == {(None, None)}


def test_affected_components_say_what_each_update_changed(api: dict[str, Any]) -> None:
    incidents = by_name(api["incidents.json"]["incidents"])
    codes = {c["name"]: c["id"] for c in api["components.json"]["components"]}
    first = incidents["Posts are not published"]["incident_updates"][-1]
    assert first["affected_components"] == [
        {"code": codes["API"], "name": "API", "old_status": "operational", "new_status": "partial_outage"},
        {
            "code": codes["Scheduler"],
            "name": "Publishing - Scheduler",
            "old_status": "operational",
            "new_status": "major_outage",
        },
    ]  # fmt: skip
    resolved = incidents["Login failures"]["incident_updates"][0]
    assert resolved["status"] == "resolved"
    assert resolved["affected_components"] == [
        {"code": codes["Web app"], "name": "Web app", "old_status": "partial_outage", "new_status": "operational"}
    ]  # fmt: skip
    notice = incidents["A new dashboard"]["incident_updates"][0]
    assert notice["affected_components"] == [
        {"code": codes["Web app"], "name": "Web app", "old_status": "operational", "new_status": "operational"}
    ]  # fmt: skip


def test_a_resolved_incident_has_its_resolution_time(api: dict[str, Any]) -> None:
    incident = by_name(api["incidents.json"]["incidents"])["Login failures"]
    assert (incident["status"], incident["resolved_at"], incident["monitoring_at"]) == (
        "resolved",
        "2026-11-20T11:00:00.000Z",
        None,
    )


def test_upcoming_and_active_maintenance_at_the_builds_time(api: dict[str, Any]) -> None:
    def names(endpoint: str) -> list[tuple[str, str]]:
        return [(m["name"], m["status"]) for m in api[endpoint]["scheduled_maintenances"]]

    assert names("scheduled-maintenances/upcoming.json") == [("Queue migration", "scheduled")]
    assert names("scheduled-maintenances/active.json") == [("Database upgrade", "in_progress")]
    assert names("summary.json") == [
        ("Queue migration", "scheduled"),
        ("Database upgrade", "in_progress"),
    ]
    assert names("scheduled-maintenances.json") == [
        ("Queue migration", "scheduled"),
        ("Database upgrade", "in_progress"),
        ("Network maintenance", "completed"),
    ]


def test_a_maintenance_as_statuspage_describes_it(api: dict[str, Any]) -> None:
    windows = by_name(api["scheduled-maintenances.json"]["scheduled_maintenances"])
    components = by_name(api["components.json"]["components"])
    running = windows["Database upgrade"]
    assert list(running) == [*INCIDENT_KEYS, "scheduled_for", "scheduled_until"]
    assert {k: v for k, v in running.items() if k not in ("incident_updates", "components")} == {
        "id": running["id"],
        "name": "Database upgrade",
        "status": "in_progress",
        "created_at": "2026-11-28T10:00:00.000Z",
        "updated_at": "2026-12-01T11:00:00.000Z",  # started by the clock
        "monitoring_at": None,
        "resolved_at": None,
        "impact": "maintenance",
        "shortlink": f"{BASE}maintenance/db-upgrade/",
        "started_at": "2026-11-28T10:00:00.000Z",
        "page_id": api["status.json"]["page"]["id"],
        "reminder_intervals": None,
        "scheduled_for": "2026-12-01T11:00:00.000Z",
        "scheduled_until": "2026-12-01T13:00:00.000Z",
    }
    assert running["components"] == [components["Queue"]]
    done = windows["Network maintenance"]
    assert done["resolved_at"] == "2026-11-10T01:10:00.000Z"
    assert [
        (u["status"], a["old_status"], a["new_status"])
        for u in done["incident_updates"]
        for a in u["affected_components"]
    ] == [
        ("completed", "under_maintenance", "operational"),
        ("in_progress", "operational", "under_maintenance"),
        ("scheduled", "operational", "operational"),
    ]


def test_incidents_json_holds_the_latest_fifty(make_site: MakeSite) -> None:
    files: dict[str, str | bytes] = {
        f"content/incidents/day-{day:02d}.md": (
            f"---\ntitle: Incident {day}\n---\n"
            f"## 2026-10-{day:02d} 09:00 UTC — Investigating\nLooking.\n\n"
            f"## 2026-10-{day:02d} 10:00 UTC — Resolved\nFixed.\n"
        )
        for day in range(1, 31)
    }
    files |= {
        f"content/incidents/nov-{day:02d}.md": (
            f"---\ntitle: November {day}\n---\n## 2026-11-{day:02d} 09:00 UTC — Investigating\nLooking.\n"
        )
        for day in range(1, 26)
    }
    api = build_api(make_site(files), now=NOW)
    incidents = api["incidents.json"]["incidents"]
    assert len(incidents) == 50
    assert incidents[0]["name"] == "November 25"
    assert incidents[-1]["name"] == "Incident 6"
    assert len(api["incidents/unresolved.json"]["incidents"]) == 25
    assert [
        e.message for e in api_validator("incidents.json").iter_errors(api["incidents.json"])
    ] == []


# --- ids and reproducibility -------------------------------------------------------------------


def _all_ids(api: dict[str, Any]) -> dict[str, str]:
    """Every object's id, keyed by what it is."""
    found = {"page": api["status.json"]["page"]["id"]}
    for component in api["components.json"]["components"]:
        found[f"component {component['name']}"] = component["id"]
    posts = [
        *api["incidents.json"]["incidents"],
        *api["scheduled-maintenances.json"]["scheduled_maintenances"],
    ]
    for post in posts:
        found[f"post {post['name']}"] = post["id"]
        for update in post["incident_updates"]:
            found[f"update {post['name']} {update['created_at']}"] = update["id"]
    return found


def test_ids_are_short_unique_and_stable_when_an_update_is_appended(
    site: Path, api: dict[str, Any]
) -> None:
    before = _all_ids(api)
    assert all(ID.match(i) for i in before.values())
    assert len(set(before.values())) == len(before)
    path = site / "content/incidents/publishing-outage.md"
    path.write_text(
        path.read_text("utf-8") + "\n## 2026-12-01 11:30 UTC — Resolved\nAll posts are out.\n",
        encoding="utf-8",
    )
    after = _all_ids(build_api(site))
    added = {key: after[key] for key in set(after) - set(before)}
    assert list(added) == ["update Posts are not published 2026-12-01T11:30:00.000Z"]
    assert {key: after[key] for key in before} == before
    assert added.popitem()[1] not in before.values()


def test_ids_differ_from_site_to_site(make_site: MakeSite, api: dict[str, Any]) -> None:
    other = make_site(
        FILES, site_yaml=SITE_YAML.replace("id_host: status.example.com", "id_host: x.example")
    )
    assert set(_all_ids(build_api(other)).values()).isdisjoint(_all_ids(api).values())


def test_output_is_byte_identical_while_no_maintenance_changes_state(site: Path) -> None:
    first = build_files(site, NOW)
    assert build_files(site, datetime(2026, 12, 1, 12, 59, 59, tzinfo=UTC)) == first
    # The test can fail: once the running window ends, the API says so.
    later = build_files(site, datetime(2026, 12, 1, 13, 0, tzinfo=UTC))
    assert (
        later["scheduled-maintenances/active.json"] != first["scheduled-maintenances/active.json"]
    )


def test_files_are_utf8_json_with_statuspages_key_order(make_site: MakeSite) -> None:
    site = make_site(
        {
            "content/incidents/umlaut.md": (
                "---\ntitle: Störung „Queue“ 🚀\n---\n## 2026-11-30 08:00 UTC — Investigating\nÄrger.\n"
            )
        }
    )
    files = build_files(site)
    raw = files["incidents.json"]
    assert "Störung „Queue“ 🚀".encode() in raw and raw.endswith(b"}\n")
    assert raw == (json.dumps(json.loads(raw), ensure_ascii=False, indent=2) + "\n").encode()
    assert list(json.loads(files["summary.json"])) == [
        "page",
        "components",
        "incidents",
        "scheduled_maintenances",
        "status",
    ]


def test_a_components_updated_at_is_the_last_update_that_changed_its_status(
    make_site: MakeSite,
) -> None:
    files: dict[str, str | bytes] = {
        # Reopened by its third update; the fourth changes nothing.
        "content/incidents/reopened.md": """\
            ---
            title: Back again
            impact: major
            components: [API]
            ---
            ## 2026-11-30 09:00 UTC — Investigating
            Down.

            ## 2026-11-30 10:00 UTC — Resolved
            Up.

            ## 2026-11-30 11:00 UTC — Monitoring
            Down again, for a while.

            ## 2026-11-30 12:00 UTC — Update
            Still watching.
            """,
        # Written after the fact: never open, so it never changed a status.
        "content/incidents/after-the-fact.md": """\
            ---
            title: Brief blip
            impact: critical
            components: [Web app]
            ---
            ## 2026-11-29 08:00 UTC — Resolved
            It was down for a minute.

            ## 2026-11-29 09:00 UTC — Postmortem
            What happened.
            """,
        # A postmortem after the resolution changes nothing.
        "content/incidents/scheduler.md": """\
            ---
            title: Scheduler stalls
            impact: minor
            components: [Scheduler]
            ---
            ## 2026-11-20 10:00 UTC — Investigating
            Stalled.

            ## 2026-11-20 11:00 UTC — Resolved
            Running.

            ## 2026-11-22 10:00 UTC — Postmortem
            What happened.
            """,
        "content/maintenance/old-window.md": FILES["content/maintenance/old-window.md"],
    }
    api = build_api(make_site(files, site_yaml=SITE_YAML))
    components = by_name(api["components.json"]["components"])
    assert {name: c["updated_at"] for name, c in components.items()} == {
        "API": "2026-11-30T11:00:00.000Z",
        "Web app": "2026-11-05T09:00:00.000Z",  # the origin
        "Publishing": "2026-11-20T11:00:00.000Z",
        "Scheduler": "2026-11-20T11:00:00.000Z",
        "Queue": "2026-11-10T01:10:00.000Z",
    }
    # What the updates' affected_components say agrees: nothing here changes by the clock.
    posts = [
        *api["incidents.json"]["incidents"],
        *api["scheduled-maintenances.json"]["scheduled_maintenances"],
    ]
    changed: dict[str, str] = {}
    for post in posts:
        for update in post["incident_updates"]:
            for change in update["affected_components"] or []:
                if change["old_status"] != change["new_status"]:
                    name = change["name"].removeprefix("Publishing - ")
                    changed[name] = max(update["created_at"], changed.get(name, ""))
    assert changed == {
        name: c["updated_at"]
        for name, c in components.items()
        if name not in ("Web app", "Publishing")
    }
