"""The whole site folder → Site, or every problem in it."""

from __future__ import annotations

import os
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
        for post in load_posts(site_dir, kind, config, now, problems):
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
    return [folder / entry.name for entry in _post_entries(folder)]


def _post_entries(folder: Path) -> list[os.DirEntry[str]]:
    """The Markdown files in FOLDER, sorted by name, as post_files chooses them."""
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        found = [
            entry
            for entry in entries
            if entry.name.endswith(".md") and not entry.name.startswith(".") and _is_file(entry)
        ]
    return sorted(found, key=lambda entry: entry.name)


def _is_file(entry: os.DirEntry[str]) -> bool:
    # A link is asked through Path: DirEntry raises on a loop of links, where Path says no.
    return Path(entry.path).is_file() if entry.is_symlink() else entry.is_file()


def load_posts(
    site_dir: Path, kind: str, config: SiteConfig, now: datetime, problems: list[Problem]
) -> list[Post]:
    """Read every post of KIND in SITE_DIR, adding to PROBLEMS; those with errors left out."""
    folder = site_dir / "content" / kind
    # A file that is no link is where its folder is: the folder is resolved once, not each file.
    folder_inside = is_inside(folder, site_dir)
    posts: list[Post] = []
    for entry in _post_entries(folder):
        shown = f"content/{kind}/{entry.name}"  # relative to the site folder, as writers know it
        if not (is_inside(Path(entry.path), site_dir) if entry.is_symlink() else folder_inside):
            problems.append(error(shown, 1, LINKED_OUT))
            continue
        slug = entry.name.removesuffix(".md")
        post, found = read_post(kind, entry.path, shown, slug, config, now)
        problems.extend(found)
        if post is not None:
            posts.append(post)
    return posts


def read_post(
    kind: str, path: str, shown: str, slug: str, config: SiteConfig, now: datetime
) -> tuple[Post | None, list[Problem]]:
    """Read the file at PATH, named SHOWN in problems, as the post SLUG of KIND."""
    try:
        # Unbuffered: the file is read whole at once, and a buffer would cost more than that.
        with open(path, "rb", buffering=0) as file:
            raw = file.read()
    except OSError as exc:
        return None, [error(shown, 1, f"cannot read: {exc.strerror}")]
    return parse_post(kind, shown, slug, raw, config, now)


def is_inside(path: Path, site_dir: Path) -> bool:
    """Whether PATH, its symbolic links followed, is inside SITE_DIR."""
    try:
        return path.resolve().is_relative_to(site_dir.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return False
