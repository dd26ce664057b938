"""Timestamps as FORMAT.md "Timestamps" defines them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from generator.timestamps import (
    TimestampError,
    format_iso,
    format_utc,
    load_zone,
    parse_timestamp,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29 09:05", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05:07", utc(2026, 11, 29, 9, 5, 7)),
        ("2026-11-29 09:05 UTC", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05UTC", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05 utc", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05 Utc", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05:07 UTC", utc(2026, 11, 29, 9, 5, 7)),
        ("2026-11-29 09:05 Z", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05Z", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 09:05z", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 10:05 +01:00", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 10:05+01:00", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 04:05:30 -05:00", utc(2026, 11, 29, 9, 5, 30)),
        ("2026-11-29 14:35 +05:30", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29 23:30 -01:00", utc(2026, 11, 30, 0, 30)),
        ("2026-11-29T09:05:00Z", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29T09:05Z", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29T10:05:00+01:00", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29T09:05:00", utc(2026, 11, 29, 9, 5)),
        ("  2026-11-29 09:05 UTC  ", utc(2026, 11, 29, 9, 5)),
        ("2026-11-29  09:05", utc(2026, 11, 29, 9, 5)),
    ],
)
def test_every_form_in_format_md_is_read(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text, UTC)
    assert parsed == expected
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-11-29 10:05", BERLIN, utc(2026, 11, 29, 9, 5)),  # CET, +01:00
        ("2026-07-01 10:05", BERLIN, utc(2026, 7, 1, 8, 5)),  # CEST, +02:00
        ("2026-11-29 04:05", NEW_YORK, utc(2026, 11, 29, 9, 5)),
        ("2026-11-29T10:05:00", BERLIN, utc(2026, 11, 29, 9, 5)),
    ],
)
def test_a_time_without_zone_is_read_in_the_site_zone(
    text: str, zone: ZoneInfo, expected: datetime
) -> None:
    assert parse_timestamp(text, zone) == expected


@pytest.mark.parametrize("text", ["2026-11-29 09:05 UTC", "2026-11-29 11:05 +02:00"])
def test_an_explicit_zone_wins_over_the_site_zone(text: str) -> None:
    assert parse_timestamp(text, BERLIN) == utc(2026, 11, 29, 9, 5)


@pytest.mark.parametrize(
    ("text", "zone"),
    [("2026-03-29 02:30", BERLIN), ("2026-03-08 02:30", NEW_YORK)],
)
def test_a_local_time_skipped_by_daylight_saving_is_an_error(text: str, zone: ZoneInfo) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(text, zone)
    assert str(caught.value) == (
        f"timestamp '{text}' does not exist in {zone.key}: "
        "the clocks skip it for daylight saving time; give the zone explicitly"
    )


def test_a_skipped_local_time_with_an_explicit_zone_is_fine() -> None:
    assert parse_timestamp("2026-03-29 02:30 +01:00", BERLIN) == utc(2026, 3, 29, 1, 30)


@pytest.mark.parametrize(
    ("text", "zone", "first"),
    [
        ("2026-10-25 02:30", BERLIN, utc(2026, 10, 25, 0, 30)),  # CEST, not CET (01:30 UTC)
        ("2026-11-01 01:30", NEW_YORK, utc(2026, 11, 1, 5, 30)),  # EDT, not EST (06:30 UTC)
    ],
)
def test_a_local_time_repeated_by_daylight_saving_is_the_first_of_the_two(
    text: str, zone: ZoneInfo, first: datetime
) -> None:
    assert parse_timestamp(text, zone) == first


EXPECTED = "expected YYYY-MM-DD HH:MM[:SS] with an optional zone (UTC, Z or +HH:MM)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", f"cannot read timestamp 'yesterday': {EXPECTED}"),
        ("", f"cannot read timestamp '': {EXPECTED}"),
        ("2026-11-29", f"cannot read timestamp '2026-11-29': {EXPECTED}"),
        ("2026-11-29 9:05", f"cannot read timestamp '2026-11-29 9:05': {EXPECTED}"),
        ("29.11.2026 09:05", f"cannot read timestamp '29.11.2026 09:05': {EXPECTED}"),
        ("2026-11-29 09:05 CET", f"cannot read timestamp '2026-11-29 09:05 CET': {EXPECTED}"),
        ("2026-11-29 09:05 +1", f"cannot read timestamp '2026-11-29 09:05 +1': {EXPECTED}"),
        (
            "2026-11-29 09:05:00.5 UTC",
            "cannot read timestamp '2026-11-29 09:05:00.5 UTC': "
            "fractions of a second are not allowed",
        ),
        (
            "2026-13-01 09:05",
            "cannot read timestamp '2026-13-01 09:05': month must be in 1..12",
        ),
        (
            "2026-11-31 09:05",
            "cannot read timestamp '2026-11-31 09:05': day is out of range for month",
        ),
        (
            "2026-11-29 24:00",
            "cannot read timestamp '2026-11-29 24:00': hour must be in 0..23",
        ),
        (
            "2026-11-29 09:05 +25:00",
            "cannot read timestamp '2026-11-29 09:05 +25:00': "
            "the offset +25:00 is not between -23:59 and +23:59",
        ),
    ],
)
def test_a_timestamp_that_cannot_be_read_says_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(text, UTC)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("name", "expected"),
    [("UTC", UTC), ("utc", UTC), ("Europe/Berlin", BERLIN), ("America/New_York", NEW_YORK)],
)
def test_load_zone_knows_iana_names(name: str, expected: object) -> None:
    assert load_zone(name) == expected


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../etc/passwd", "Europe/Berln"])
def test_load_zone_refuses_an_unknown_name(name: str) -> None:
    with pytest.raises(TimestampError) as caught:
        load_zone(name)
    assert str(caught.value).startswith(f"unknown time zone '{name}'")


def test_formats_are_utc_to_the_second() -> None:
    moment = parse_timestamp("2026-11-29 10:05:07 +01:00", UTC)
    assert format_utc(moment) == "2026-11-29 09:05:07 UTC"
    assert format_iso(moment) == "2026-11-29T09:05:07Z"


def test_what_format_utc_writes_reads_back_as_the_same_moment() -> None:
    moment = utc(2026, 11, 29, 9, 5, 7)
    assert parse_timestamp(format_utc(moment), BERLIN) == moment
    assert parse_timestamp(format_iso(moment), BERLIN) == moment


@pytest.mark.parametrize(
    "moment",
    [
        utc(2026, 11, 29, 9, 5, 7),
        utc(1000, 1, 1),
        utc(9999, 12, 31, 23, 59, 59),
        datetime(2026, 11, 29, 10, 5, 7, 999999, tzinfo=BERLIN),
        utc(999, 12, 31, 23, 59, 59),  # how strftime writes such a year differs by platform
        utc(1, 1, 1),
    ],
)
def test_formats_write_what_strftime_writes_of_the_utc_time(moment: datetime) -> None:
    in_utc = moment.astimezone(UTC)
    assert format_utc(moment) == in_utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert format_iso(moment) == in_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
