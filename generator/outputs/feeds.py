"""Atom and RSS: one entry per status update, ids that never change."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from generator import __version__
from generator.model import Post, Site, Update
from generator.outputs.markup import MarkdownRenderer
from generator.uptime import incidents_affecting

# An empty feed still needs an `updated` time; the build clock would break reproducibility.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ATOM, RSS = "feed.atom", "feed.rss"
ATOM_NS = "http://www.w3.org/2005/Atom"
_LINK = re.compile(r'(\s(?:href|src)=")([^"]*)"')


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
        html = markdown.render(self.update.body, lowest_heading=4, shift=1)
        return _absolute_links(html, base_url + self.post.url)


def entries_of(posts: Iterable[Post]) -> list[FeedEntry]:
    """Every update of POSTS, newest first (ties broken by id, so the order is stable)."""
    found = [FeedEntry(post, update) for post in posts for update in post.updates]
    return sorted(found, key=lambda e: (e.update.when, e.update.id), reverse=True)


def render_feeds(site: Site, markdown: MarkdownRenderer) -> dict[str, bytes]:
    """The site's feeds; one Atom feed per incident, maintenance window and component."""
    config = site.config
    latest = entries_of((*site.incidents, *site.maintenance))[: config.feed_entries]
    feeds = {
        ATOM: _generator(site, latest, "", ATOM, config.title, markdown).atom_str(pretty=True),
        RSS: _generator(site, latest, "", RSS, config.title, markdown).rss_str(pretty=True),
    }
    for post in (*site.incidents, *site.maintenance):
        title = f"{post.title} – {config.title}"
        fg = _generator(site, entries_of([post]), post.url, f"{post.url}{ATOM}", title, markdown)
        feeds[f"{post.url}{ATOM}"] = fg.atom_str(pretty=True)
    for component in config.components:
        posts = incidents_affecting(site, component.name)
        entries = entries_of(posts)[: config.feed_entries]
        title = f"{component.name} – {config.title}"
        path = f"{component.url}{ATOM}"
        feeds[path] = _generator(site, entries, component.url, path, title, markdown).atom_str(
            pretty=True
        )
    return feeds


def _generator(
    site: Site,
    entries: list[FeedEntry],
    page: str,
    path: str,
    title: str,
    markdown: MarkdownRenderer,
) -> FeedGenerator:
    """A feed of ENTRIES served at PATH, about the page at PAGE; every date set from content."""
    config = site.config
    self_url = config.base_url + path
    fg = FeedGenerator()
    fg.id(self_url)
    fg.title(title)
    fg.author({"name": config.title, "uri": config.base_url})
    fg.description(config.description or f"Status updates from {config.title}")
    fg.language(config.language)
    fg.generator("Outpost", version=__version__)
    # feedgen writes the last link() as RSS's channel link: self first, the page last.
    fg.link(href=self_url, rel="self", type=_media_type(path))
    fg.link(href=config.base_url + page, rel="alternate", type="text/html")
    if config.websub_hub:
        # WebSub: readers subscribe at the hub, which `outpost notify` pings when the feed changes.
        fg.register_extension("websub", functools.partial(_HubLink, config.websub_hub))
    newest = entries[0].update.when if entries else EPOCH
    fg.updated(newest)
    fg.lastBuildDate(newest)
    for item in reversed(entries):
        fe = fg.add_entry()  # feedgen prepends: adding oldest first leaves newest first
        update = item.update
        link = item.link(config.base_url)
        html = item.html(config.base_url, markdown)
        fe.id(update.id)
        fe.guid(update.id, permalink=False)
        fe.title(item.title)
        fe.link(href=link, rel="alternate", type="text/html")
        if path.endswith(".rss"):
            fe.description(html)
        else:
            fe.content(html, type="html")
        fe.published(update.when)
        fe.updated(update.when)
        fe.pubDate(update.when)
    return fg


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
    return _LINK.sub(lambda m: f'{m[1]}{urljoin(page_url, m[2])}"', html)


def _media_type(path: str) -> str:
    return "application/rss+xml" if path.endswith(".rss") else "application/atom+xml"
