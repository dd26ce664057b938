"""What `new`, `update` and `resolve` do to content files: create, append, check, write atomically."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from difflib import get_close_matches
from pathlib import Path

import yaml

from generator.config import load_config
from generator.content import (
    INCIDENTS,
    KINDS,
    STATUSES,
    parse_post,
    status_word,
)
from generator.files import replace_file, write_new_file
from generator.load import post_files
from generator.model import IMPACTS, Post, SiteConfig
from generator.problems import OutpostError, Problem, UsageError, one_of, suggest
from generator.slugs import slugify
from generator.timestamps import format_utc


@dataclass(frozen=True)
class Target:
    """The file that a command acts on."""

    kind: str
    slug: str
    path: Path


def load_site_config(site_dir: Path) -> SiteConfig:
    config, problems = load_config(site_dir)
    if config is None:
        raise OutpostError(problems)
    return config


def find_post(site_dir: Path, name: str) -> Target:
    """The incident or maintenance window NAME: a slug, a file path, or a slug without its date."""
    given = Path(name)
    wanted = given.name.removesuffix(".md") if name.endswith(".md") or "/" in name else name
    kinds = [k for k in KINDS if k in given.parent.parts] or list(KINDS)
    known = [Target(kind, path.stem, path) for kind in kinds for path in post_files(site_dir, kind)]
    exact = [t for t in known if t.slug == wanted]
    # `db-outage` for `2026-11-29-db-outage`: accepted when exactly one file matches.
    dated = [t for t in known if t.slug[11:] == wanted and re.match(r"\d{4}-\d\d-\d\d-", t.slug)]
    if len(exact) > 1:
        files = sorted(f"content/{t.kind}/{t.slug}.md" for t in exact)
        raise UsageError(f"'{name}' is more than one file: {one_of(files)}; give its path")
    if len(dated) > 1:
        slugs = sorted(t.slug for t in dated)
        raise UsageError(f"'{wanted}' is more than one file: {one_of(slugs)}; give the date too")
    if exact or dated:
        return (exact or dated)[0]
    slugs = sorted({t.slug for t in known})
    close = sorted({s for s in slugs if wanted in s} | set(get_close_matches(wanted, slugs, n=3)))
    hint = f"; did you mean {one_of([repr(s) for s in close[:5]])}?" if close else ""
    raise UsageError(f"no incident or maintenance window '{wanted}' in content/{hint}")


def new_post_path(site_dir: Path, title: str, now: datetime, kind: str = INCIDENTS) -> Path:
    slug = slugify(title) or "incident"
    return site_dir / "content" / kind / f"{now:%Y-%m-%d}-{slug}.md"


def new_incident_text(
    title: str,
    impact: str,
    components: list[str],
    status: str,
    message: str,
    draft: bool,
    now: datetime,
) -> str:
    """The text of a new incident file, with its first update."""
    front: dict[str, object] = {"title": title, "impact": impact}
    if components:
        front["components"] = components
    if draft:
        front["draft"] = True
    lines = ["---"]
    for key, value in front.items():
        # Block style for the keys, flow style for the list: `components: [API, Web app]`.
        flow = None if isinstance(value, list) else False
        dumped = yaml.safe_dump(
            {key: value}, default_flow_style=flow, allow_unicode=True, width=10_000
        )
        lines.append(dumped.strip())
    lines += ["---", "", update_heading(now, status), "", message_text(message), ""]
    return "\n".join(lines)


def update_heading(when: datetime, status: str) -> str:
    return f"## {format_utc(when)} — {status}"


def message_text(message: str) -> str:
    """MESSAGE trimmed, with LF line ends: the file's own line ends are applied when writing."""
    return message.replace("\r\n", "\n").replace("\r", "\n").strip()


def check_status(kind: str, word: str) -> str:
    """The canonical status for WORD (`in-progress` is `In progress`); UsageError if none."""
    status = status_word(word.replace("-", " ").replace("_", " "), kind)
    if status is None:
        allowed = STATUSES[kind]
        what = "an incident" if kind == INCIDENTS else "maintenance"
        raise UsageError(
            f"unknown status '{word}' for {what}: expected {one_of(allowed)}{suggest(word, allowed)}"
        )
    return status


def check_impact(word: str) -> str:
    if word.lower() not in IMPACTS:
        raise UsageError(
            f"impact must be one of {', '.join(IMPACTS)}; got '{word}'{suggest(word, IMPACTS)}"
        )
    return word.lower()


def check_components(config: SiteConfig, names: list[str]) -> list[str]:
    declared = [c.name for c in config.components]
    by_lower = {n.lower(): n for n in declared}
    found = []
    for name in names:
        if name.lower() not in by_lower:
            hint = suggest(name, declared) if declared else " (site.yaml declares no components)"
            raise UsageError(f"component '{name}' is not declared in site.yaml{hint}")
        found.append(by_lower[name.lower()])
    return found


def create_post(
    site_dir: Path, path: Path, text: str, config: SiteConfig, now: datetime
) -> tuple[Path, list[Problem]]:
    """Write TEXT to PATH, or to PATH-2, PATH-3, ... : never over an existing file."""
    candidate, number = path, 1
    while True:
        post, problems = _check_text(site_dir, candidate, text, config, now)
        if post is None:
            raise OutpostError(problems)
        _check_one_added(post, 0, post.source)
        try:
            write_new_file(candidate, text.encode())
            return candidate, problems
        except FileExistsError:
            number += 1
            candidate = path.with_name(f"{path.stem}-{number}.md")


def append_update(
    site_dir: Path, target: Target, status: str, message: str, config: SiteConfig, now: datetime
) -> tuple[datetime, list[Problem]]:
    """Append `## NOW — STATUS` and MESSAGE to TARGET's file; check it first, write it whole."""
    raw = target.path.read_bytes()
    before, problems = _check_bytes(site_dir, target, raw, config, now)
    if before is None:
        raise OutpostError(problems)
    when = now.astimezone(UTC).replace(microsecond=0)
    if before.updates and when <= before.updates[-1].when:
        when = before.updates[-1].when + timedelta(seconds=1)
    newline = "\r\n" if b"\r\n" in raw.split(b"\n", 1)[0] + b"\n" else "\n"
    text = raw.decode("utf-8-sig")
    body = text.rstrip("\r\n") if text.strip() else text
    addition = "\n".join(["", "", update_heading(when, status), "", message_text(message), ""])
    new_text = body + addition.replace("\n", newline)
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    new_raw = bom + new_text.encode()
    after, problems = _check_bytes(site_dir, target, new_raw, config, now)
    if after is None:
        raise OutpostError(problems)
    _check_one_added(after, len(before.updates), after.source)
    replace_file(target.path, new_raw)
    return when, problems


def _check_one_added(post: Post, earlier: int, shown: str) -> None:
    """UsageError unless POST reads back as its EARLIER updates and exactly one more."""
    added = post.updates[earlier:]
    if len(added) > 1:
        # The message starts two lines below the new update's heading.
        line = added[1].line - added[0].line - 1
        raise UsageError(
            f"line {line} of the message is an update heading: "
            "use '###' for a heading inside an update; nothing written"
        )
    if not added:
        raise UsageError(
            f"the new update would be hidden in a code block left open in {shown}: "
            "close its ``` first; nothing written"
        )


def _check_text(
    site_dir: Path, path: Path, text: str, config: SiteConfig, now: datetime
) -> tuple[Post | None, list[Problem]]:
    target = Target(INCIDENTS, path.stem, path)
    return _check_bytes(site_dir, target, text.encode(), config, now)


def _check_bytes(
    site_dir: Path, target: Target, raw: bytes, config: SiteConfig, now: datetime
) -> tuple[Post | None, list[Problem]]:
    try:
        shown = target.path.relative_to(site_dir).as_posix()
    except ValueError:
        shown = str(target.path)
    return parse_post(target.kind, shown, target.slug, raw, config, now)
