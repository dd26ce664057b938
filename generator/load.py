"""The whole site folder → Site, or every problem in it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from generator.config import load_config
from generator.content import INCIDENTS, KINDS, MAINTENANCE, parse_post
from generator.model import Incident, Maintenance, Post, Site, SiteConfig
from generator.problems import Problem, error, sort_problems


def load_site(
    site_dir: Path, now: datetime, drafts: bool = False
) -> tuple[Site | None, list[Problem]]:
    """Read site.yaml and every post; None when anything has an error."""
    config, problems = load_config(site_dir)
    if config is None:
        return None, sort_problems(problems)
    posts: dict[str, list[Incident | Maintenance]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        for path in post_files(site_dir, kind):
            post, found = load_post(site_dir, kind, path, config, now)
            problems.extend(found)
            if isinstance(post, (Incident, Maintenance)) and (drafts or not post.draft):
                posts[kind].append(post)
    if any(p.is_error for p in problems):
        return None, sort_problems(problems)
    incidents = sorted(
        (p for p in posts[INCIDENTS] if isinstance(p, Incident)),
        key=lambda i: (i.began or now, i.slug),
        reverse=True,
    )
    maintenance = sorted(
        (p for p in posts[MAINTENANCE] if isinstance(p, Maintenance)),
        key=lambda m: (m.start, m.slug),
    )
    site = Site(config=config, incidents=tuple(incidents), maintenance=tuple(maintenance), now=now)
    return site, sort_problems(problems)


LINKED_OUT = (
    "this file is a symbolic link to a place outside the site folder; Outpost does not read it,"
    " so that no file from outside the site is published: copy the file into the site instead"
)


def post_files(site_dir: Path, kind: str) -> list[Path]:
    """The Markdown files of KIND, sorted; editor backups and hidden files left out."""
    folder = site_dir / "content" / kind
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix == ".md" and not p.name.startswith(".") and p.is_file()
    )


def load_post(
    site_dir: Path, kind: str, path: Path, config: SiteConfig, now: datetime
) -> tuple[Post | None, list[Problem]]:
    """Read the file at PATH (under SITE_DIR) as a post of KIND."""
    shown = display_path(site_dir, path)
    if not is_inside(path, site_dir):
        return None, [error(shown, 1, LINKED_OUT)]
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [error(shown, 1, f"cannot read: {exc.strerror}")]
    return parse_post(kind, shown, path.stem, raw, config, now)


def is_inside(path: Path, site_dir: Path) -> bool:
    """Whether PATH, its symbolic links followed, is inside SITE_DIR."""
    try:
        return path.resolve().is_relative_to(site_dir.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return False


def display_path(site_dir: Path, path: Path) -> str:
    """PATH as the writer knows it: relative to the site folder."""
    try:
        return path.relative_to(site_dir).as_posix()
    except ValueError:
        return str(path)
