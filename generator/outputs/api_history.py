"""What the content did to each component, and when: what the API's times and transitions say."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from generator.model import (
    RESOLVED_STATUSES,
    Component,
    ComponentGroup,
    Incident,
    Maintenance,
    Post,
    Site,
)

# The time of a site without any content: no build clock, so that builds are reproducible.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNDER_MAINTENANCE = ("In progress", "Verifying")


@dataclass(frozen=True)
class Placement:
    """A component of site.yaml and where it stands: its position and its group, if any."""

    component: Component
    position: int
    group: ComponentGroup | None

    @property
    def full_name(self) -> str:
        """`Publishing - Scheduler`: how Statuspage names a grouped component in an update."""
        if self.group is None or self.group.name is None:
            return self.component.name
        return f"{self.group.name} - {self.component.name}"


@dataclass(frozen=True)
class Change:
    """What one update did to one component: its status before and after."""

    placement: Placement
    old: str
    new: str


class ComponentHistory:
    """SITE's components and what each post's updates did to them; every time from the content."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._changes: dict[tuple[str, str], list[list[Change]]] = {}

    @cached_property
    def origin(self) -> datetime:
        """The oldest time in the content: when the components are said to have been created."""
        times = [p.updates[0].when for p in self.posts if p.updates]  # each post's oldest
        times += [i.started for i in self.site.incidents if i.started]
        times += [m.start for m in self.site.maintenance]
        return min(times, default=EPOCH)

    @property
    def posts(self) -> Iterator[Post]:
        yield from self.site.incidents
        yield from self.site.maintenance

    @cached_property
    def placements(self) -> dict[str, Placement]:
        """Every component by name, in site.yaml's order; positions count from 1 within a level."""
        found: dict[str, Placement] = {}
        for index, group in enumerate(self.site.config.groups, start=1):
            for inner, component in enumerate(group.components, start=1):
                if group.name is None:
                    found[component.name] = Placement(component, index, None)
                else:
                    found[component.name] = Placement(component, inner, group)
        return found

    def updated(self, name: str) -> datetime:
        """The last time a post changed what it says about component NAME, else the origin."""
        return self.updated_times.get(name, self.origin)

    @cached_property
    def updated_times(self) -> dict[str, datetime]:
        """For each component, the last time a post changed what it says about it."""
        times: dict[str, datetime] = {}
        placements = self.placements
        for post in self.posts:
            # An update changes a component only when it opens or closes the post, and only if
            # the post, while open, gives the component a status other than operational: what
            # changes() says, without working out every change of every post.
            moments = self.clock_changes(post) if isinstance(post, Maintenance) else []
            toggled = _last_toggle(post)
            if toggled is not None:
                moments.append(toggled)
            if not moments:
                continue
            last = max(moments)
            for name, _ in post.components:
                if name in placements and self.given_status(post, name) != "operational":
                    times[name] = max(last, times.get(name, last))
        return times

    def clock_changes(self, window: Maintenance) -> list[datetime]:
        """When the clock, not an update, started or ended WINDOW, as far as the build's time goes."""
        last = window.last_update
        if last and last.effective_status in (*UNDER_MAINTENANCE, "Completed"):
            return []
        return [moment for moment in (window.start, window.end) if moment <= self.site.now]

    def given_status(self, post: Post, name: str) -> str:
        """The status POST gives component NAME while it is open (or the window is running)."""
        if isinstance(post, Incident):
            return post.component_status(name) or "operational"
        return "under_maintenance"

    def changes(self, post: Post) -> list[list[Change]]:
        """For each update of POST: each of its components' status before and after the update."""
        key = (post.kind, post.slug)
        if key not in self._changes:
            self._changes[key] = self._work_out_changes(post)
        return self._changes[key]

    def _work_out_changes(self, post: Post) -> list[list[Change]]:
        found: list[list[Change]] = []
        given = {name: self.given_status(post, name) for name in self.named_components(post)}
        was_open = False
        for update in post.updates:
            is_open = _is_open(post, update.effective_status)
            found.append(
                [
                    Change(
                        self.placements[name],
                        status if was_open else "operational",
                        status if is_open else "operational",
                    )
                    for name, status in given.items()
                ]
            )
            was_open = is_open
        return found

    def named_components(self, post: Post) -> list[str]:
        """POST's components in site.yaml's order."""
        return [name for name in self.placements if name in post.component_names]


def _last_toggle(post: Post) -> datetime | None:
    """When an update last opened or closed POST (it starts closed), if one ever did."""
    updates = post.updates
    if not updates:
        return None
    if isinstance(post, Incident) and post.is_resolved:
        # The update that last resolved it closed it, unless it was never open (updates are
        # in time order, each later than the one before).
        resolved = post.resolved_at
        return None if resolved == updates[0].when else resolved
    # The last toggle starts the final run of open or closed updates.
    final = _is_open(post, updates[-1].effective_status)
    start = len(updates) - 1
    while start > 0 and _is_open(post, updates[start - 1].effective_status) == final:
        start -= 1
    if start == 0 and not final:
        return None
    return updates[start].when


def _is_open(post: Post, effective_status: str) -> bool:
    """Whether POST, after an update with EFFECTIVE_STATUS, still sets its components' status."""
    if isinstance(post, Incident):
        return effective_status not in RESOLVED_STATUSES
    return effective_status in UNDER_MAINTENANCE
