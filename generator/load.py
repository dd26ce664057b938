"""The whole site folder → Site, or every problem in it."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from generator.cache import BuildCache, code_identity, digest_of
from generator.config import CONFIG_FILE, load_config
from generator.content import CLOCK_SKEW, INCIDENTS, KINDS, MAINTENANCE, parse_post
from generator.model import Incident, Maintenance, Post, Site, SiteConfig
from generator.problems import Problem, error, sort_problems


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
        for post in load_posts(site_dir, kind, reader, problems):
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
    site_dir: Path, kind: str, reader: PostReader, problems: list[Problem]
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
        post, found = reader.read(kind, entry.path, shown, entry.name.removesuffix(".md"))
        problems.extend(found)
        if post is not None:
            posts.append(post)
    return posts


class PostReader:
    """Reads post files, through the build cache when there is one."""

    def __init__(
        self, site_dir: Path, config: SiteConfig, now: datetime, cache: BuildCache | None
    ) -> None:
        self.config, self.now, self.cache = config, now, cache
        self.base = ""
        if cache is not None:
            try:
                site_yaml = (site_dir / CONFIG_FILE).read_bytes()
            except OSError:
                site_yaml = b""
            self.base = digest_of(code_identity(), site_yaml)

    def read(
        self, kind: str, path: str, shown: str, slug: str
    ) -> tuple[Post | None, list[Problem]]:
        """Read the file at PATH, named SHOWN in problems, as the post SLUG of KIND."""
        cache = self.cache
        if cache is None:
            data = self._bytes(path, shown)
            if isinstance(data, Problem):
                return None, [data]
            return parse_post(kind, shown, slug, data, self.config, self.now)
        # A file that `stat` says is as it was when last read is not read again.
        try:
            stat = os.stat(path)
        except OSError:
            stat = None
        signature = _signature(stat) if stat else None
        content = cache.file_digest(shown, signature) if signature else None
        key = self._key(kind, shown, content) if content else None
        kept = cache.post(key) if key else None
        raw: bytes | None = None
        if key is None or kept is None:
            read = self._bytes(path, shown)
            if isinstance(read, Problem):
                return None, [read]
            raw, content = read, digest_of(read)
            if stat is not None and signature and _settled(stat):
                cache.set_file_digest(shown, signature, content)
            key = self._key(kind, shown, content)
            kept = cache.post(key)
        # A post is kept only when none of its updates was in the future when it was read,
        # and taken only while that is still so: the warning about one depends on the time.
        if kept is not None and (kept[2] is None or kept[2] <= self.now + CLOCK_SKEW):
            post, problems = kept[0], list(kept[1])
        else:
            if raw is None:
                read = self._bytes(path, shown)
                if isinstance(read, Problem):
                    return None, [read]
                raw = read
            post, problems = parse_post(kind, shown, slug, raw, self.config, self.now)
            latest = max((u.when for u in post.updates), default=None) if post else None
            if post is not None and (latest is None or latest <= self.now + CLOCK_SKEW):
                cache.add_post(key, (post, tuple(problems), latest))
        if post is not None:
            cache.set_source_key(kind, post.slug, key)
        return post, problems

    def _key(self, kind: str, shown: str, content: str) -> str:
        return digest_of(self.base, kind, shown, content)

    @staticmethod
    def _bytes(path: str, shown: str) -> bytes | Problem:
        try:
            # Unbuffered: the file is read whole at once, and a buffer would cost more than that.
            with open(path, "rb", buffering=0) as file:
                return file.read()
        except OSError as exc:
            return error(shown, 1, f"cannot read: {exc.strerror}")


def _signature(stat: os.stat_result) -> str:
    """What `stat` says of a file that changes whenever its bytes do (as git's index does)."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}:{stat.st_dev}"


def _settled(stat: os.stat_result) -> bool:
    """Whether a file was last changed long enough ago that a change now would show in `stat`.

    A file written within the same tick of a coarse clock as it was read could change
    again without its times changing: such a file is read again next time.
    """
    return time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > 2_000_000_000


def is_inside(path: Path, site_dir: Path) -> bool:
    """Whether PATH, its symbolic links followed, is inside SITE_DIR."""
    try:
        return path.resolve().is_relative_to(site_dir.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return False
