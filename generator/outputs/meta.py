"""sitemap.xml and robots.txt: for crawlers, with absolute URLs."""

from __future__ import annotations

from html import escape

from generator.model import Site
from generator.timestamps import format_iso


def render_meta(site: Site, page_paths: list[str]) -> dict[str, bytes]:
    """A sitemap of every page but 404.html, and a robots.txt that points at it."""
    base = site.config.base_url
    modified = {
        f"{post.url}index.html": post.last_updated
        for post in (*site.incidents, *site.maintenance)
        if post.last_updated
    }
    if site.last_updated:
        modified["index.html"] = site.last_updated
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for path in sorted(p for p in page_paths if p.endswith(".html") and p != "404.html"):
        location = base + path.removesuffix("index.html")
        lines.append(f"  <url><loc>{escape(location, quote=False)}</loc>")
        if path in modified:
            lines.append(f"    <lastmod>{format_iso(modified[path])}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    robots = f"User-agent: *\nAllow: /\n\nSitemap: {base}sitemap.xml\n"
    return {
        "sitemap.xml": ("\n".join(lines) + "\n").encode(),
        "robots.txt": robots.encode(),
    }
