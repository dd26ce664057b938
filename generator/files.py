"""Writing a file whole or not at all: a crash never leaves half a file (FORMAT.md)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_new_file(path: Path, data: bytes) -> None:
    """Create PATH with DATA, whole or not at all; FileExistsError if PATH exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _write_temporary(path, data)
    try:
        os.link(temporary, path)  # fails, atomically, when PATH exists
    finally:
        os.unlink(temporary)
    _sync_folder(path.parent)


def replace_file(path: Path, data: bytes) -> None:
    """Write DATA to PATH atomically: a new file beside it, renamed over it; its mode is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _write_temporary(path, data)
    try:
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    _sync_folder(path.parent)


def _write_temporary(path: Path, data: bytes) -> str:
    """DATA in a new file beside PATH, on disk; its name."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
    except BaseException:
        os.unlink(temporary)
        raise
    return temporary


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, where the system allows opening a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
