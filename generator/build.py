"""The recipe: load, check, render, write."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from generator.cache import CACHE_DIR, load_markdown, render_ahead, save_markdown
from generator.i18n import load_messages
from generator.load import load_site
from generator.model import Site
from generator.output import write_tree
from generator.outputs.api import render_api
from generator.outputs.badges import render_badges
from generator.outputs.calendar import render_calendar
from generator.outputs.compress import compress_files
from generator.outputs.feeds import render_feeds
from generator.outputs.hosting import render_headers
from generator.outputs.jsonfeed import render_json_feed
from generator.outputs.markup import MarkdownRenderer
from generator.outputs.meta import render_meta
from generator.outputs.pages import render_pages
from generator.problems import OutpostError, Problem, UsageError, error
from generator.publish.manifest import MANIFEST, SIGNATURE, make_manifest, sign_manifest
from generator.templates import template_problem
from generator.theme import Theme, find_theme, fingerprint


@dataclass(frozen=True)
class BuildResult:
    """What a build made, for its summary line."""

    files: dict[str, bytes]
    warnings: list[Problem]
    seconds: float

    def count(self, *suffixes: str) -> int:
        return sum(path.endswith(suffixes) for path in self.files)

    def summary(self, out: str) -> str:
        # Feeds are what readers and calendars subscribe to.
        pages, feeds = self.count(".html"), self.count(".atom", ".rss", "feed.json", ".ics")
        others = len(self.files) - pages - feeds
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
) -> BuildResult:
    """Build SITE_DIR into OUT (None: render only); raises OutpostError, or UsageError for OUT.

    With MANIFEST (or SIGN_KEY), the output lists every file's hash; SIGN_KEY signs that list.
    With COMPRESS, larger text files get .gz and .br copies (listed in the manifest too).
    """
    started = time.perf_counter()
    if out is not None:
        check_out_folder(site_dir, out)
    site, problems = load_site(site_dir, now, drafts)
    if site is None:
        raise OutpostError(problems)
    if base_url:
        config = dataclasses.replace(site.config, base_url=base_url.rstrip("/") + "/")
        site = dataclasses.replace(site, config=config)
    theme = find_theme(site_dir, site.config.theme)
    cache = site_dir / CACHE_DIR
    markdown = MarkdownRenderer(load_markdown(cache))
    render_ahead(markdown, markdown_texts(site))
    files = render_site(site, theme, site_dir, markdown)
    save_markdown(cache, markdown.used)
    if compress:
        files = compress_files(files)
    if manifest or sign_key:
        files[MANIFEST] = make_manifest(files, now, site.config.base_url)
    if sign_key:
        files[SIGNATURE] = sign_manifest(files[MANIFEST], sign_key)
    if out is not None:
        write_tree(files, out)
    return BuildResult(files, problems, time.perf_counter() - started)


def markdown_texts(site: Site) -> list[tuple[str, int, int]]:
    """Every Markdown text the pages and feeds render, with its heading levels."""
    posts = (*site.incidents, *site.maintenance)
    texts = [(post.preamble, 2, 0) for post in posts if post.preamble]
    return texts + [(update.body, 4, 1) for post in posts for update in post.updates]


def check_out_folder(site_dir: Path, out: Path) -> None:
    """UsageError when OUT is no place for a build: the new tree replaces OUT whole."""
    site, target = site_dir.resolve(), out.resolve()
    if target.exists() and not target.is_dir():
        raise UsageError(f"the output folder {out} is a file: choose a folder")
    if site.is_relative_to(target):
        raise UsageError(f"the output folder {out} holds the site itself: choose another")
    for folder in ("content", "themes"):
        if target.is_relative_to(site / folder):
            raise UsageError(f"the output folder {out} is inside the site's {folder}/")


def render_site(
    site: Site, theme: Theme, site_dir: Path, markdown: MarkdownRenderer | None = None
) -> dict[str, bytes]:
    """Every output file by its path; two outputs for one path is an error naming both."""
    if link_problems := theme.link_problems():
        raise OutpostError(link_problems)  # before any template or catalogue is read through one
    markdown = markdown or MarkdownRenderer()
    language, strings = site.config.language, site.config.strings
    messages, message_problems = load_messages(theme, site_dir, language, strings)
    if any(p.is_error for p in message_problems):
        raise OutpostError(message_problems)
    static = theme.static_files()
    contents = {name: path.read_bytes() for name, path in static.items()}
    assets = fingerprint(contents)  # the stylesheet by a name that changes with it
    try:
        pages = render_pages(site, theme, markdown, messages, assets)
    except jinja2.TemplateError as exc:
        raise OutpostError([template_problem(exc, site_dir)]) from None
    outputs: dict[str, tuple[str, bytes]] = {}
    problems: list[Problem] = []

    def add(files: dict[str, bytes], source: str) -> None:
        for path, data in files.items():
            if path in outputs:
                problems.append(error(source, 1, f"'{path}' is also written by {outputs[path][0]}"))
            outputs[path] = (source, data)

    for name, path in static.items():
        # static/NAME too: posts and older site themes link the theme's files by their names.
        add(
            {f"static/{name}": contents[name], assets[name]: contents[name]}, _shown(path, site_dir)
        )
    add(pages, "the pages")
    add(render_feeds(site, markdown), "the feeds")
    add(render_api(site), "the API")
    add(render_json_feed(site, markdown), "the JSON feed")
    add(render_calendar(site), "the maintenance calendar")
    add(render_badges(site), "the badges")
    add(render_meta(site, list(pages)), "the sitemap")
    add(render_headers(site, list(outputs)), "the host configuration")
    if problems:
        raise OutpostError(problems)
    return {path: outputs[path][1] for path in sorted(outputs)}


def _shown(path: Path, site_dir: Path) -> str:
    try:
        return path.relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return str(path)
