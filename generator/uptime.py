"""Per component: the worst status of each of the last 90 days, and the uptime over them."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from generator.model import COMPONENT_STATUSES, Incident, Maintenance, Post, Site

DAYS = 90
# Statuspage's weighting: a major outage is downtime, a partial outage counts for 30 %,
# degraded performance and maintenance not at all.
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}


@dataclass(frozen=True)
class Day:
    """One cell of the uptime bar: a local day, its worst status, and the posts behind it."""

    day: date
    status: str
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Uptime:
    """The bar (oldest day first) and the share of time the component was up, in percent."""

    days: tuple[Day, ...]
    percent: float

    @property
    def shown_percent(self) -> str:
        """`99.97%`, never rounded up to 100 unless nothing was down."""
        return f"{math.floor(self.percent * 100) / 100:.2f}%"


@dataclass(frozen=True)
class _Stretch:
    start: datetime
    end: datetime
    status: str
    post: Post


def component_uptime(site: Site, name: str, days: int = DAYS) -> Uptime:
    """The last DAYS local days of component NAME, ending with the build's day."""
    zone = site.config.timezone
    today = site.now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    period_start = datetime.combine(first, time(), zone)
    stretches = _stretches(site, name, period_start)
    cells = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        start = datetime.combine(day, time(), zone)
        end = datetime.combine(day + timedelta(days=1), time(), zone)
        found = [s for s in stretches if s.start < end and s.end > start and s.start < site.now]
        status = max((s.status for s in found), key=COMPONENT_STATUSES.index, default="operational")
        posts = tuple(dict.fromkeys(s.post for s in found))
        cells.append(Day(day, status, posts))
    total = (site.now - period_start).total_seconds()
    down = _weighted_downtime(stretches, period_start, site.now)
    percent = 100.0 if total <= 0 else max(0.0, 100.0 * (1 - down / total))
    return Uptime(tuple(cells), percent)


def _stretches(site: Site, name: str, since: datetime) -> list[_Stretch]:
    """When incidents and maintenance touched component NAME, and what they made of it.

    Only what overlaps SINCE to the build's time: the rest shows in no day and no downtime.
    """
    incidents, windows = [], []
    now = site.now
    for post in site.posts_naming(name):
        if isinstance(post, Maintenance):
            if post.start <= now and post.end >= since:
                windows.append(_Stretch(post.start, post.end, "under_maintenance", post))
            continue
        began = post.began
        if began is None or began > now:
            continue
        end = max(post.resolved_at or now, began)
        if end < since:
            continue
        status = post.component_status(name)
        if status:
            incidents.append(_Stretch(began, end, status, post))
    # A day lists its posts as the site orders them: incidents newest first (as they come),
    # then maintenance windows soonest first (reversed).
    return incidents + windows[::-1]


def _weighted_downtime(stretches: list[_Stretch], start: datetime, end: datetime) -> float:
    """Seconds of downtime between START and END; overlapping incidents count once, the worst."""
    down = [s for s in stretches if s.status in DOWNTIME_WEIGHT]
    edges = sorted({start, end, *(max(start, min(end, t)) for s in down for t in (s.start, s.end))})
    seconds = 0.0
    for left, right in itertools.pairwise(edges):
        weights = [DOWNTIME_WEIGHT[s.status] for s in down if s.start <= left and s.end >= right]
        seconds += max(weights, default=0.0) * (right - left).total_seconds()
    return seconds


def incidents_affecting(site: Site, name: str) -> tuple[Incident | Maintenance, ...]:
    """Incidents and maintenance windows that name component NAME, newest first."""
    return site.posts_naming(name)
