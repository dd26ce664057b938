"""Message catalogues: the theme's words in the site's language, with its dates and numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from generator.problems import Problem, error, suggest
from generator.theme import Theme, builtin_theme_dir
from generator.yamlsrc import Located, YamlError, decode_source, load_located

FALLBACK = "en"
FOLDER = "messages"
PLURAL_FORMS = ("one", "other")
MONTHS, ZONES = "dates.months", "dates.zones"
# Entries that are data rather than messages: kept whole, never split into keys.
TABLES = (MONTHS, ZONES)
# CLDR: these languages use the singular for 0 as well as for 1 ("0 incident ouvert").
_ONE_FOR_ZERO = frozenset({"fr"})
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Counted:
    """A message with a form for each plural category (`one`, `other`), chosen by a count."""

    forms: Mapping[str, str]

    def form(self, category: str) -> str:
        return self.forms.get(category, self.forms["other"])


# Text, counted forms, month names, or a table of time zone names.
Entry = str | Counted | tuple[str, ...] | Mapping[str, str]
# A pattern split at its placeholders: the text before the first, then each name with the text
# after it. `{{` and `}}` are already single braces in the text.
Pieces = tuple[str, tuple[tuple[str, str], ...]]


class MessageError(LookupError):
    """A message that no catalogue has, or a value that a message needs and was not given."""


@dataclass(frozen=True)
class Messages:
    """The words of one language, English under them and the site's own `strings` over them."""

    language: str  # the language of the catalogue found: `de` for `de-CH` without one of its own
    entries: Mapping[str, Entry]
    # A big site shows the same messages, dates, times and durations thousands of times: each
    # pattern is split into its pieces once, and each of the others written once, per build.
    _pieces: dict[str, Pieces] = field(default_factory=dict, init=False, repr=False, compare=False)
    _dates: dict[int, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _times: dict[int, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _durations: dict[timedelta, str] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def text(self, key: str, **values: object) -> str:
        """Message KEY with its `{placeholders}` filled; a `count` value picks the plural form."""
        return self.render(key, values)

    def render(
        self, key: str, values: Mapping[str, object], quote: Callable[[object], str] = str
    ) -> str:
        """Message KEY filled with VALUES, as `text` does; QUOTE is applied to text and values."""
        pattern = self.pattern(key, values.get("count"))
        pieces = self._pieces.get(pattern)
        if pieces is None:
            pieces = self._pieces[pattern] = split_pattern(pattern)
        return fill_pieces(key, pieces, values, quote)

    def pattern(self, key: str, count: object = None) -> str:
        """Message KEY as written, in the form for COUNT when it is counted."""
        entry = self.entries.get(key)
        if entry is None:
            raise MessageError(f"no message '{key}' in the catalogues{suggest(key, self.entries)}")
        if isinstance(entry, str):
            return entry
        if isinstance(entry, Counted):
            if not isinstance(count, int) or isinstance(count, bool):
                raise MessageError(f"message '{key}' is counted: give it a count=NUMBER")
            return entry.form(self.plural(count))
        raise MessageError(f"'{key}' is a table, not a message")

    def plural(self, count: int) -> str:
        """The plural category of COUNT in this language: `one` or `other`."""
        one = (0, 1) if self.language.split("-")[0] in _ONE_FOR_ZERO else (1,)
        return "one" if count in one else "other"

    @property
    def months(self) -> tuple[str, ...]:
        months = self.entries[MONTHS]
        assert isinstance(months, tuple)
        return months

    @property
    def zones(self) -> Mapping[str, str]:
        zones = self.entries[ZONES]
        assert isinstance(zones, Mapping)
        return zones

    def date(self, day: date) -> str:
        """`29 November 2026`, `29. November 2026`, `1er décembre 2026`."""
        ordinal = day.toordinal()  # the day of a datetime too, whatever its time
        shown = self._dates.get(ordinal)
        if shown is None:
            shown_day = self.text("dates.day", day=day.day, count=day.day)
            shown = self._dates[ordinal] = self.text(
                "dates.date", day=shown_day, month=self.months[day.month - 1], year=day.year
            )
        return shown

    def time(self, local: datetime) -> str:
        """`10:05`: the hour and minute of LOCAL."""
        minute = local.hour * 60 + local.minute
        shown = self._times.get(minute)
        if shown is None:
            shown = self._times[minute] = self.text(
                "dates.time", hour=f"{local.hour:02d}", minute=f"{local.minute:02d}"
            )
        return shown

    def date_time(self, local: datetime) -> str:
        """`29 November 2026, 10:05 CET`: LOCAL as it is, with its zone's name."""
        name = zone_name(local)
        zone = self.zones.get(name, name)
        values = {"date": self.date(local), "time": self.time(local), "zone": zone}
        return self.render("dates.datetime", values)

    def month_year(self, year: int, month: int) -> str:
        """`November 2026`; a heading of its own, so it begins with a capital (`Novembre 2026`)."""
        shown = self.text("dates.month_year", month=self.months[month - 1], year=year)
        return shown[:1].upper() + shown[1:]

    def duration(self, delta: timedelta) -> str:
        """`4 h 57 min`, `2 days 3 h`, `45 s`: the two largest units, the second left out if 0."""
        shown = self._durations.get(delta)
        if shown is None:
            shown = self._durations[delta] = self._duration(delta)
        return shown

    def _duration(self, delta: timedelta) -> str:
        seconds = int(delta.total_seconds())
        days, rest = divmod(seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        if days:
            units = [("days", days), ("hours", hours)]
        elif hours:
            units = [("hours", hours), ("minutes", minutes)]
        else:
            units = [("minutes", minutes)] if minutes else [("seconds", secs)]
        shown = [units[0], *(u for u in units[1:] if u[1])]
        return " ".join(self.text(f"duration.{unit}", count=n) for unit, n in shown)

    def percent(self, number: str) -> str:
        """NUMBER (`99.97`) as a percentage in this language: `99.97%`, `99,97 %`."""
        decimal = number.replace(".", self.text("numbers.decimal"))
        return self.text("numbers.percent", number=decimal)


def fill(
    key: str, pattern: str, values: Mapping[str, object], quote: Callable[[object], str] = str
) -> str:
    """PATTERN with each `{name}` replaced by VALUES[name]; QUOTE is applied to text and values."""
    return fill_pieces(key, split_pattern(pattern), values, quote)


def split_pattern(pattern: str) -> Pieces:
    """PATTERN (`Began {time}.`) as its Pieces (`("Began ", (("time", "."),))`)."""
    texts: list[list[str]] = [[]]
    names: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(pattern):
        texts[-1].append(pattern[last : match.start()])
        last = match.end()
        if match[1] is None:  # `{{` or `}}`: a brace as it is
            texts[-1].append(match[0][0])
        else:
            names.append(match[1])
            texts.append([])
    texts[-1].append(pattern[last:])
    head, *tails = ("".join(text) for text in texts)
    return head, tuple(zip(names, tails, strict=True))


def fill_pieces(
    key: str, pieces: Pieces, values: Mapping[str, object], quote: Callable[[object], str] = str
) -> str:
    """The message KEY split as PIECES, filled with VALUES; QUOTE is applied to text and values."""
    head, rest = pieces
    parts = [quote(head)]
    for name, text in rest:
        if name not in values:
            raise MessageError(f"message '{key}' needs a value for {{{name}}}")
        parts.append(quote(values[name]))
        parts.append(quote(text))
    return "".join(parts)


def placeholders(entry: Entry) -> set[str]:
    """The `{names}` that ENTRY uses, in any of its forms."""
    if isinstance(entry, str):
        return {m[1] for m in _PLACEHOLDER.finditer(entry) if m[1]}
    if isinstance(entry, Counted):
        return {name for form in entry.forms.values() for name in placeholders(form)}
    return set()


def zone_name(local: datetime) -> str:
    """`CET`, `UTC`; `UTC-03` where the zone has no abbreviation but its offset (`-03`)."""
    name = local.tzname() or local.strftime("%z")
    return f"UTC{name}" if name.startswith(("+", "-")) else name


def language_chain(language: str) -> list[str]:
    """`de-CH` → `de`, `de-ch`: the catalogues to apply over English, the most general first."""
    parts = language.lower().split("-")
    return ["-".join(parts[:n]) for n in range(1, len(parts) + 1)]


# --- reading catalogues ----------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogues:
    """Every catalogue of a theme, checked: the built-in theme's first, then the site's own."""

    layers: tuple[tuple[str, Mapping[str, Entry]], ...]  # (language in lower case, entries)
    problems: tuple[Problem, ...]

    def merged(self, language: str) -> tuple[dict[str, Entry], str]:
        """The entries for LANGUAGE, English under them, and the language actually found."""
        entries: dict[str, Entry] = {}
        found = FALLBACK
        for tag in [FALLBACK, *language_chain(language)]:
            for layer_language, layer in self.layers:
                if layer_language == tag:
                    entries.update(layer)
                    found = tag
        return entries, found


def read_catalogues(theme: Theme, site_dir: Path) -> Catalogues:
    """Every `messages/LANGUAGE.yaml` of THEME; the site's own are checked against English."""
    files, problems = _read_files(theme, site_dir)
    builtin_english = _english(f for f in files if f.shown is None)
    english = _english(files)
    layers: list[tuple[str, Mapping[str, Entry]]] = []
    for file in files:
        reference = builtin_english if file.language == FALLBACK else english
        kept: dict[str, Entry] = {}
        for key, (entry, line) in file.entries.items():
            why = check_entry(key, entry, reference[key]) if key in reference else None
            if why and file.shown is not None:
                problems.append(error(file.shown, line, why))
            else:
                kept[key] = entry
        layers.append((file.language, kept))
    return Catalogues(tuple(layers), tuple(problems))


def load_messages(
    theme: Theme, site_dir: Path, language: str, strings: Mapping[str, object]
) -> tuple[Messages, list[Problem]]:
    """The messages for LANGUAGE from THEME's catalogues, with site.yaml's STRINGS over them."""
    catalogues = read_catalogues(theme, site_dir)
    entries, found = catalogues.merged(language)
    entries.update((key, as_entry(value)) for key, value in strings.items())
    return Messages(found, entries), list(catalogues.problems)


def read_entries(
    doc: Located, root: tuple[str | int, ...], shown: str
) -> tuple[dict[str, tuple[Entry, int]], list[Problem]]:
    """The entries under ROOT in DOC by dotted key, with their lines; a mapping is a section."""
    found: dict[str, tuple[Entry, int]] = {}
    problems: list[Problem] = []
    for parts, value in _walk(_at(doc.data, root), ()):
        key, line = ".".join(parts), doc.line(*root, *parts)
        try:
            found[key] = (_entry(key, value), line)
        except ValueError as exc:
            problems.append(error(shown, line, str(exc)))
    return found, problems


def check_entry(key: str, entry: Entry, english: Entry) -> str | None:
    """Why ENTRY cannot stand for KEY, whose English is ENGLISH; None when it can."""
    if isinstance(english, tuple):
        if isinstance(entry, tuple) and len(entry) == len(english):
            return None
        return f"'{key}' must be a list of {len(english)} names"
    if isinstance(english, Mapping):
        return None if isinstance(entry, Mapping) else f"'{key}' must be a mapping of names"
    if not isinstance(entry, (str, Counted)):
        return f"'{key}' must be text"
    if isinstance(entry, Counted) and isinstance(english, str):
        return f"'{key}' is not counted: give it as text, not as 'one' and 'other' forms"
    allowed = placeholders(english)
    unknown = sorted(placeholders(entry) - allowed)
    if unknown:
        takes = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "no placeholders"
        return f"'{key}' has no placeholder {{{unknown[0]}}}: it takes {takes}"
    return None


def as_entry(value: object) -> Entry:
    """VALUE, checked by read_entries, as an Entry."""
    if isinstance(value, (str, Counted, tuple)):
        return value
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    raise TypeError(f"not a message: {value!r}")


@dataclass(frozen=True)
class _File:
    """One catalogue file as read, each entry with its line."""

    language: str  # the file's name, in lower case: `de`, `de-ch`
    entries: dict[str, tuple[Entry, int]]
    shown: str | None  # a catalogue of the site's own theme: its path as shown; else None


def _read_files(theme: Theme, site_dir: Path) -> tuple[list[_File], list[Problem]]:
    """The catalogues of THEME's folders, the built-in theme's first."""
    builtin = builtin_theme_dir().resolve()
    files: list[_File] = []
    problems: list[Problem] = []
    for folder in reversed(theme.dirs):
        for path in sorted((folder / FOLDER).glob("*.yaml")):
            shown = _shown(path, site_dir)
            entries, found = _read_catalogue(path, shown)
            own = shown if folder.resolve() != builtin else None
            files.append(_File(path.stem.lower(), entries, own))
            problems += found
    return files, problems


def _english(files: Iterable[_File]) -> dict[str, Entry]:
    return {k: e for f in files if f.language == FALLBACK for k, (e, _) in f.entries.items()}


def _walk(value: Any, parts: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each entry under VALUE with the keys that lead to it."""
    key = ".".join(parts)
    if isinstance(value, dict) and key not in TABLES and not _is_counted(value):
        for name, child in value.items():
            yield from _walk(child, (*parts, str(name)))
    else:
        yield parts, value


def _is_counted(value: dict[Any, Any]) -> bool:
    return bool(value) and all(str(k) in PLURAL_FORMS for k in value)


def _entry(key: str, value: Any) -> Entry:
    """VALUE as the entry KEY; ValueError says what is wrong with it."""
    if not key:
        raise ValueError("a message catalogue must be a mapping of keys to messages")
    if key == MONTHS:
        if (
            not isinstance(value, list)
            or len(value) != 12
            or not all(isinstance(v, str) for v in value)
        ):
            raise ValueError(f"'{key}' must be a list of the 12 month names")
        return tuple(value)
    if key == ZONES:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"'{key}' must be a mapping such as {{CET: MEZ}}, or {{}}")
        return {str(k): v for k, v in value.items()}
    if isinstance(value, dict):
        if "other" not in value:
            raise ValueError(f"'{key}' needs an 'other' form besides 'one'")
        if not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"'{key}': each form must be text")
        return Counted({str(k): v for k, v in value.items()})
    if not isinstance(value, str):
        got = "nothing" if value is None else f"'{value}'"
        raise ValueError(f"'{key}' must be text (in quotes if it looks like a number); got {got}")
    return value


def _at(data: Any, root: tuple[str | int, ...]) -> Any:
    for part in root:
        data = data[part]
    return data


def _read_catalogue(path: Path, shown: str) -> tuple[dict[str, tuple[Entry, int]], list[Problem]]:
    try:
        text, problems = decode_source(path.read_bytes(), shown)
    except OSError as exc:
        return {}, [error(shown, 1, f"cannot read: {exc.strerror}")]
    if text is None:
        return {}, problems
    try:
        doc = load_located(text)
    except YamlError as exc:
        return {}, [error(shown, exc.line, exc.message)]
    if doc.data is None:
        return {}, []
    if not isinstance(doc.data, dict):
        return {}, [error(shown, doc.line(), "a message catalogue must be a mapping of keys")]
    return read_entries(doc, (), shown)


def _shown(path: Path, site_dir: Path) -> str:
    try:
        return path.resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
