"""Atom and RSS: one entry per status update, ids that never change."""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedgen.entry
from feedgen.feed import FeedGenerator

from generator import __version__
from generator.model import Post, Site, SiteConfig, Update
from generator.outputs.markup import MarkdownRenderer, sub_in_links

# An empty feed still needs an `updated` time; the build clock would break reproducibility.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ATOM, RSS = "feed.atom", "feed.rss"
ATOM_NS = "http://www.w3.org/2005/Atom"
_LINK = re.compile(r'(\s(?:href|src)=")([^"]*)"')
# An update's Markdown in an entry: headings from h4 down, one level below what was written.
ENTRY_HEADINGS = (4, 1)


@dataclass(frozen=True)
class FeedEntry:
    """An update and the post it belongs to."""

    post: Post
    update: Update

    @property
    def title(self) -> str:
        return f"{self.update.status}: {self.post.title}"

    def link(self, base_url: str) -> str:
        """The update's anchor on its page."""
        return f"{base_url}{self.post.url}#{self.update.anchor}"

    def html(self, base_url: str, markdown: MarkdownRenderer) -> str:
        """The update as feeds carry it: HTML whose links work from any reader."""
        html = markdown.render(self.update.body, *ENTRY_HEADINGS)
        return _absolute_links(html, base_url + self.post.url)


def entries_of(posts: Iterable[Post]) -> list[FeedEntry]:
    """Every update of POSTS, newest first (ties broken by id, so the order is stable)."""
    found = [FeedEntry(post, update) for post in posts for update in post.updates]
    return sorted(found, key=lambda e: _newest_first(e.update), reverse=True)


def latest_entries(posts: Iterable[Post], count: int) -> list[FeedEntry]:
    """The first COUNT of `entries_of(POSTS)`, found without sorting every update."""
    # An update among the latest COUNT belongs to a post whose last update is among the latest
    # COUNT last updates (each post newer than it has an update newer than it), so only those
    # posts' updates are looked at: a post's updates are oldest first.
    newest = heapq.nlargest(
        count, (post for post in posts if post.updates), key=lambda p: _newest_first(p.updates[-1])
    )
    found = ((update, post) for post in newest for update in post.updates)
    # nlargest keeps sorted()'s order, ties included: earlier first.
    latest = heapq.nlargest(count, found, key=lambda pair: _newest_first(pair[0]))
    return [FeedEntry(post, update) for update, post in latest]


def render_feeds(site: Site, markdown: MarkdownRenderer) -> dict[str, bytes]:
    """The site's feeds; one Atom feed per incident, maintenance window and component."""
    writer = FeedWriter(site.config, markdown)
    feeds = render_site_feeds(site, markdown, writer)
    for post in (*site.incidents, *site.maintenance):
        feeds.update(render_post_feeds(site, post, markdown, writer))
    return feeds


def render_post_feeds(
    site: Site, post: Post, markdown: MarkdownRenderer, writer: FeedWriter | None = None
) -> dict[str, bytes]:
    """POST's own feed files, which depend on POST and the config alone; WRITER saves time."""
    writer = writer or FeedWriter(site.config, markdown)
    path = f"{post.url}{ATOM}"
    updates = sorted(post.updates, key=_newest_first, reverse=True)
    entries = [FeedEntry(post, update) for update in updates]
    return {path: writer.write(entries, post.url, path, f"{post.title} – {site.config.title}")}


def render_site_feeds(
    site: Site, markdown: MarkdownRenderer, writer: FeedWriter | None = None
) -> dict[str, bytes]:
    """The site's Atom and RSS feeds and each component's Atom feed: the latest updates."""
    config = site.config
    writer = writer or FeedWriter(config, markdown)
    latest = latest_entries((*site.incidents, *site.maintenance), config.feed_entries)
    feeds = {
        ATOM: writer.write(latest, "", ATOM, config.title),
        RSS: writer.write(latest, "", RSS, config.title),
    }
    for component in config.components:
        # Their order does not matter: entries are sorted by time and id, and ids name the post.
        entries = latest_entries(site.posts_naming(component.name), config.feed_entries)
        path = f"{component.url}{ATOM}"
        feeds[path] = writer.write(
            entries, component.url, path, f"{component.name} – {config.title}"
        )
    return feeds


class FeedWriter:
    """Writes one site's feeds one after another, reusing feedgen's objects."""

    # Making feedgen's objects costs more than filling them, and a site's feeds share their
    # author, description and generator. Each feed sets all of its own fields and each entry
    # all of its own, so nothing of one feed carries over into the next; Atom entries and RSS
    # items set different fields (an item's HTML is its description), so each has its own.

    def __init__(self, config: SiteConfig, markdown: MarkdownRenderer) -> None:
        self.config = config
        self.markdown = markdown
        # feedgen's FeedEntry objects for Atom (False) and RSS (True): as many as a feed has had.
        self._entries: dict[bool, list[Any]] = {False: [], True: []}
        self._fg = fg = FeedGenerator()
        fg.author({"name": config.title, "uri": config.base_url})
        fg.description(config.description or f"Status updates from {config.title}")
        fg.language(config.language)
        fg.generator("Outpost", version=__version__)
        if config.websub_hub:
            # WebSub: readers subscribe at the hub, which `outpost notify` pings when the feed changes.
            fg.register_extension("websub", functools.partial(_HubLink, config.websub_hub))

    def write(self, entries: list[FeedEntry], page: str, path: str, title: str) -> bytes:
        """A feed of ENTRIES served at PATH, about the page at PAGE; every date set from content."""
        rss = path.endswith(".rss")
        base_url, fg = self.config.base_url, self._fg
        self_url = base_url + path
        fg.id(self_url)
        fg.title(title)
        # feedgen writes the last link as RSS's channel link: self first, the page last.
        self_link = {"href": self_url, "rel": "self", "type": _media_type(path)}
        fg.link(
            [self_link, {"href": base_url + page, "rel": "alternate", "type": "text/html"}], True
        )
        newest = entries[0].update.when if entries else EPOCH
        fg.updated(newest)
        fg.lastBuildDate(newest)
        pool = self._entries[rss]
        while len(pool) < len(entries):
            pool.append(feedgen.entry.FeedEntry())
        for fe, item in zip(pool, entries, strict=False):
            update = item.update
            html = item.html(base_url, self.markdown)
            fe.id(update.id)  # and RSS's guid, isPermaLink="false"
            fe.title(item.title)
            fe.link(href=item.link(base_url), rel="alternate", type="text/html", replace=True)
            if rss:
                fe.description(html)
            else:
                fe.content(html, type="html")
            fe.published(update.when)  # and RSS's pubDate
            fe.updated(update.when)
        fg.entry(pool[: len(entries)], replace=True)
        feed: bytes = fg.rss_str(pretty=True) if rss else fg.atom_str(pretty=True)
        return feed


def _newest_first(update: Update) -> tuple[datetime, str]:
    return update.when, update.id


class _HubLink:
    """A feedgen extension: `<link rel="hub">` in Atom, `<atom:link rel="hub">` in RSS, after self."""

    def __init__(self, hub: str) -> None:
        self.hub = hub

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, feed: Any) -> Any:
        self._insert(feed, feed)
        return feed

    def extend_rss(self, feed: Any) -> Any:
        self._insert(feed, feed.find("channel"))
        return feed

    def _insert(self, feed: Any, parent: Any) -> None:
        # feedgen's Atom elements have no namespace (xmlns is an attribute); RSS's atom:link has.
        tags = ("link", f"{{{ATOM_NS}}}link")
        self_link = next(e for e in parent if e.tag in tags and e.get("rel") == "self")
        hub = feed.makeelement(self_link.tag, {"href": self.hub, "rel": "hub"})
        hub.tail = self_link.tail
        self_link.addnext(hub)


def _absolute_links(html: str, page_url: str) -> str:
    """HTML with its links resolved against PAGE_URL: readers resolve them against the feed."""
    if 'href="' not in html and 'src="' not in html:  # most updates link nowhere: skip the scan
        return html
    return sub_in_links(_LINK, lambda m: f'{m[1]}{urljoin(page_url, m[2])}"', html)


def _media_type(path: str) -> str:
    return "application/rss+xml" if path.endswith(".rss") else "application/atom+xml"
