"""Fixture sites for the validator and browser tests: the demo, and one with every kind of post."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from generator.build import build_site

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

RICH_YAML = """\
title: Rich Status
base_url: https://status.rich.example/
description: Every kind of incident, notice and maintenance window at once.
timezone: Europe/Berlin
components:
  - name: API
    description: REST and streaming API
  - name: Web app
  - group: Publishing
    components:
      - name: Scheduler
        description: Sends posts at the time customers chose
      - name: Queue
  - group: Notifications
    components:
      - name: Email
      - name: Webhooks
"""

RICH_FILES = {
    "content/incidents/2026-12-01-api-outage.md": """\
---
title: API requests fail for some customers
impact: major
components:
  API: major_outage
  Scheduler: partial_outage
---
Requests to the API fail with error 503 for about a third of customers.

## What you should do

- Retry failed requests; they are safe to repeat.
- Scheduled posts are kept and sent once the API is back.

## 2026-12-01 08:10 UTC — Investigating
We are investigating failed API requests.

## 2026-12-01 09:00 UTC — Identified
A faulty load balancer configuration. We are rolling it back.

```
$ curl -i https://api.rich.example/v1/health
HTTP/1.1 503 Service Unavailable
```

## 2026-12-01 10:30 UTC — Monitoring
The rollback is complete. We are watching error rates.
""",
    "content/incidents/2026-12-01-slow-web-app.md": """\
---
title: The web app is slow
impact: minor
components: [Web app]
---
## 2026-12-01 09:30 UTC — Investigating
Pages take several seconds to load.
""",
    "content/incidents/2026-11-30-new-ip-ranges.md": """\
---
title: Webhooks come from new IP addresses from 7 December
impact: none
components: [Webhooks]
---
## 2026-11-30 12:00 UTC — Update
From 7 December, webhooks are sent from `203.0.113.0/24`. Allow it in your firewall.
""",
    "content/incidents/2026-11-20-email-delays.md": """\
---
title: Delayed emails
impact: minor
components: [Email]
---
## 2026-11-20 07:48 UTC — Investigating
Emails arrive late.

## 2026-11-20 08:30 UTC — Resolved
Emails are on time again.

## 2026-11-22 10:00 UTC — Postmortem
Our provider's queue stalled. We now alert after five minutes of delay.

| Time | Event |
| --- | --- |
| 07:30 | Queue stalls |
| 08:30 | Provider clears it |
""",
    "content/incidents/2026-10-15-scheduler-reopened.md": """\
---
title: Posts published late
impact: critical
components: [Scheduler, Queue]
started: 2026-10-15 05:00 UTC
---
## 2026-10-15 06:00 UTC — Investigating
Posts go out late.

## 2026-10-15 07:00 UTC — Resolved
Fixed.

## 2026-10-15 09:00 UTC — Investigating
It happened again.

## 2026-10-15 11:00 UTC — Resolved
Fixed for good: a clock on one worker was wrong.
""",
    "content/maintenance/2026-12-01-queue-migration.md": """\
---
title: Queue migration
start: 2026-12-01 11:00 UTC
end: 2026-12-01 13:00 UTC
components: [Queue]
---
The queue moves to new servers. Posts may be delayed by a few minutes.

## 2026-12-01 11:00 UTC — In progress
The migration has begun.
""",
    "content/maintenance/2026-12-06-database-upgrade.md": """\
---
title: Database upgrade
start: 2026-12-06 02:00 UTC
end: 2026-12-06 04:00 UTC
components: [API, Web app]
---
The API and web app are read-only for up to 15 minutes.
""",
    "content/maintenance/2026-11-08-network-work.md": """\
---
title: Network maintenance
start: 2026-11-08 01:00 UTC
end: 2026-11-08 02:00 UTC
components: [API]
---
## 2026-11-08 01:55 UTC — Completed
Done early.
""",
}


def write_rich_site(folder: Path) -> Path:
    """The rich fixture site in FOLDER."""
    (folder / "site.yaml").parent.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(RICH_YAML, encoding="utf-8")
    for relative, text in RICH_FILES.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def copy_demo_site(folder: Path) -> Path:
    """A copy of the repository's demo site (site.yaml and content/) in FOLDER."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "site.yaml", folder / "site.yaml")
    shutil.copytree(ROOT / "content", folder / "content")
    return folder


def build_into(site: Path, out: Path, now: datetime = NOW) -> Path:
    """Build SITE into OUT at NOW; OUT."""
    build_site(site, out, now)
    return out
