"""Write the finished tree: into a new folder beside the output, then swap it in whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

STAGING_PREFIX = ".outpost-new-"
RETIRED_PREFIX = ".outpost-old-"


def write_tree(files: dict[str, bytes], out: Path) -> None:
    """Replace the folder OUT with exactly FILES; OUT is untouched until FILES are all on disk."""
    out = out.resolve()  # a symlinked output folder: its target is replaced, the link stays
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{out.name}-", dir=out.parent))
    try:
        for relative, data in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.chmod(staging, 0o755)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out: Path) -> None:
    """Move STAGING to OUT; the old OUT is renamed aside first and removed last."""
    if not out.exists():
        staging.rename(out)
        return
    retired = out.parent / f"{RETIRED_PREFIX}{out.name}-{os.getpid()}"
    out.rename(retired)
    try:
        staging.rename(out)
    except BaseException:
        retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def _remove_leftovers(out: Path) -> None:
    """Folders that an interrupted build left beside OUT; a build killed mid-swap is undone."""
    for leftover in sorted(out.parent.glob(f"{STAGING_PREFIX}{out.name}-*")):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in sorted(out.parent.glob(f"{RETIRED_PREFIX}{out.name}-*")):
        if not out.exists():
            leftover.rename(out)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
