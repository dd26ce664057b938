"""Problems found in a site: `PATH:LINE: error: MESSAGE`, collected, never raised one by one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from enum import Enum
from pathlib import Path


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One error or warning, located in a file."""

    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity.value}: {self.message}"


def error(path: str | Path, line: int, message: str) -> Problem:
    return Problem(str(path), line, message, Severity.ERROR)


def warning(path: str | Path, line: int, message: str) -> Problem:
    return Problem(str(path), line, message, Severity.WARNING)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sort by file, then line number (numerically), then message."""
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.severity.value, p.message))


def count_summary(problems: Iterable[Problem]) -> str:
    """`2 errors, 1 warning` (or `no problems`)."""
    items = list(problems)
    errors = sum(p.is_error for p in items)
    warnings = len(items) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) or "no problems"


def suggest(word: str, choices: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` suffix, or '' when nothing is close."""
    options = list(choices)
    by_lower = {c.lower(): c for c in options}
    match = get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean '{by_lower[match[0]]}'?)" if match else ""


def one_of(choices: Iterable[str]) -> str:
    """`a, b or c`."""
    items = list(choices)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class OutpostError(Exception):
    """Problems that stop a command; the CLI prints them and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class UsageError(Exception):
    """A bad command line: an unknown status word, slug or component. Exit code 2."""

    exit_code = 2
