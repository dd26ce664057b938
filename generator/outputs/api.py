"""Statuspage's public API v2 as static files, so that tools written for Statuspage read the site."""

from __future__ import annotations

import json
from collections.abc import Iterable

from generator.model import COMPLETED, IN_PROGRESS, UPCOMING, Incident, Site
from generator.outputs.api_objects import Json, StatuspageObjects

API = "api/v2/"
# Statuspage's incidents.json and scheduled-maintenances.json hold the 50 most recent.
LATEST = 50


def render_api(site: Site) -> dict[str, bytes]:
    """Every endpoint of Statuspage's public API v2, by its path under the site."""
    return {API + path: serialise(document) for path, document in api_documents(site).items()}


def api_documents(site: Site) -> dict[str, Json]:
    """Each endpoint's document, keyed by its path under api/v2/."""
    objects = StatuspageObjects(site)
    page, status = objects.page(), objects.status()
    components = objects.components()

    def newest_first(incidents: Iterable[Incident]) -> list[Incident]:
        return sorted(incidents, key=lambda i: (objects.started(i), i.slug), reverse=True)

    latest = [objects.incident(i) for i in newest_first(site.incidents)[:LATEST]]
    unresolved = [objects.incident(i) for i in newest_first(site.active_incidents)]
    # The latest scheduled first; ties by slug, so that the order never depends on the files.
    windows = sorted(site.maintenance, key=lambda m: (m.start, m.slug), reverse=True)

    def maintenance(*states: str) -> list[Json]:
        return [objects.maintenance(m) for m in windows if m.state(site.now) in states]

    return {
        "summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": maintenance(UPCOMING, IN_PROGRESS),
            "status": status,
        },
        "status.json": {"page": page, "status": status},
        "components.json": {"page": page, "components": components},
        "incidents.json": {"page": page, "incidents": latest},
        "incidents/unresolved.json": {"page": page, "incidents": unresolved},
        "scheduled-maintenances.json": {
            "page": page,
            "scheduled_maintenances": maintenance(UPCOMING, IN_PROGRESS, COMPLETED)[:LATEST],
        },
        "scheduled-maintenances/upcoming.json": {
            "page": page,
            "scheduled_maintenances": maintenance(UPCOMING),
        },
        "scheduled-maintenances/active.json": {
            "page": page,
            "scheduled_maintenances": maintenance(IN_PROGRESS),
        },
    }


def serialise(document: Json) -> bytes:
    """JSON with the keys in Statuspage's order, two-space indents and a final newline."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
