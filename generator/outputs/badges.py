"""Status badges: small SVG images for READMEs and dashboards, in system fonts."""

from __future__ import annotations

from html import escape

from generator.model import Site

# White text on these meets WCAG AA contrast (4.5:1).
COLORS = {
    "operational": "#1a7f37",
    "none": "#1a7f37",
    "degraded_performance": "#9a6700",
    "minor": "#9a6700",
    "partial_outage": "#bc4c00",
    "major": "#bc4c00",
    "major_outage": "#cf222e",
    "critical": "#cf222e",
    "under_maintenance": "#0969da",
    "maintenance": "#0969da",
}
TEXT = {
    "operational": "operational",
    "degraded_performance": "degraded performance",
    "partial_outage": "partial outage",
    "major_outage": "major outage",
    "under_maintenance": "maintenance",
    "none": "operational",
    "minor": "minor outage",
    "major": "partial outage",
    "critical": "major outage",
    "maintenance": "maintenance",
}
LABEL_COLOR = "#555"
# Approximate advance widths of Verdana at 11 px, the font badges are usually drawn in.
_NARROW, _WIDE = set("fijlrt.,:;'|!()[] "), set("mwMW@%")


def render_badges(site: Site) -> dict[str, bytes]:
    """`badge.svg` for the whole site and `components/SLUG/badge.svg` for each component."""
    badges = {"badge.svg": badge("status", TEXT[site.indicator], COLORS[site.indicator])}
    for component in site.config.components:
        status = site.component_status(component.name)
        badges[f"{component.url}badge.svg"] = badge(component.name, TEXT[status], COLORS[status])
    return badges


def badge(label: str, value: str, color: str) -> bytes:
    """A flat two-part badge: LABEL on grey, VALUE on COLOR."""
    left, right = _text_width(label) + 12, _text_width(value) + 12
    text = f"{label}: {value}"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="20" '
        f'role="img" aria-label="{escape(text, quote=False).replace(chr(34), "&quot;")}">'
        f"<title>{escape(text, quote=False)}</title>"
        f'<rect width="{left}" height="20" fill="{LABEL_COLOR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{color}"/>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,DejaVu Sans,Geneva,sans-serif" font-size="11">'
        f'<text x="{left / 2:g}" y="14">{escape(label, quote=False)}</text>'
        f'<text x="{left + right / 2:g}" y="14">{escape(value, quote=False)}</text>'
        "</g></svg>\n"
    )
    return svg.encode()


def _text_width(text: str) -> int:
    return round(sum(4 if c in _NARROW else 10 if c in _WIDE else 7 for c in text))
