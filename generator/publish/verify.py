"""`outpost verify`: is what is served what was published? The signature, then every file."""

from __future__ import annotations

import hashlib
import posixpath
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, unquote, urljoin, urlsplit

from generator.publish.manifest import (
    MANIFEST,
    SIGNATURE,
    Entry,
    read_manifest,
    verify_signature,
)

TIMEOUT = 30


# Files static hosts take as their configuration and do not serve (Netlify, Cloudflare Pages).
HOST_FILES = frozenset({"_headers", "_redirects"})


class Source(Protocol):
    """Where a copy of the site is: a folder or a URL."""

    @property
    def consumed(self) -> frozenset[str]:
        """Listed files the copy may lack, because its host consumed them."""

    def read(self, path: str) -> bytes | None:
        """The file at PATH, or None when there is none."""

    def unlisted(self, listed: set[str], published_at: str) -> list[str]:
        """Files the copy has that the manifest does not list (as far as can be seen).

        PUBLISHED_AT is the base URL the site was built for: its sitemap and feeds name it.
        """


@dataclass
class Report:
    """What verify found: who signed, how many files matched, and every problem."""

    signer: str = ""
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def verify_copy(source: Source, allowed_signers: Path) -> Report:
    """Check SOURCE's signature, then every file it lists, then look for files it does not."""
    report = Report()
    manifest, signature = source.read(MANIFEST), source.read(SIGNATURE)
    if manifest is None or signature is None:
        missing = MANIFEST if manifest is None else SIGNATURE
        report.problems.append(f"missing: {missing} (was the site built with --manifest --sign?)")
        return report
    try:
        report.signer = verify_signature(manifest, signature, allowed_signers)
        published_at, entries = read_manifest(manifest)
    except ValueError as exc:
        report.problems.append(f"signature: {exc}")
        return report
    for entry in entries:
        data = source.read(entry.path)
        if data is None and entry.path in source.consumed:
            continue  # the host read it as its own configuration
        problem = _check(entry, data)
        if problem:
            report.problems.append(problem)
        else:
            report.checked += 1
    listed = {e.path for e in entries} | {MANIFEST, SIGNATURE}
    unlisted = source.unlisted(listed, published_at)
    report.problems += [f"unlisted: {path}" for path in sorted(unlisted)]
    return report


def _check(entry: Entry, data: bytes | None) -> str | None:
    if data is None:
        return f"missing: {entry.path}"
    digest = hashlib.sha256(data).hexdigest()
    if digest != entry.sha256 or len(data) != entry.size:
        return (
            f"changed: {entry.path} ({len(data)} bytes, sha256 {digest[:12]}…; "
            f"published: {entry.size} bytes, sha256 {entry.sha256[:12]}…)"
        )
    return None


@dataclass(frozen=True)
class FolderSource:
    """A copy on disk: every file in it can be listed."""

    root: Path
    consumed: frozenset[str] = frozenset()

    def read(self, path: str) -> bytes | None:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root.resolve()) or not target.is_file():
            return None
        return target.read_bytes()

    def unlisted(self, listed: set[str], published_at: str) -> list[str]:
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return [path for path in found if path not in listed]


@dataclass
class UrlSource:
    """A copy served over HTTP: files are found through the sitemap and the listed pages' links."""

    base: str
    consumed: frozenset[str] = HOST_FILES
    _cache: dict[str, bytes | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.base = self.base.rstrip("/") + "/"

    def read(self, path: str) -> bytes | None:
        if path not in self._cache:
            self._cache[path] = self._fetch(self.base + quote(path))
        return self._cache[path]

    def _fetch(self, url: str) -> bytes | None:
        request = urllib.request.Request(url, headers={"User-Agent": "outpost-verify"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return None
            raise OSError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise OSError(f"{url}: {exc.reason}") from None

    def unlisted(self, listed: set[str], published_at: str) -> list[str]:
        bases = [self.base, published_at.rstrip("/") + "/"]
        named = set(self._sitemap_paths(bases))
        for path in sorted(listed):
            if path.endswith(".html"):
                named |= self._linked_paths(path, bases)
        return [p for p in sorted(named - listed) if self.read(p) is not None]

    def _sitemap_paths(self, bases: list[str]) -> list[str]:
        data = self.read("sitemap.xml")
        if not data:
            return []
        try:
            root = ElementTree.fromstring(data)
        except ElementTree.ParseError:
            return []
        locations = [e.text or "" for e in root.iter() if e.tag.endswith("loc")]
        return [p for p in (_path_of(loc, bases) for loc in locations) if p]

    def _linked_paths(self, page: str, bases: list[str]) -> set[str]:
        data = self.read(page)
        links = _Links()
        links.feed((data or b"").decode("utf-8", "replace"))
        urls = (urljoin(self.base + page, href) for href in links.found)
        return {p for p in (_path_of(url, bases) for url in urls) if p}


def _path_of(url: str, bases: list[str]) -> str | None:
    """The path under the site of URL, or None when URL is under none of BASES."""
    parts = urlsplit(url)
    for base in map(urlsplit, bases):
        path = unquote(parts.path)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not path.startswith(
            base.path
        ):
            continue
        relative = posixpath.normpath(path[len(base.path) :]) if path != base.path else ""
        if relative in ("", "."):
            return "index.html"
        if relative.startswith(".."):
            return None
        return relative + "/index.html" if path.endswith("/") else relative
    return None


class _Links(HTMLParser):
    """Every href and src in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]
