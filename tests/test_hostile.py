"""Hostile and broken input: a compromised writer's account must not turn the site on its readers."""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import IO

import feedparser
import lxml.etree
import lxml.html
import pytest
from checks import (
    ENDPOINTS,
    api_validator,
    check_atom,
    check_calendar,
    check_rss,
    components,
    events,
    nu_errors,
    unescape,
    validate_json_feed,
)
from conftest import INCIDENT, SITE_YAML, MakeSite, run_outpost, write_files

from generator.build import build_site
from generator.outputs import markup
from generator.outputs.markup import MarkdownRenderer, is_site_relative

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BASE = "https://status.example.com/"
WAIT = 10.0  # seconds; every wait ends as soon as its event arrives

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "end-of-title": "</title></head><body><h1>x",
    "attribute": '"><img src=x onerror=alert(1)>',
    "javascript-url": "javascript:alert(1)",
    "jinja-expression": "{{ 7*7 }}",
    "jinja-statement": "{% if %}",
    "xml-specials": "AT&T ]]> &amp; <![CDATA[x]]> '\"",
    "right-to-left-override": "abc\u202edef",
    "zero-width": "a\u200bb\u200cc\u200dd\u2060e\ufefff",
    "long-line": "x" * 10_000,
}
MARKUP = {
    "script",
    "end-of-title",
    "attribute",
    "xml-specials",
}  # payloads with characters markup escapes

# Elements and URL schemes that run code, load things or send data: never in a built page.
ACTIVE = {"script", "iframe", "frame", "object", "embed", "form", "input", "button", "textarea"}
ACTIVE |= {"base", "style", "svg", "math", "template", "applet", "select"}
SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}


# --- what a page must never hold ---


def dangers(root: lxml.html.HtmlElement, fragment: bool = False, base: str = "") -> list[str]:
    """Everything in ROOT that could run code, send data, restyle or take the page's anchors.

    In a FRAGMENT of rendered Markdown, images come from the site only (or BASE, in feeds).
    """
    found = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag in ACTIVE:
            found.append(f"<{element.tag}>")
        if element.tag == "meta" and element.get("http-equiv"):
            # The theme's own Content Security Policy, in the head, is the one allowed.
            theirs = element.get("http-equiv", "").lower() != "content-security-policy"
            if theirs or element.getparent().tag != "head":
                found.append("<meta http-equiv>")
        for name, value in element.attrib.items():
            if name.startswith("on") or name == "style" or (fragment and name in ("id", "name")):
                found.append(f"{element.tag}@{name}")
            if name in URL_ATTRIBUTES and not safe_url(value):
                found.append(f"{element.tag}@{name}={value[:40]}")
            if fragment and element.tag == "img" and name == "src" and not own(value, base):
                found.append(f"img@src={value[:40]} (another host)")
    return found


def own(url: str, base: str) -> bool:
    return is_site_relative(url) or (bool(base) and url.startswith(base))


def safe_url(value: str) -> bool:
    scheme = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", re.sub(r"[\t\n\r]", "", value))
    return scheme is None or scheme[1].lower() in SAFE_SCHEMES


class _Nesting(HTMLParser):
    """Every element closed, in order: what a `</title>` in a title would break."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.problems.append(f"line {self.getpos()[0]}: </{tag}> inside {self.open[-1:]}")


def nesting_problems(html: str) -> list[str]:
    parser = _Nesting()
    parser.feed(html)
    parser.close()
    return parser.problems + [f"<{tag}> never closed" for tag in parser.open]


def check_page(data: bytes) -> lxml.html.HtmlElement:
    """A built page: elements nested and closed, one title and one h1, nothing active."""
    text = data.decode("utf-8")
    assert nesting_problems(text) == []
    root = lxml.html.document_fromstring(data)
    assert len(root.xpath("/html/head/title")) == 1
    assert len(root.xpath("//title")) == 1
    assert len(root.xpath("//h1")) == 1
    assert dangers(root) == []
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids))
    return root


def check_fragment(html: str, base: str = "") -> lxml.html.HtmlElement:
    """Rendered Markdown: nothing active, no ids, images from the site (or BASE) only."""
    assert nesting_problems(html) == []
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    assert dangers(root, fragment=True, base=base) == []
    return root


# --- the sanitiser on its own ---

SANITISED = [
    ("<script>alert(1)</script>", ""),
    ("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>"),
    ('<img src=x onerror="alert(1)">', '<p><img src="x" alt=""></p>'),
    ("[x](javascript:alert(1))", "<p><a>x</a></p>"),
    ("[x](JaVaScRiPt:alert(1))", "<p><a>x</a></p>"),
    ('<a href="java&#x09;script:alert(1)">x</a>', "<p><a>x</a></p>"),
    ('<a href="&#106;avascript:alert(1)">x</a>', "<p><a>x</a></p>"),
    ('<a href=" javascript:alert(1)">x</a>', "<p><a>x</a></p>"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "<p><a>x</a></p>"),
    ("[x](vbscript:msgbox(1))", "<p><a>x</a></p>"),
    ('<iframe src="https://evil.example/"></iframe>', ""),
    ('<form action="https://evil.example/"><input name=p><button>Go</button></form>', "Go"),
    ('<p style="position:fixed;top:0">Fake banner</p>', "<p>Fake banner</p>"),
    ('<p class="banner major">All good</p>', "<p>All good</p>"),
    ('<a id="update-20261129T090500Z" name="x" href="#x">y</a>', '<p><a href="#x">y</a></p>'),
    ('<div onclick="x()" onmouseover="y()">t</div>', "t"),
    ("<svg onload=alert(1)><text>t</text></svg>", ""),
    ("<math><mtext><script>alert(1)</script></mtext></math>", ""),
    ("<!-- <script>alert(1)</script> --><p>a</p>", "<p>a</p>"),
    ("<!-- --><script>alert(1)</script> -->", "<p>--&gt;</p>"),
    ("<style>body { display: none }</style>", ""),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', ""),
    ('<base href="https://evil.example/">', ""),
    ('<link rel="stylesheet" href="https://evil.example/x.css">', ""),
    ('<object data="x.swf"></object><embed src="x.swf">', ""),
    (
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
        '<img src="x" alt="">"&gt;',
    ),
    ("<textarea><p>x</p></textarea>", ""),
    ("<h1>Fake heading</h1>", "Fake heading"),
    (
        "![graph](https://evil.example/t.png)",
        '<p><a href="https://evil.example/t.png" rel="noopener noreferrer">graph</a></p>',
    ),
    ('<img src="https://evil.example/t.png" alt="a <tracker>">', "<p>a &lt;tracker&gt;</p>"),
    ('<img src="//evil.example/t.png" alt="t">', "<p>t</p>"),
    ('<img src="/\\evil.example/t.png" alt="t">', "<p>t</p>"),
    ('<img src=" //evil.example/t.png" alt="t">', "<p>t</p>"),
    ('<img srcset="https://evil.example/t.png 2x" src="a.png">', '<p><img src="a.png" alt=""></p>'),
    (
        '<a href="https://example.org/" target="_blank" rel="opener">x</a>',
        '<p><a href="https://example.org/" rel="noopener noreferrer">x</a></p>',
    ),
    (
        "<a href='//evil.example/'>x</a>",
        '<p><a href="//evil.example/" rel="noopener noreferrer">x</a></p>',
    ),
    (
        '<code class="language-python evil">x</code>',
        '<p><code class="language-python">x</code></p>',
    ),
    ("a&#1;b&#xFFFE;c\x0bd\x00e", "<p>abcde</p>"),
]


@pytest.mark.parametrize(("text", "expected"), SANITISED, ids=[t for t, _ in SANITISED])
def test_the_sanitiser_keeps_formatting_and_drops_everything_active(
    text: str, expected: str
) -> None:
    html = MarkdownRenderer().render(text)
    assert html.strip() == expected
    check_fragment(html)


ORDINARY = """\
Some *emphasis*, **strong**, `code`, <del>gone</del>, a [link](../x/ "Title"), an
[outside link](https://example.org/), <https://example.org/a>, <ops@example.com>, and SSO.

![diagram](../../static/diagram.png "The flow")

> A quote

1. one
2. two

- a
- b

Term
: Definition

| Left | Centre | Right |
| :--- | :----: | ----: |
| 1 | 2 | 3 |

---

```python
print("<b>")
```

### A heading

*[SSO]: Single sign-on
"""


def test_ordinary_formatting_survives_the_sanitiser() -> None:
    html = MarkdownRenderer().render(ORDINARY, lowest_heading=4, shift=1)
    root = check_fragment(html)
    assert [e.tag for e in root.iter() if e.tag != "div"] == [
        *("p", "em", "strong", "code", "del", "a", "a", "a", "a", "abbr"),
        *("p", "img", "blockquote", "p", "ol", "li", "li", "ul", "li", "li"),
        *("dl", "dt", "dd", "table", "thead", "tr", "th", "th", "th", "tbody", "tr", "td", "td"),
        *("td", "hr", "pre", "code", "h4"),
    ]
    links = [(a.get("href"), a.get("title"), a.get("rel")) for a in root.iter("a")]
    assert links[:3] == [
        ("../x/", "Title", None),
        ("https://example.org/", None, "noopener noreferrer"),
        ("https://example.org/a", None, "noopener noreferrer"),
    ]
    assert links[3][0] == "mailto:ops@example.com"
    assert root.find(".//abbr").get("title") == "Single sign-on"
    image = root.find(".//img")
    assert (image.get("src"), image.get("alt"), image.get("title")) == (
        "../../static/diagram.png",
        "diagram",
        "The flow",
    )
    assert [c.get("class") for c in root.iter("th")] == [
        "align-left",
        "align-center",
        "align-right",
    ]
    assert root.find(".//pre/code").get("class") == "language-python"
    assert root.find(".//pre/code").text == 'print("<b>")\n'


@pytest.mark.parametrize(
    ("url", "relative"),
    [
        ("a.png", True),
        ("../../static/a.png", True),
        ("/static/a.png", True),
        ("#update-1", True),
        ("?x=1", True),
        ("https://evil.example/a.png", False),
        ("HTTPS://evil.example/a.png", False),
        ("//evil.example/a.png", False),
        ("/\\evil.example/a.png", False),
        ("\\\\evil.example/a.png", False),
        ("/\t/evil.example/a.png", False),
        (" \x01//evil.example/a.png", False),
        ("data:image/png;base64,AAAA", False),
        ("javascript:alert(1)", False),
    ],
)
def test_is_site_relative_reads_urls_as_browsers_do(url: str, relative: bool) -> None:
    assert is_site_relative(url) is relative


# --- every output, for every payload ---


def hostile_site(root: Path, payload: str) -> Path:
    """A site with PAYLOAD in every field a writer or site owner fills in."""
    quoted = json.dumps(payload)  # a JSON string is a YAML double-quoted scalar
    site = root / "site"
    write_files(
        site,
        {
            "site.yaml": (
                f"title: {json.dumps('Status ' + payload)}\n"
                f"base_url: {BASE}\n"
                f"description: {json.dumps('About ' + payload)}\n"
                "components:\n"
                f"  - name: {quoted}\n"
                f"  - group: {json.dumps('Group ' + payload)}\n"
                "    components:\n"
                "      - name: Queue\n"
            ),
            "content/incidents/hostile.md": (
                f"---\ntitle: {quoted}\ncomponents: [{quoted}, Queue]\n---\n"
                f"Preamble: {payload}\n\n`{payload}`\n\n"
                "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) <a href='data:text/html,x'>c</a>\n\n"
                "## 2026-11-29 09:05 UTC — Investigating\n"
                f"Update: {payload}\n\n`{payload}`\n"
            ),
            "content/maintenance/window.md": (
                f"---\ntitle: {quoted}\nstart: 2026-12-06 02:00 UTC\nend: 2026-12-06 03:00 UTC\n"
                f"components: [{quoted}]\n---\nWindow: {payload}\n\n`{payload}`\n"
            ),
        },
    )
    return site


@pytest.fixture(scope="module")
def hostile_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each payload's site, built once for every test of this module."""
    outs = {}
    for name, payload in PAYLOADS.items():
        root = tmp_path_factory.mktemp(name)
        build_site(hostile_site(root, payload), root / "out", NOW)
        outs[name] = root / "out"
    return outs


def files_of(out: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def code_texts(root: lxml.html.HtmlElement) -> list[str]:
    return [c.text_content() for c in root.iter("code")]


def check_pages(out: Path, payload: str) -> None:
    for path in files_of(out, ".html"):
        check_page(path.read_bytes())
    root = lxml.html.document_fromstring((out / "incidents/hostile/index.html").read_bytes())
    assert payload in root.findtext(".//title")
    assert f"Status {payload}" in root.findtext(".//title")
    assert root.find(".//h1").text_content() == payload
    assert root.xpath("//meta[@name='description']/@content") == [f"About {payload}"]
    # Markdown is data: the payload is shown as typed, in code, in the preamble and the update.
    assert code_texts(root).count(payload) == 2
    for prose in root.find_class("prose"):
        check_fragment(lxml.html.tostring(prose, encoding="unicode"))
    pages = (out / "components").glob("*/index.html")
    assert payload in [lxml.html.parse(str(p)).findtext(".//h1") for p in pages]


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(root: lxml.etree._Element) -> list[tuple[str, str]]:
    """The title and HTML of each entry, as the XML holds them (feedparser would sanitise)."""
    if root.tag == "rss":
        return [(i.findtext("title"), i.findtext("description")) for i in root.iter("item")]
    return [
        (e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}content"))
        for e in root.iter(f"{ATOM}entry")
    ]


def check_feeds(out: Path, payload: str) -> None:
    for path in files_of(out, ".atom", ".rss"):
        data, relative = path.read_bytes(), path.relative_to(out).as_posix()
        parsed = feedparser.parse(data)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        if path.suffix == ".rss":
            check_rss(out, relative, BASE)
        else:
            check_atom(out, relative, BASE, author=f"Status {payload}")
        root = lxml.etree.fromstring(data)
        feed_title = root.findtext("channel/title") or root.findtext(f"{ATOM}title")
        assert payload in feed_title
        for title, html in feed_entries(root):
            assert title == f"Investigating: {payload}"
            assert code_texts(check_fragment(html, BASE)) == [payload]
    for site_feed in ("feed.atom", "feed.rss"):
        assert len(feed_entries(lxml.etree.parse(str(out / site_feed)).getroot())) == 1


def check_json_feed(out: Path, payload: str) -> None:
    feed = json.loads((out / "feed.json").read_bytes())
    validate_json_feed(feed)
    assert feed["title"] == f"Status {payload}"
    assert feed["description"] == f"About {payload}"
    (item,) = feed["items"]
    assert item["title"] == f"Investigating: {payload}"
    root = check_fragment(item["content_html"], BASE)
    assert code_texts(root) == [payload]


def check_api(out: Path, payload: str) -> None:
    for endpoint in ENDPOINTS:
        document = json.loads((out / "api/v2" / endpoint).read_bytes())
        api_validator(endpoint).validate(document)
        assert document["page"]["name"] == f"Status {payload}"
    incidents = json.loads((out / "api/v2/incidents.json").read_bytes())["incidents"]
    assert [i["name"] for i in incidents] == [payload]
    assert payload in incidents[0]["incident_updates"][0]["body"]  # plain text, as written
    components = json.loads((out / "api/v2/components.json").read_bytes())["components"]
    assert payload in [c["name"] for c in components]
    assert f"Group {payload}" in [c["name"] for c in components]


def check_ics(out: Path, payload: str) -> None:
    data = (out / "maintenance.ics").read_bytes()
    calendar = check_calendar(data)
    (event,) = events(data)
    assert unescape(event["SUMMARY"]) == payload
    assert f"Window: {payload}" in unescape(event["DESCRIPTION"])
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == [payload]
    (properties,) = components(data, "VCALENDAR")
    assert (
        unescape(properties["NAME"]) == unescape(properties["X-WR-CALNAME"]) == f"Status {payload}"
    )
    assert unescape(properties["X-WR-CALDESC"]) == f"About {payload}"


def check_badges(out: Path, payload: str) -> None:
    titles = []
    for path in files_of(out, "badge.svg"):
        root = lxml.etree.fromstring(path.read_bytes())  # well-formed
        assert not [e for e in root.iter() if e.tag.endswith(("script", "foreignObject"))]
        assert not [n for e in root.iter() for n in e.attrib if n.startswith("on")]
        titles.append(root.findtext("{http://www.w3.org/2000/svg}title"))
    assert any(t.startswith(f"{payload}: ") for t in titles)


OUTPUTS = {
    "pages": check_pages,
    "feeds": check_feeds,
    "json-feed": check_json_feed,
    "api": check_api,
    "calendar": check_ics,
    "badges": check_badges,
}


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("name", PAYLOADS)
def test_every_output_keeps_a_payload_as_inert_text(
    hostile_builds: dict[str, Path], name: str, output: str
) -> None:
    OUTPUTS[output](hostile_builds[name], PAYLOADS[name])


@pytest.mark.parametrize("name", PAYLOADS)
def test_a_badge_reads_out_the_component_name_as_written(
    hostile_builds: dict[str, Path], name: str
) -> None:
    payload = PAYLOADS[name]
    labels = []
    for path in files_of(hostile_builds[name] / "components", ".svg"):
        root = lxml.etree.fromstring(path.read_bytes())
        labels.append((root.get("aria-label"), root.findtext("{http://www.w3.org/2000/svg}title")))
    assert any(label == title and title.startswith(f"{payload}: ") for label, title in labels)


def test_the_hostile_pages_pass_the_nu_html_checker(
    hostile_builds: dict[str, Path], tmp_path: Path
) -> None:
    # The pages that show the payload the most; the checker takes seconds per site.
    for name, out in hostile_builds.items():
        for pattern in ("index.html", "*/hostile/index.html", "*/window/index.html", "*/*/*.svg"):
            for path in out.glob(pattern):
                copy = tmp_path / name / path.relative_to(out)
                copy.parent.mkdir(parents=True, exist_ok=True)
                copy.write_bytes(path.read_bytes())
    assert len(list(tmp_path.rglob("*.html"))) == 3 * len(PAYLOADS)
    assert nu_errors(tmp_path) == []


def test_the_checks_catch_the_payloads_when_the_sanitiser_is_bypassed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = hostile_site(tmp_path, PAYLOADS["attribute"])
    monkeypatch.setattr(markup, "sanitise", lambda html: html)
    build_site(site, tmp_path / "out", NOW)
    page = (tmp_path / "out/incidents/hostile/index.html").read_bytes()
    found = dangers(lxml.html.document_fromstring(page))
    assert "img@onerror" in found
    assert "a@href=javascript:alert(1)" in found
    with pytest.raises(AssertionError):
        check_pages(tmp_path / "out", PAYLOADS["attribute"])
    with pytest.raises(AssertionError):
        check_json_feed(tmp_path / "out", PAYLOADS["attribute"])


def test_the_page_checks_catch_a_title_that_breaks_out_of_its_element() -> None:
    page = b"<!doctype html><html><head><title></title><script>alert(1)</script></title>"
    page += b"</head><body><h1>x</h1></body></html>"
    with pytest.raises(AssertionError):
        check_page(page)
    assert nesting_problems(page.decode()) == ["line 1: </title> inside ['head']"]


@pytest.mark.parametrize("title", ["a\\x01b", "smile \\ud83d\\ude00"])
def test_a_title_with_an_unwritable_character_is_an_error_at_its_line(
    make_site: MakeSite, title: str
) -> None:
    site = make_site(
        {"content/incidents/x.md": INCIDENT.replace("title: Login failures", f'title: "{title}"')}
    )
    result = run_outpost("build", cwd=site)
    assert "internal error" not in result.stderr
    assert "content/incidents/x.md:2: error: " in result.stderr


def test_control_characters_in_a_body_are_dropped_not_a_crash(make_site: MakeSite) -> None:
    body = "Text \x01 with \x0b controls \x7f and &#1; &#xFFFE; references.\n"
    site = make_site({"content/incidents/x.md": INCIDENT + body})
    result = run_outpost("build", "--out", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    for path in ("feed.atom", "feed.rss", "incidents/x/feed.atom"):
        assert not feedparser.parse((site / "out" / path).read_bytes()).bozo
    assert (
        "Text  with  controls  and"
        in json.loads((site / "out/feed.json").read_bytes())["items"][0]["content_html"]
    )


# --- drafts ---

DRAFT_MARKERS = ("zq-draft-slug-7731", "ZQ-DRAFT-TITLE-4410", "ZQ-DRAFT-BODY-9152")
DRAFT_WINDOW_MARKERS = ("zq-draft-window-5520", "ZQ-DRAFT-WINDOW-2291")


def draft_files() -> dict[str, str | bytes]:
    slug, title, body = DRAFT_MARKERS
    window_slug, window_title = DRAFT_WINDOW_MARKERS
    return {
        f"content/incidents/{slug}.md": (
            f"---\ntitle: {title}\nimpact: critical\ncomponents: [API]\ndraft: true\n---\n"
            f"{body} in the preamble.\n\n## 2026-11-30 09:05 UTC — Investigating\n{body}\n"
        ),
        f"content/maintenance/{window_slug}.md": (
            f"---\ntitle: {window_title}\nstart: 2026-12-01 11:00 UTC\nend: 2026-12-01 13:00 UTC\n"
            "components: [Queue]\ndraft: true\n---\nDowntime.\n"
        ),
    }


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def leaks(files: dict[str, bytes], markers: tuple[str, ...]) -> list[str]:
    """Every file holding a marker, in any letter case, in its path or its bytes."""
    return sorted(
        f"{path}: {marker}"
        for path, data in files.items()
        for marker in markers
        if marker.lower().encode() in data.lower() or marker.lower() in path.lower()
    )


def test_drafts_leak_into_no_output_without_the_drafts_option(make_site: MakeSite) -> None:
    site = make_site({"content/incidents/2026-11-29-login-failures.md": INCIDENT})
    build_site(site, site.parent / "without", NOW)
    write_files(site, draft_files())
    build_site(site, site.parent / "out", NOW)
    built = tree(site.parent / "out")
    assert leaks(built, DRAFT_MARKERS + DRAFT_WINDOW_MARKERS) == []
    # Not even the status a draft would set: the output is as if the drafts were not there.
    assert built == tree(site.parent / "without")


def test_drafts_appear_everywhere_with_the_drafts_option(make_site: MakeSite) -> None:
    site = make_site({"content/incidents/2026-11-29-login-failures.md": INCIDENT, **draft_files()})
    build_site(site, site.parent / "out", NOW, drafts=True)
    found = leaks(tree(site.parent / "out"), DRAFT_MARKERS + DRAFT_WINDOW_MARKERS)
    slug, title, body = DRAFT_MARKERS
    for expected in (
        f"incidents/{slug}/index.html: {title}",
        f"incidents/{slug}/index.html: {body}",
        f"feed.atom: {title}",
        f"feed.rss: {body}",
        f"feed.json: {slug}",
        f"api/v2/incidents.json: {title}",
        f"api/v2/summary.json: {title}",
        f"sitemap.xml: {slug}",
        f"index.html: {title}",
        f"maintenance.ics: {DRAFT_WINDOW_MARKERS[1]}",
    ):
        assert expected in found


# --- symbolic links out of the site ---

SECRET = "ZQ-OUTSIDE-SECRET-6604"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the site folder, as a CI runner's own files are."""
    folder = tmp_path / "runner"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{SECRET}\n", encoding="utf-8")
    (folder / "post.md").write_text(
        INCIDENT.replace("Some customers cannot log in.", SECRET), encoding="utf-8"
    )
    (folder / "theme").mkdir()
    (folder / "theme/static").mkdir()
    (folder / "theme/static/x.css").write_text(f"/* {SECRET} */\n", encoding="utf-8")
    return folder


THEMED = SITE_YAML + "theme: acme\n"


@pytest.mark.parametrize(
    ("link", "target", "shown"),
    [
        ("themes/acme/static/leak.txt", "secret.txt", "themes/acme/static/leak.txt"),
        ("themes/acme/templates/404.html", "secret.txt", "themes/acme/templates/404.html"),
        ("themes/acme/static/more", ".", "themes/acme/static/more"),
        ("content/incidents/leak.md", "post.md", "content/incidents/leak.md"),
        ("themes/acme", "theme", "themes/acme"),
    ],
)
def test_a_symbolic_link_out_of_the_site_is_refused_with_its_path(
    make_site: MakeSite, outside: Path, link: str, target: str, shown: str
) -> None:
    theme = {} if link == "themes/acme" else {"themes/acme/static/own.css": "body {}\n"}
    site = make_site({"content/incidents/x.md": INCIDENT, **theme}, site_yaml=THEMED)
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(outside / target)
    result = run_outpost("build", "--out", "out", cwd=site)
    assert result.returncode == 1
    assert f"{shown}:1: error: " in result.stderr
    assert "symbolic link to a place outside the site folder" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert not (site / "out").exists()
    assert SECRET not in result.stderr + result.stdout


def test_a_symbolic_link_inside_the_site_is_followed(make_site: MakeSite) -> None:
    site = make_site(
        {
            "shared/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
            "shared/post.md": INCIDENT,
        },
        site_yaml=THEMED,
    )
    (site / "themes/acme/static").mkdir(parents=True)
    (site / "themes/acme/static/logo.svg").symlink_to(site / "shared/logo.svg")
    (site / "content/incidents").mkdir(parents=True)
    (site / "content/incidents/linked.md").symlink_to("../../shared/post.md")
    result = run_outpost("build", "--out", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "out/static/logo.svg").read_text().startswith("<svg")
    assert "Logins work again." in (site / "out/incidents/linked/index.html").read_text()


# --- the development server ---


class Server:
    """`outpost serve` in a subprocess; its printed lines arrive on a queue."""

    def __init__(self, site: Path, *args: str) -> None:
        command = [sys.executable, "-m", "generator", "serve", "--port", "0", "--site", str(site)]
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        self.process = subprocess.Popen(
            [*command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        self.host, self.port = self._address()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def _address(self) -> tuple[str, int]:
        seen = []
        while (line := self.lines.get(timeout=WAIT)) is not None:
            seen.append(line)
            if match := re.match(r"^Serving http://(\S+):(\d+)/ ", line):
                return match[1], int(match[2])
        pytest.fail(f"the server ended without serving: {seen}")

    def request(self, target: bytes, address: str | None = None) -> tuple[int, bytes, bytes]:
        """The status, headers and body for a raw request line with TARGET, as sent."""
        with socket.create_connection((address or self.host, self.port), timeout=WAIT) as sock:
            sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b"".join(iter(lambda: sock.recv(65536), b""))
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ")[1]), head, body

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=WAIT)
        if self.process.stdout is not None:
            self.process.stdout.close()


StartServer = Callable[..., Server]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """start_server(site, *options) → a serving Server, stopped at the end of the test."""
    started: list[Server] = []

    def start(site: Path, *args: str) -> Server:
        started.append(Server(site, *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


TRAVERSALS = [
    b"/../site.yaml",
    b"/%2e%2e/site.yaml",
    b"/%2E%2E%2Fsite.yaml",
    b"//etc/passwd",
    b"/static/../../content/incidents/x.md",
    b"/static/%2e%2e/%2e%2e/content/incidents/x.md",
    b"http://evil.example/etc/passwd",
    b"http://evil.example/../site.yaml",
    b"/..\\site.yaml",
    b"/..%5csite.yaml",
    b"\\..\\site.yaml",
    b"/site.yaml",
    b"/content/incidents/x.md",
    b"/site.yaml%00.html",
    b"/index.html%00/../site.yaml",
    b"/\x00",
    b"/../runner/secret.txt",
    b"/%2e%2e/%2e%2e/runner/secret.txt",
    b"/..%2f..%2frunner%2fsecret.txt",
    b"/" + b"../" * 40 + b"etc/passwd",
    b"/static/leak.txt",
]


def test_serve_never_answers_with_a_file_outside_the_built_site(
    make_site: MakeSite, outside: Path, start_server: StartServer
) -> None:
    secret_post = INCIDENT.replace("impact: major", f"impact: major  # {SECRET}")
    site = make_site({"content/incidents/x.md": secret_post})
    with (site / "site.yaml").open("a", encoding="utf-8") as config:
        config.write(f"# {SECRET}\n")
    server = start_server(site)
    assert server.request(b"/")[0] == 200  # the server answers; the refusals below are real
    for target in TRAVERSALS:
        status, _, body = server.request(target)
        assert status in (400, 404), target
        assert SECRET.encode() not in body and b"root:" not in body, target


def test_serve_redirects_only_within_the_site(
    make_site: MakeSite, start_server: StartServer
) -> None:
    server = start_server(make_site({"content/incidents/x.md": INCIDENT}))
    for target in (b"/history", b"////history", b"http://evil.example//history", b"history"):
        status, head, _ = server.request(target)
        assert status == 301, target
        assert re.search(rb"\r\nLocation: /history/(\r\n|$)", head), (target, head)


@pytest.mark.skipif(sys.platform != "linux", reason="all of 127.0.0.0/8 is loopback on Linux only")
def test_serve_listens_on_127_0_0_1_unless_told_otherwise(
    make_site: MakeSite, start_server: StartServer
) -> None:
    site = make_site({"content/incidents/x.md": INCIDENT})
    local = start_server(site)
    assert local.host == "127.0.0.1"
    assert local.request(b"/")[0] == 200
    # Another address of this machine: a server on every interface would answer it.
    with pytest.raises(ConnectionRefusedError):
        local.request(b"/", address="127.0.0.2")
    everywhere = start_server(site, "--host", "0.0.0.0")
    assert everywhere.request(b"/", address="127.0.0.2")[0] == 200


def test_serve_refuses_a_theme_file_linked_out_of_the_site(
    make_site: MakeSite, outside: Path, start_server: StartServer
) -> None:
    site = make_site({"content/incidents/x.md": INCIDENT}, site_yaml=THEMED)
    (site / "themes/acme/static").mkdir(parents=True)
    (site / "themes/acme/static/leak.txt").symlink_to(outside / "secret.txt")
    server = start_server(site)
    for target in (b"/static/leak.txt", b"/"):
        status, _, body = server.request(target)
        assert status == 503
        assert b"themes/acme/static/leak.txt:1: error: " in body
        assert SECRET.encode() not in body
