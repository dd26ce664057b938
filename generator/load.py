"""The whole site folder → Site, or every problem in it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from generator.config import load_config
from generator.content import INCIDENTS, KINDS, MAINTENANCE, load_post, post_files
from generator.model import Incident, Maintenance, Site
from generator.problems import Problem, sort_problems


def load_site(
    site_dir: Path, now: datetime, drafts: bool = False
) -> tuple[Site | None, list[Problem]]:
    """Read site.yaml and every post; None when anything has an error."""
    config, problems = load_config(site_dir)
    if config is None:
        return None, sort_problems(problems)
    posts: dict[str, list[Incident | Maintenance]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        for path in post_files(site_dir, kind):
            post, found = load_post(site_dir, kind, path, config, now)
            problems.extend(found)
            if isinstance(post, (Incident, Maintenance)) and (drafts or not post.draft):
                posts[kind].append(post)
    if any(p.is_error for p in problems):
        return None, sort_problems(problems)
    incidents = sorted(
        (p for p in posts[INCIDENTS] if isinstance(p, Incident)),
        key=lambda i: (i.began or now, i.slug),
        reverse=True,
    )
    maintenance = sorted(
        (p for p in posts[MAINTENANCE] if isinstance(p, Maintenance)),
        key=lambda m: (m.start, m.slug),
    )
    site = Site(config=config, incidents=tuple(incidents), maintenance=tuple(maintenance), now=now)
    return site, sort_problems(problems)
