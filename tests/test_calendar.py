"""maintenance.ics as a calendar app and an RFC 5545 validator see it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from checks import check_calendar, components, events, parse, unescape
from conftest import MAINTENANCE, SITE_YAML, MakeSite

from generator.build import build_site
from generator.edit import append_update, find_post, load_site_config
from generator.outputs.calendar import escape_text, fold_line, plain_text

NOW = datetime(2026, 12, 10, tzinfo=UTC)
BASE = "https://status.example.com/"
BERLIN_YAML = SITE_YAML.replace("timezone: UTC", "timezone: Europe/Berlin")

# Long, non-ASCII (two-, three- and four-octet characters), and full of what TEXT must escape.
WARTUNG_PREAMBLE = (
    "Während der Wartung überprüfen wir die Warteschlange, die Zeitpläne und die Größe der "
    "Datenbank; bitte haben Sie Geduld 🙏🏽 — danach läuft alles schneller 🚀. Pfade wie "
    "C:\\Temp\\queue bleiben unverändert; Kommas, Semikolons und Backslashes \\ überleben."
)
WARTUNG = f"""\
---
title: Größere Wartung; Teil 1, Schritt 2 \\ Queue
start: 2026-12-20 22:00 UTC
end: 2026-12-21 01:30 UTC
components: [Queue, Scheduler]
---
{WARTUNG_PREAMBLE}

### Was Sie tun sollten
Nichts. Siehe [die Statusseite](../../) und [den Vorfall](../../incidents/x/#update-1).
"""
WARTUNG_DESCRIPTION = (
    f"{WARTUNG_PREAMBLE}\n\n"
    "Was Sie tun sollten\n"
    f"Nichts. Siehe die Statusseite ({BASE}) und den Vorfall ({BASE}incidents/x/#update-1).\n\n"
    "Affects: Queue, Scheduler\n\n"
    f"{BASE}maintenance/2026-12-20-grosse-wartung/"
)

FILES: dict[str, str | bytes] = {
    "content/maintenance/2026-12-06-db-upgrade.md": MAINTENANCE,
    # Written with CRLF line ends, as a Windows editor would: no CR may reach the calendar.
    "content/maintenance/2026-12-20-grosse-wartung.md": WARTUNG.replace("\n", "\r\n").encode(),
}
UPGRADE_UID = "maintenance/2026-12-06-db-upgrade@status.example.com"
WARTUNG_UID = "maintenance/2026-12-20-grosse-wartung@status.example.com"

# --- helpers ---------------------------------------------------------------------------------


def calendar_of(site: Path, now: datetime = NOW, drafts: bool = False) -> bytes:
    return build_site(site, None, now, drafts=drafts).files["maintenance.ics"]


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(FILES)


@pytest.fixture
def data(site: Path) -> bytes:
    return calendar_of(site)


# --- what a calendar app sees ----------------------------------------------------------------


def test_calendar_is_valid_icalendar(data: bytes) -> None:
    calendar = check_calendar(data)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [UPGRADE_UID, WARTUNG_UID]
    assert str(calendar["X-WR-CALNAME"]) == "Example Status"


def test_calendar_properties_name_the_site(data: bytes) -> None:
    (calendar,) = components(data, "VCALENDAR")
    assert calendar == {
        "VERSION": "2.0",
        "PRODID": calendar["PRODID"],
        "CALSCALE": "GREGORIAN",
        "METHOD": "PUBLISH",
        "NAME": "Example Status",
        "X-WR-CALNAME": "Example Status",
        "DESCRIPTION": "Incidents and maintenance for Example.",
        "X-WR-CALDESC": "Incidents and maintenance for Example.",
        "X-WR-TIMEZONE": "UTC",
        "URL": BASE,
        "SOURCE": f"{BASE}maintenance.ics",
        "REFRESH-INTERVAL": "PT1H",
        "X-PUBLISHED-TTL": "PT1H",
    }
    assert calendar["PRODID"].startswith("-//Outpost//Outpost ")


def test_each_window_is_one_event_soonest_first(data: bytes) -> None:
    upgrade, wartung = events(data)
    assert upgrade == {
        "UID": UPGRADE_UID,
        "DTSTAMP": "20261206T031000Z",
        "LAST-MODIFIED": "20261206T031000Z",
        "SEQUENCE": "2",
        "DTSTART": "20261206T020000Z",
        "DTEND": "20261206T040000Z",
        "SUMMARY": "Database upgrade",
        "DESCRIPTION": (
            "The API is read-only for up to 15 minutes.\\n\\n"
            "Affects: API\\n\\n"
            "2026-12-06 03:10 UTC — Completed\\nThe upgrade is done.\\n\\n"
            "2026-12-06 02:00 UTC — In progress\\nThe upgrade has begun.\\n\\n"
            f"{BASE}maintenance/2026-12-06-db-upgrade/"
        ),
        "URL": f"{BASE}maintenance/2026-12-06-db-upgrade/",
        "STATUS": "CONFIRMED",
        "TRANSP": "TRANSPARENT",
        "CATEGORIES": "Maintenance",
    }
    assert wartung["UID"] == WARTUNG_UID
    assert wartung["SEQUENCE"] == "0"
    assert (wartung["DTSTART"], wartung["DTEND"]) == ("20261220T220000Z", "20261221T013000Z")


def test_text_is_escaped_and_folding_round_trips(data: bytes) -> None:
    wartung = events(data)[1]
    assert wartung["SUMMARY"] == "Größere Wartung\\; Teil 1\\, Schritt 2 \\\\ Queue"
    assert unescape(wartung["SUMMARY"]) == "Größere Wartung; Teil 1, Schritt 2 \\ Queue"
    assert unescape(wartung["DESCRIPTION"]) == WARTUNG_DESCRIPTION
    assert "\r" not in unescape(wartung["DESCRIPTION"])
    # The description was long enough to be folded many times, across multi-octet characters.
    raw = data.decode().split("\r\n")
    start = next(i for i, line in enumerate(raw) if line.startswith("DESCRIPTION:Während"))
    assert raw[start + 5].startswith(" ")
    event = next(e for e in parse(data).walk("VEVENT") if e["UID"] == WARTUNG_UID)
    assert str(event["DESCRIPTION"]) == WARTUNG_DESCRIPTION
    assert str(event["SUMMARY"]) == "Größere Wartung; Teil 1, Schritt 2 \\ Queue"


def test_times_given_in_the_site_zone_are_written_in_utc(make_site: MakeSite) -> None:
    files: dict[str, str | bytes] = {
        # Summer: Berlin is UTC+2. Winter: UTC+1. An explicit zone is kept as it is.
        "content/maintenance/2026-07-01-network.md": (
            "---\ntitle: Network\nstart: 2026-07-01 23:30\nend: 2026-07-02 01:15\n---\n"
        ),
        "content/maintenance/2026-12-06-storage.md": (
            "---\ntitle: Storage\nstart: 2026-12-06 02:00\nend: 2026-12-06 04:00 UTC\n---\n"
            "## 2026-12-06 02:05 — In progress\nStarted.\n"
        ),
    }
    data = calendar_of(make_site(files, site_yaml=BERLIN_YAML))
    check_calendar(data)
    network, storage = events(data)
    assert (network["DTSTART"], network["DTEND"]) == ("20260701T213000Z", "20260701T231500Z")
    assert network["DTSTAMP"] == "20260701T213000Z"
    assert (storage["DTSTART"], storage["DTEND"]) == ("20261206T010000Z", "20261206T040000Z")
    assert storage["DTSTAMP"] == "20261206T010500Z"
    assert "2026-12-06 01:05 UTC — In progress" in unescape(storage["DESCRIPTION"])
    assert components(data, "VCALENDAR")[0]["X-WR-TIMEZONE"] == "Europe/Berlin"
    event = parse(data).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == datetime(2026, 7, 1, 21, 30, tzinfo=UTC)


# --- changes and reproducibility -------------------------------------------------------------


def test_dtstamp_comes_from_the_content_never_the_build_clock(site: Path) -> None:
    before = calendar_of(site, now=datetime(2026, 1, 1, tzinfo=UTC))
    after = calendar_of(site, now=datetime(2031, 5, 17, 13, 47, tzinfo=UTC))
    assert before == after
    assert b"2031" not in after
    upgrade, wartung = events(after)
    assert upgrade["DTSTAMP"] == "20261206T031000Z"  # its last update
    assert wartung["DTSTAMP"] == wartung["DTSTART"] == "20261220T220000Z"  # no update: its start


def test_appending_an_update_keeps_the_uid_and_raises_the_sequence(site: Path) -> None:
    before = calendar_of(site)
    config = load_site_config(site)
    target = find_post(site, "grosse-wartung")
    when = datetime(2026, 12, 20, 22, 1, 30, tzinfo=UTC)
    append_update(site, target, "In progress", "Wir haben begonnen, schrittweise.", config, when)
    after = calendar_of(site)
    check_calendar(after)
    assert [e["UID"] for e in events(after)] == [e["UID"] for e in events(before)]
    assert events(after)[0] == events(before)[0]
    old, new = events(before)[1], events(after)[1]
    assert (old["SEQUENCE"], new["SEQUENCE"]) == ("0", "1")
    assert (new["DTSTAMP"], new["LAST-MODIFIED"]) == ("20261220T220130Z", "20261220T220130Z")
    assert unescape(new["DESCRIPTION"]).endswith(
        "Affects: Queue, Scheduler\n\n"
        "2026-12-20 22:01:30 UTC — In progress\nWir haben begonnen, schrittweise.\n\n"
        f"{BASE}maintenance/2026-12-20-grosse-wartung/"
    )


def test_uid_uses_id_host_and_survives_a_new_base_url(make_site: MakeSite) -> None:
    site = make_site(FILES, site_yaml=SITE_YAML + "id_host: old.example.net\n")
    files = build_site(site, None, NOW, base_url="https://example.org/status").files
    upgrade = events(files["maintenance.ics"])[0]
    assert upgrade["UID"] == "maintenance/2026-12-06-db-upgrade@old.example.net"
    assert upgrade["URL"] == "https://example.org/status/maintenance/2026-12-06-db-upgrade/"
    check_calendar(files["maintenance.ics"])


def test_drafts_are_in_the_calendar_only_with_drafts(make_site: MakeSite) -> None:
    draft = MAINTENANCE.replace("components: [API]\n", "components: [API]\ndraft: true\n")
    site = make_site({"content/maintenance/2026-12-06-secret.md": draft})
    assert events(calendar_of(site)) == []
    assert [e["SUMMARY"] for e in events(calendar_of(site, drafts=True))] == ["Database upgrade"]


def test_calendar_without_windows_is_valid_and_reproducible(make_site: MakeSite) -> None:
    site = make_site({})
    data = calendar_of(site)
    calendar = check_calendar(data)
    assert events(data) == []
    # RFC 5545 wants at least one component: an unused UTC zone, which apps ignore.
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert calendar_of(site, now=datetime(2030, 1, 1, tzinfo=UTC)) == data


# --- the validator rules can fail ------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"\r\n", b"\n"),  # LF line ends
        (b"SUMMARY:Database upgrade", b"SUMMARY:" + b"x" * 70),  # a line of 78 octets
        (b"DTSTAMP:20261206T031000Z\r\n", b""),  # no DTSTAMP
        (b"PRODID:", b"X-PRODID:"),  # no PRODID
        (b"DTSTART:20261206T020000Z", b"DTSTART:20261206T020000"),  # floating, not UTC
        (b"SUMMARY:Database upgrade", b"SUMMARY:Database, upgrade"),  # an unescaped comma
        (b"SEQUENCE:2", b"SEQUENCE:two"),  # a value only icalendar reads
        ("Größere".encode(), b"Gr\xc3\r\n \xb6" + "ßere".encode()),  # a fold inside "ö"
    ],
)
def test_validator_rules_catch_a_broken_calendar(data: bytes, old: bytes, new: bytes) -> None:
    assert old in data
    with pytest.raises((AssertionError, ValueError)):
        check_calendar(data.replace(old, new, 1))


# --- the pieces ------------------------------------------------------------------------------


def test_fold_line_counts_octets_and_keeps_characters_whole() -> None:
    assert fold_line("A" * 75) == "A" * 75
    assert fold_line("A" * 76) == "A" * 75 + "\r\n A"
    assert fold_line("A" * 74 + "ä") == "A" * 74 + "\r\n ä"  # 76 octets; "ä" is two
    assert fold_line("A" * 73 + "ä") == "A" * 73 + "ä"
    emoji = "🙏🏽" * 40  # four octets each
    folded = fold_line(emoji)
    lines = folded.split("\r\n")
    assert [len(line.encode()) for line in lines] == [72, 73, 73, 73, 33]
    assert folded.replace("\r\n ", "") == emoji


def test_escape_text_escapes_what_rfc_5545_names() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    assert escape_text('tab\there: "quoted" \x07bell') == 'tab\there: "quoted" bell'


def test_plain_text_spells_out_links_and_drops_heading_marks() -> None:
    page = f"{BASE}maintenance/x/"
    markdown = (
        "### Details ###\n"
        "See [the page](../../) and <https://example.org/> or ![chart](chart.png).\n"
        "```sh\n# a comment in code stays\n```\n"
        "## Summary"
    )
    assert plain_text(markdown, page) == (
        "Details\n"
        f"See the page ({BASE}) and <https://example.org/> or chart ({page}chart.png).\n"
        "```sh\n# a comment in code stays\n```\n"
        "Summary"
    )
