"""Slugs: the `a-z 0-9 -` names of files and pages."""

from __future__ import annotations

import re
import unicodedata

SLUG = re.compile(r"^[a-z0-9-]+$")


def slugify(text: str, max_length: int = 60) -> str:
    """`Unauthorized posts: API` → `unauthorized-posts-api`; '' when nothing Latin is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = (
            slug[:max_length].rsplit("-", 1)[0] if "-" in slug[:max_length] else slug[:max_length]
        )
    return slug


def is_slug(text: str) -> bool:
    return bool(SLUG.match(text))
