"""The recipe: load, check, render, write; each post's files made once and kept.

A post's own files (its page and its feed) depend on that post, the config, the theme and
Outpost, never on the other posts: they are kept in the build cache by a key of all of
those, and made again only when it changes (in worker processes, when there are many).
Everything else (home, history, components, the site's feeds, the API...) shows many
posts and is made on every build; each of those is bounded (feeds hold the latest
entries, history is one page a month), so a build after one update stays small.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from generator.cache import CACHE_DIR, BuildCache, code_identity, digest_of
from generator.config import CONFIG_FILE
from generator.i18n import Messages, load_messages
from generator.load import Parsed, PostFile, load_site, parse_file
from generator.model import Post, Site, SiteConfig
from generator.output import Entry, NewFiles, TreeWriter, file_digest, write_tree
from generator.outputs.api import render_api
from generator.outputs.badges import render_badges
from generator.outputs.calendar import render_calendar
from generator.outputs.compress import compress_files
from generator.outputs.feeds import ENTRY_HEADINGS, FeedWriter, render_post_feeds, render_site_feeds
from generator.outputs.hosting import render_headers
from generator.outputs.jsonfeed import render_json_feed
from generator.outputs.markup import MarkdownRenderer
from generator.outputs.meta import render_meta
from generator.outputs.pages import PageRenderer
from generator.problems import OutpostError, Problem, UsageError, error
from generator.publish.manifest import MANIFEST, SIGNATURE, make_manifest, sign_manifest
from generator.templates import template_problem
from generator.theme import Theme, find_theme, fingerprint

# Below this many posts to render, starting worker processes costs more than it saves.
PARALLEL_FROM = 200
BATCH = 25  # posts per task sent to a worker
TREES = "trees"  # under the cache folder: the spare output trees (see generator/output.py)
TEMPLATES = "templates"  # under the cache folder: compiled templates


@dataclass(frozen=True)
class BuildResult:
    """What a build made, for its summary line; the files' bytes when it wrote no folder."""

    paths: tuple[str, ...]
    files: dict[str, bytes]
    warnings: list[Problem]
    seconds: float
    rendered: int = 0  # posts whose files were made anew (the rest came from the cache)

    def count(self, *suffixes: str) -> int:
        return sum(path.endswith(suffixes) for path in self.paths)

    def summary(self, out: str) -> str:
        # Feeds are what readers and calendars subscribe to.
        pages, feeds = self.count(".html"), self.count(".atom", ".rss", "feed.json", ".ics")
        others = len(self.paths) - pages - feeds
        return (
            f"built {pages} page{'s' if pages != 1 else ''}, {feeds} feed{'s' if feeds != 1 else ''}"
            f" and {others} other file{'s' if others != 1 else ''} into {out} in {self.seconds:.2f} s"
        )


def build_site(
    site_dir: Path,
    out: Path | None,
    now: datetime,
    drafts: bool = False,
    base_url: str | None = None,
    *,
    manifest: bool = False,
    sign_key: Path | None = None,
    compress: bool = False,
    cache: BuildCache | None = None,
) -> BuildResult:
    """Build SITE_DIR into OUT (None: render only); raises OutpostError, or UsageError for OUT.

    With MANIFEST (or SIGN_KEY), the output lists every file's hash; SIGN_KEY signs that list.
    With COMPRESS, larger text files get .gz and .br copies (listed in the manifest too).
    CACHE is the build cache to use and keep (`serve` keeps one); by default the site's
    `.outpost-cache/` is opened for this build.
    """
    started = time.perf_counter()
    if out is not None:
        check_out_folder(site_dir, out)
    store = cache if cache is not None else BuildCache(site_dir / CACHE_DIR)
    writing = out is not None and not (compress or manifest or sign_key)
    writer = _Writer(out, site_dir / CACHE_DIR / TREES, store) if writing and out else None
    frozen = False
    try:
        keep = out is None and cache is not None  # `serve`: no folder to take them from
        early = EarlyWorkers(site_dir, now, drafts, base_url, store, writer)
        site, problems = load_site(site_dir, now, drafts, store, read_many=early.read)
        if site is None:
            raise OutpostError(problems)
        if writer is not None and writer.made is not None:  # the workers wrote the posts' files
            writer.made.start_spare()
        # The site lives as long as the build: the collector need not look through it again
        # and again as the pages come and go.
        gc.freeze()
        frozen = True
        site = _with_base_url(site, base_url)
        theme = find_theme(site_dir, site.config.theme)
        build = Build(site, theme, site_dir, store, _options(base_url, drafts), keep)
        build.rendered += early.rendered
        if writer is None:
            files = dict(sorted(build.files(need_bytes=lambda path, digest: True)))
            if compress:
                files = compress_files(files)
            if manifest or sign_key:
                files[MANIFEST] = make_manifest(files, now, site.config.base_url)
            if sign_key:
                files[SIGNATURE] = sign_manifest(files[MANIFEST], sign_key)
            if out is not None:
                write_tree(files, out)
            paths = tuple(files)
        else:
            paths = build.write(writer.get())
            files = {}
        store.add_markdown(build.markdown.used)
        posts = (*site.incidents, *site.maintenance)
        store.save(keep_files=keep, texts=sum(len(post.updates) + 1 for post in posts))
        seconds = time.perf_counter() - started
        return BuildResult(paths, files if out is None else {}, problems, seconds, build.rendered)
    finally:
        if frozen:
            gc.unfreeze()
        if writer is not None and writer.made is not None:
            writer.made.close()
        if cache is None:
            store.close()


def config_only_build(
    site_dir: Path,
    config: SiteConfig,
    now: datetime,
    base_url: str | None,
    drafts: bool,
    store: BuildCache,
) -> Build:
    """A build of the site with its config alone, as `build_site` would make it, to render
    single posts with: a post's own files read nothing else of the site (a page that does
    must be made again once the whole site is loaded)."""
    site = _with_base_url(Site(config=config, incidents=(), maintenance=(), now=now), base_url)
    theme = find_theme(site_dir, site.config.theme)
    return Build(site, theme, site_dir, store, _options(base_url, drafts))


def _options(base_url: str | None, drafts: bool) -> tuple[str, ...]:
    """The build's options, as the cache keys of its files include them."""
    return (base_url or "", str(drafts))


def _with_base_url(site: Site, base_url: str | None) -> Site:
    if not base_url:
        return site
    config = dataclasses.replace(site.config, base_url=base_url.rstrip("/") + "/")
    return dataclasses.replace(site, config=config)


class _Writer:
    """The tree writer for OUT, made when first needed: it takes the spare tree as it starts."""

    def __init__(self, out: Path, trees: Path, store: BuildCache) -> None:
        self.out, self.trees, self.store = out, trees, store
        self.made: TreeWriter | None = None

    def get(self) -> TreeWriter:
        if self.made is None:
            self.made = TreeWriter(self.out, self.trees / _folder_key(self.out), self.store)
        return self.made


class EarlyWorkers:
    """Post files parsed and their own files made in worker processes, while the site loads.

    A cold build has thousands of files to parse and as many posts to render. The workers
    are forked before any post is in memory (so that they share little and copy less), and
    each parses its files and renders their posts with a site that has the config alone:
    what a post's page reads beyond that (a theme could list other posts there) is thrown
    away and made again once the whole site is loaded. When the build writes a folder, the
    workers write each post's files into the new tree themselves.
    """

    def __init__(
        self,
        site_dir: Path,
        now: datetime,
        drafts: bool,
        base_url: str | None,
        store: BuildCache,
        writer: _Writer | None,
    ) -> None:
        self.site_dir, self.now, self.drafts, self.base_url = site_dir, now, drafts, base_url
        self.store, self.writer = store, writer
        self.rendered = 0

    def read(
        self, config: SiteConfig, files: list[PostFile], post_key: Callable[[PostFile, str], str]
    ) -> Iterator[tuple[PostFile, Parsed]] | None:
        """FILES parsed by the workers, as they finish them; None when too few to be worth it.

        POST_KEY is the cache key of a file's post by the digest of the file's bytes.
        """
        workers = min(os.cpu_count() or 1, 8)
        if len(files) < PARALLEL_FROM or workers < 2:
            return None
        build = config_only_build(
            self.site_dir, config, self.now, self.base_url, self.drafts, self.store
        )
        env = build.pages.env
        for name in env.list_templates(extensions=("html", "xml", "txt")):
            with suppress(jinja2.TemplateError):  # reported when rendered, where it belongs
                env.get_template(name)  # compiled once, here, for every worker
        tree = self.writer.get() if self.writer is not None else None
        batches = [files[start : start + BATCH] for start in range(0, len(files), BATCH)]
        return self._run(workers, build, tree, post_key, batches)

    def _run(
        self,
        workers: int,
        build: Build,
        tree: TreeWriter | None,
        post_key: Callable[[PostFile, str], str],
        batches: list[list[PostFile]],
    ) -> Iterator[tuple[PostFile, Parsed]]:
        """Each file parsed, as the workers finish them: the site keeps each post as it comes."""
        global _EARLY
        staging = tree.staging if tree is not None else None
        new_files = NewFiles(staging, tree.recycled) if tree is not None and staging else None
        _EARLY = (build, new_files, self.drafts)
        gc.freeze()  # the parent's objects as they are: a worker's collector leaves them alone
        context = multiprocessing.get_context("fork")
        try:
            # The parent does not collect meanwhile (load_site pauses it): it keeps every post.
            with context.Pool(workers, initializer=_start_worker, initargs=(build,)) as pool:
                for made, markdown in pool.imap_unordered(_parse_and_render, batches):
                    self.store.add_markdown(markdown)
                    for file, parsed, outputs in made:
                        if outputs is not None and parsed.content is not None:
                            key = build.post_key(file.kind, post_key(file, parsed.content))
                            assert key is not None
                            self._keep(key, tree, outputs)
                        yield file, parsed
        finally:
            _EARLY = None
            gc.unfreeze()

    def _keep(self, key: str, tree: TreeWriter | None, outputs: _Made) -> None:
        """A post's files, made by a worker, where the build will look for them."""
        self.rendered += 1
        now = self.now.isoformat() if outputs.now else None
        keep = outputs.files is not None  # in memory: kept there until the build takes them
        self.store.add_outputs(key, now, outputs.files or {}, keep, digests=outputs.digests)
        if tree is not None and outputs.entries is not None:
            tree.present.update(outputs.entries)


@dataclass
class _Made:
    """A post's own files as a worker made them: on disk (ENTRIES) or in memory (FILES)."""

    digests: dict[str, str]
    entries: dict[str, Entry] | None
    files: dict[str, bytes] | None
    now: bool  # whether they depend on the build's time


class Build:
    """One build of SITE: each file once, by its path, with its digest."""

    def __init__(
        self,
        site: Site,
        theme: Theme,
        site_dir: Path,
        store: BuildCache,
        options: tuple[str, ...],
        keep_files: bool = False,
    ) -> None:
        if link_problems := theme.link_problems():
            raise OutpostError(
                link_problems
            )  # before any template or catalogue is read through one
        self.site, self.theme, self.site_dir, self.store = site, theme, site_dir, store
        messages, message_problems = load_messages(
            theme, site_dir, site.config.language, site.config.strings
        )
        if any(p.is_error for p in message_problems):
            raise OutpostError(message_problems)
        self.messages: Messages = messages
        self.static = theme.static_files()
        self.contents = {name: path.read_bytes() for name, path in self.static.items()}
        self.assets = fingerprint(self.contents)  # the stylesheet by a name that changes with it
        self.markdown = MarkdownRenderer(store.markdown)
        self.pages = PageRenderer(site, theme, self.markdown, messages, self.assets)
        if store.folder is not None:
            self.pages.env.bytecode_cache = _compiled_templates(store.folder)
        self.feeds = FeedWriter(site.config, self.markdown)
        self.now = site.now.isoformat()
        self.identity = digest_of(
            code_identity(),
            _theme_identity(theme),
            _read_config(site_dir),
            *options,
        )
        self.rendered = 0
        self.keep_files = keep_files  # each post's bytes kept in memory for the next build

    # --- every file ---

    def files(self, need_bytes: Callable[[str, str], bool]) -> Iterator[tuple[str, bytes]]:
        """Every file with its bytes."""
        for path, data, _ in self._all(need_bytes):
            assert data is not None
            yield path, data

    def write(self, writer: TreeWriter) -> tuple[str, ...]:
        """Write every file with WRITER (swapped in whole); only what changed is written."""
        paths = []
        for path, data, digest in self._all(lambda p, d: not writer.have(p, d)):
            if data is None:
                writer.keep(path, digest)
            else:
                writer.put(path, data, digest)
            paths.append(path)
        writer.finish()
        return tuple(sorted(paths))

    def _all(
        self, need_bytes: Callable[[str, str], bool]
    ) -> Iterator[tuple[str, bytes | None, str]]:
        """Every file (DATA None: unchanged, and not needed): the kept ones, then the rest."""
        own: dict[str, str] = {}  # path → what makes it
        posts = [*self.site.incidents, *self.site.maintenance]
        jobs = [
            (self.post_key(post.kind, self.store.source_key(post)), post.source) for post in posts
        ]
        for path, data, digest, source in self._kept(
            jobs, need_bytes, lambda todo: self._render_posts([posts[i] for i in todo])
        ):
            own[path] = source
            yield path, data, digest
        months = self.pages.months()
        jobs = [(self._month_key(months, index), "the pages") for index in range(len(months))]
        for path, data, digest, source in self._kept(
            jobs, need_bytes, lambda todo: (self._month_page(months, i) for i in todo)
        ):
            own[path] = source
            yield path, data, digest
        for path, data in self._site_files(own, months):
            yield path, data, file_digest(data)

    def post_key(self, kind: str, source: str | None) -> str | None:
        """The cache key of the files of the post of KIND read from the file with key SOURCE."""
        # Only the last part has no fixed form: the parts need no hashing to be told apart.
        return f"{self.identity}/{kind}/{source}" if source is not None else None

    def _key(self, *parts: str | None) -> str | None:
        """The cache key of what PARTS make; None (never kept) when one is unknown."""
        if any(part is None for part in parts):
            return None
        return digest_of(self.identity, *(part for part in parts if part is not None))

    def _month_key(self, months: list[dict[str, Any]], index: int) -> str | None:
        """A month page shows its posts and links its neighbours."""
        month = months[index]
        neighbours = [months[i]["url"] for i in (index - 1, index + 1) if 0 <= i < len(months)]
        posts = (*month["incidents"], *month["maintenance"])
        sources = [self.store.source_key(post) for post in posts]
        return self._key("month", month["url"], *neighbours, "posts", *sources)

    def _month_page(
        self, months: list[dict[str, Any]], index: int
    ) -> tuple[dict[str, bytes], frozenset[str]]:
        try:
            return self.pages.month_page(months, index)
        except jinja2.TemplateError as exc:
            raise OutpostError([template_problem(exc, self.site_dir)]) from None

    # --- files kept in the cache ---

    def _kept(
        self,
        jobs: list[tuple[str | None, str]],
        need_bytes: Callable[[str, str], bool],
        render: Callable[[list[int]], Iterable[tuple[dict[str, bytes], frozenset[str]]]],
    ) -> Iterator[tuple[str, bytes | None, str, str]]:
        """The files of each job (its cache key, and who makes them): kept, or RENDERed.

        RENDER makes the jobs at the indexes it is given, in order, with what of the site
        their templates read; files that read more than the config (and the time, which is
        then kept with them) are made again on every build.
        """
        todo: list[int] = []
        for index, (key, source) in enumerate(jobs):
            found = self.store.outputs(key, self.now) if key is not None else None
            if found is not None and (
                found.files is not None
                or not any(need_bytes(path, digest) for path, digest in found.digests.items())
            ):
                for path, digest in found.digests.items():
                    yield path, (found.files or {}).get(path), digest, source
            else:
                todo.append(index)
        self.rendered += len(todo)
        for index, (files, read) in zip(todo, render(todo), strict=True):
            key, source = jobs[index]
            now = self.now if "now" in read else None
            if key is not None and read <= {"config", "now"}:
                digests = self.store.add_outputs(key, now, files, keep=self.keep_files).digests
            else:
                digests = {path: file_digest(data) for path, data in files.items()}
            for path, data in files.items():
                yield path, data, digests[path], source

    def render_post(self, post: Post) -> tuple[dict[str, bytes], frozenset[str]]:
        """POST's page and feed, and what of the site besides POST its templates read."""
        # Its feed renders every update at ENTRY_HEADINGS: made at once, here, before the page
        # asks for them (the page's renderings are among them).
        self.markdown.render_all((update.body for update in post.updates), *ENTRY_HEADINGS)
        try:
            pages, read = self.pages.post_pages(post)
        except jinja2.TemplateError as exc:
            raise OutpostError([template_problem(exc, self.site_dir)]) from None
        return pages | render_post_feeds(self.site, post, self.markdown, self.feeds), read

    def _render_posts(self, posts: list[Post]) -> Iterator[tuple[dict[str, bytes], frozenset[str]]]:
        """What `render_post` makes of each of POSTS, in order; on every core when there are many."""
        workers = min(os.cpu_count() or 1, 8)
        if len(posts) < PARALLEL_FROM or workers < 2:
            for post in posts:
                yield self.render_post(post)
            return
        global _WORK
        _WORK = (self, posts)  # the workers are forked: they find the build here
        batches = [
            range(start, min(start + BATCH, len(posts))) for start in range(0, len(posts), BATCH)
        ]
        context = multiprocessing.get_context("fork")
        try:
            with context.Pool(workers, initializer=_start_worker) as pool:
                for rendered, markdown in pool.imap(_render_batch, batches):
                    self.store.add_markdown(markdown)
                    yield from rendered
        finally:
            _WORK = None

    # --- the files that show many posts ---

    def _site_files(
        self, own: dict[str, str], months: list[dict[str, Any]]
    ) -> Iterator[tuple[str, bytes]]:
        site = self.site
        outputs: dict[str, tuple[str, bytes]] = {}
        problems: list[Problem] = []

        def add(files: dict[str, bytes], source: str) -> None:
            for path, data in files.items():
                if path in outputs or path in own:
                    other = outputs[path][0] if path in outputs else own[path]
                    problems.append(error(source, 1, f"'{path}' is also written by {other}"))
                outputs[path] = (source, data)

        for name, source in self.static.items():
            # static/NAME too: posts and older site themes link the theme's files by their names.
            data = self.contents[name]
            add({f"static/{name}": data, self.assets[name]: data}, _shown(source, self.site_dir))
        try:
            pages = self.pages.site_pages(months)
        except jinja2.TemplateError as exc:
            raise OutpostError([template_problem(exc, self.site_dir)]) from None
        add(pages, "the pages")
        add(render_site_feeds(site, self.markdown, self.feeds), "the feeds")
        add(render_api(site), "the API")
        add(render_json_feed(site, self.markdown), "the JSON feed")
        add(render_calendar(site), "the maintenance calendar")
        add(render_badges(site), "the badges")
        page_paths = [path for path in own if path.endswith(".html")]
        add(render_meta(site, sorted([*page_paths, *pages])), "the sitemap")
        add(render_headers(site, sorted([*own, *outputs])), "the host configuration")
        if problems:
            raise OutpostError(problems)
        for path in sorted(outputs):
            yield path, outputs[path][1]


# --- worker processes (forked: they inherit the loaded site and templates) ---

_WORK: tuple[Build, list[Post]] | None = None


def _start_worker(build: Build | None = None) -> None:
    build = build or (_WORK[0] if _WORK is not None else None)
    assert build is not None
    build.store.reopen()  # a database connection must not cross a fork
    gc.enable()  # the parent may have paused it (see load_site): a worker collects as usual


_EARLY: tuple[Build, NewFiles | None, bool] | None = None


def _parse_and_render(
    files: list[PostFile],
) -> tuple[list[tuple[PostFile, Parsed, _Made | None]], dict[str, str]]:
    """Each of FILES parsed, and its post's own files made unless the post is not shown."""
    assert _EARLY is not None
    build, new_files, drafts = _EARLY
    build.markdown.forget()
    build.pages.forget_times()
    config, now = build.site.config, build.site.now
    done: list[tuple[PostFile, Parsed, _Made | None]] = []
    for file in files:
        parsed = parse_file(file, config, now, keep=True)
        post, made = parsed.post, None
        shown = post is not None and (drafts or not post.draft)
        if post is not None and shown and not any(p.is_error for p in parsed.problems):
            files_made, read = build.render_post(post)
            if read <= {"config", "now"}:
                digests = {path: file_digest(data) for path, data in files_made.items()}
                if new_files is None:
                    made = _Made(digests, None, files_made, "now" in read)
                else:
                    entries = {
                        path: new_files.write(path, data, digests[path])
                        for path, data in files_made.items()
                    }
                    made = _Made(digests, entries, None, "now" in read)
        if parsed.record is not None:
            parsed = dataclasses.replace(parsed, post=None)  # it travels once, in the record
        done.append((file, parsed, made))
    return done, build.markdown.used


def _render_batch(
    indexes: range,
) -> tuple[list[tuple[dict[str, bytes], frozenset[str]]], dict[str, str]]:
    """The posts at INDEXES, and the Markdown renderings made for them (for the cache)."""
    assert _WORK is not None
    build, posts = _WORK
    build.markdown.forget()
    rendered = [build.render_post(posts[index]) for index in indexes]
    return rendered, build.markdown.used


# --- keys ---


def _theme_identity(theme: Theme) -> str:
    """Every file of the theme (templates, static files, catalogues), by path and content."""
    digest = hashlib.sha256()
    for path in theme.files():
        digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _compiled_templates(cache_dir: Path) -> jinja2.BytecodeCache | None:
    """Compiled templates kept in CACHE_DIR, so that a build does not compile them all again.

    Jinja keys them by each template's name and source; how the environment is set up (its
    options, filters...) is Outpost's code, so they are kept apart by its identity.
    """
    folder = cache_dir / TEMPLATES
    current = folder / code_identity()[:32]
    try:
        if not current.is_dir():
            shutil.rmtree(folder, ignore_errors=True)  # for another Outpost
            current.mkdir(parents=True)
    except OSError:
        return None
    return _CompiledTemplates(str(current))


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """A damaged or vanished file is compiled again, never an error."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


def _read_config(site_dir: Path) -> bytes:
    try:
        return (site_dir / CONFIG_FILE).read_bytes()
    except OSError:
        return b""


def _folder_key(out: Path) -> str:
    return hashlib.sha256(str(out.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def check_out_folder(site_dir: Path, out: Path) -> None:
    """UsageError when OUT is no place for a build: the new tree replaces OUT whole."""
    site, target = site_dir.resolve(), out.resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"the output folder {out} is a file: choose a folder")
    if site.is_relative_to(target):
        raise UsageError(f"the output folder {out} holds the site itself: choose another")
    for folder in ("content", "themes", CACHE_DIR):
        if target.is_relative_to(site / folder):
            raise UsageError(f"the output folder {out} is inside the site's {folder}/")


def render_site(
    site: Site, theme: Theme, site_dir: Path, store: BuildCache | None = None
) -> dict[str, bytes]:
    """Every output file by its path; two outputs for one path is an error naming both."""
    build = Build(site, theme, site_dir, store or BuildCache(None), options=())
    return dict(sorted(build.files(need_bytes=lambda path, digest: True)))


def _shown(path: Path, site_dir: Path) -> str:
    try:
        return path.relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
