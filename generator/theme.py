"""Where a site's theme lives: its own themes/NAME/ first, then the built-in theme."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BUILTIN = "default"


def builtin_theme_dir() -> Path:
    """The built-in theme: inside the installed package, or beside it in a source checkout."""
    packaged = Path(__file__).parent / "themes" / BUILTIN
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "themes" / BUILTIN


@dataclass(frozen=True)
class Theme:
    """The theme folders to search, the site's own first."""

    dirs: tuple[Path, ...]

    @property
    def template_dirs(self) -> list[str]:
        return [str(d / "templates") for d in self.dirs if (d / "templates").is_dir()]

    def static_files(self) -> dict[str, Path]:
        """Every static file by its path under static/; the site's own wins."""
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


def find_theme(site_dir: Path, name: str) -> Theme:
    """The theme NAME for the site in SITE_DIR (config checking ensures it exists)."""
    builtin = builtin_theme_dir().resolve()
    own = (site_dir / "themes" / name).resolve()
    dirs = [own] if own.is_dir() and own != builtin else []
    return Theme(tuple([*dirs, builtin]))
