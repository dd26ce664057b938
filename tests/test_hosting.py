"""Deploy-ready output: fingerprinted theme files, _headers, compressed copies, small pages."""

from __future__ import annotations

import gzip
import hashlib
import re
from collections import defaultdict
from pathlib import Path

import brotli
import lxml.html
import pytest
from checks import page
from conftest import INCIDENT, SITE_YAML, MakeSite, run_outpost
from sites import NOW, copy_demo_site, write_rich_site

from generator.build import build_site
from generator.config import load_config
from generator.outputs.compress import THRESHOLD, compress_files, gzip_bytes
from generator.outputs.hosting import CONTENT_SECURITY_POLICY, IMMUTABLE, cache_control

ROOT = Path(__file__).resolve().parent.parent
RICH_BASE = "https://status.rich.example/"
SHORT = "public, max-age=60, stale-if-error=86400"
SHARED = ("feed.atom", "feed.rss", "feed.json", "maintenance.ics", "badge.svg")
TYPES = {
    "feed.atom": "application/atom+xml",
    "feed.rss": "application/rss+xml",
    "feed.json": "application/feed+json",
    "maintenance.ics": "text/calendar; charset=utf-8",
}
POST = "content/incidents/2026-11-29-login-failures.md"
TEXT = (".html", ".css", ".atom", ".rss", ".json", ".ics", ".xml", ".txt")


# --- reading _headers as Netlify and Cloudflare Pages do ------------------------------------


Rules = list[tuple[str, list[tuple[str, str]]]]


def parse_rules(text: str) -> Rules:
    """Each URL pattern of a `_headers` file with its `Name: value` lines."""
    rules: Rules = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace():
            name, value = line.strip().split(": ", 1)
            rules[-1][1].append((name, value))
        else:
            assert line.startswith("/"), line
            rules.append((line, []))
    return rules


def matches(pattern: str, url_path: str) -> bool:
    """PATTERN (`*` any characters, `:name` one path segment) matches URL_PATH whole."""
    parts = re.split(r"(\*|:[a-z]+)", pattern)
    regex = "".join(
        ".*" if p == "*" else "[^/]+" if p.startswith(":") else re.escape(p) for p in parts
    )
    return re.fullmatch(regex, url_path) is not None


def headers_for(rules: Rules, url_path: str) -> dict[str, list[str]]:
    """Every value of every header that the rules matching URL_PATH give it."""
    found: dict[str, list[str]] = defaultdict(list)
    for pattern, headers in rules:
        if matches(pattern, url_path):
            for name, value in headers:
                found[name].append(value)
    return dict(found)


def url_paths(files: list[str], prefix: str = "/") -> list[str]:
    """The URL paths readers fetch: each file, and each folder of an index.html."""
    paths = [prefix + f for f in files]
    return paths + [
        prefix + f.removesuffix("index.html") for f in files if f.endswith("index.html")
    ]


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("hosting")
    return build_site(write_rich_site(root / "site"), None, NOW).files


# --- _headers --------------------------------------------------------------------------------


def test_matches_reads_patterns_as_the_hosts_do() -> None:
    assert matches("/*", "/")
    assert matches("/incidents/*", "/incidents/x/feed.atom")
    assert matches("/incidents/:slug/feed.atom", "/incidents/x/feed.atom")
    assert not matches("/incidents/:slug/feed.atom", "/incidents/x/y/feed.atom")
    assert matches("/:file", "/feed.atom")
    assert not matches("/:file", "/incidents/x/")
    assert not matches("/", "/index.html")


def test_every_path_has_one_cache_lifetime(rich: dict[str, bytes]) -> None:
    rules = parse_rules(rich["_headers"].decode())
    for url in url_paths([p for p in rich if p != "_headers"]):
        headers = headers_for(rules, url)
        expected = IMMUTABLE if url.startswith("/assets/") else SHORT
        assert headers.get("Cache-Control") == [expected], url
        # No header twice: Cloudflare would join the values, Netlify keep one of them.
        assert all(len(values) == 1 for values in headers.values()), (url, headers)


def test_every_path_has_the_security_headers(rich: dict[str, bytes]) -> None:
    rules = parse_rules(rich["_headers"].decode())
    for url in [*url_paths(list(rich)), "/no/such/page"]:
        headers = headers_for(rules, url)
        assert headers["Content-Security-Policy"] == [CONTENT_SECURITY_POLICY]
        assert headers["X-Content-Type-Options"] == ["nosniff"]
        assert headers["Referrer-Policy"] == ["no-referrer"]


def test_feeds_calendar_badges_and_api_may_be_read_from_any_site(rich: dict[str, bytes]) -> None:
    rules = parse_rules(rich["_headers"].decode())
    shared = [p for p in rich if p.startswith("api/") or p.endswith(SHARED)]
    assert len([p for p in shared if p.endswith("feed.atom")]) > 5  # every post's and component's
    for url in url_paths(list(rich)):
        cors = headers_for(rules, url).get("Access-Control-Allow-Origin")
        assert cors == (["*"] if url[1:] in shared else None), url


def test_feeds_and_the_calendar_have_their_content_type(rich: dict[str, bytes]) -> None:
    rules = parse_rules(rich["_headers"].decode())
    for url in url_paths(list(rich)):
        name = url.rsplit("/", 1)[-1]
        expected = [TYPES[name]] if name in TYPES and not url.startswith("/assets/") else None
        assert headers_for(rules, url).get("Content-Type") == expected, url


def test_the_header_policy_is_the_pages_policy_and_forbids_framing(
    rich: dict[str, bytes],
) -> None:
    doc = lxml.html.fromstring(rich["index.html"])
    (meta,) = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert f"{meta}; frame-ancestors 'none'" == CONTENT_SECURITY_POLICY


def test_cache_max_age_and_a_base_path(make_site: MakeSite) -> None:
    yaml = (
        SITE_YAML.replace("https://status.example.com/", "https://example.org/status/")
        + "cache:\n  max_age: 300\n"
    )
    files = build_site(make_site({POST: INCIDENT}, site_yaml=yaml), None, NOW).files
    rules = parse_rules(files["_headers"].decode())
    assert all(pattern.startswith("/status/") for pattern, _ in rules)
    for url in url_paths([p for p in files if p != "_headers"], "/status/"):
        expected = IMMUTABLE if url.startswith("/status/assets/") else cache_control(300)
        assert headers_for(rules, url)["Cache-Control"] == [expected], url
    assert cache_control(300) == "public, max-age=300, stale-if-error=86400"


@pytest.mark.parametrize(
    ("cache", "message"),
    [
        ("cache: 60", "cache must be a mapping, such as 'cache: {max_age: 60}'"),
        (
            "cache:\n  max_age: -1",
            "cache.max_age must be a whole number of seconds from 0 to 86400; got '-1'",
        ),
        (
            "cache:\n  max_age: 1 minute",
            "cache.max_age must be a whole number of seconds from 0 to 86400; got '1 minute'",
        ),
        (
            "cache:\n  maxage: 60",
            "unknown key 'cache.maxage' (did you mean 'cache.max_age'?)",
        ),
    ],
)
def test_a_bad_cache_setting_is_an_error_at_its_line(
    make_site: MakeSite, cache: str, message: str
) -> None:
    site = make_site(site_yaml=SITE_YAML + cache + "\n")
    config, problems = load_config(site)
    assert config is None
    line = SITE_YAML.count("\n") + cache.count("\n") + 1
    assert [str(p) for p in problems] == [f"site.yaml:{line}: error: {message}"]


def test_cache_max_age_defaults_to_a_minute(make_site: MakeSite) -> None:
    config, _ = load_config(make_site())
    assert config is not None and config.cache_max_age == 60


# --- fingerprinted theme files -------------------------------------------------------------


def stylesheet(html: bytes) -> str:
    (href,) = lxml.html.fromstring(html).xpath("//link[@rel='stylesheet']/@href")
    return str(href)


def test_pages_link_the_stylesheet_by_its_content(rich: dict[str, bytes]) -> None:
    href = stylesheet(rich["index.html"])
    assert re.fullmatch(r"assets/[0-9a-f]{10}/style\.css", href)
    assert (
        rich[href]
        == rich["static/style.css"]
        == (ROOT / "themes/default/static/style.css").read_bytes()
    )
    post = "incidents/2026-12-01-api-outage/index.html"
    assert stylesheet(rich[post]) == f"../../{href}"
    assert stylesheet(rich["404.html"]) == RICH_BASE + href  # at any depth
    (icon,) = lxml.html.fromstring(rich["index.html"]).xpath("//link[@rel='icon']/@href")
    assert icon == href.replace("style.css", "favicon.svg")


def test_a_changed_theme_file_gets_a_new_folder(make_site: MakeSite) -> None:
    site = make_site({POST: INCIDENT})
    first = stylesheet(build_site(site, None, NOW).files["index.html"])
    assert stylesheet(build_site(site, None, NOW).files["index.html"]) == first
    (site / "themes/default/static").mkdir(parents=True)
    (site / "themes/default/static/favicon.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg'/>"
    )
    files = build_site(site, None, NOW).files
    second = stylesheet(files["index.html"])
    assert second != first  # the icon changed: the stylesheet's folder too, so its links hold
    assert files[second] == (ROOT / "themes/default/static/style.css").read_bytes()
    assert first not in files


def test_a_site_theme_keeps_its_links_between_its_files(make_site: MakeSite) -> None:
    base = (ROOT / "themes/default/templates/base.html").read_text()
    site = make_site(
        {
            POST: INCIDENT,
            "themes/acme/static/style.css": "body { background: url(img/dots.svg); }\n",
            "themes/acme/static/img/dots.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
            # An older theme's own base.html, with the unhashed name.
            "themes/acme/templates/base.html": base.replace(
                "asset('style.css')", "url('static/style.css')"
            ),
        },
        site_yaml=SITE_YAML + "theme: acme\n",
    )
    files = build_site(site, None, NOW).files
    assert stylesheet(files["index.html"]) == "static/style.css"
    assert files["static/style.css"] == b"body { background: url(img/dots.svg); }\n"
    (folder,) = {
        p.rsplit("/", 1)[0] for p in files if p.startswith("assets/") and p.endswith(".css")
    }
    assert files[f"{folder}/img/dots.svg"] == files["static/img/dots.svg"]


def test_an_asset_the_theme_does_not_have_is_an_error_at_its_line(
    make_site: MakeSite,
) -> None:
    base = (ROOT / "themes/default/templates/base.html").read_text()
    site = make_site(
        {
            POST: INCIDENT,
            "themes/acme/templates/base.html": base.replace(
                "asset('style.css')", "asset('main.css')"
            ),
        },
        site_yaml=SITE_YAML + "theme: acme\n",
    )
    result = run_outpost("build", cwd=site)
    line = base[: base.index("asset('style.css')")].count("\n") + 1
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"themes/acme/templates/base.html:{line}: error: template: "
        "asset('main.css'): the theme has no static file 'main.css'"
    )


# --- compressed copies -----------------------------------------------------------------------


def test_compressed_copies_of_larger_text_files_only() -> None:
    text = b"<p>" + b"All systems operational. " * 100 + b"</p>"
    files = {
        "index.html": text,
        "small.json": b'{"a": 1}',
        "photo.png": text,
        "api/v2/summary.json": text,
        "exactly.css": b"a" * THRESHOLD,
    }
    compressed = compress_files(files)
    assert sorted(compressed) == sorted(
        [
            *files,
            "index.html.gz",
            "index.html.br",
            "api/v2/summary.json.gz",
            "api/v2/summary.json.br",
        ]
    )
    assert gzip.decompress(compressed["index.html.gz"]) == text
    assert brotli.decompress(compressed["index.html.br"]) == text
    assert compressed["index.html.gz"][4:8] == b"\0\0\0\0"  # no time: reproducible
    assert compress_files(files) == compressed
    assert len(compressed["index.html.br"]) < len(compressed["index.html.gz"]) < len(text)


def test_a_copy_the_theme_brought_is_kept() -> None:
    files = {"static/x.css": b"a {}\n" * 500, "static/x.css.gz": b"the theme's own"}
    assert compress_files(files)["static/x.css.gz"] == b"the theme's own"


def test_no_copy_that_is_not_smaller() -> None:
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(100))  # incompressible
    assert compress_files({"x.txt": noise}) == {"x.txt": noise}
    assert gzip.decompress(gzip_bytes(noise)) == noise


def test_build_with_compress_lists_the_copies_in_the_manifest(make_site: MakeSite) -> None:
    site = make_site({POST: INCIDENT})
    result = run_outpost("build", "--compress", "--manifest", "--now", "2026-12-10 00:00", cwd=site)
    assert result.returncode == 0, result.stderr
    out = site / "public"
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for path in written:
        data = (out / path).read_bytes()
        if path.endswith(TEXT) and len(data) > THRESHOLD and path != "manifest.json":
            assert gzip.decompress((out / f"{path}.gz").read_bytes()) == data, path
    assert "index.html.gz" in written and "feed.atom.br" in written
    assert not [p for p in written if p.endswith((".gz.gz", ".br.gz", ".svg.gz"))]
    manifest = (out / "manifest.json").read_text()
    assert '"path": "index.html.gz"' in manifest
    assert "manifest.json.gz" not in written  # the manifest cannot list its own copy
    again = build_site(site, None, NOW, compress=True).files
    assert build_site(site, None, NOW, compress=True).files == again  # byte for byte


def test_build_without_compress_writes_no_copies(rich: dict[str, bytes]) -> None:
    assert not [p for p in rich if p.endswith((".gz", ".br"))]


# --- what readers get ------------------------------------------------------------------------


def test_every_page_says_when_it_was_last_updated(rich: dict[str, bytes]) -> None:
    pages = [p for p in rich if p.endswith(".html")]
    assert "404.html" in pages and len(pages) > 10
    for path in pages:
        footer = page_text(rich[path], "//footer")
        times = lxml.html.fromstring(rich[path]).xpath("//footer//time/@datetime")
        if path.startswith(("incidents/", "maintenance/")):
            # A post's page: its own newest update (if any), so that other posts leave it be.
            main = lxml.html.fromstring(rich[path]).xpath("//main//time/@datetime")
            assert times == [] or (len(times) == 1 and times[0] in main), path
        elif re.fullmatch(r"history/\d{4}/\d\d/index\.html", path):
            # A month's page: the newest update among its posts.
            assert len(times) == 1 and times[0] <= "2026-12-01T11:00:00Z", path
        else:
            assert "Last updated 1 December 2026, 12:00 CET." in footer, path
            assert times == ["2026-12-01T11:00:00Z"], path
    incident = "incidents/2026-10-15-scheduler-reopened/index.html"
    assert "Last updated 15 October 2026, 13:00 CEST." in page_text(rich[incident], "//footer")


def page_text(html: bytes, xpath: str) -> str:
    (element,) = lxml.html.fromstring(html).xpath(xpath)
    return " ".join(element.text_content().split())


def test_the_demo_home_page_fits_one_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_site(copy_demo_site(tmp_path / "site"), out, NOW)
    doc = page(out, "index.html")
    needed = ["index.html", *doc.xpath("//link[@rel='stylesheet' or @rel='icon']/@href")]
    sizes = {path: len(gzip.compress((out / path).read_bytes(), 6)) for path in needed}
    print("compressed home page:", sizes, sum(sizes.values()), "bytes")
    assert len(sizes) == 3
    assert sum(sizes.values()) < 15_000
    # Nothing else to fetch before it shows: no scripts, no web fonts, no other stylesheets.
    assert not doc.xpath("//script | //link[@rel='preload' or @rel='modulepreload']")
    css = b"".join((out / path).read_bytes() for path in needed if path.endswith(".css"))
    assert b"@font-face" not in css and b"@import" not in css
