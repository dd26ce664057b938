"""Properties of the parser, ids and timestamps, over inputs that hypothesis makes up.

The searches are derandomized, so CI sees the same examples on every run. For a deeper,
random search: OUTPOST_PROPERTY_SCALE=20 python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.etree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.config import load_config
from generator.content import INCIDENTS, KINDS, parse_post
from generator.edit import Target, append_update
from generator.model import INCIDENT_STATUSES, MAINTENANCE_STATUSES, Incident, Site, SiteConfig
from generator.outputs.feeds import render_feeds
from generator.outputs.markup import MarkdownRenderer
from generator.timestamps import TimestampError, parse_timestamp

SCALE = int(os.environ.get("OUTPOST_PROPERTY_SCALE", "1"))
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SHOWN = "content/incidents/x.md"
SITE_YAML = """\
title: Property Status
base_url: https://status.example.com/
timezone: Europe/Berlin
components:
  - name: API
  - group: Publishing
    components:
      - name: Scheduler
      - name: Queue
"""
COMPONENTS = ("API", "Scheduler", "Queue")
# Zones with daylight saving, half-hour and 45-minute offsets, and the date line.
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")
ZONES += ("Pacific/Chatham", "America/St_Johns", "Pacific/Kiritimati", "America/Sao_Paulo")
# Far enough from year 1 and 9999 that an offset cannot leave the calendar (tested on its own).
EARLIEST, LATEST = datetime(1900, 1, 1), datetime(2100, 12, 31)


def examples(count: int) -> settings:
    """Settings for a property: COUNT examples (times the scale), the same ones on every run."""
    return settings(
        max_examples=count * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def load_site_config() -> SiteConfig:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        config, problems = load_config(Path(folder))
    assert config is not None, problems
    return config


CONFIG = load_site_config()

# --- any input: a post, or problems located in the file ---


def check_outcome(kind: str, slug: str, raw: bytes) -> None:
    """RAW read as a post: a post without errors, or errors, each on a line of the file."""
    post, problems = parse_post(kind, SHOWN, slug, raw, CONFIG, NOW)
    lines = raw.count(b"\n") + 1
    for problem in problems:
        match = re.fullmatch(
            rf"{re.escape(SHOWN)}:(\d+): (error|warning): (\S.*)", str(problem), re.DOTALL
        )
        assert match, str(problem)
        assert 1 <= int(match[1]) <= lines + 1, (str(problem), lines)
    errors = [p for p in problems if p.is_error]
    assert (post is None) == bool(errors), problems


SLUGS = st.sampled_from(["x", "2026-11-29-login", "Bad Slug", "a_b", "-"])


@examples(300)
@given(kind=st.sampled_from(KINDS), slug=SLUGS, raw=st.binary(max_size=600))
def test_any_bytes_give_a_post_or_located_problems(kind: str, slug: str, raw: bytes) -> None:
    check_outcome(kind, slug, raw)


@examples(300)
@given(kind=st.sampled_from(KINDS), slug=SLUGS, text=st.text(max_size=400))
def test_any_text_gives_a_post_or_located_problems(kind: str, slug: str, text: str) -> None:
    check_outcome(kind, slug, ("---\n" + text).encode("utf-8", "surrogatepass"))


# Near-valid files: real keys, values and headings, each sometimes broken, so that the
# search reaches the checks behind the front matter.
# Front matter text without control characters: those are refused (tested on their own).
YAML_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)


def timestamp_texts() -> st.SearchStrategy[str]:
    good = st.builds(
        lambda d, form: d.strftime(form),
        st.datetimes(EARLIEST, LATEST),
        st.sampled_from(
            [
                "%Y-%m-%d %H:%M UTC",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%SZ",
                "%Y-%m-%d %H:%M+05:30",
            ]
        ),
    )
    odd = st.sampled_from(
        [
            "2026-02-30 10:00 UTC",
            "2026-11-29 25:00",
            "2026-11-29 09:05:00.5 UTC",
            "2026-11-29 09:05 +24:00",
            "2026-03-29 02:30",  # skipped in Europe/Berlin
            "2026-10-25 02:30",  # repeated in Europe/Berlin
            "2026-11-29",
            "29/11/2026 09:05",
            "",
        ]
    )
    return st.one_of(good, odd, YAML_TEXT)


SCALARS = st.one_of(
    st.sampled_from(["", "~", "true", "no", "[]", "{}", "[API, Web app]", "'quoted'", '"x']),
    st.sampled_from(["minor", "CRITICAL", "catastrophic", "API", "{API: major_outage}"]),
    timestamp_texts(),
    YAML_TEXT,
)
KEYS = ["title", "impact", "components", "started", "draft", "start", "end", "compnents", "x"]
STATUS_WORDS = [*INCIDENT_STATUSES, *MAINTENANCE_STATUSES, "in-progress", "RESOLVED", "Done", ""]


@st.composite
def front_matter_lines(draw: st.DrawFn) -> list[str]:
    lines = []
    for key in draw(st.lists(st.sampled_from(KEYS), max_size=6)):
        indent = draw(st.sampled_from(["", "", " ", "\t"]))
        lines.append(f"{indent}{key}:{draw(st.sampled_from([' ', '', '  ']))}{draw(SCALARS)}")
    if draw(st.booleans()):
        lines.append("components:")
        lines += [f"  - {draw(st.sampled_from([*COMPONENTS, 'Nope', '']))}"] * draw(
            st.integers(0, 2)
        )
    return lines


@st.composite
def heading_lines(draw: st.DrawFn) -> str:
    marks = draw(st.sampled_from(["## ", "## ", "##", "# ", "### ", "  ## "]))
    separator = draw(st.sampled_from([" — ", " – ", " - ", "—", " -- ", " "]))
    return f"{marks}{draw(timestamp_texts())}{separator}{draw(st.sampled_from(STATUS_WORDS))}"


BODY_LINES = st.one_of(
    st.sampled_from(["", "Text.", "```", "~~~", "    code", "## What happened", "---", "- item"]),
    YAML_TEXT,  # a `---` line below can make any line front matter
)


@st.composite
def near_valid_files(draw: st.DrawFn) -> bytes:
    lines = []
    if draw(st.integers(0, 9)):
        lines.append(draw(st.sampled_from(["---", "---", "--- ", "----"])))
    lines += draw(front_matter_lines())
    if draw(st.integers(0, 9)):
        lines.append("---")
    for _ in range(draw(st.integers(0, 4))):
        lines += [draw(heading_lines()), *draw(st.lists(BODY_LINES, max_size=4))]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode("utf-8", "surrogatepass")


@examples(400)
@given(kind=st.sampled_from(KINDS), slug=SLUGS, raw=near_valid_files())
def test_any_near_valid_file_gives_a_post_or_located_problems(
    kind: str, slug: str, raw: bytes
) -> None:
    check_outcome(kind, slug, raw)


@pytest.mark.parametrize("stamp", ["9999-12-31 23:59 -01:00", "0001-01-01 00:00 +01:00"])
def test_a_timestamp_at_the_edge_of_the_calendar_is_a_problem_not_a_crash(stamp: str) -> None:
    check_outcome(INCIDENTS, "x", f"---\ntitle: T\n---\n## {stamp} — Investigating\n".encode())


def test_a_control_character_in_front_matter_is_a_problem_not_a_crash() -> None:
    check_outcome(INCIDENTS, "x", b"---\ntitle: a\x08b\n---\n## 2026-11-29 09:05 UTC - Update\n")


# --- appending an update keeps every id ---

SAFE_TEXT = st.text(
    alphabet=st.characters(
        whitelist_categories=("L", "N", "Zs", "Po", "Pd", "Sm"), blacklist_characters="#`~\\*_"
    ),
    max_size=40,
).map(str.strip)


def utc_form(when: datetime, draw: st.DrawFn) -> str:
    """WHEN in one of the forms FORMAT.md accepts that names its zone."""
    form = draw(st.sampled_from(["utc", "z", "offset", "iso"]))
    if form == "offset":
        offset = timedelta(minutes=draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59)))
        return with_offset(when, offset, draw(st.booleans()))
    if form == "iso":
        return f"{when:%Y-%m-%dT%H:%M:%S}Z"
    return f"{when:%Y-%m-%d %H:%M:%S} {draw(st.sampled_from(['UTC', 'Z', 'utc']))}"


def with_offset(when: datetime, offset: timedelta, colon: bool) -> str:
    local = when.astimezone(timezone(offset))
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
    return f"{local:%Y-%m-%d %H:%M:%S} {sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


@st.composite
def update_texts(draw: st.DrawFn, after: datetime) -> tuple[datetime, str]:
    """An update later than AFTER, as a writer appends it: its time and its text."""
    when = after + timedelta(seconds=draw(st.integers(1, 3 * 86400)))
    dash = draw(st.sampled_from(["—", "–", "-"]))
    status = draw(st.sampled_from(INCIDENT_STATUSES)).upper() if draw(st.booleans()) else "Update"
    body = draw(st.lists(SAFE_TEXT, max_size=3))
    return when, "\n".join([f"## {utc_form(when, draw)} {dash} {status}", *body, ""])


@st.composite
def valid_incidents(draw: st.DrawFn) -> tuple[str, datetime]:
    """A valid incident file's text, and the time of its last update."""
    title = draw(SAFE_TEXT.filter(bool))
    components = draw(st.lists(st.sampled_from(COMPONENTS), unique=True, max_size=3))
    lines = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"components: [{', '.join(components)}]",
        "---",
    ]
    lines += [*draw(st.lists(SAFE_TEXT, max_size=2)), ""]
    when = draw(st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)))
    when = when.replace(microsecond=0)
    for _ in range(draw(st.integers(1, 6))):
        when, text = draw(update_texts(when))
        lines.append(text)
    return "\n".join(lines), when


def parsed(text: str, newline: str) -> Incident:
    post, problems = parse_post(
        INCIDENTS, SHOWN, "x", text.replace("\n", newline).encode(), CONFIG, NOW
    )
    assert isinstance(post, Incident), [str(p) for p in problems]
    return post


def feed_ids(post: Incident) -> dict[str, list[str]]:
    """The entry ids of the site feed and the incident's own feed, as the XML holds them."""
    site = Site(config=CONFIG, incidents=(post,), maintenance=(), now=NOW)
    feeds = render_feeds(site, MarkdownRenderer())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    return {
        path: lxml.etree.fromstring(feeds[path]).xpath("//a:entry/a:id/text()", namespaces=ns)
        for path in ("feed.atom", "incidents/x/feed.atom")
    }


@examples(60)
@given(incident=valid_incidents(), data=st.data(), newline=st.sampled_from(["\n", "\r\n"]))
def test_appending_an_update_keeps_every_earlier_id(
    incident: tuple[str, datetime], data: st.DataObject, newline: str
) -> None:
    text, last = incident
    when, addition = data.draw(update_texts(last))
    before = parsed(text, newline)
    after = parsed(text.rstrip("\n") + "\n\n" + addition, newline)
    ids = [u.id for u in before.updates]
    assert [u.id for u in after.updates] == [*ids, after.updates[-1].id]
    assert after.updates[-1].when == when
    assert [u.anchor for u in after.updates[:-1]] == [u.anchor for u in before.updates]
    old, new = feed_ids(before), feed_ids(after)
    for path in old:
        assert new[path] == [after.updates[-1].id, *old[path]]


@examples(25)
@given(incident=valid_incidents(), status=st.sampled_from(INCIDENT_STATUSES), bom=st.booleans())
def test_the_update_command_keeps_every_earlier_id(
    incident: tuple[str, datetime], status: str, bom: bool
) -> None:
    text, last = incident
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "content/incidents/x.md"
        path.parent.mkdir(parents=True)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        before = parsed(text, "\n")
        append_update(Path(folder), Target(INCIDENTS, "x", path), status, "More.", CONFIG, last)
        post, problems = parse_post(INCIDENTS, SHOWN, "x", path.read_bytes(), CONFIG, NOW)
    assert isinstance(post, Incident), problems
    assert [u.id for u in post.updates[:-1]] == [u.id for u in before.updates]
    assert post.updates[-1].when == last + timedelta(seconds=1)


# --- timestamps: every accepted form, the same instant ---

INSTANTS = st.datetimes(EARLIEST, LATEST, timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)


def any_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)
        )
    )


@examples(300)
@given(
    instant=INSTANTS,
    utc=st.one_of(any_case("utc"), any_case("z")),
    space=st.sampled_from(["", " "]),
    offset=st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timedelta(minutes=m)),
    zone=st.sampled_from(ZONES).map(ZoneInfo),
)
def test_every_accepted_form_of_a_time_reads_as_the_same_instant(
    instant: datetime, utc: str, space: str, offset: timedelta, zone: ZoneInfo
) -> None:
    minute = instant.replace(second=0)
    offset_local = instant.astimezone(timezone(offset))
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
    forms = {
        f"{instant:%Y-%m-%d %H:%M:%S}{space}{utc}": instant,
        f"{minute:%Y-%m-%d %H:%M}{space}{utc}": minute,
        f"{instant:%Y-%m-%dT%H:%M:%S}{utc}": instant,
        f"{minute:%Y-%m-%dT%H:%M}{utc}": minute,
        f"{offset_local:%Y-%m-%d %H:%M:%S}{space}{sign}{hours:02d}:{minutes:02d}": instant,
        f"{offset_local:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}:{minutes:02d}": instant,
        f"{offset_local:%Y-%m-%d %H:%M:%S}{space}{sign}{hours:02d}{minutes:02d}": instant,
    }
    for text, expected in forms.items():
        assert parse_timestamp(text, zone) == expected, text
        assert parse_timestamp(text, zone).tzinfo is UTC
    # A local time, read in the site's zone: a repeated one is the first of the two.
    local = instant.astimezone(zone)
    first = local.replace(fold=0).astimezone(UTC)
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        assert parse_timestamp(local.strftime(form), zone) == first
    assert first == instant or local.fold == 1


@examples(100)
@given(
    naive=st.datetimes(EARLIEST, LATEST).map(lambda d: d.replace(microsecond=0)),
    zone=st.sampled_from(ZONES).map(ZoneInfo),
)
def test_a_local_time_is_read_in_the_zone_or_refused_when_it_does_not_exist(
    naive: datetime, zone: ZoneInfo
) -> None:
    text = f"{naive:%Y-%m-%d %H:%M:%S}"
    try:
        read = parse_timestamp(text, zone)
    except TimestampError as exc:
        assert "does not exist" in str(exc)
        assert (
            naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            != naive
        )
        return
    assert read.astimezone(zone).replace(tzinfo=None) == naive
    assert read == naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
