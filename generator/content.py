"""Incident and maintenance files → model, keeping line numbers for every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from generator.model import (
    IMPACTS,
    INCIDENT_COMPONENT_STATUSES,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    Incident,
    Maintenance,
    Post,
    SiteConfig,
    Update,
)
from generator.problems import Problem, error, one_of, suggest, warning
from generator.slugs import is_slug
from generator.timestamps import TimestampError, format_iso, format_utc, parse_timestamp
from generator.yamlsrc import Located, YamlError, decode_source, load_located

INCIDENTS, MAINTENANCE = "incidents", "maintenance"
KINDS = (INCIDENTS, MAINTENANCE)
FRONT_MATTER_KEYS = {
    INCIDENTS: ("title", "impact", "components", "started", "draft"),
    MAINTENANCE: ("title", "start", "end", "components", "draft"),
}
STATUSES = {INCIDENTS: INCIDENT_STATUSES, MAINTENANCE: MAINTENANCE_STATUSES}
FIRST_STATUS = {INCIDENTS: "Investigating", MAINTENANCE: "Scheduled"}
# Clocks of writers' machines and CI differ a little, and stamps are moved a second past the last.
CLOCK_SKEW = timedelta(minutes=5)
EXAMPLE_HEADING = "## 2026-11-29 09:05 UTC — Investigating"
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_MARKS = frozenset("#`~ ")  # what a heading or a fence can begin with, spaces before it too
# `##Text` without a space counts too: python-markdown renders it as a heading.
_H2 = re.compile(r" {0,3}##(?!#)[ \t]*")
_LOOKS_LIKE_UPDATE = re.compile(r"^ {0,3}(#|#{3,6})[ \t]*\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
_SEPARATOR = re.compile(r"\s+[—–-]\s+")
_UPDATE_TEXT = re.compile(r"\d{4}-")
# Status words by their lower-case form with spaces for '-' and '_'.
_STATUS_BY_WORD = {kind: {s.lower(): s for s in statuses} for kind, statuses in STATUSES.items()}


@dataclass
class _Section:
    """An update heading and the lines under it."""

    line: int
    text: str
    body: list[str]


def status_word(text: str, kind: str) -> str | None:
    """The canonical spelling of status TEXT for KIND, in any letter case, or None."""
    wanted = " ".join(text.replace("-", " ").replace("_", " ").split()).lower()
    return _STATUS_BY_WORD[kind].get(wanted)


def parse_post(
    kind: str, shown: str, slug: str, raw: bytes, config: SiteConfig, now: datetime
) -> tuple[Post | None, list[Problem]]:
    """Read one incident or maintenance file; None and the problems when it has errors."""
    text, problems = decode_source(raw, shown)
    if text is None:
        return None, problems
    if not is_slug(slug):
        problems.append(
            error(shown, 1, f"file name '{slug}.md' is not a valid slug: use only a-z, 0-9 and '-'")
        )
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        problems.append(
            error(shown, 1, "front matter missing: the file must begin with a line '---'")
        )
        return None, problems
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:
        problems.append(error(shown, 1, "front matter is not closed: add a line '---' after it"))
        return None, problems
    body, first_line = lines[close + 1 :], close + 2
    front = read_front_matter(lines[1:close], shown, problems)
    reader = _PostReader(kind, shown, slug, config, now, front or Located({}, {}), problems)
    if front is None:
        # Still check the updates, so that one run shows every problem of the file.
        reader.updates(reader.split(body, first_line)[1])
        return None, problems
    post = reader.read(body, first_line)
    if any(p.is_error for p in problems):
        return None, problems
    return post, problems


def read_front_matter(lines: list[str], shown: str, problems: list[Problem]) -> Located | None:
    """The front matter LINES (from line 2) as a mapping; None, with a problem, when it is not one."""
    try:
        front = load_located("\n".join(lines), first_line=2)
    except YamlError as exc:
        problems.append(error(shown, exc.line, f"front matter is {exc.message}"))
        return None
    if front.data is None:  # empty, or only comments: the missing keys are reported one by one
        return Located({}, {})
    if not isinstance(front.data, dict):
        found = "a list" if isinstance(front.data, list) else f"'{front.data}'"
        problems.append(
            error(
                shown,
                front.line(),
                "front matter must be a mapping of keys to values, "
                f"such as 'title: Login failures'; got {found}",
            )
        )
        return None
    return front


class _PostReader:
    """Checks front matter and updates of one file, adding to PROBLEMS."""

    def __init__(
        self,
        kind: str,
        shown: str,
        slug: str,
        config: SiteConfig,
        now: datetime,
        front: Located,
        problems: list[Problem],
    ) -> None:
        self.kind, self.shown, self.slug, self.config, self.now = kind, shown, slug, config, now
        self.front, self.problems = front, problems
        self.data: dict[str, Any] = front.data

    def bad(self, line: int, message: str) -> None:
        self.problems.append(error(self.shown, line, message))

    def bad_key(self, key: str | int, message: str, *more: str | int) -> None:
        self.bad(self.front.line(key, *more), message)

    def read(self, body: list[str], first_line: int) -> Post | None:
        keys = FRONT_MATTER_KEYS[self.kind]
        for key in self.data:
            if key not in keys:
                self.bad_key(str(key), f"unknown key '{key}'{suggest(str(key), keys)}")
        title = self.title()
        draft = self.draft()
        components = self.components()
        preamble, sections = self.split(body, first_line)
        updates = self.updates(sections)
        common: dict[str, Any] = dict(
            kind=self.kind,
            slug=self.slug,
            source=self.shown,
            title=title,
            components=components,
            draft=draft,
            preamble=preamble,
            updates=updates,
        )
        if self.kind == INCIDENTS:
            if not updates and not draft and not sections:
                self.bad(1, f"incident has no update: add one such as '{EXAMPLE_HEADING}'")
            return Incident(**common, impact=self.impact(), started=self.started(updates))
        start = self.timestamp("start", required=True)
        end = self.timestamp("end", required=True)
        if start and end and end <= start:
            self.bad_key(
                "end", f"end ({format_utc(end)}) must be after start ({format_utc(start)})"
            )
        if start is None or end is None:
            return None
        return Maintenance(**common, start=start, end=end)

    def title(self) -> str:
        if "title" not in self.data:
            self.bad(1, "title is required: add 'title: ...' to the front matter")
            return ""
        value = self.data["title"]
        title = "" if value is None or isinstance(value, (dict, list)) else str(value).strip()
        if not title:
            self.bad_key("title", "title must not be empty")
        return title

    def draft(self) -> bool:
        value = self.data.get("draft", False)
        if not isinstance(value, bool):
            self.bad_key("draft", f"draft must be true or false; got '{value}'")
            return False
        return value

    def impact(self) -> str:
        value = self.data.get("impact", "minor")
        impact = str(value).strip().lower() if value is not None else ""
        if impact not in IMPACTS:
            self.bad_key("impact", f"impact must be one of {', '.join(IMPACTS)}; got '{value}'")
            return "minor"
        return impact

    def timestamp(self, key: str, required: bool = False) -> datetime | None:
        if key not in self.data or self.data[key] is None:
            if required:
                self.bad(1, f"{key} is required: add '{key}: 2026-12-01 02:00 UTC'")
            return None
        try:
            return parse_timestamp(str(self.data[key]), self.zone)
        except TimestampError as exc:
            self.bad_key(key, f"{key}: {exc}")
            return None

    def started(self, updates: tuple[Update, ...]) -> datetime | None:
        started = self.timestamp("started")
        if started and updates and started > updates[0].when:
            self.bad_key(
                "started",
                f"started ({format_utc(started)}) is after the first update "
                f"on line {updates[0].line} ({format_utc(updates[0].when)})",
            )
        return started

    @property
    def zone(self) -> Any:
        return self.config.timezone

    def components(self) -> tuple[tuple[str, str | None], ...]:
        value = self.data.get("components")
        if value is None:
            return ()
        declared = [c.name for c in self.config.components]
        items: list[tuple[str, str | None, tuple[str | int, ...]]] = []
        if isinstance(value, list):
            items = [(str(v), None, ("components", i)) for i, v in enumerate(value)]
        elif isinstance(value, dict) and self.kind == INCIDENTS:
            for name, written in value.items():
                path: tuple[str | int, ...] = ("components", str(name))
                canonical = re.sub(r"[- ]+", "_", str(written).strip().lower())
                if canonical not in INCIDENT_COMPONENT_STATUSES:
                    found = "nothing" if written is None else f"'{written}'"
                    self.bad_key(
                        path[0],
                        f"the status of component '{name}' must be one of "
                        f"{one_of(INCIDENT_COMPONENT_STATUSES)}; got {found}",
                        *path[1:],
                    )
                    continue
                items.append((str(name), canonical, path))
        else:
            shape = "a list of names" + (
                " or a mapping from name to status" if self.kind == INCIDENTS else ""
            )
            self.bad_key("components", f"components must be {shape}")
            return ()
        result: list[tuple[str, str | None]] = []
        for name, status, path in items:
            if name not in declared:
                hint = (
                    suggest(name, declared) if declared else " (site.yaml declares no components)"
                )
                self.bad_key(
                    path[0], f"component '{name}' is not declared in site.yaml{hint}", *path[1:]
                )
            elif name in (n for n, _ in result):
                self.bad_key(path[0], f"component '{name}' is named twice", *path[1:])
            else:
                result.append((name, status))
        return tuple(result)

    def split(self, body: list[str], first_line: int) -> tuple[str, list[_Section]]:
        """The preamble, and the update sections with their heading lines."""
        marked = marked_lines(body)
        code = code_lines(body, marked)
        headings: list[tuple[int, str]] = []  # the index in BODY and the text of each update
        for index in (i for i in marked if i not in code):
            line, number = body[index], first_line + index
            opening = _H2.match(line)
            if not opening:
                if _LOOKS_LIKE_UPDATE.match(line):
                    self.problems.append(
                        warning(
                            self.shown,
                            number,
                            "this heading looks like an update but is not level 2: "
                            f"an update heading begins with '## ', as in '{EXAMPLE_HEADING}'",
                        )
                    )
                continue
            text = _heading_text(line[opening.end() :])
            if _UPDATE_TEXT.match(text):
                headings.append((index, text))
            elif headings:
                self.bad(
                    number,
                    f"'## {text}' after the first update is not an update heading "
                    f"(expected '{EXAMPLE_HEADING}'); use '###' for a heading inside an update",
                )
        # Each update runs to the next update heading: other headings stay in its message.
        bounds = [index for index, _ in headings] + [len(body)]
        sections = [
            _Section(first_line + index, text, body[index + 1 : end])
            for (index, text), end in zip(headings, bounds[1:], strict=True)
        ]
        preamble = body[: bounds[0]]
        return "\n".join(preamble).strip("\n"), sections

    def updates(self, sections: list[_Section]) -> tuple[Update, ...]:
        updates: list[Update] = []
        effective = FIRST_STATUS[self.kind]
        latest = self.now + CLOCK_SKEW
        for section in sections:
            parsed = self.heading(section)
            if parsed is None:
                continue
            when, status = parsed
            if updates and when <= updates[-1].when:
                before = updates[-1]
                self.bad(
                    section.line,
                    f"update time {format_utc(when)} is not later than the update on line "
                    f"{before.line} ({format_utc(before.when)}): append updates in time order",
                )
                continue
            if when > latest:
                self.problems.append(
                    warning(
                        self.shown,
                        section.line,
                        f"update time {format_utc(when)} is in the future "
                        f"(now {format_utc(self.now)}): check the date and time zone",
                    )
                )
            if status != "Update":
                effective = status
            message = "\n".join(section.body).strip("\n")
            if not message.strip():
                self.problems.append(warning(self.shown, section.line, "update has no message"))
            stamp = format_iso(when)
            updates.append(
                Update(
                    when=when,
                    status=status,
                    effective_status=effective,
                    body=message,
                    line=section.line,
                    id=permanent_id(self.config.id_host, self.kind, self.slug, stamp),
                    anchor="update-" + stamp.replace("-", "").replace(":", ""),
                )
            )
        return tuple(updates)

    def heading(self, section: _Section) -> tuple[datetime, str] | None:
        separators = list(_SEPARATOR.finditer(section.text))
        if not separators:
            self.bad(
                section.line,
                f"cannot read update heading '## {section.text}': expected "
                f"'## TIMESTAMP — STATUS' with a dash between spaces, as in '{EXAMPLE_HEADING}'",
            )
            return None
        last = separators[-1]
        stamp, word = section.text[: last.start()], section.text[last.end() :]
        try:
            when = parse_timestamp(stamp, self.zone)
        except TimestampError as exc:
            self.bad(section.line, str(exc))
            when = None
        status = status_word(word, self.kind)
        if status is None:
            allowed = STATUSES[self.kind]
            what = "an incident" if self.kind == INCIDENTS else "maintenance"
            self.bad(
                section.line,
                f"unknown status '{word.strip()}' for {what}: expected "
                f"{one_of(allowed)}{suggest(word.strip(), allowed)}",
            )
        if when is None or status is None:
            return None
        return when, status


def _heading_text(rest: str) -> str:
    """The text of a heading whose opening '#'s end before REST, without its closing '#'s.

    It is what `(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$` would match, stripped: that lazy regex
    tries its tail at every character, and cost more than the rest of reading a heading.
    """
    text = rest.rstrip(" \t")
    unclosed = text.rstrip("#")
    if len(unclosed) < len(text) and unclosed.endswith((" ", "\t")):
        text = unclosed
    return text.strip()


def marked_lines(lines: list[str]) -> list[int]:
    """The indexes of LINES that may be headings or code fences: most lines are neither.

    Both begin with '#', '`' or '~' after at most three spaces. Looking only at the first
    character is the cheapest test, and most lines fail it; the regexes decide the rest.
    """
    return [index for index, line in enumerate(lines) if line and line[0] in _MARKS]


def code_lines(lines: list[str], marked: list[int]) -> set[int]:
    """The indexes of LINES in fenced code blocks, fences included; MARKED as marked_lines.

    A fence that is never closed starts no code block: python-markdown shows it as text,
    and the update headings after it must not vanish into it.
    """
    # Most marked lines are headings, which begin with '#': no fence does.
    fences = [
        (index, match)
        for index in marked
        if lines[index][0] != "#" and (match := _FENCE.match(lines[index]))
    ]
    code: set[int] = set()
    position = 0
    while position < len(fences):
        index, opening = fences[position]
        closing = next(
            (
                later
                for later in range(position + 1, len(fences))
                if _closes(fences[later][1], opening.group(1))
            ),
            None,
        )
        if closing is None:
            position += 1
        else:
            code.update(range(index, fences[closing][0] + 1))
            position = closing + 1
    return code


def _closes(fence: re.Match[str], marker: str) -> bool:
    """Whether FENCE closes a code block opened by MARKER."""
    found = fence.group(1)
    return (
        found[0] == marker[0]
        and len(found) >= len(marker)
        and not fence.string[fence.end() :].strip()
    )


def permanent_id(id_host: str, kind: str, slug: str, stamp: str) -> str:
    """`tag:status.acme.example,2026-11-29:incidents/slug/2026-11-29T09:05:00Z`.

    STAMP is the update's time as format_iso writes it.
    """
    return f"tag:{id_host},{stamp.partition('T')[0]}:{kind}/{slug}/{stamp}"
