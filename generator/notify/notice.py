"""The updates to tell customers about, oldest first, and what every channel says about each."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urljoin

from generator.model import Incident, Maintenance, Post, Site, Update
from generator.outputs.feeds import ATOM, RSS, FeedEntry, entries_of
from generator.timestamps import format_iso

# Inline links and images `](url`, and reference definitions `[name]: url`.
_INLINE_LINK = re.compile(r"(\]\(\s*<?)([^)\s>]+)")
_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]]+\]:\s*<?)(\S+?)(?=>?(?:\s|$))", re.MULTILINE)


@dataclass(frozen=True)
class Notice:
    """One published update, as the site published it: a feed entry, its id permanent."""

    site: Site
    entry: FeedEntry

    @property
    def id(self) -> str:
        return self.entry.update.id

    @property
    def post(self) -> Post:
        return self.entry.post

    @property
    def update(self) -> Update:
        return self.entry.update

    @property
    def title(self) -> str:
        """`Identified: Login failures`, the feed entry's title."""
        return self.entry.title

    @property
    def base_url(self) -> str:
        return self.site.config.base_url

    @property
    def link(self) -> str:
        """The update's anchor on its page."""
        return self.entry.link(self.base_url)

    @property
    def page_url(self) -> str:
        return self.base_url + self.post.url

    @property
    def is_first(self) -> bool:
        return self.post.updates[0].id == self.id

    @property
    def first_id(self) -> str:
        """The id of the post's first update: later updates follow on from it."""
        return self.post.updates[0].id

    @property
    def time(self) -> str:
        """`2026-11-29 10:05 CET`: the update's time in the site's time zone."""
        local = self.update.when.astimezone(self.site.config.timezone or UTC)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"

    @property
    def iso_time(self) -> str:
        """`2026-11-29T09:05:00Z`."""
        return format_iso(self.update.when)

    @property
    def body(self) -> str:
        """The update's Markdown, its relative links made absolute: it is read far from the page."""
        text = self.update.body.strip()
        text = _INLINE_LINK.sub(lambda m: m[1] + urljoin(self.page_url, m[2]), text)
        return _REFERENCE.sub(lambda m: m[1] + urljoin(self.page_url, m[2]), text)

    @property
    def feeds(self) -> dict[str, str]:
        """The site's feeds, by name: where to follow every update."""
        return {
            "Atom": self.base_url + ATOM,
            "RSS": self.base_url + RSS,
            "JSON Feed": self.base_url + "feed.json",
        }

    @property
    def post_feed(self) -> str:
        """The feed of this incident or maintenance window alone."""
        return self.page_url + ATOM

    def site_then(self) -> Site:
        """The site as it was right after this update: later updates left out, its clock then."""
        when = self.update.when

        def cut(post: Post) -> tuple[Update, ...]:
            return tuple(u for u in post.updates if u.when <= when)

        incidents = tuple(
            dataclasses.replace(i, updates=cut(i)) for i in self.site.incidents if cut(i)
        )
        maintenance = tuple(dataclasses.replace(m, updates=cut(m)) for m in self.site.maintenance)
        return dataclasses.replace(
            self.site, incidents=incidents, maintenance=maintenance, now=when
        )

    def post_then(self, site: Site) -> Incident | Maintenance:
        """This update's post in SITE (a site_then)."""
        posts: tuple[Incident | Maintenance, ...] = (*site.incidents, *site.maintenance)
        return next(p for p in posts if (p.kind, p.slug) == (self.post.kind, self.post.slug))


def notices_of(site: Site) -> list[Notice]:
    """Every update the site publishes (drafts were left out when it was loaded), oldest first."""
    entries = entries_of((*site.incidents, *site.maintenance))
    return [Notice(site, entry) for entry in reversed(entries)]
