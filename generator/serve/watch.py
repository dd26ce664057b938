"""Watching the site and rebuilding it: debounced, one build at a time, the last good one kept."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watchdog import events as fs
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from generator.build import Build, BuildResult, build_site, config_only_build
from generator.cache import CACHE_DIR, BuildCache
from generator.config import CONFIG_FILE, load_config
from generator.content import KINDS
from generator.load import PostFile, parse_file
from generator.problems import OutpostError, count_summary, sort_problems
from generator.serve.http import Live, Snapshot
from generator.theme import BUILTIN, find_theme

# Not "opened" or "closed without writing": every build reads every file, and would rebuild forever.
CHANGES: list[type[fs.FileSystemEvent]] = [
    *(fs.FileCreatedEvent, fs.FileModifiedEvent, fs.FileDeletedEvent, fs.FileMovedEvent),
    *(fs.FileClosedEvent, fs.DirCreatedEvent, fs.DirDeletedEvent, fs.DirMovedEvent),
]
QUIET = 0.1  # seconds without a change before rebuilding: a burst of saves is one rebuild
LONGEST = 2.0  # ...but a steady stream of changes still rebuilds this often


class Builder:
    """Builds the site into memory; publishes each good build, prints each failed one."""

    def __init__(
        self, site_dir: Path, drafts: bool, now: datetime | None, url: str, live: Live
    ) -> None:
        self.site_dir, self.drafts, self.now, self.url, self.live = site_dir, drafts, now, url, live
        # Kept between builds: a saved file costs the rendering of what it changed.
        self.cache = BuildCache(site_dir / CACHE_DIR)
        self.shell: Build | None = None  # see `post_files`
        self.root = site_dir.resolve()  # as the watcher names the files that changed

    def build(self, first: bool, changed: frozenset[Path] = frozenset()) -> None:
        """Build the site; when only posts changed (CHANGED), their pages are served first."""
        previous = self.live.current
        if any(not self.in_post_folder(path) for path in changed):
            self.shell = None  # the config or theme may have changed: made again when needed
        if not first:
            self.serve_posts_first(changed, previous)
        try:
            result = build_site(
                self.site_dir,
                None,
                self.now or datetime.now(UTC),
                self.drafts,
                self.url,
                cache=self.cache,
            )
        except OutpostError as exc:
            errors = [str(p) for p in sort_problems(exc.problems)]
            print_lines(errors)
            self.fail(count_summary(exc.problems), previous, tuple(errors))
            return
        except Exception as exc:  # a bug or a file vanishing mid-read must not stop the watching
            self.fail(f"internal error: {exc!r}", previous, (f"internal error: {exc!r}",))
            return
        print_lines([str(p) for p in sort_problems(result.warnings)])
        files_changed = count_changed(previous.files, result.files)
        current = self.live.current  # the posts served first, if they were
        if current is not previous:
            files_changed_since = count_changed(current.files, result.files)
        else:
            files_changed_since = files_changed
        if files_changed_since or not previous.files:
            self.live.publish(result.files)
        print(summary(result, files_changed, first), flush=True)

    def serve_posts_first(self, changed: frozenset[Path], previous: Snapshot) -> None:
        """When only post files changed, serve their own pages at once, then build the rest.

        A post's own page and feed depend on that post and the config alone, so they are
        made in milliseconds, while the pages that list posts (home, history, feeds...) take
        the whole build: a writer checking an update sees it without that wait, on a site of
        any size. An open page reloads only when a build changes it (see `Snapshot.version`):
        the post's page once, now, and the pages that list it once, after the whole build.
        Anything else (a post with an error, a theme whose post page reads other posts, a
        post page that reads the time when the time runs) waits for the whole build.
        """
        started = time.perf_counter()
        # Other files in a folder of posts (an editor's test or temporary files) are not read.
        others = [path for path in changed if not self.in_post_folder(path)]
        posts = [path for path in changed if self.post_kind(path)]
        if others or not posts:
            return
        try:
            files = self.post_files(posts)
        except Exception:  # never in the way of the whole build, which reports what is wrong
            files = None
        if files:
            self.live.publish({**previous.files, **files})
            took = (time.perf_counter() - started) * 1000
            names = ", ".join(sorted(path.name for path in posts))
            print(f"served {names} first, in {took:.0f} ms; building the rest", flush=True)

    def in_post_folder(self, path: Path) -> bool:
        return path.parent.parent == self.root / "content" and path.parent.name in KINDS

    def post_kind(self, path: Path) -> str | None:
        """The kind of post that PATH is a file of (None: not a post file)."""
        if not self.in_post_folder(path) or path.suffix != ".md":
            return None
        return path.parent.name if Watcher.matters_name(path.name) else None

    def post_files(self, paths: list[Path]) -> dict[str, bytes] | None:
        """The own files of the posts in PATHS, or None when any must wait for the whole build."""
        build = self.shell or self.make_shell()
        if build is None:
            return None
        config = build.site.config
        build.markdown.forget()
        files: dict[str, bytes] = {}
        for path in paths:
            kind = self.post_kind(path)
            assert kind is not None
            slug = path.name.removesuffix(".md")
            file = PostFile(kind, str(path), f"content/{kind}/{path.name}", slug)
            parsed = parse_file(file, config, build.site.now)
            post = parsed.post
            if post is None or any(p.is_error for p in parsed.problems):
                return None
            if post.draft and not self.drafts:
                return None
            made, read = build.render_post(post)
            if not read <= {"config", "now"} or ("now" in read and self.now is None):
                return None
            files.update(made)
        return files

    def make_shell(self) -> Build | None:
        """A build of the site with its config alone, to render single posts with."""
        config, _ = load_config(self.site_dir)
        if config is None:
            return None
        now = self.now or datetime.now(UTC)
        self.shell = config_only_build(
            self.site_dir, config, now, self.url, self.drafts, self.cache
        )
        return self.shell

    def fail(self, what: str, previous: Snapshot, errors: tuple[str, ...]) -> None:
        """Keep serving the last good build; with none yet, serve (and reload) the errors."""
        if previous.files:
            print_lines([f"rebuild failed: {what}; still serving the last good build"])
        else:
            print_lines([f"build failed: {what}; serving an error page until it is fixed"])
            self.live.publish({}, errors)


def summary(result: BuildResult, changed: int, first: bool) -> str:
    """`rebuilt in 0.12 s (3 files changed)`, or the first build's counts."""
    if first:
        return result.summary("memory")
    files = f"{changed} file{'s' if changed != 1 else ''}" if changed else "no files"
    return f"rebuilt in {result.seconds:.2f} s ({files} changed)"


def count_changed(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> int:
    """How many output files were added, removed or changed."""
    return sum(old.get(path) != new.get(path) for path in old.keys() | new.keys())


def print_lines(lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)
    sys.stderr.flush()


@dataclass
class Debounce:
    """When to rebuild: QUIET seconds after the last change, at most LONGEST after the first."""

    quiet: float
    longest: float
    first: float | None = None
    last: float = 0.0

    def note(self, now: float) -> None:
        if self.first is None:
            self.first = now
        self.last = now

    def due_in(self, now: float) -> float | None:
        """Seconds until the rebuild is due (0: now); None when nothing has changed."""
        if self.first is None:
            return None
        return max(0.0, min(self.last + self.quiet, self.first + self.longest) - now)

    def clear(self) -> None:
        self.first = None


class Rebuilder:
    """Runs REBUILD on its own thread whenever the debounce says a burst of changes is over."""

    def __init__(self, rebuild: Callable[[frozenset[Path]], None], debounce: Debounce) -> None:
        self.rebuild = rebuild
        self.debounce = debounce
        self.paths: set[Path] = set()  # what changed since the last rebuild began
        self.changed = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self.run, name="outpost-rebuild", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def notice(self, paths: list[Path]) -> None:
        with self.changed:
            self.paths.update(paths)
            self.debounce.note(time.monotonic())
            self.changed.notify()

    def run(self) -> None:
        while (paths := self.wait_until_due()) is not None:
            self.rebuild(paths)

    def wait_until_due(self) -> frozenset[Path] | None:
        """Wait for changes and then a pause: what changed, to rebuild; None to stop."""
        with self.changed:
            while not self.stopping:
                delay = self.debounce.due_in(time.monotonic())
                if delay == 0:
                    self.debounce.clear()  # changes from now on lead to the next rebuild
                    paths, self.paths = frozenset(self.paths), set()
                    return paths
                self.changed.wait(delay)
            return None

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify()
        self.thread.join()


class Watcher(fs.FileSystemEventHandler):
    """Watches site.yaml, content/ and the theme; calls ON_CHANGE for every change that matters."""

    def __init__(self, site_dir: Path, on_change: Callable[[list[Path]], None]) -> None:
        super().__init__()
        self.site_dir = site_dir.resolve()
        self.on_change = on_change
        self.observer = Observer()
        self.watches: dict[tuple[Path, bool], ObservedWatch] = {}

    def start(self) -> None:
        self.sync()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join()

    def sync(self) -> None:
        """Watch what the site uses now."""
        wanted = watch_targets(self.site_dir)
        for target in self.watches.keys() - wanted:
            self.observer.unschedule(self.watches.pop(target))
        for target in wanted - self.watches.keys():
            path, recursive = target
            try:
                self.watches[target] = self.observer.schedule(
                    self, str(path), recursive=recursive, event_filter=CHANGES
                )
            except OSError as exc:  # gone again, or the system's limit on watches reached
                print_lines([f"outpost serve: cannot watch {path}: {exc.strerror or exc}"])

    def on_any_event(self, event: fs.FileSystemEvent) -> None:
        paths = [Path(os.fsdecode(p)) for p in (event.src_path, event.dest_path) if p]
        mattering = [path for path in paths if self.matters(path)]
        if mattering:
            self.on_change(mattering)

    def matters(self, path: Path) -> bool:
        """Whether a change to PATH can change the site: not an editor's backup, swap or lock file."""
        if not self.matters_name(path.name):
            return False
        return path.parent != self.site_dir or path.name in (CONFIG_FILE, "content", "themes")

    @staticmethod
    def matters_name(name: str) -> bool:
        return not (name.startswith((".", "#")) or name.endswith("~"))


def watch_targets(site_dir: Path) -> set[tuple[Path, bool]]:
    """The folders to watch, each with whether its subfolders are watched too."""
    config, _ = load_config(site_dir)
    theme = find_theme(site_dir, config.theme if config else BUILTIN)
    themes = site_dir / "themes"
    folders = [
        site_dir / "content",
        themes,
        *(d for d in theme.dirs if not d.is_relative_to(themes)),
    ]
    return {(site_dir, False)} | {(folder, True) for folder in folders if folder.is_dir()}
