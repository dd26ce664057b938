"""Where a site's theme lives: its own themes/NAME/ first, then the built-in theme."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.problems import OutpostError, Problem, error

BUILTIN = "default"
ASSETS = "assets"  # the output folder of the fingerprinted copies of the theme's static files


def builtin_theme_dir() -> Path:
    """The built-in theme: inside the installed package, or beside it in a source checkout."""
    packaged = Path(__file__).parent / "themes" / BUILTIN
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "themes" / BUILTIN


@dataclass(frozen=True)
class Theme:
    """The theme folders to search, the site's own first, and the folders its files may link into."""

    dirs: tuple[Path, ...]
    # A symbolic link out of these (the site and the built-in theme) could publish a CI
    # runner's files: refused. Empty: links are not checked.
    allowed: tuple[Path, ...] = ()

    @property
    def template_dirs(self) -> list[str]:
        return [str(d / "templates") for d in self.dirs if (d / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Every static file by its path under static/; the site's own wins.

        Raises OutpostError when any file of the theme links out of the allowed folders, so
        that nothing read through such a link (a template or a static file) is ever published.
        """
        if problems := self.link_problems():
            raise OutpostError(problems)
        found: dict[str, Path] = {}
        for folder in reversed(self.dirs):
            static = folder / "static"
            if static.is_dir():
                for path in sorted(static.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        found[path.relative_to(static).as_posix()] = path
        return dict(sorted(found.items()))

    def files(self) -> list[Path]:
        """Every file of the theme, for watching and hashing."""
        return sorted(p for d in self.dirs for p in d.rglob("*") if p.is_file())

    def link_problems(self) -> list[Problem]:
        """An error for each theme folder or file that is a symbolic link out of `allowed`."""
        if not self.allowed:
            return []
        problems: list[Problem] = []
        for folder in self.dirs:
            if not self._inside(folder):
                problems.append(error(self._shown(folder), 1, _OUTSIDE.format(what="folder")))
                continue
            for path in sorted(folder.rglob("*")):
                if path.is_symlink() and not self._inside(path):
                    problems.append(error(self._shown(path), 1, _OUTSIDE.format(what="file")))
        return problems

    def _inside(self, path: Path) -> bool:
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a loop of links: nothing to read there anyway
            return False
        return any(target.is_relative_to(folder) for folder in self.allowed)

    def _shown(self, path: Path) -> str:
        """PATH relative to the site folder, as the writer knows it."""
        for folder in self.allowed:
            if path.is_relative_to(folder):
                return path.relative_to(folder).as_posix()
        return str(path)


_OUTSIDE = (
    "this {what} is a symbolic link to a place outside the site folder and the built-in theme;"
    " Outpost does not read it, so that no file from outside the site is published:"
    " copy it into the site instead"
)


def fingerprint(static: Mapping[str, bytes]) -> dict[str, str]:
    """Each static file's output path in `assets/HASH/`, HASH from every static file's name and bytes.

    One folder for all keeps a stylesheet's relative links to its images working; any change
    to any file names a new folder, which is why browsers and CDNs may keep it for a year.
    """
    digest = hashlib.sha256()
    for name, data in sorted(static.items()):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    folder = f"{ASSETS}/{digest.hexdigest()[:10]}/"
    return {name: folder + name for name in static}


def find_theme(site_dir: Path, name: str) -> Theme:
    """The theme NAME for the site in SITE_DIR (config checking ensures it exists)."""
    site, builtin = site_dir.resolve(), builtin_theme_dir().resolve()
    own = site / "themes" / name  # not resolved: a link out of the site is refused by its name
    dirs = [own] if own.is_dir() and own.resolve() != builtin else []
    return Theme(tuple([*dirs, builtin]), (site, builtin))
