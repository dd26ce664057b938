"""The whole site folder → Site, or every problem in it."""

from __future__ import annotations

import gc
import os
import pickle
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from generator.cache import BuildCache, code_identity, digest_of
from generator.config import CONFIG_FILE, load_config
from generator.content import CLOCK_SKEW, INCIDENTS, KINDS, MAINTENANCE, parse_post
from generator.model import Incident, Maintenance, Post, Site, SiteConfig
from generator.problems import Problem, error, sort_problems


def load_site(
    site_dir: Path,
    now: datetime,
    drafts: bool = False,
    cache: BuildCache | None = None,
    read_many: ReadMany | None = None,
) -> tuple[Site | None, list[Problem]]:
    """Read site.yaml and every post; None when anything has an error.

    With CACHE, a post file read before (the same bytes, path, site.yaml and Outpost) is
    taken from it rather than parsed again. READ_MANY, when given, is offered the files that
    must be parsed.
    """
    # Every post read is kept: collecting garbage while they come finds none, and one full
    # collection over 10,000 loaded posts costs a tenth of a second.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load_site(site_dir, now, drafts, cache, read_many)
    finally:
        if collecting:
            gc.enable()


def _load_site(
    site_dir: Path,
    now: datetime,
    drafts: bool,
    cache: BuildCache | None,
    read_many: ReadMany | None,
) -> tuple[Site | None, list[Problem]]:
    config, problems = load_config(site_dir)
    if config is None:
        return None, sort_problems(problems)
    reader = PostReader(site_dir, config, now, cache)
    found: dict[PostFile, tuple[Post | None, list[Problem]]] = {}
    todo: list[PostFile] = []
    for kind in KINDS:
        for file in post_files_of(site_dir, kind, problems):
            kept = reader.kept(file)
            if kept is None:
                todo.append(file)
            else:
                found[file] = kept
    parsed = read_many(config, todo, reader.key) if read_many is not None and todo else None
    if parsed is not None:
        for file, result in parsed:
            found[file] = reader.keep(file, result)
    else:
        for file in todo:
            found[file] = reader.keep(file, parse_file(file, config, now))
    posts: dict[str, list[Incident | Maintenance]] = {kind: [] for kind in KINDS}
    for file in sorted(found, key=lambda f: (KINDS.index(f.kind), f.shown)):
        post, post_problems = found[file]
        problems.extend(post_problems)
        if isinstance(post, (Incident, Maintenance)) and (drafts or not post.draft):
            posts[file.kind].append(post)
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


@dataclass(frozen=True)
class PostFile:
    """A post file: its kind, where it is, how problems name it, and its post's slug."""

    kind: str
    path: str
    shown: str  # relative to the site folder, as writers know it
    slug: str


@dataclass(frozen=True)
class Parsed:
    """What reading a post file found, with what the cache needs to know it again."""

    post: Post | None
    problems: tuple[Problem, ...]
    content: str | None  # the digest of its bytes; None when it could not be read
    signature: str | None  # what `stat` said of it, when it can be trusted next time
    record: bytes | None = None  # the post as the cache keeps it, when it can be kept


# Parses the post files it is given, elsewhere (the build's worker processes): each file with
# what `parse_file` makes of it, in any order. None: too few to be worth it, read them here.
# It is given the config, the files, and how the cache keys a file's post by its content.
ReadMany = Callable[
    [SiteConfig, list[PostFile], Callable[[PostFile, str], str]],
    Iterable[tuple[PostFile, Parsed]] | None,
]


def post_files_of(site_dir: Path, kind: str, problems: list[Problem]) -> list[PostFile]:
    """The post files of KIND; a link to outside the site is a problem, not a file."""
    folder = site_dir / "content" / kind
    # A file that is no link is where its folder is: the folder is resolved once, not each file.
    folder_inside = is_inside(folder, site_dir)
    files = []
    for entry in _post_entries(folder):
        shown = f"content/{kind}/{entry.name}"
        if not (is_inside(Path(entry.path), site_dir) if entry.is_symlink() else folder_inside):
            problems.append(error(shown, 1, LINKED_OUT))
            continue
        files.append(PostFile(kind, entry.path, shown, entry.name.removesuffix(".md")))
    return files


def parse_file(file: PostFile, config: SiteConfig, now: datetime, keep: bool = False) -> Parsed:
    """Read and parse FILE; with KEEP, the post pickled as the cache keeps it (for a worker)."""
    try:
        stat: os.stat_result | None = os.stat(file.path)
    except OSError:
        stat = None
    try:
        # Unbuffered: the file is read whole at once, and a buffer would cost more than that.
        with open(file.path, "rb", buffering=0) as handle:
            raw = handle.read()
    except OSError as exc:
        return Parsed(None, (error(file.shown, 1, f"cannot read: {exc.strerror}"),), None, None)
    post, problems = parse_post(file.kind, file.shown, file.slug, raw, config, now)
    signature = _signature(stat) if stat is not None and _settled(stat) else None
    record = _record(post, problems, now) if keep and post is not None else None
    data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL) if record else None
    return Parsed(post, tuple(problems), digest_of(raw), signature, data)


def _record(
    post: Post, problems: list[Problem] | tuple[Problem, ...], now: datetime
) -> tuple[Any, ...] | None:
    """POST as the cache keeps it, with its problems and its latest update's time; None
    when one of its updates was in the future when it was read, as the warning about one
    depends on the time."""
    latest = max((u.when for u in post.updates), default=None)
    if latest is not None and latest > now + CLOCK_SKEW:
        return None
    return (post, tuple(problems), latest)


class PostReader:
    """Reads post files, through the build cache when there is one."""

    def __init__(
        self, site_dir: Path, config: SiteConfig, now: datetime, cache: BuildCache | None
    ) -> None:
        self.config, self.now, self.cache = config, now, cache
        self.base = key_base(site_dir) if cache is not None else ""

    def kept(self, file: PostFile) -> tuple[Post | None, list[Problem]] | None:
        """FILE's post from the cache, when `stat` says the file is as it was; else None."""
        cache = self.cache
        if cache is None:
            return None
        # A file that `stat` says is as it was when last read is not read again.
        try:
            stat = os.stat(file.path)
        except OSError:
            return None
        signature = _signature(stat)
        content = cache.file_digest(file.shown, signature)
        if content is None and cache.has_posts():  # touched, or checked out afresh: read it
            try:
                with open(file.path, "rb", buffering=0) as handle:
                    content = digest_of(handle.read())
            except OSError:
                return None
            if _settled(stat):
                cache.set_file_digest(file.shown, signature, content)
        return self._kept(file, content) if content is not None else None

    def _kept(self, file: PostFile, content: str) -> tuple[Post | None, list[Problem]] | None:
        assert self.cache is not None
        key = self.key(file, content)
        kept = self.cache.post(key)
        # Taken only while none of its updates is in the future: the warning depends on it.
        if kept is None or (kept[2] is not None and kept[2] > self.now + CLOCK_SKEW):
            return None
        self.cache.set_source_key(file.kind, kept[0].slug, key)
        return kept[0], list(kept[1])

    def keep(self, file: PostFile, parsed: Parsed) -> tuple[Post | None, list[Problem]]:
        """What PARSED found in FILE, kept in the cache for the next build."""
        cache, content = self.cache, parsed.content
        if cache is None or content is None:
            post = pickle.loads(parsed.record)[0] if parsed.record is not None else parsed.post
            return post, list(parsed.problems)
        if parsed.signature is not None:
            cache.set_file_digest(file.shown, parsed.signature, content)
        key = self.key(file, content)
        post = parsed.post
        if parsed.record is not None:  # from a worker, which sends the post this way alone
            record = pickle.loads(parsed.record)
            post = record[0]
            cache.add_post(key, record, parsed.record)
            cache.set_source_key(file.kind, post.slug, key)
        elif post is not None:
            if (record := _record(post, parsed.problems, self.now)) is not None:
                cache.add_post(key, record)
            cache.set_source_key(file.kind, post.slug, key)
        return post, list(parsed.problems)

    def key(self, file: PostFile, content: str) -> str:
        return post_key(self.base, file, content)


def key_base(site_dir: Path) -> str:
    """What every post's cache key starts from: Outpost itself and the site's config."""
    try:
        site_yaml = (site_dir / CONFIG_FILE).read_bytes()
    except OSError:
        site_yaml = b""
    return digest_of(code_identity(), site_yaml)


def post_key(base: str, file: PostFile, content: str) -> str:
    """The cache key of FILE's post when its bytes have the digest CONTENT."""
    # Only the last part has no fixed form: the parts need no hashing to be told apart.
    return f"{base}/{file.kind}/{content}/{file.shown}"


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
