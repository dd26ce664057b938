"""The site as plain, frozen data: what was loaded, and what follows from it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, tzinfo
from functools import cached_property
from typing import NamedTuple

INCIDENT_STATUSES = (
    "Investigating",
    "Identified",
    "Monitoring",
    "Update",
    "Resolved",
    "Postmortem",
)
MAINTENANCE_STATUSES = ("Scheduled", "In progress", "Verifying", "Completed", "Update")
RESOLVED_STATUSES = ("Resolved", "Postmortem")
IMPACTS = ("none", "minor", "major", "critical")

# Statuspage's component statuses, best first: the worst one wins.
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
INCIDENT_COMPONENT_STATUSES = COMPONENT_STATUSES[2:]
IMPACT_COMPONENT_STATUS = {
    "none": None,
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}

UPCOMING, IN_PROGRESS, COMPLETED = "upcoming", "in_progress", "completed"


@dataclass(frozen=True)
class Component:
    """A part of the service that customers know by name."""

    name: str
    slug: str
    description: str = ""
    group: str | None = None

    @property
    def url(self) -> str:
        return f"components/{self.slug}/"


@dataclass(frozen=True)
class ComponentGroup:
    """Components shown together; a lone component is a group without a name."""

    name: str | None
    components: tuple[Component, ...]


@dataclass(frozen=True)
class SiteConfig:
    """site.yaml, checked."""

    title: str
    base_url: str
    description: str = ""
    language: str = "en"
    timezone_name: str = "UTC"
    timezone: tzinfo | None = None
    theme: str = "default"
    feed_entries: int = 50
    cache_max_age: int = 60  # seconds that browsers and CDNs may keep pages, feeds and the API
    id_host: str = ""
    groups: tuple[ComponentGroup, ...] = ()
    websub_hub: str = ""  # notify.websub_hub: the feeds link it (checked by generator.notify)
    # The site's own words for the theme's messages, by key (checked by generator.i18n).
    strings: Mapping[str, object] = field(default_factory=dict, hash=False)

    @property
    def components(self) -> tuple[Component, ...]:
        return tuple(c for g in self.groups for c in g.components)


class Update(NamedTuple):
    """One timestamped status update, as appended by a writer.

    A named tuple, not a dataclass: a big site holds eight for each of thousands of posts,
    and a build after one update takes them all from the cache, where a tuple is quicker
    to unpickle and smaller in memory.
    """

    when: datetime
    status: str  # as written, canonical capitalisation: "Update" stays "Update"
    effective_status: str  # what the post's status is after this update
    body: str  # Markdown source
    line: int
    id: str  # the permanent tag: URI
    anchor: str  # the id of its element on the page


@dataclass(frozen=True)
class Post:
    """What incidents and maintenance windows share."""

    kind: str  # "incidents" or "maintenance": the folder, the URL prefix, the id prefix
    slug: str
    source: str  # the file's path, as shown in problems
    title: str
    components: tuple[tuple[str, str | None], ...]  # (name, explicit status or None)
    draft: bool
    preamble: str
    updates: tuple[Update, ...]  # oldest first, each later than the last: the parser sees to it

    # What outputs over the whole site ask every post for again and again is a cached_property
    # (it writes to __dict__, past the frozen __setattr__); what costs less than a first look-up
    # in its cache stays a property.
    def __getstate__(self) -> dict[str, object]:
        """The fields alone: a pickle keeps no cached value, so it cannot outlive a change of code."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def url(self) -> str:
        return f"{self.kind}/{self.slug}/"

    @property
    def last_update(self) -> Update | None:
        return self.updates[-1] if self.updates else None

    @property
    def last_updated(self) -> datetime | None:
        return self.updates[-1].when if self.updates else None

    @cached_property
    def component_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.components)


@dataclass(frozen=True)
class Incident(Post):
    impact: str = "minor"
    started: datetime | None = None

    @property
    def status(self) -> str:
        return self.updates[-1].effective_status if self.updates else "Investigating"

    @property
    def is_resolved(self) -> bool:
        return self.status in RESOLVED_STATUSES

    @property
    def is_notice(self) -> bool:
        return self.impact == "none"

    @cached_property
    def began(self) -> datetime | None:
        return self.started or (self.updates[0].when if self.updates else None)

    @cached_property
    def resolved_at(self) -> datetime | None:
        """When it was last resolved: the update that ended its last open stretch."""
        if not self.is_resolved:
            return None
        moment = None
        for update in reversed(self.updates):
            if update.effective_status not in RESOLVED_STATUSES:
                break
            moment = update.when
        return moment

    @property
    def duration(self) -> timedelta | None:
        if self.resolved_at is None or self.began is None:
            return None
        return self.resolved_at - self.began

    def component_status(self, name: str) -> str | None:
        """What this incident, while open, makes of component NAME."""
        for component, explicit in self.components:
            if component == name:
                return explicit or IMPACT_COMPONENT_STATUS[self.impact]
        return None


@dataclass(frozen=True)
class Maintenance(Post):
    start: datetime
    end: datetime

    def state(self, now: datetime) -> str:
        """Upcoming, in progress or completed at NOW; the window's own updates win over the clock."""
        last = self.updates[-1].effective_status if self.updates else "Scheduled"
        if last == "Completed":
            return COMPLETED
        if last in ("In progress", "Verifying"):
            return IN_PROGRESS
        if now < self.start:
            return UPCOMING
        return IN_PROGRESS if now < self.end else COMPLETED

    @property
    def began(self) -> datetime:
        return self.start


@dataclass(frozen=True)
class Site:
    """Everything a build renders: the config, every post, and the build's time."""

    config: SiteConfig
    incidents: tuple[Incident, ...]  # newest first
    maintenance: tuple[Maintenance, ...]  # soonest start first
    now: datetime

    @cached_property
    def active_incidents(self) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if not i.is_resolved)

    @cached_property
    def resolved_incidents(self) -> tuple[Incident, ...]:
        """Resolved incidents, the most recently resolved first."""
        done = [i for i in self.incidents if i.is_resolved]
        return tuple(sorted(done, key=lambda i: (i.resolved_at, i.slug), reverse=True))

    def __getstate__(self) -> dict[str, object]:
        """The fields alone, as for a post: the indexes below belong to one build."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def maintenance_in(self, state: str) -> tuple[Maintenance, ...]:
        return self._maintenance_by_state.get(state, ())

    @cached_property
    def _maintenance_by_state(self) -> dict[str, tuple[Maintenance, ...]]:
        found: dict[str, list[Maintenance]] = {}
        for window in self.maintenance:
            found.setdefault(window.state(self.now), []).append(window)
        return {state: tuple(windows) for state, windows in found.items()}

    def component_status(self, name: str) -> str:
        """The worst status that an open incident or running maintenance gives component NAME."""
        return self._component_statuses.get(name, "operational")

    @cached_property
    def _component_statuses(self) -> dict[str, str]:
        """Each component's status other than operational, by name."""
        found: dict[str, str] = {}

        def seen(name: str, status: str) -> None:
            worst = found.get(name, "operational")
            found[name] = max(worst, status, key=COMPONENT_STATUSES.index)

        for incident in self.active_incidents:
            for name in incident.component_names:
                status = incident.component_status(name)
                if status:
                    seen(name, status)
        for window in self.maintenance_in(IN_PROGRESS):
            for name in window.component_names:
                seen(name, "under_maintenance")
        return found

    def posts_naming(self, name: str) -> tuple[Incident | Maintenance, ...]:
        """Incidents and maintenance windows that name component NAME, newest first."""
        return self._posts_by_component.get(name, ())

    @cached_property
    def _posts_by_component(self) -> dict[str, tuple[Incident | Maintenance, ...]]:
        # One sort serves every component; a tie keeps the site's order, incidents first.
        posts: list[Incident | Maintenance] = [*self.incidents, *self.maintenance]
        posts.sort(key=lambda p: (p.began or self.now, p.slug), reverse=True)
        found: dict[str, list[Incident | Maintenance]] = {}
        for post in posts:
            for name, _ in post.components:
                listed = found.setdefault(name, [])
                if not listed or listed[-1] is not post:  # once, if a post names it twice
                    listed.append(post)
        return {name: tuple(posts) for name, posts in found.items()}

    def group_status(self, group: ComponentGroup) -> str:
        statuses = [self.component_status(c.name) for c in group.components] or ["operational"]
        return max(statuses, key=COMPONENT_STATUSES.index)

    @cached_property
    def indicator(self) -> str:
        """Statuspage's overall indicator: none, minor, major, critical or maintenance."""
        impacts = [i.impact for i in self.active_incidents if not i.is_notice]
        component_worst = max(
            (self.component_status(c.name) for c in self.config.components),
            key=COMPONENT_STATUSES.index,
            default="operational",
        )
        from_components = {
            "degraded_performance": "minor",
            "partial_outage": "major",
            "major_outage": "critical",
        }.get(component_worst)
        if from_components:
            impacts.append(from_components)
        if impacts:
            return max(impacts, key=IMPACTS.index)
        if self.maintenance_in(IN_PROGRESS):
            return "maintenance"
        return "none"

    @cached_property
    def last_updated(self) -> datetime | None:
        """The newest update's time, in the whole site."""
        times = (p.last_updated for p in (*self.incidents, *self.maintenance))
        return max((t for t in times if t), default=None)
