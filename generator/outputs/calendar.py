"""maintenance.ics: every maintenance window as an iCalendar (RFC 5545) event, to subscribe to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urljoin

from generator import __version__
from generator.model import Maintenance, Site, SiteConfig, Update

CALENDAR = "maintenance.ics"
PRODID = f"-//Outpost//Outpost {__version__}//EN"
LINE_OCTETS = 75  # RFC 5545 3.1: a line holds at most 75 octets, not counting its CRLF
# How often subscribed calendars should fetch it again (Apple and Outlook honour these).
REFRESH = "PT1H"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # TEXT allows no control but tab (and \n)
_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")

# RFC 5545's grammar wants at least one component: an empty calendar gets an unused UTC zone.
_EMPTY = (
    "BEGIN:VTIMEZONE",
    "TZID:UTC",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0000",
    "TZNAME:UTC",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def render_calendar(site: Site) -> dict[str, bytes]:
    """One VEVENT per maintenance window; every value comes from the content, never the clock."""
    lines = [*_calendar_lines(site.config)]
    for window in site.maintenance:
        lines.extend(_event_lines(window, site.config))
    if not site.maintenance:
        lines.extend(_EMPTY)
    lines.append("END:VCALENDAR")
    return {CALENDAR: "".join(fold_line(line) + "\r\n" for line in lines).encode()}


def _calendar_lines(config: SiteConfig) -> Iterator[str]:
    """The calendar's own properties: what a calendar app names and refreshes it by."""
    yield "BEGIN:VCALENDAR"
    yield "VERSION:2.0"
    yield f"PRODID:{escape_text(PRODID)}"
    yield "CALSCALE:GREGORIAN"
    yield "METHOD:PUBLISH"
    yield f"NAME:{escape_text(config.title)}"
    yield f"X-WR-CALNAME:{escape_text(config.title)}"
    if config.description:
        yield f"DESCRIPTION:{escape_text(config.description)}"
        yield f"X-WR-CALDESC:{escape_text(config.description)}"
    yield f"X-WR-TIMEZONE:{escape_text(config.timezone_name)}"
    yield f"URL;VALUE=URI:{config.base_url}"
    yield f"SOURCE;VALUE=URI:{config.base_url}{CALENDAR}"
    yield f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}"
    yield f"X-PUBLISHED-TTL:{REFRESH}"


def _event_lines(window: Maintenance, config: SiteConfig) -> Iterator[str]:
    """WINDOW as a VEVENT; its SEQUENCE grows with each update so that clients notice."""
    changed = format_utc_datetime(window.last_updated or window.start)
    yield "BEGIN:VEVENT"
    yield f"UID:{escape_text(event_uid(window, config))}"
    yield f"DTSTAMP:{changed}"
    yield f"LAST-MODIFIED:{changed}"
    yield f"SEQUENCE:{len(window.updates)}"
    yield f"DTSTART:{format_utc_datetime(window.start)}"
    yield f"DTEND:{format_utc_datetime(window.end)}"
    yield f"SUMMARY:{escape_text(window.title)}"
    yield f"DESCRIPTION:{escape_text(describe(window, config.base_url + window.url))}"
    yield f"URL;VALUE=URI:{config.base_url}{window.url}"
    yield "STATUS:CONFIRMED"
    yield "TRANSP:TRANSPARENT"  # a window is news, not a meeting: it never blocks anyone's time
    yield "CATEGORIES:Maintenance"
    yield "END:VEVENT"


def event_uid(window: Maintenance, config: SiteConfig) -> str:
    """`maintenance/SLUG@ID_HOST`: like the feed ids, it survives a move to a new host."""
    return f"{window.kind}/{window.slug}@{config.id_host}"


def describe(window: Maintenance, page_url: str) -> str:
    """The window as plain text: preamble, components, updates newest first, and its page."""
    parts = [plain_text(window.preamble, page_url)] if window.preamble else []
    if window.component_names:
        parts.append("Affects: " + ", ".join(window.component_names))
    parts.extend(_update_text(update, page_url) for update in reversed(window.updates))
    parts.append(page_url)
    return "\n\n".join(parts)


def _update_text(update: Update, page_url: str) -> str:
    """`2026-12-06 02:00 UTC — In progress` and the update's message below it."""
    heading = f"{_format_utc_time(update.when)} — {update.status}"
    return f"{heading}\n{plain_text(update.body, page_url)}" if update.body else heading


def _format_utc_time(moment: datetime) -> str:
    """`2026-12-06 02:00 UTC`, with seconds only where there are some."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC" if moment.second else "%Y-%m-%d %H:%M UTC")


def plain_text(markdown: str, page_url: str) -> str:
    """MARKDOWN readable as text: links spelled out in full, headings without their `#` marks."""
    lines: list[str] = []
    fence = ""  # the fence of the code block we are in: its lines stay as they are
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        marker = _FENCE.match(line)
        if fence or marker:
            lines.append(line)
            fence = _next_fence(fence, marker[1] if marker else "")
            continue
        heading = _HEADING.match(line)
        lines.append(_spell_links(heading[1] if heading else line, page_url))
    return "\n".join(lines)


def _next_fence(fence: str, marker: str) -> str:
    """The open fence after a line with MARKER: it opens one, closes FENCE, or changes nothing."""
    if not fence:
        return marker
    closes = marker[:1] == fence[0] and len(marker) >= len(fence)
    return "" if closes else fence


def _spell_links(line: str, page_url: str) -> str:
    """`[text](../x/)` → `text (https://status.example.com/incidents/x/)`: no page to resolve it."""

    def spell(match: re.Match[str]) -> str:
        target = urljoin(page_url, match[3])
        return f"{match[2]} ({target})" if match[2] and match[2] != target else target

    return _LINK.sub(spell, line) if "](" in line else line  # most lines have no link


def escape_text(text: str) -> str:
    """TEXT escaped as RFC 5545 3.3.11 wants: backslash, semicolon, comma and newline."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    for char, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        text = text.replace(char, escaped)
    return text


def format_utc_datetime(moment: datetime) -> str:
    """`20261206T020000Z`: an RFC 5545 DATE-TIME in UTC."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold_line(line: str) -> str:
    """LINE folded with CRLF and a space every 75 octets, never inside a UTF-8 character."""
    octets = line.encode()
    pieces: list[bytes] = []
    start, size = 0, LINE_OCTETS
    while len(octets) - start > size:
        end = start + size
        while octets[end] & 0xC0 == 0x80:  # a continuation octet: the character began before
            end -= 1
        pieces.append(octets[start:end])
        start, size = end, LINE_OCTETS - 1  # the space that marks a continuation counts too
    pieces.append(octets[start:])
    return b"\r\n ".join(pieces).decode()
