"""The whole site folder → Site, or every problem in it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from generator.config import CONFIG_FILE, load_config
from generator.content import CLOCK_SKEW, INCIDENTS, KINDS, MAINTENANCE, parse_post
from generator.model import Incident, Maintenance, Post, Site, SiteConfig
from generator.problems import Problem, error, sort_problems

if TYPE_CHECKING:
    from generator.cache import BuildCache


def load_site(
    site_dir: Path, now: datetime, drafts: bool = False, cache: BuildCache | None = None
) -> tuple[Site | None, list[Problem]]:
    """Read site.yaml and every post; None when anything has an error.

    With CACHE, a post file read before (the same bytes, path, site.yaml and Outpost) is
    taken from it rather than parsed again.
    """
    config, problems = load_config(site_dir)
    if config is None:
        return None, sort_problems(problems)
    posts: dict[str, list[Incident | Maintenance]] = {kind: [] for kind in KINDS}
    reader = PostReader(site_dir, config, now, cache)
    for kind in KINDS:
        for path in post_files(site_dir, kind):
            post, found = reader.load(kind, path)
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


class PostReader:
    """Reads post files, through the build cache when there is one."""

    def __init__(
        self, site_dir: Path, config: SiteConfig, now: datetime, cache: BuildCache | None
    ) -> None:
        self.site_dir, self.config, self.now, self.cache = site_dir, config, now, cache
        if cache is not None:
            from generator.cache import code_identity, digest_of

            self.digest_of = digest_of
            try:
                site_yaml = (site_dir / CONFIG_FILE).read_bytes()
            except OSError:
                site_yaml = b""
            self.base = digest_of(code_identity(), site_yaml)

    def load(self, kind: str, path: Path) -> tuple[Post | None, list[Problem]]:
        cache = self.cache
        if cache is None:
            return load_post(self.site_dir, kind, path, self.config, self.now)
        shown = display_path(self.site_dir, path)
        if not is_inside(path, self.site_dir):
            return None, [error(shown, 1, LINKED_OUT)]
        try:
            raw = path.read_bytes()
        except OSError as exc:
            return None, [error(shown, 1, f"cannot read: {exc.strerror}")]
        key = self.digest_of(self.base, kind, shown, raw)
        kept = cache.post(key)
        # A post is kept only when none of its updates was in the future when it was read,
        # and taken only while that is still so: the warning about one depends on the time.
        if kept is not None and (kept[2] is None or kept[2] <= self.now + CLOCK_SKEW):
            post, problems = kept[0], list(kept[1])
        else:
            post, problems = parse_post(kind, shown, path.stem, raw, self.config, self.now)
            latest = max((u.when for u in post.updates), default=None) if post else None
            if post is not None and (latest is None or latest <= self.now + CLOCK_SKEW):
                cache.add_post(key, (post, tuple(problems), latest))
        if post is not None:
            cache.set_source_key(kind, post.slug, key)
        return post, problems


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
