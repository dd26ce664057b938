"""The build cache in .outpost-cache/: what is slow to make, kept by what it was made from.

One SQLite file holds three kinds of entry, each under a key that hashes everything the
entry depends on, so that a stale entry is never found rather than found and checked:

- **posts**: a post file read into the model, with its problems; keyed by the file's bytes
  and path, site.yaml's bytes and Outpost's own code;
- **outputs**: the digests of the files one post makes (its page and its feed), keyed by
  the post's key, the theme's files, the build's options and Outpost's code; the time of
  the build too, when rendering them looked at it (a maintenance window's page does). The
  bytes are in the output folder and the spare tree beside it (`trees/`, see output.py);
- **markdown**: rendered Markdown by text and heading levels, for the pages that show
  many posts.

Outpost's code is hashed whole (every module of the package) with the versions of the
libraries that shape its output, so a new release or a local edit starts afresh. An entry
that a build did not use is dropped at its end. CI can restore the folder between runs;
deleting it only costs time. A cache that cannot be read or written is left alone: the
build goes on without it.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import generator
from generator.output import file_digest

CACHE_DIR = ".outpost-cache"
DATABASE = "cache.sqlite"
LIBRARIES = ("markdown", "nh3", "jinja2", "markupsafe", "feedgen", "lxml", "pyyaml")

TABLES = ("posts", "outputs", "markdown")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (key TEXT PRIMARY KEY, now TEXT, digests BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS markdown (key TEXT PRIMARY KEY, html TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, stat TEXT NOT NULL, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trees (folder TEXT PRIMARY KEY, record BLOB NOT NULL);
"""


@cache
def code_identity() -> str:
    """Outpost's own code and the versions of what renders with it: any change, a new cache."""
    digest = hashlib.sha256()
    package = Path(generator.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}={version(library)}".encode())
    return digest.hexdigest()


def digest_of(*parts: bytes | str) -> str:
    """A key from PARTS, each length-prefixed so that no two lists of parts collide."""
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass
class Outputs:
    """The files of one post by the digest of each; their bytes only while in memory.

    On disk the cache keeps the digests alone: the bytes are in the output folders (see
    generator/output.py), which hold every file of the last two builds.
    """

    digests: dict[str, str]
    files: dict[str, bytes] | None = None


class BuildCache:
    """The cache of one site. In memory too, so that `serve` keeps it warm between builds.

    With FOLDER None, nothing is read from or written to disk.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._db: sqlite3.Connection | None = None
        if folder is not None:
            self._db = _open(folder / DATABASE)
        self._posts: dict[str, Any] = {}
        self._outputs: dict[str, tuple[str | None, Outputs]] = {}
        self._markdown: dict[str, str] = {}
        self._new_outputs: dict[str, tuple[str | None, Outputs]] = {}
        self._used: dict[str, set[str]] = {"posts": set(), "outputs": set(), "markdown": set()}
        self._loaded_posts = False
        self._loaded_outputs = False
        self._stored_markdown: bool | None = None  # unknown until asked
        self._source_keys: dict[tuple[str, str], str] = {}
        self._files: dict[str, tuple[str, str]] | None = None
        self._seen_files: set[str] = set()

    def reopen(self) -> None:
        """In a forked worker: a connection of its own (one must not cross a fork), to read."""
        if self.folder is not None and self._db is not None:
            _INHERITED.append(self._db)  # never closed here: it is the parent's
            self._db = _open(self.folder / DATABASE)

    # --- posts ---

    def post(self, key: str) -> Any:
        """What `add_post` kept under KEY, or None."""
        self._used["posts"].add(key)
        if key in self._posts:
            return self._posts[key]
        if self._db is not None and not self._loaded_posts:
            self._load_posts()
            return self._posts.get(key)
        return None

    def _load_posts(self) -> None:
        """Every kept post at once: one query is much cheaper than one per file.

        Hundreds of thousands of objects, none of them garbage: `load_site`, which asks for
        them, pauses the collector meanwhile.
        """
        self._loaded_posts = True
        for key, data in self._query("SELECT key, data FROM posts"):
            with suppress(Exception):  # an entry from elsewhere that will not load: read anew
                self._posts.setdefault(key, pickle.loads(data))

    def has_posts(self) -> bool:
        """Whether any post is kept (a cold build need not look)."""
        if self._db is not None and not self._loaded_posts:
            self._load_posts()
        return bool(self._posts)

    def add_post(self, key: str, value: Any, data: bytes | None = None) -> None:
        """Keep VALUE under KEY; DATA is VALUE pickled, when a worker did that already."""
        self._used["posts"].add(key)
        self._posts[key] = value
        if self._db is not None:
            data = data or pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            self._execute("INSERT OR REPLACE INTO posts VALUES (?, ?)", key, data)

    # --- what post files held when last read, by what `stat` said of them ---

    def file_digest(self, path: str, signature: str) -> str | None:
        """The digest of the file at PATH when `stat` gave SIGNATURE, if it has been read so."""
        self._seen_files.add(path)
        if self._files is None:
            self._files = {}
            for name, stat, digest in self._query("SELECT path, stat, digest FROM files"):
                self._files[name] = (stat, digest)
        found = self._files.get(path)
        return found[1] if found is not None and found[0] == signature else None

    def set_file_digest(self, path: str, signature: str, digest: str) -> None:
        self._seen_files.add(path)
        if self._files is None:
            self._files = {}
        if self._files.get(path) != (signature, digest):
            self._files[path] = (signature, digest)
            self._execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?)", path, signature, digest)

    def set_source_key(self, kind: str, slug: str, key: str) -> None:
        """The key of the file that post KIND/SLUG was read from (see `generator.load`)."""
        self._source_keys[(kind, slug)] = key

    def source_key(self, post: Any) -> str | None:
        return self._source_keys.get((post.kind, post.slug))

    # --- one post's files ---

    def outputs(self, key: str, now: str) -> Outputs | None:
        """The files kept under KEY, unless they depended on the build's time and it differs."""
        self._used["outputs"].add(key)
        if self._db is not None and not self._loaded_outputs:
            self._load_outputs()
        found = self._outputs.get(key)
        if found is None or found[0] not in (None, now):
            return None
        return found[1]

    def _load_outputs(self) -> None:
        """Every kept post's file digests at once: one query is much cheaper than one per post."""
        self._loaded_outputs = True
        for key, made_at, digests in self._query("SELECT key, now, digests FROM outputs"):
            with suppress(Exception):  # an entry that will not load: made anew
                self._outputs.setdefault(key, (made_at, Outputs(pickle.loads(digests))))

    def add_outputs(
        self,
        key: str,
        now: str | None,
        files: dict[str, bytes],
        keep: bool = False,
        digests: dict[str, str] | None = None,
    ) -> Outputs:
        """Keep FILES' digests under KEY (their bytes too, in memory, with KEEP).

        NOW is the build's time when they depend on it. DIGESTS, when given, are the files'
        digests (FILES may then be empty: the files are on disk already).
        """
        if digests is None:
            digests = {path: file_digest(data) for path, data in files.items()}
        outputs = Outputs(digests, files if keep else None)
        self._used["outputs"].add(key)
        self._outputs[key] = self._new_outputs[key] = (now, outputs)
        return outputs

    # --- Markdown ---

    def markdown(self, key: str) -> str | None:
        """The rendering kept under KEY (see `generator.outputs.markup.cache_key`), or None."""
        html = self._markdown.get(key)
        if html is None and self._any_markdown():
            for (html,) in self._query("SELECT html FROM markdown WHERE key = ?", key):
                self._markdown[key] = html
        return html

    def _any_markdown(self) -> bool:
        """Whether the database holds any rendering: a cold build need not ask for each."""
        if self._stored_markdown is None:
            self._stored_markdown = any(self._query("SELECT 1 FROM markdown LIMIT 1"))
        return self._stored_markdown

    def _markdown_rows(self) -> int:
        if self._db is None:
            return len(self._markdown)
        return sum(count for (count,) in self._query("SELECT count(*) FROM markdown"))

    def add_markdown(self, rendered: dict[str, str]) -> None:
        """What a build rendered (or used): kept, and nothing else."""
        self._used["markdown"].update(rendered)
        if self._db is None:
            self._markdown.update(rendered)
            return
        fresh = [(key, html) for key, html in rendered.items() if key not in self._markdown]
        # Straight to the database (committed by `save`): a cold build renders much.
        self._executemany("INSERT OR REPLACE INTO markdown VALUES (?, ?)", fresh)

    # --- the output folders' records (see generator/output.py) ---

    def tree_record(self, folder: str) -> bytes | None:
        for (data,) in self._query("SELECT record FROM trees WHERE folder = ?", folder):
            return bytes(data) if isinstance(data, bytes) else None
        return None

    def set_tree_record(self, folder: str, record: bytes | None) -> None:
        """Keep RECORD (made by generator/output.py) for FOLDER; None forgets it."""
        if record is None:
            self._execute("DELETE FROM trees WHERE folder = ?", folder)
        else:
            self._execute("INSERT OR REPLACE INTO trees VALUES (?, ?)", folder, record)
        self._commit()

    # --- the end of a build ---

    def save(
        self, keep_files: bool = False, tables: tuple[str, ...] = TABLES, texts: int = 0
    ) -> None:
        """Write what this build made and drop what it did not use, in one transaction.

        With KEEP_FILES, the bytes of each post's files stay in memory for the next build
        (`serve`, which writes no folder to take them from). Only TABLES are pruned:
        `check` reads posts and makes nothing, so it leaves the others as they are.

        Rendered Markdown is pruned only once it holds more than twice the site's TEXTS: a
        build that makes a few posts' pages uses few renderings, but the others are what
        a change of theme needs.
        """
        if "markdown" in tables and self._markdown_rows() <= 2 * texts + 1000:
            tables = tuple(t for t in tables if t != "markdown")
        for table, kept in (("posts", self._posts), ("markdown", self._markdown)):
            if table in tables:
                for key in kept.keys() - self._used[table]:
                    del kept[key]
        if "outputs" in tables:
            for key in self._outputs.keys() - self._used["outputs"]:
                del self._outputs[key]
        db = self._db
        if db is not None:
            try:
                with db:
                    db.executemany(
                        "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)",
                        (
                            (key, now, pickle.dumps(o.digests))
                            for key, (now, o) in self._new_outputs.items()
                        ),
                    )
                    if "posts" in tables and self._files is not None:
                        gone = self._files.keys() - self._seen_files
                        db.executemany("DELETE FROM files WHERE path = ?", ((p,) for p in gone))
                        for path in gone:
                            del self._files[path]
                    for table in tables:
                        stored = {key for (key,) in db.execute(f"SELECT key FROM {table}")}
                        db.executemany(
                            f"DELETE FROM {table} WHERE key = ?",
                            ((key,) for key in stored - self._used[table]),
                        )
            except sqlite3.Error:
                self._give_up()
        self._new_outputs.clear()
        self._seen_files.clear()
        self._stored_markdown = None
        for used in self._used.values():
            used.clear()
        if not keep_files:
            for _, outputs in self._outputs.values():
                outputs.files = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- SQLite, failing soft ---

    def _query(self, sql: str, *values: Any) -> Iterator[Any]:
        if self._db is None:
            return iter(())
        try:
            return iter(self._db.execute(sql, values).fetchall())
        except sqlite3.Error:
            self._give_up()
            return iter(())

    def _execute(self, sql: str, *values: Any) -> None:
        if self._db is not None:
            try:
                self._db.execute(sql, values)
            except sqlite3.Error:
                self._give_up()

    def _executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if self._db is not None and rows:
            try:
                self._db.executemany(sql, rows)
            except sqlite3.Error:
                self._give_up()

    def _commit(self) -> None:
        if self._db is not None:
            try:
                self._db.commit()
            except sqlite3.Error:
                self._give_up()

    def _give_up(self) -> None:
        """A cache that fails is not used again in this build; the build itself goes on."""
        if self._db is not None:
            with suppress(sqlite3.Error):
                self._db.close()
            self._db = None


def _open(path: Path) -> sqlite3.Connection | None:
    """The database at PATH, made when missing; None when it cannot be (a damaged file is reset)."""
    for attempt in range(2):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            if db.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
                for table in ("posts", "outputs", "markdown", "files", "trees"):
                    db.execute(f"DELETE FROM {table}")
                db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                db.commit()
            return db
        except (OSError, sqlite3.Error):
            if attempt == 0:
                for suffix in ("", "-wal", "-shm"):
                    with suppress(OSError):
                        Path(f"{path}{suffix}").unlink()
    return None


_SCHEMA_VERSION = 2
_INHERITED: list[sqlite3.Connection] = []
