"""The HTML pages: Jinja2 templates over the finished model."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import jinja2
from markupsafe import Markup, escape

from generator import __version__
from generator.i18n import MessageError, Messages
from generator.labels import (
    COMPONENT_STATUS_LABELS,
    IMPACT_LABELS,
    INDICATOR_LABELS,
    MAINTENANCE_STATE_LABELS,
)
from generator.model import COMPLETED, IN_PROGRESS, UPCOMING, Incident, Maintenance, Post, Site
from generator.outputs.markup import MarkdownRenderer, sub_in_links
from generator.theme import Theme
from generator.timestamps import format_iso
from generator.uptime import Uptime, component_uptime, incidents_affecting

RECENT_RESOLVED = 5
# A component's page lists its newest posts; the history has them all. A list of every post
# would grow without end and change the page (and the build's work) with every update.
COMPONENT_POSTS = 20

Pages = dict[str, bytes]
# A link that is neither absolute (`https:`, `mailto:`) nor from the host's root (`/`).
_RELATIVE_LINK = re.compile(r'(\s(?:href|src)=")(?![A-Za-z][A-Za-z0-9+.-]*:|/)([^"?#]*)([^"]*)"')


def make_environment(theme: Theme) -> jinja2.Environment:
    """Autoescape on, StrictUndefined: a template typo is an error, never an empty string."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(theme.template_dirs),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One environment per build: no template changes while it renders, so none is
        # checked against its file again on each page.
        auto_reload=False,
    )
    # The English labels, as the API shows them: for site themes that used them before catalogues.
    env.globals.update(
        COMPONENT_STATUS_LABELS=COMPONENT_STATUS_LABELS,
        INDICATOR_LABELS=INDICATOR_LABELS,
        IMPACT_LABELS=IMPACT_LABELS,
        MAINTENANCE_STATE_LABELS=MAINTENANCE_STATE_LABELS,
        UPCOMING=UPCOMING,
        IN_PROGRESS=IN_PROGRESS,
        COMPLETED=COMPLETED,
        generator_version=__version__,
    )
    env.filters["iso"] = format_iso
    env.globals["url"] = _url
    return env


@jinja2.pass_context
def _url(context: Any, target: str = "") -> str:
    """TARGET (a path from the site's root) as a link from the page being rendered."""
    root: str = context["root"]
    return (root + target) or "./"


class PageRenderer:
    """Renders every page of SITE with THEME's templates, in the words of MESSAGES."""

    def __init__(
        self,
        site: Site,
        theme: Theme,
        markdown: MarkdownRenderer,
        messages: Messages,
        assets: Mapping[str, str] | None = None,
    ) -> None:
        self.site = site
        self.assets = dict(assets or {})
        self.zone = site.config.timezone
        self.messages = messages
        self.env = make_environment(theme)
        self.env.filters["duration"] = messages.duration
        # What of the site the page being rendered has read, besides the post it shows:
        # the build cache keeps a post's page only while that is no more than the config
        # (and the build's time, kept with it).
        self.read: set[str] = set()
        self.env.globals.update(
            _=self.message,
            percent=self.percent,
            site=Watched(site, self.read),
            config=site.config,
            markdown=self.markdown,
            time_tag=self.time_tag,
            local_date=self.local_date,
            month_url=self.month_url,
            uptime=self.uptime,
            incidents_affecting=self.incidents_affecting,
            asset=self.asset,
        )
        self._uptime: dict[str, Uptime] = {}
        # Many pages show the same times and words: each is made once per build.
        self._time_tags: dict[tuple[datetime, bool], Markup] = {}
        self._messages: dict[tuple[Any, ...], Markup] = {}
        self.markdown_renderer = markdown

    def forget_times(self) -> None:
        """Drop the remembered time tags: a worker process renders thousands of posts, each
        with times of its own, and need not keep them all."""
        self._time_tags.clear()

    @jinja2.pass_context
    def asset(self, context: Any, name: str) -> str:
        """`asset('style.css')`: the theme's static file NAME by its fingerprinted URL."""
        if name not in self.assets:
            raise jinja2.TemplateRuntimeError(
                f"asset('{name}'): the theme has no static file '{name}'"
            )
        return str(_url(context, self.assets[name]))

    @jinja2.pass_context
    def markdown(
        self,
        context: Any,
        text: str,
        lowest_heading: int = 2,
        shift: int = 0,
        home: str | None = None,
    ) -> Markup:
        """TEXT as HTML; given HOME, the folder of the page TEXT was written for, links still work."""
        html = self.markdown_renderer.render(text, lowest_heading, shift)
        if home is not None:
            html = rebase_links(html, home, context["path"])
        return Markup(html)

    def message(self, key: str, **values: Any) -> Markup:
        """`_("key", name=value)` in templates: the message, escaped, with its values escaped."""
        memo = (key, *sorted(values.items())) if values else (key,)
        try:
            return self._messages[memo]
        except KeyError:
            self._messages[memo] = self._message(key, **values)
            return self._messages[memo]
        except TypeError:  # a value that cannot be a key: nothing to remember
            return self._message(key, **values)

    def _message(self, key: str, **values: Any) -> Markup:
        try:
            return Markup(self.messages.render(key, values, quote=escape))
        except MessageError as exc:
            raise jinja2.TemplateRuntimeError(str(exc)) from None

    def percent(self, uptime: Uptime) -> str:
        """An uptime's percentage as the language writes it: `99.97%`, `99,97 %`."""
        return self.messages.percent(uptime.shown_percent.removesuffix("%"))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def local_date(self, moment: datetime | date) -> str:
        """`29 November 2026`: a moment's date in the site's zone, or a date as it is."""
        local = self.local(moment) if isinstance(moment, datetime) else moment
        return self.messages.date(local)

    def time_tag(self, moment: datetime, date_only: bool = False) -> Markup:
        """`<time datetime="…Z">29 November 2026, 09:05 CET</time>` in the site's zone."""
        memo = (moment, date_only)
        if memo not in self._time_tags:
            self._time_tags[memo] = self._time_tag(moment, date_only)
        return self._time_tags[memo]

    def _time_tag(self, moment: datetime, date_only: bool) -> Markup:
        local = self.local(moment)
        shown = self.local_date(local) if date_only else self.messages.date_time(local)
        return Markup(f'<time datetime="{format_iso(moment)}">{escape(shown)}</time>')

    def uptime(self, name: str) -> Uptime:
        """Component NAME's last 90 days, computed once per build."""
        self.read.add("incidents")
        if name not in self._uptime:
            self._uptime[name] = component_uptime(self.site, name)
        return self._uptime[name]

    def incidents_affecting(self, name: str) -> tuple[Incident | Maintenance, ...]:
        self.read.add("incidents")
        return incidents_affecting(self.site, name)

    def month_url(self, post: Post) -> str:
        self.read.add("now")  # a post that has not begun is listed under the build's month
        year, month = self.month_of(post)
        return f"history/{year:04d}/{month:02d}/"

    def month_of(self, post: Post) -> tuple[int, int]:
        began = post.began if isinstance(post, (Incident, Maintenance)) else None
        local = self.local(began or self.site.now)
        return local.year, local.month

    def page(self, template: str, path: str, root: str, **context: Any) -> tuple[str, bytes]:
        """TEMPLATE rendered as PATH; the footer's `updated` is the site's, unless CONTEXT says."""
        if "updated" not in context:
            self.read.add("last_updated")
            context["updated"] = self.site.last_updated
        html = self.env.get_template(template).render(root=root, path=path, **context)
        return path, html.encode("utf-8")

    def render_all(self) -> Pages:
        """Every page, keyed by its path in the output."""
        pages = self.site_pages()
        for post in (*self.site.incidents, *self.site.maintenance):
            pages.update(self.post_pages(post)[0])
        return pages

    def site_pages(self, months: list[dict[str, Any]] | None = None) -> Pages:
        """The pages that show more than one post: home, 404, components and `history/`.

        Given MONTHS, the month pages are left to the caller; without, they are made too.
        """
        site = self.site
        recent = site.resolved_incidents[:RECENT_RESOLVED]
        pages = dict(
            [
                self.page("index.html", "index.html", "", recent_resolved=recent),
                self.page("404.html", "404.html", site.config.base_url),
            ]
        )
        for component in site.config.components:
            path = f"{component.url}index.html"
            page = self.page(
                "component.html",
                path,
                "../../",
                component=component,
                component_posts=COMPONENT_POSTS,
            )
            pages.update([page])
        pages.update(self.history() if months is None else self.history_index(months))
        return pages

    def post_pages(self, post: Post) -> tuple[Pages, frozenset[str]]:
        """POST's own page, and what of the site besides it the templates read."""
        self.read.clear()
        path = f"{post.url}index.html"
        if isinstance(post, Incident):
            page = self.page(
                "incident.html", path, "../../", incident=post, updated=post.last_updated
            )
        else:
            page = self.page(
                "maintenance.html", path, "../../", window=post, updated=post.last_updated
            )
        return dict([page]), frozenset(self.read)

    def history(self) -> Pages:
        """`history/` lists the months; `history/YYYY/MM/` lists what began in each."""
        entries = self.months()
        pages = self.history_index(entries)
        for index in range(len(entries)):
            pages.update(self.month_page(entries, index)[0])
        return pages

    def months(self) -> list[dict[str, Any]]:
        """Each month in which posts began, newest first, with its posts newest first."""
        months: dict[tuple[int, int], list[Post]] = defaultdict(list)
        for post in (*self.site.incidents, *self.site.maintenance):
            months[self.month_of(post)].append(post)
        ordered = sorted(months, reverse=True)
        entries: list[dict[str, Any]] = [
            {
                "year": year,
                "month": month,
                "name": self.messages.month_year(year, month),
                "url": f"history/{year:04d}/{month:02d}/",
                "incidents": [p for p in months[(year, month)] if isinstance(p, Incident)],
                "maintenance": [p for p in months[(year, month)] if isinstance(p, Maintenance)],
            }
            for year, month in ordered
        ]
        for entry in entries:
            entry["incidents"].sort(key=_newest_first_key, reverse=True)
            entry["maintenance"].sort(key=_newest_first_key, reverse=True)
        return entries

    def history_index(self, entries: list[dict[str, Any]]) -> Pages:
        return dict([self.page("history.html", "history/index.html", "../", months=entries)])

    def month_page(self, entries: list[dict[str, Any]], index: int) -> tuple[Pages, frozenset[str]]:
        """The page of month ENTRIES[INDEX], and what of the site besides its posts it read.

        Its footer gives the newest update among its posts: a month that nothing changed in
        keeps its page.
        """
        self.read.clear()
        entry = entries[index]
        newer = entries[index - 1] if index > 0 else None
        older = entries[index + 1] if index + 1 < len(entries) else None
        times = [p.last_updated for p in (*entry["incidents"], *entry["maintenance"])]
        page = self.page(
            "month.html",
            f"{entry['url']}index.html",
            "../../../",
            month=entry,
            newer=newer,
            older=older,
            updated=max((t for t in times if t), default=None),
        )
        return dict([page]), frozenset(self.read)


class Watched:
    """SITE as templates see it: each attribute they read is added to READ."""

    __slots__ = ("_read", "_site")

    def __init__(self, site: Site, read: set[str]) -> None:
        self._site, self._read = site, read

    def __getattr__(self, name: str) -> Any:
        self._read.add(name)
        return getattr(self._site, name)


def rebase_links(html: str, home: str, page: str) -> str:
    """HTML written for the folder HOME (`incidents/x/`), its relative links made to work on PAGE."""
    here = posixpath.dirname(page)
    if here == home.rstrip("/"):
        return html

    def rebase(match: re.Match[str]) -> str:
        path = match[2]
        target = posixpath.relpath(posixpath.normpath(posixpath.join(home, path)), here or ".")
        if not path or path.endswith("/") or posixpath.basename(path) in (".", ".."):
            target = "./" if target == "." else target + "/"
        return f'{match[1]}{target}{match[3]}"'

    return sub_in_links(_RELATIVE_LINK, rebase, html)


def _newest_first_key(post: Post) -> tuple[datetime, str]:
    began = post.began if isinstance(post, (Incident, Maintenance)) else None
    return (began or datetime.min.replace(tzinfo=UTC), post.slug)


def render_pages(
    site: Site,
    theme: Theme,
    markdown: MarkdownRenderer,
    messages: Messages,
    assets: Mapping[str, str] | None = None,
) -> Pages:
    """Every page; ASSETS maps each static file to its fingerprinted path, for `asset()`."""
    return PageRenderer(site, theme, markdown, messages, assets).render_all()
