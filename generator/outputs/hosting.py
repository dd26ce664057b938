"""`_headers`: cache lifetimes, security headers and CORS for hosts that read it (Netlify, Cloudflare Pages).

docs/nginx-outpost.conf gives the same headers on nginx; docs/publishing.md, on other hosts.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from generator import __version__
from generator.model import Site
from generator.theme import ASSETS

HEADERS_FILE = "_headers"
IMMUTABLE = "public, max-age=31536000, immutable"
# As the pages' <meta> policy, and frame-ancestors, which only a header can carry.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
# What other sites' scripts may read (dashboards, feed readers in a browser): any origin may.
SHARED_FILES = ("feed.atom", "feed.rss", "feed.json", "maintenance.ics", "badge.svg")
SHARED_FOLDERS = ("api",)
# Types that some hosts guess wrong (feed.json as plain JSON) or not at all (.ics, .atom).
CONTENT_TYPES = {
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".ics": "text/calendar; charset=utf-8",
    "feed.json": "application/feed+json",
}
CORS = ("Access-Control-Allow-Origin", "*")

Headers = tuple[tuple[str, str], ...]


def cache_control(max_age: int) -> str:
    """Pages, feeds and the API: fresh for MAX_AGE seconds; a CDN may serve its copy if we fail."""
    # No stale-while-revalidate: during an incident a reader must not get the previous page.
    return f"public, max-age={max_age}, stale-if-error=86400"


def content_type(path: str) -> str | None:
    """The Content-Type to insist on for PATH, or None where every host gets it right."""
    for ending, kind in CONTENT_TYPES.items():
        if path.endswith(ending):
            return kind
    return None


def header_rules(site: Site, paths: Iterable[str]) -> list[tuple[str, Headers]]:
    """Each URL pattern (site-absolute) and its headers; no two rules set one header for a path.

    Hosts combine a header that two matching rules set in different ways (Cloudflare joins
    the values, Netlify keeps one), so Cache-Control comes from exactly one rule per path.
    """
    paths = sorted(paths)
    prefix = urlsplit(site.config.base_url).path or "/"
    short: Headers = (("Cache-Control", cache_control(site.config.cache_max_age)),)
    rules: list[tuple[str, Headers]] = [
        ("*", SECURITY_HEADERS),
        (f"{ASSETS}/*", (("Cache-Control", IMMUTABLE),)),
        ("", short),
        (":file", short),  # one path segment: every file at the top (index.html, feed.atom, ...)
    ]
    folders = sorted({p.split("/", 1)[0] for p in paths if "/" in p} - {ASSETS})
    for folder in folders:
        rules.append((f"{folder}/*", short + ((CORS,) if folder in SHARED_FOLDERS else ())))
    shared = sorted({_pattern(p) for p in paths if p.rsplit("/", 1)[-1] in SHARED_FILES})
    for pattern in shared:
        kind = content_type(pattern)
        rules.append((pattern, (CORS, *((("Content-Type", kind),) if kind else ()))))
    return [(prefix + pattern, headers) for pattern, headers in rules]


def render_headers(site: Site, paths: Iterable[str]) -> dict[str, bytes]:
    """`_headers` for the output files PATHS."""
    lines = [
        f"# Response headers for Netlify and Cloudflare Pages, written by Outpost {__version__}.",
        "# Each path gets one Cache-Control: hosts differ in how they combine two.",
    ]
    for pattern, headers in header_rules(site, paths):
        lines += ["", pattern, *(f"  {name}: {value}" for name, value in headers)]
    return {HEADERS_FILE: ("\n".join(lines) + "\n").encode("utf-8")}


def _pattern(path: str) -> str:
    """`incidents/SLUG/feed.atom` → `incidents/:slug/feed.atom`: one rule for every post's file."""
    parts = path.split("/")
    return f"{parts[0]}/:slug/{parts[2]}" if len(parts) == 3 else path
