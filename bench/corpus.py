"""A deterministic corpus of incident posts, for benchmarks: N incidents of M updates each.

Like the issue's corpus, a post is about 3 KB: a three-paragraph preamble and, with 8 updates,
updates of one or two sentences with a list, a link, code or a table in turn.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

COMPONENTS = ["API", "Web app", "Scheduler", "Queue", "Email", "Webhooks", "Search", "Billing"]
WORDS = [
    "request",
    "latency",
    "database",
    "replica",
    "queue",
    "worker",
    "deploy",
    "rollback",
    "customer",
    "token",
    "region",
    "cache",
    "network",
    "storage",
    "failover",
    "certificate",
    "timeout",
    "error",
    "rate",
    "traffic",
    "upstream",
    "provider",
    "dashboard",
    "scheduler",
    "webhook",
    "delivery",
    "retry",
    "backlog",
    "index",
    "migration",
    "shard",
    "cluster",
]
STATUSES = ["Investigating", "Identified", "Monitoring", "Update", "Update", "Update", "Resolved"]

SITE_YAML = """\
title: Bench Status
base_url: https://status.bench.example/
timezone: UTC
components:
  - name: API
  - name: Web app
  - group: Publishing
    components:
      - name: Scheduler
      - name: Queue
  - name: Email
  - name: Webhooks
  - name: Search
  - name: Billing
"""


def sentence(rng: random.Random, words: int = 14) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int = 2) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def update_body(rng: random.Random, index: int) -> str:
    """Realistic Markdown: paragraphs, and in turn a list, a link, code or a table."""
    parts = [paragraph(rng, 1 + index % 2)]
    kind = index % 4
    if kind == 0:
        parts.append("\n".join(f"- {sentence(rng, 6)}" for _ in range(3)))
    elif kind == 1:
        parts.append(f"See [the runbook](https://docs.bench.example/runbooks/{index}) for details.")
    elif kind == 2:
        parts.append("```\n$ curl -i https://api.bench.example/health\nHTTP/1.1 503\n```")
    else:
        parts.append("| Time | Event |\n| --- | --- |\n| 09:05 | Alert |\n| 09:40 | Fix deployed |")
    return "\n\n".join(parts)


def incident(rng: random.Random, number: int, updates: int, start: datetime) -> tuple[str, str]:
    """(file name, text) of incident NUMBER."""
    slug = f"{start:%Y-%m-%d}-incident-{number:05d}"
    components = rng.sample(COMPONENTS, 2)
    lines = [
        "---",
        f"title: {sentence(rng, 6)[:-1]} ({number})",
        f"impact: {rng.choice(['minor', 'major', 'critical'])}",
        f"components: [{', '.join(components)}]",
        "---",
        "\n\n".join(paragraph(rng) for _ in range(3)),
        "",
    ]
    when = start
    for index in range(updates):
        status = STATUSES[min(index, len(STATUSES) - 2)] if index < updates - 1 else "Resolved"
        lines += [f"## {when:%Y-%m-%d %H:%M} UTC — {status}", update_body(rng, index), ""]
        when += timedelta(minutes=rng.randint(5, 90))
    return f"{slug}.md", "\n".join(lines)


def write_corpus(folder: Path, incidents: int, updates: int, seed: int = 1) -> Path:
    """A site in FOLDER with INCIDENTS incidents of UPDATES updates; the same every time."""
    rng = random.Random(seed)
    content = folder / "content" / "incidents"
    content.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    first = datetime(2020, 1, 1, tzinfo=UTC)
    span = timedelta(days=6 * 365)
    for number in range(incidents):
        start = first + span * number / max(incidents, 1)
        start = start.replace(second=0, microsecond=0)
        name, text = incident(rng, number, updates, start)
        (content / name).write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_corpus(args.folder, args.incidents, args.updates, args.seed)


if __name__ == "__main__":
    main()
