"""Timestamps as FORMAT.md defines them: read in the site's zone, stored and compared in UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EXPECTED = "expected YYYY-MM-DD HH:MM[:SS] with an optional zone (UTC, Z or +HH:MM)"

_TIMESTAMP = re.compile(
    r"""^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
        (?:T|[ \t]+)(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>[.,]\d+)?)?
        \s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?$""",
    re.IGNORECASE | re.VERBOSE,
)


class TimestampError(ValueError):
    """A timestamp that cannot be read; the message says why."""


def load_zone(name: str) -> tzinfo:
    """The IANA zone NAME; raises TimestampError for an unknown one."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TimestampError(f"unknown time zone '{name}'") from exc


def parse_timestamp(text: str, zone: tzinfo) -> datetime:
    """Read TEXT as a UTC datetime; a time without a zone is read in ZONE."""
    text = text.strip()
    match = _TIMESTAMP.match(text)
    if not match:
        raise TimestampError(f"cannot read timestamp '{text}': {EXPECTED}")
    year, month, day, hour, minute, second, fraction, written_zone = match.groups()
    if fraction:
        raise TimestampError(
            f"cannot read timestamp '{text}': fractions of a second are not allowed"
        )
    zone_text = (written_zone or "").upper()
    in_utc = zone_text in ("Z", "UTC")
    try:
        # Made in UTC at once when written so: datetime.replace costs more than all the rest.
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=UTC if in_utc else None,
        )
    except ValueError as exc:
        raise TimestampError(f"cannot read timestamp '{text}': {exc}") from None
    if in_utc:
        return moment
    if not zone_text:
        return _localize(moment, zone, text)
    sign = -1 if zone_text[0] == "-" else 1
    digits = zone_text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise TimestampError(
            f"cannot read timestamp '{text}': "
            f"the offset {written_zone} is not between -23:59 and +23:59"
        )
    offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return moment.replace(tzinfo=offset).astimezone(UTC)
    except OverflowError:
        raise TimestampError(_outside_calendar(text)) from None


def _localize(naive: datetime, zone: tzinfo, text: str) -> datetime:
    """NAIVE read in ZONE: a skipped local time is an error, a repeated one is the first."""
    local = naive.replace(tzinfo=zone, fold=0)
    try:
        instant = local.astimezone(UTC)
    except OverflowError:
        raise TimestampError(_outside_calendar(text)) from None
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        raise TimestampError(
            f"timestamp '{text}' does not exist in {zone}: "
            "the clocks skip it for daylight saving time; give the zone explicitly"
        )
    return instant


def _outside_calendar(text: str) -> str:
    return f"cannot read timestamp '{text.strip()}': in UTC it falls outside the years 1 to 9999"


def format_utc(moment: datetime) -> str:
    """`2026-11-29 09:05:00 UTC`, the form that commands stamp."""
    return _format(moment, "%Y-%m-%d %H:%M:%S UTC", "%d-%02d-%02d %02d:%02d:%02d UTC")


def format_iso(moment: datetime) -> str:
    """`2026-11-29T09:05:00Z`, RFC 3339 in UTC."""
    return _format(moment, "%Y-%m-%dT%H:%M:%SZ", "%d-%02d-%02dT%02d:%02d:%02dZ")


def _format(moment: datetime, form: str, fields_form: str) -> str:
    """MOMENT in UTC as strftime writes FORM; FIELDS_FORM is FORM for its six numbers."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime pads such a year, or not, by platform: keep its answer
        return utc.strftime(form)
    # %-formatting does half the work of strftime, and less than an f-string's format specs.
    return fields_form % (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)
