"""feed.json: JSON Feed 1.1 with exactly the entries of feed.atom, in the same order."""

from __future__ import annotations

import json
from typing import Any

from generator.model import Site
from generator.outputs.feeds import FeedEntry, latest_entries
from generator.outputs.markup import MarkdownRenderer
from generator.timestamps import format_iso

JSON_FEED = "feed.json"
VERSION = "https://jsonfeed.org/version/1.1"
# An entry's tag names what it is about: one word for the kind of post (the folder).
KIND_TAGS = {"incidents": "incident", "maintenance": "maintenance"}


def render_json_feed(site: Site, markdown: MarkdownRenderer) -> dict[str, bytes]:
    """The site's JSON Feed: the latest `feed.entries` updates, newest first, keys in fixed order."""
    config = site.config
    latest = latest_entries((*site.incidents, *site.maintenance), config.feed_entries)
    feed = {
        "version": VERSION,
        "title": config.title,
        "home_page_url": config.base_url,
        "feed_url": config.base_url + JSON_FEED,
        "description": config.description or f"Status updates from {config.title}",
        "language": config.language,
        "authors": [{"name": config.title, "url": config.base_url}],
        "items": [_item(entry, config.base_url, markdown) for entry in latest],
    }
    text = json.dumps(feed, ensure_ascii=False, indent=2) + "\n"
    return {JSON_FEED: text.encode()}


def _item(entry: FeedEntry, base_url: str, markdown: MarkdownRenderer) -> dict[str, Any]:
    """ENTRY as a JSON Feed item: the same id, title, link, HTML and dates as its Atom entry."""
    update = entry.update
    return {
        "id": update.id,
        "url": entry.link(base_url),
        "title": entry.title,
        "content_html": entry.html(base_url, markdown),
        "date_published": format_iso(update.when),
        "date_modified": format_iso(update.when),
        "tags": [KIND_TAGS.get(entry.post.kind, entry.post.kind), update.effective_status],
    }
