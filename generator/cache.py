"""The build cache in .outpost-cache/: what is slow to make and depends only on its input.

Today that is rendered Markdown: HTML depends on the text, the heading levels and the
renderer (Outpost's version, Python-Markdown's and nh3's, and markup.py itself), never on
the theme, the config or the build's time. A renderer that changes empties the cache.
CI can restore the folder between runs; deleting it only costs time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from pathlib import Path

from generator import __version__
from generator.outputs import markup
from generator.outputs.markup import MarkdownRenderer, cache_key

CACHE_DIR = ".outpost-cache"
MARKDOWN_FILE = "markdown.json"
# Below this many texts to render, starting worker processes costs more than it saves.
PARALLEL_FROM = 400


def renderer_identity() -> str:
    """What rendered Markdown depends on besides the text."""
    source = Path(markup.__file__).read_bytes()
    parts = [__version__, version("markdown"), version("nh3"), hashlib.sha256(source).hexdigest()]
    return "/".join(parts)


def load_markdown(folder: Path) -> dict[str, str]:
    """The cached renderings in FOLDER, or nothing when they are missing, unreadable or stale."""
    try:
        document = json.loads((folder / MARKDOWN_FILE).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or document.get("renderer") != renderer_identity():
        return {}
    entries = document.get("entries")
    return entries if isinstance(entries, dict) else {}


def save_markdown(folder: Path, entries: dict[str, str]) -> None:
    """Keep ENTRIES for the next build: written whole or not at all; a failure costs only time."""
    document = {"renderer": renderer_identity(), "entries": entries}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".markdown.", dir=folder)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(temporary, folder / MARKDOWN_FILE)
    except OSError:
        pass


def render_ahead(renderer: MarkdownRenderer, wanted: list[tuple[str, int, int]]) -> None:
    """Render what the cache lacks of WANTED, on every core when there is much of it."""
    missing = renderer.missing(wanted)
    workers = min(os.cpu_count() or 1, 8)
    if len(missing) < PARALLEL_FROM or workers < 2:
        return  # rendered on demand, in this process
    chunks = [missing[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for rendered in pool.map(_render_chunk, chunks):
            renderer.add(rendered)


def _render_chunk(items: list[tuple[str, int, int]]) -> dict[str, str]:
    renderer = MarkdownRenderer()
    return {cache_key(*item): renderer.convert(*item) for item in items}
