"""What validators check, run over a built site: shared by the tests of each output."""

from __future__ import annotations

import json
import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import icalendar
import jsonschema
import lxml.etree
import lxml.html
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}

JSON_FEED_SCHEMA = json.loads((SCHEMAS / "jsonfeed-1.1.json").read_text("utf-8"))
SCHEMA_DIR = SCHEMAS / "statuspage"
# Each endpoint and the schema it follows.
ENDPOINTS = {
    "summary.json": "summary.json",
    "status.json": "status.json",
    "components.json": "components.json",
    "incidents.json": "incidents.json",
    "incidents/unresolved.json": "incidents-unresolved.json",
    "scheduled-maintenances.json": "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json": "scheduled-maintenances-upcoming.json",
    "scheduled-maintenances/active.json": "scheduled-maintenances-active.json",
}
TEXT_PROPERTIES = ("SUMMARY", "DESCRIPTION", "UID", "NAME", "X-WR-CALNAME", "X-WR-CALDESC")
UTC_DATE_TIME = re.compile(r"^\d{8}T\d{6}Z$")
VBROKEN = getattr(icalendar.prop, "vBroken", None)

# --- HTML and links ---


def page(out: Path, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((out / path).read_bytes())


def broken_links(out: Path) -> list[str]:
    """Every relative href/src in the built pages (but 404.html) that does not reach a file or id."""
    ids = {}
    broken = []
    for html_file in sorted(out.rglob("*.html")):
        source = html_file.relative_to(out).as_posix()
        if source == "404.html":
            continue
        for _element, _attribute, link, _pos in page(out, source).iterlinks():
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue  # absolute: see test_base_url_appears_only_where_absolute_urls_belong
            target = (html_file.parent / unquote(parts.path)).resolve() if parts.path else html_file
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or not target.is_relative_to(out.resolve()):
                broken.append(f"{source}: {link}")
            elif parts.fragment:
                if target not in ids:
                    ids[target] = set(lxml.html.fromstring(target.read_bytes()).xpath("//@id"))
                if parts.fragment not in ids[target]:
                    broken.append(f"{source}: {link} (no such id)")
    return broken


# --- feeds ---


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT)$"
)


def check_atom(out: Path, path: str, base: str, author: str = "Example Status") -> None:
    """The W3C Feed Validation Service's rules for Atom 1.0, as far as Outpost's feeds need them."""
    root = lxml.etree.fromstring((out / path).read_bytes())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for date in root.xpath("//a:updated | //a:published", namespaces=ATOM_NS):
        assert RFC3339.match(date.text), date.text
        datetime.fromisoformat(date.text.replace("Z", "+00:00"))
    assert root.xpath("a:author/a:name/text()", namespaces=ATOM_NS) == [author]
    assert root.xpath("a:link[@rel='self']/@href", namespaces=ATOM_NS) == [base + path]
    assert root.xpath("a:link[@rel='self']/@type", namespaces=ATOM_NS) == ["application/atom+xml"]
    for required in ("id", "title", "updated"):
        assert len(root.xpath(f"a:{required}", namespaces=ATOM_NS)) == 1, required
    entries = root.xpath("a:entry", namespaces=ATOM_NS)
    for entry in entries:
        for required in ("id", "title", "updated", "published", "content"):
            assert len(entry.xpath(f"a:{required}", namespaces=ATOM_NS)) == 1, required
        assert entry.xpath("a:link[not(@rel) or @rel='alternate']/@href", namespaces=ATOM_NS)
    ids = root.xpath("a:entry/a:id/text()", namespaces=ATOM_NS)
    assert len(ids) == len(set(ids))
    assert all(i.startswith("tag:") for i in ids)


def check_rss(out: Path, path: str, base: str) -> None:
    """The W3C Feed Validation Service's rules for RSS 2.0, as far as Outpost's feeds need them."""
    root = lxml.etree.fromstring((out / path).read_bytes())
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    assert channel.findtext("link") == base  # the site, never a feed
    self_links = channel.xpath("a:link[@rel='self']", namespaces=ATOM_NS)
    assert [(link.get("href"), link.get("type")) for link in self_links] == [
        (base + path, "application/rss+xml")
    ]
    for date in root.xpath("//pubDate | //lastBuildDate"):
        assert RFC822.match(date.text), date.text
        when = parsedate_to_datetime(date.text)
        assert when.strftime("%a") == date.text[:3], date.text  # the day of the week is right
    guids = root.xpath("channel/item/guid")
    assert [g.get("isPermaLink") for g in guids] == ["false"] * len(guids)
    assert len({g.text for g in guids}) == len(guids)
    for item in root.xpath("channel/item"):
        assert item.findtext("title") or item.findtext("description")
        for required in ("link", "guid", "pubDate"):
            assert item.findtext(required), required


def validate_json_feed(feed: Any) -> None:
    """FEED against the JSON Feed 1.1 schema, `uri` and `date-time` formats enforced."""
    jsonschema.validate(feed, JSON_FEED_SCHEMA, format_checker=jsonschema.FormatChecker())


# --- calendar ---


def unfold(data: bytes) -> list[str]:
    """The content lines of DATA, folds undone (RFC 5545 3.1)."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").removesuffix("\r\n").split("\r\n")


def unescape(value: str) -> str:
    """A TEXT value as a calendar app reads it."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], value)


def components(data: bytes, name: str) -> list[dict[str, str]]:
    """Each NAME component's properties, name → raw value (parameters dropped)."""
    found: list[dict[str, str]] = []
    depth = 0
    for line in unfold(data):
        if line == f"BEGIN:{name}":
            found.append({})
            depth = 1
        elif line.startswith("BEGIN:") and depth:
            depth += 1
        elif line.startswith("END:") and depth:
            depth -= 1
        elif depth == 1:
            key, value = line.split(":", 1)
            assert key.split(";")[0] not in found[-1], f"{key} twice in one {name}"
            found[-1][key.split(";")[0]] = value
    return found


def events(data: bytes) -> list[dict[str, str]]:
    return components(data, "VEVENT")


def check_calendar(data: bytes) -> icalendar.Calendar:
    """The rules of RFC 5545 that icalendar does not check, then icalendar's own parse."""
    assert data.endswith(b"\r\n")
    assert re.search(rb"[^\r]\n|\r[^\n]", data) is None, "a line end that is not CRLF"
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold inside a UTF-8 character fails here
    lines = unfold(data)
    assert (lines[0], lines[-1]) == ("BEGIN:VCALENDAR", "END:VCALENDAR")
    (calendar,) = components(data, "VCALENDAR")
    assert calendar.get("VERSION") == "2.0"
    assert calendar.get("PRODID")
    uids = []
    for event in events(data):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            assert event.get(required), required
        for moment in ("DTSTAMP", "DTSTART", "DTEND", "LAST-MODIFIED"):
            assert UTC_DATE_TIME.match(event[moment]), (moment, event[moment])
        uids.append(event["UID"])
    assert len(uids) == len(set(uids))
    for line in lines:
        key, value = line.split(":", 1)
        if key.split(";")[0] in TEXT_PROPERTIES:
            assert re.fullmatch(r"(?:[^\\;,\x00-\x08\x0a-\x1f\x7f]|\\[\\;,nN])*", value), line
    return parse(data)


def parse(data: bytes) -> icalendar.Calendar:
    """icalendar's reading of DATA: no property it could not read, nothing required missing."""
    calendar = icalendar.Calendar.from_ical(data)
    calendar.validate()
    for component in calendar.walk():
        assert component.errors == [], component.name
        for name, value in component.property_items(recursive=False):
            assert VBROKEN is None or not isinstance(value, VBROKEN), (component.name, name)
    return calendar


# --- API ---


def load_schemas() -> tuple[dict[str, dict[str, Any]], Registry[Any]]:
    schemas = {p.name: json.loads(p.read_text("utf-8")) for p in SCHEMA_DIR.glob("*.json")}
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return schemas, registry


API_SCHEMAS, API_REGISTRY = load_schemas()


def api_validator(endpoint: str) -> Draft202012Validator:
    """ENDPOINT's schema, with `date-time`, `date` and `uri` formats enforced."""
    return Draft202012Validator(
        API_SCHEMAS[ENDPOINTS[endpoint]],
        registry=API_REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


# --- the Nu HTML Checker ---


def require_tool(name: str, found: bool) -> None:
    """Skip when a tool is missing here; fail when CI says every tool must be present."""
    import os

    import pytest

    if found:
        return
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("OUTPOST_REQUIRE_TOOLS"):
        pytest.fail(message)
    pytest.skip(message)


def nu_errors(*folders: Path) -> list[str]:
    """Every error the Nu HTML Checker finds in the HTML, CSS and SVG files under FOLDERS."""
    import shutil
    import subprocess

    jar = Path(__file__).resolve().parent.parent / "node_modules/vnu-jar/build/dist/vnu.jar"
    require_tool(
        "the Nu HTML Checker (npm vnu-jar, Java)", jar.is_file() and bool(shutil.which("java"))
    )
    command = ["java", "-jar", str(jar), "--errors-only", "--format", "json", "--also-check-css"]
    command += ["--also-check-svg", "--skip-non-html", *map(str, folders)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{urlsplit(m.get('url', '')).path}:{m.get('lastLine', 0)}: {m['type']}: {m['message']}"
        for m in messages
        if m["type"] in ("error", "non-document-error")
    ]
