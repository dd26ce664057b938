"""The objects of Statuspage's public API v2 (page, component, incident, update), from the model."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from generator.labels import INDICATOR_LABELS
from generator.model import (
    COMPLETED,
    UPCOMING,
    Component,
    ComponentGroup,
    Incident,
    Maintenance,
    Post,
    Site,
)
from generator.outputs.api_history import Change, ComponentHistory

Json = dict[str, Any]
ID_LENGTH = 12
_ID_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
MAINTENANCE_STATUSES = {
    "Scheduled": "scheduled",
    "In progress": "in_progress",
    "Verifying": "verifying",
    "Completed": "completed",
}


def short_id(id_host: str, key: str) -> str:
    """Twelve lowercase letters and digits, as Statuspage's ids are: the same KEY, the same id."""
    digest = hashlib.sha256(f"{id_host}\n{key}".encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    digits = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, len(_ID_DIGITS))
        digits.append(_ID_DIGITS[digit])
    return "".join(digits)


def api_time(moment: datetime) -> str:
    """`2026-11-29T09:05:00.000Z`: RFC 3339 in UTC with milliseconds, as Statuspage writes times."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def optional_time(moment: datetime | None) -> str | None:
    return None if moment is None else api_time(moment)


class StatuspageObjects:
    """Statuspage's objects for SITE; times come from the content, ids from slugs and id_host."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.config = site.config
        self._ids: dict[str, str] = {}  # a component's id is asked for by every update naming it
        self.page_id = self.id_of("page")
        self.history = ComponentHistory(site)
        self.origin = self.history.origin

    def id_of(self, key: str) -> str:
        if key not in self._ids:
            self._ids[key] = short_id(self.config.id_host, key)
        return self._ids[key]

    # --- the page and its status ---------------------------------------------------------------

    def page(self) -> Json:
        return {
            "id": self.page_id,
            "name": self.config.title,
            "url": self.config.base_url.rstrip("/"),
            "time_zone": self.config.timezone_name,
            "updated_at": api_time(self.site.last_updated or self.origin),
        }

    def status(self) -> Json:
        indicator = self.site.indicator
        return {"indicator": indicator, "description": INDICATOR_LABELS[indicator]}

    # --- components ------------------------------------------------------------------------------

    def components(self) -> list[Json]:
        """Every component and group in site.yaml's order, each group just before its members."""
        found: list[Json] = []
        for index, group in enumerate(self.config.groups, start=1):
            if group.name is not None:
                found.append(self.group(group, index))
            found.extend(self.component(c.name) for c in group.components)
        return found

    def group_id(self, group: ComponentGroup) -> str:
        return self.id_of(f"groups/{group.name}")

    def component_id(self, component: Component) -> str:
        return self.id_of(f"components/{component.slug}")

    def component(self, name: str) -> Json:
        placement = self.history.placements[name]
        group = placement.group
        return self._component_object(
            id=self.component_id(placement.component),
            name=name,
            status=self.site.component_status(name),
            updated_at=self.history.updated(name),
            position=placement.position,
            description=placement.component.description,
            group_id=self.group_id(group) if group else None,
        )

    def group(self, group: ComponentGroup, position: int) -> Json:
        members = [c.name for c in group.components]
        found = self._component_object(
            id=self.group_id(group),
            name=group.name or "",
            status=self.site.group_status(group),
            updated_at=max((self.history.updated(m) for m in members), default=self.origin),
            position=position,
            description="",
            group_id=None,
            group=True,
        )
        found["components"] = [self.component_id(c) for c in group.components]
        return found

    def _component_object(
        self,
        *,
        id: str,
        name: str,
        status: str,
        updated_at: datetime,
        position: int,
        description: str,
        group_id: str | None,
        group: bool = False,
    ) -> Json:
        """Statuspage's component, its keys in Statuspage's order; a group is a component too."""
        return {
            "id": id,
            "name": name,
            "status": status,
            "created_at": api_time(self.origin),
            "updated_at": api_time(updated_at),
            "position": position,
            "description": description or None,
            "showcase": False,
            "start_date": None,
            "group_id": group_id,
            "page_id": self.page_id,
            "group": group,
            "only_show_if_degraded": False,
        }

    # --- incidents and scheduled maintenances ------------------------------------------------------

    def post_id(self, post: Post) -> str:
        return self.id_of(f"{post.kind}/{post.slug}")

    def incident(self, incident: Incident) -> Json:
        created = incident.updates[0].when if incident.updates else self.started(incident)
        return {
            "id": self.post_id(incident),
            "name": incident.title,
            "status": incident.status.lower(),
            "created_at": api_time(created),
            "updated_at": api_time(incident.last_updated or created),
            "monitoring_at": optional_time(monitoring_at(incident)),
            "resolved_at": optional_time(incident.resolved_at),
            "impact": incident.impact,
            "shortlink": self.config.base_url + incident.url,
            "started_at": api_time(self.started(incident)),
            "page_id": self.page_id,
            "incident_updates": self.updates(incident),
            "components": [
                self.component(name) for name in self.history.named_components(incident)
            ],
            "reminder_intervals": None,
        }

    def started(self, incident: Incident) -> datetime:
        return incident.began or self.origin

    def maintenance(self, window: Maintenance) -> Json:
        created = window.updates[0].when if window.updates else window.start
        updated = max(
            [u.when for u in window.updates] + self.history.clock_changes(window), default=created
        )
        return {
            "id": self.post_id(window),
            "name": window.title,
            "status": self.maintenance_status(window),
            "created_at": api_time(created),
            "updated_at": api_time(updated),
            "monitoring_at": None,
            "resolved_at": optional_time(self.completed_at(window)),
            "impact": "maintenance",
            "shortlink": self.config.base_url + window.url,
            "started_at": api_time(created),
            "page_id": self.page_id,
            "incident_updates": self.updates(window),
            "components": [self.component(name) for name in self.history.named_components(window)],
            "reminder_intervals": None,
            "scheduled_for": api_time(window.start),
            "scheduled_until": api_time(window.end),
        }

    def maintenance_status(self, window: Maintenance) -> str:
        """scheduled, in_progress, verifying or completed at the build's time."""
        state = window.state(self.site.now)
        if state == UPCOMING:
            return "scheduled"
        if state == COMPLETED:
            return "completed"
        last = window.last_update
        return "verifying" if last and last.effective_status == "Verifying" else "in_progress"

    def completed_at(self, window: Maintenance) -> datetime | None:
        """When WINDOW was completed: by its Completed update, else by the clock at its end."""
        if window.state(self.site.now) != COMPLETED:
            return None
        moment = window.end
        for update in reversed(window.updates):
            if update.effective_status != "Completed":
                break
            moment = update.when
        return moment

    def updates(self, post: Post) -> list[Json]:
        """POST's updates, newest first as Statuspage lists them."""
        found = [
            {
                "id": self.id_of(update.id),
                "status": _update_status(post, update.effective_status),
                "body": update.body,
                "incident_id": self.post_id(post),
                "created_at": api_time(update.when),
                "updated_at": api_time(update.when),
                "display_at": api_time(update.when),
                "affected_components": self.affected(changes),
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for update, changes in zip(post.updates, self.history.changes(post), strict=True)
        ]
        return found[::-1]

    def affected(self, changes: list[Change]) -> list[Json] | None:
        """Statuspage's affected_components: null when the post names no component."""
        if not changes:
            return None
        return [
            {
                "code": self.component_id(change.placement.component),
                "name": change.placement.full_name,
                "old_status": change.old,
                "new_status": change.new,
            }
            for change in changes
        ]


def monitoring_at(incident: Incident) -> datetime | None:
    """When INCIDENT last went into monitoring, whether or not it is still there."""
    moment, before = None, None
    for update in incident.updates:
        if update.effective_status == "Monitoring" and before != "Monitoring":
            moment = update.when
        before = update.effective_status
    return moment


def _update_status(post: Post, effective_status: str) -> str:
    if isinstance(post, Maintenance):
        return MAINTENANCE_STATUSES[effective_status]
    return effective_status.lower()
