"""Write the finished tree: into a new folder beside the output, then swap it in whole.

A site of thousands of incidents changes a few files per build, so the new folder is not
written from nothing. Outpost keeps a *spare* tree, the output before last, in its cache
folder (on the same disk as the output), with a record of every file in it: its digest and
what `stat` said when it was written. A build takes the spare as its new folder, checks it
against the record (a file changed by hand is read and hashed, a file added by hand is
removed), rewrites only the files whose digests differ, swaps it in, and keeps the old
output as the next spare. Unchanged files are never rewritten; trees share them as hard
links, and a file is never changed in place: it is replaced, so a link in the other tree
keeps the old bytes.

Deleting a tree of thousands of files is slow on some disks, so a tree no longer wanted is
moved into the cache's trash and deleted by a background thread; whatever is left when the
process ends is deleted at the start of the next build.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

STAGING_PREFIX = ".outpost-new-"
RETIRED_PREFIX = ".outpost-old-"
SPARE_DIR = "spare"
NEXT_SPARE_DIR = "spare-next"  # the next spare, while a build makes it
TRASH_DIR = "trash"
RECORD_VERSION = 1


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Entry(NamedTuple):
    """One file of a tree: what it holds and what `stat` said of it (a tuple: quick to pickle)."""

    digest: str
    size: int
    mtime_ns: int
    inode: int


@dataclass
class Record:
    """Every file and folder of a tree, as Outpost left it."""

    files: dict[str, Entry] = field(default_factory=dict)
    folders: dict[str, int] = field(default_factory=dict)  # mtime_ns, by path ("" the top)

    def dump(self) -> bytes:
        """The record as the cache keeps it: marshal, which reads back tuples at C speed."""
        return marshal.dumps(
            (
                RECORD_VERSION,
                list(self.files),
                [tuple(e) for e in self.files.values()],
                self.folders,
            )
        )

    @staticmethod
    def load(data: bytes) -> Record | None:
        """What `dump` made; None for anything else (another version, damage)."""
        try:
            version, paths, entries, folders = marshal.loads(data)
            if version != RECORD_VERSION:
                return None
            return Record(dict(zip(paths, map(Entry._make, entries), strict=True)), folders)
        except Exception:
            return None


class Records(Protocol):
    """Where the records are kept (the build cache)."""

    def tree_record(self, folder: str) -> bytes | None: ...

    def set_tree_record(self, folder: str, record: bytes | None) -> None: ...


class NoRecords:
    def tree_record(self, folder: str) -> bytes | None:
        return None

    def set_tree_record(self, folder: str, record: bytes | None) -> None:
        pass


def write_tree(files: dict[str, bytes], out: Path) -> None:
    """Replace the folder OUT with exactly FILES; OUT is untouched until FILES are all on disk."""
    writer = TreeWriter(out, None, NoRecords())
    try:
        for path, data in files.items():
            writer.put(path, data, file_digest(data))
        writer.finish()
    finally:
        writer.close()


class NewFiles:
    """Writes files into a tree that a TreeWriter is making, from another process.

    For the build's worker processes: the TreeWriter's `present` takes the entries `write`
    returns. RECYCLED says whether the tree began as the spare (whose files are replaced).
    """

    def __init__(self, root: Path, recycled: bool) -> None:
        self.root, self.recycled = f"{root}/", recycled
        self.folders: set[str] = set()

    def write(self, path: str, data: bytes, digest: str) -> Entry:
        """Write DATA as a new file at PATH (replacing, never changing, one there); its entry."""
        target = self.root + path
        if self.recycled:
            with suppress(FileNotFoundError):
                os.unlink(target)  # the spare's copy, maybe linked from another tree
        folder = path.rpartition("/")[0]
        if folder and folder not in self.folders:
            os.makedirs(self.root + folder, exist_ok=True)
            self.folders.add(folder)
        with open(target, "xb") as handle:
            handle.write(data)
            stat = os.fstat(handle.fileno())
        return Entry(digest, stat.st_size, stat.st_mtime_ns, stat.st_ino)


class TreeWriter:
    """Makes the next OUT beside it from the spare tree in SPARES (a folder) when there is one.

    `have(path, digest)` says whether the file is there already (or can be linked from the
    current output); `put` writes one; `finish` removes what was not put and swaps the
    new tree in. Nothing touches OUT before `finish`; an error before then leaves it whole.
    """

    def __init__(self, out: Path, spares: Path | None, records: Records) -> None:
        self.out = (
            out.resolve()
        )  # a symlinked output folder: its target is replaced, the link stays
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.records = records
        self.spares = spares if spares is not None and _same_disk(spares, self.out.parent) else None
        self.trash = self.spares / TRASH_DIR if self.spares else None
        self._cleaner: threading.Thread | None = None
        if self.trash is not None and self.trash.exists():  # what an earlier build left
            self._start_cleaner(lambda: None)
        if self.spares is not None and (self.spares / NEXT_SPARE_DIR).exists():
            self._throw_away(self.spares / NEXT_SPARE_DIR)  # begun by a build that was killed
        _remove_leftovers(self.out, self._throw_away)
        self._live: Record | bool | None = False  # False: not read yet (see `live`)
        self._checked: dict[str, Entry | None] = {}  # OUT's files looked at, as they are
        self.recycled = False  # whether the new tree began as the spare
        self.staging: Path | None
        self.staging, self.present = self._start()
        self.written: dict[str, Entry] = {}
        self.made_folders: set[str] = set()
        self._early: _EarlyLinks | None = None  # the next spare, begun (see `start_spare`)

    @property
    def live(self) -> Record | None:
        """OUT's record as kept; each file is checked against the disk when first asked for."""
        if self._live is False:
            kept = self.records.tree_record(str(self.out)) if self.out.is_dir() else None
            self._live = Record.load(kept) if isinstance(kept, bytes) else None
        assert self._live is not True
        return self._live

    def _live_entry(self, path: str) -> Entry | None:
        """OUT's file PATH as it is now (hashed again if changed since it was written)."""
        if path in self._checked:
            return self._checked[path]
        entry = self.live.files.get(path) if self.live else None
        if entry is not None:
            entry = _as_it_is(f"{self.out}/{path}", entry)
        self._checked[path] = entry
        return entry

    # --- the new tree ---

    def have(self, path: str, digest: str) -> bool:
        """Whether PATH with DIGEST is in the new tree, or can be linked there from OUT."""
        entry = self.present.get(path)
        if entry is not None and entry.digest == digest:
            return True
        live = self._live_entry(path)
        return live is not None and live.digest == digest

    def keep(self, path: str, digest: str) -> None:
        """Put PATH, which `have` said is at hand, without its bytes."""
        entry = self.present.pop(path, None)
        if entry is not None and entry.digest == digest:
            self.written[path] = entry
            return
        target = self._clear(path, entry)
        live = self._live_entry(path)
        assert live is not None and live.digest == digest
        os.link(self.out / path, target)
        self.written[path] = live

    def put(self, path: str, data: bytes, digest: str) -> None:
        """PATH holds DATA in the new tree; written only when it does not already."""
        entry = self.present.pop(path, None)
        if entry is not None and entry.digest == digest:
            self.written[path] = entry
            return
        live = self._live_entry(path)
        target = self._clear(path, entry)
        if live is not None and live.digest == digest:
            os.link(self.out / path, target)
            self.written[path] = live
            return
        with open(target, "xb") as handle:  # never into an existing file: it may be linked
            handle.write(data)
        stat = os.stat(target)
        self.written[path] = Entry(digest, stat.st_size, stat.st_mtime_ns, stat.st_ino)

    def _clear(self, path: str, entry: Entry | None) -> Path:
        assert self.staging is not None
        target = self.staging / path
        if entry is not None or self.recycled:
            with suppress(FileNotFoundError):
                target.unlink()
        if entry is None:
            folder = path.rpartition("/")[0]
            if folder and folder not in self.made_folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self.made_folders.add(folder)
        return target

    def finish(self) -> None:
        """Remove what was not put, swap the new tree in, keep the old one as the spare."""
        assert self.staging is not None
        for path in self.present:
            with suppress(FileNotFoundError):
                (self.staging / path).unlink()
        _remove_empty_folders(self.staging, self.present)
        os.chmod(self.staging, 0o755)
        record = Record(dict(self.written), _folder_times(self.staging, self.written))
        # The old output becomes the spare: its record, as kept (checked when next used).
        old_live = self.live if self.out.is_dir() else None
        self.records.set_tree_record(str(self.out), None)  # trusted again only once swapped
        if self.spares:
            self.records.set_tree_record(str(self.spares / SPARE_DIR), None)
        retired = self._swap()
        self.staging = None
        self.records.set_tree_record(str(self.out), record.dump())
        if not self.spares:
            if retired is not None:
                self._throw_away(retired)
            return
        spare = self.spares / SPARE_DIR
        early, self._early = self._early, None
        if early is not None:
            early.join()
        if retired is not None and old_live is not None:
            if early is not None:
                self._throw_away(early.target)
            retired.rename(spare)
            self.records.set_tree_record(str(spare), old_live.dump())
        else:
            if retired is not None:
                self._throw_away(retired)
            # No old tree to keep: the next build starts from links to this one.
            if early is not None:
                made = _link_tree(self.out, early.target, record, early.linked, early.folders)
                early.target.rename(spare)
            else:
                made = _link_tree(self.out, spare, record)
            self.records.set_tree_record(str(spare), made.dump())

    def start_spare(self) -> None:
        """Begin the next spare in the background, when `finish` will have to make one.

        With no output to keep as the spare (a first build, or a lost cache), `finish`
        links every file of the new tree into a new spare. The files already in the new
        tree (those the workers wrote) are linked now, on a thread, while the build goes on
        with its pages; `finish` links the rest, and again any file replaced meanwhile.
        """
        if self.spares is None or self.staging is None or self._early is not None:
            return
        if self.out.is_dir() and self.live is not None:
            return  # the output will be the spare
        target = self.spares / NEXT_SPARE_DIR
        if target.exists():
            self._throw_away(target)
        self._early = _EarlyLinks(self.staging, target, dict(self.present))
        self._early.start()

    def close(self) -> None:
        """Remove the new tree if `finish` was not reached."""
        if self._early is not None:
            self._early.join()
            self._throw_away(self._early.target)
            self._early = None
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def wait(self) -> None:
        """Let the background deletion finish (tests; a build's process does not wait)."""
        if self._cleaner is not None:
            self._cleaner.join()

    # --- starting points ---

    def _start(self) -> tuple[Path, dict[str, Entry]]:
        """The new folder: the spare when it can be trusted; else links to OUT; else empty."""
        staging = Path(
            tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{self.out.name}-", dir=self.out.parent)
        )
        if self.spares is not None:
            spare = self.spares / SPARE_DIR
            record = self._trusted(spare, str(spare)) if spare.is_dir() else None
            if record is not None:
                self.records.set_tree_record(str(spare), None)  # it is being changed now
                os.rmdir(staging)
                spare.rename(staging)
                self.recycled = True
                return staging, dict(record.files)
            if spare.exists():
                self.records.set_tree_record(str(spare), None)
                self._throw_away(spare)
        return staging, {}

    def _trusted(self, folder: Path, name: str) -> Record | None:
        """FOLDER's record, brought up to date with what is on disk; None when it has none."""
        kept = self.records.tree_record(name)
        record = Record.load(kept) if isinstance(kept, bytes) else None
        return _check(folder, record) if record is not None else None

    def _swap(self) -> Path | None:
        """Move the new tree to OUT; the old OUT, moved aside, is returned."""
        assert self.staging is not None
        if not self.out.exists():
            self.staging.rename(self.out)
            return None
        retired = self.out.parent / f"{RETIRED_PREFIX}{self.out.name}-{os.getpid()}"
        self.out.rename(retired)
        try:
            self.staging.rename(self.out)
        except BaseException:
            retired.rename(self.out)
            raise
        return retired

    def _throw_away(self, folder: Path) -> None:
        """Delete FOLDER: moved into the trash and deleted in the background when there is one."""
        if self.trash is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        self.trash.mkdir(parents=True, exist_ok=True)
        moved = Path(tempfile.mkdtemp(dir=self.trash)) / "tree"
        try:
            folder.rename(moved)
            folder = moved
        except OSError:
            pass
        self._start_cleaner(lambda: shutil.rmtree(folder, ignore_errors=True))

    def _start_cleaner(self, work: Callable[[], None]) -> None:
        previous = self._cleaner

        def run() -> None:
            if previous is not None:
                previous.join()
            work()
            if self.trash is not None:
                shutil.rmtree(self.trash, ignore_errors=True)

        self._cleaner = threading.Thread(target=run, name="outpost-cleaner", daemon=True)
        self._cleaner.start()


def _as_it_is(file: str, entry: Entry) -> Entry | None:
    """ENTRY of FILE as it is now: hashed again if `stat` says it changed; None if gone."""
    try:
        stat = os.stat(file)
    except OSError:
        return None
    if (stat.st_size, stat.st_mtime_ns, stat.st_ino) == (entry.size, entry.mtime_ns, entry.inode):
        return entry
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return Entry(file_digest(data), stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _check(folder: Path, record: Record) -> Record:
    """RECORD as FOLDER really is: files changed since are hashed again, files added removed."""
    files: dict[str, Entry] = {}
    root = f"{folder}/"
    for path, entry in record.files.items():
        found = _as_it_is(root + path, entry)
        if found is not None:
            files[path] = found
    folders: set[str] | None = None
    for name, mtime in record.folders.items():
        try:
            if os.stat(root + name).st_mtime_ns == mtime:
                continue
        except OSError:
            continue
        folders = folders if folders is not None else _expected_folders(record.files)
        _remove_strangers(folder, name, record.files, folders)
    return Record(files, record.folders)


def _remove_strangers(root: Path, name: str, files: dict[str, Entry], folders: set[str]) -> None:
    """Remove what is in ROOT/NAME but in neither FILES nor FOLDERS (added by hand)."""
    prefix = f"{name}/" if name else ""
    with suppress(OSError), os.scandir(root / name) as entries:
        for entry in entries:
            path = prefix + entry.name
            if path in files or path in folders:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with suppress(OSError):
                    os.unlink(entry.path)


def _expected_folders(files: dict[str, Entry]) -> set[str]:
    folders = {""}
    for path in files:
        folder = path.rpartition("/")[0]
        while folder not in folders:
            folders.add(folder)
            folder = folder.rpartition("/")[0]
    return folders


def _folder_times(root: Path, files: dict[str, Entry]) -> dict[str, int]:
    top = f"{root}/"
    return {name: os.stat(top + name).st_mtime_ns for name in sorted(_expected_folders(files))}


def _remove_empty_folders(root: Path, removed: dict[str, Entry]) -> None:
    """Folders that held only removed files go too, deepest first (a folder in use stays)."""
    folders = _expected_folders(removed) - {""}
    for folder in sorted(folders, key=lambda f: f.count("/"), reverse=True):
        with suppress(OSError):
            (root / folder).rmdir()


class _EarlyLinks(threading.Thread):
    """Links FILES (of the tree at ROOT) into TARGET; `linked` says which it linked."""

    def __init__(self, root: Path, target: Path, files: dict[str, Entry]) -> None:
        super().__init__(name="outpost-spare", daemon=True)
        self.root, self.target, self.files = f"{root}/", target, files
        self.linked: dict[str, Entry] = {}
        self.folders: set[str] = set()  # made in TARGET, relative to it ("" is TARGET)

    def run(self) -> None:
        target, folders = f"{self.target}/", self.folders
        with suppress(OSError):
            os.makedirs(target)
            folders.add("")
            for path, entry in self.files.items():
                folder = path.rpartition("/")[0]
                if folder not in folders:
                    os.makedirs(target + folder, exist_ok=True)
                    folders.add(folder)
                with suppress(OSError):  # gone or replaced meanwhile: `finish` sees to it
                    os.link(self.root + path, target + path)
                    self.linked[path] = entry


def _link_tree(
    source: Path,
    target: Path,
    record: Record,
    linked: dict[str, Entry] | None = None,
    folders: set[str] | None = None,
) -> Record:
    """A copy of SOURCE (as RECORD says it is) at TARGET made of hard links; its record.

    LINKED: the files TARGET links already, from an earlier state of SOURCE; those that have
    changed since are linked again, and those that are gone are removed. FOLDERS: the
    folders TARGET has already (none is made twice: each costs a system call).
    """
    linked, folders = linked or {}, folders or set()
    for folder in sorted(record.folders):
        if folder not in folders:
            (target / folder).mkdir(parents=True, exist_ok=True)
    for path, entry in record.files.items():
        if path in linked:
            if linked[path] == entry:
                continue
            with suppress(FileNotFoundError):
                (target / path).unlink()
        os.link(source / path, target / path)
    gone = {path: entry for path, entry in linked.items() if path not in record.files}
    for path in gone:
        with suppress(FileNotFoundError):
            (target / path).unlink()
    _remove_empty_folders(target, gone)
    return Record(dict(record.files), _folder_times(target, record.files))


def _same_disk(folder: Path, other: Path) -> bool:
    """Whether FOLDER (made if missing) is on OTHER's file system: trees move between them."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.stat(folder).st_dev == os.stat(other).st_dev
    except OSError:
        return False


def _remove_leftovers(out: Path, throw_away: Callable[[Path], None]) -> None:
    """Folders that an interrupted build left beside OUT; a build killed mid-swap is undone."""
    for leftover in sorted(out.parent.glob(f"{STAGING_PREFIX}{out.name}-*")):
        throw_away(leftover)
    for leftover in sorted(out.parent.glob(f"{RETIRED_PREFIX}{out.name}-*")):
        if not out.exists():
            leftover.rename(out)
        else:
            throw_away(leftover)
