"""Template problems, located in the template file, as `PATH:LINE: error: ...`."""

from __future__ import annotations

import traceback
from pathlib import Path

import jinja2

from generator.problems import Problem, error


def template_problem(exc: jinja2.TemplateError, site_dir: Path) -> Problem:
    """Where in which template EXC happened, as well as Jinja's traceback can tell."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return error(
            _shown(exc.filename or exc.name or "template", site_dir),
            exc.lineno,
            f"template: {exc.message}",
        )
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return error(_shown(frame.filename, site_dir), frame.lineno or 1, f"template: {exc}")
    return error("templates", 1, f"template: {exc}")


def check_templates(template_dirs: list[str], site_dir: Path) -> list[Problem]:
    """Compile every template, to report syntax errors without rendering."""
    problems = []
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dirs), autoescape=True)
    for name in env.list_templates():
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(template_problem(exc, site_dir))
    return problems


def _shown(filename: str, site_dir: Path) -> str:
    try:
        return Path(filename).resolve().relative_to(site_dir.resolve()).as_posix()
    except ValueError:
        return filename
