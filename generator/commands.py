"""The bodies of the `outpost` commands: each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from generator import edit
from generator.build import build_site
from generator.cache import CACHE_DIR, BuildCache
from generator.config import load_config
from generator.content import INCIDENTS, KINDS
from generator.load import load_site, post_files
from generator.problems import Problem, UsageError, count_summary, sort_problems
from generator.templates import check_templates
from generator.theme import find_theme
from generator.timestamps import TimestampError, parse_timestamp


def new(args: argparse.Namespace) -> int:
    site_dir: Path = args.site
    config = edit.load_site_config(site_dir)
    impact = edit.check_impact(args.impact)
    status = edit.check_status(INCIDENTS, args.status)
    components = edit.check_components(config, args.component)
    message = read_message(args.message, "new-incident")
    now = datetime.now(UTC).replace(microsecond=0)
    text = edit.new_incident_text(args.title, impact, components, status, message, args.draft, now)
    path, problems = edit.create_post(
        site_dir, edit.new_post_path(site_dir, args.title, now), text, config, now
    )
    _print_warnings(problems)
    print(_shown(path))
    return 0


def update(args: argparse.Namespace, status_word: str | None = None) -> int:
    site_dir: Path = args.site
    config = edit.load_site_config(site_dir)
    target = edit.find_post(site_dir, args.slug)
    status = edit.check_status(target.kind, status_word or args.status)
    message = read_message(args.message, target.slug)
    when, problems = edit.append_update(
        site_dir, target, status, message, config, datetime.now(UTC)
    )
    _print_warnings(problems)
    print(f"{_shown(target.path)}: appended '{edit.update_heading(when, status)}'")
    return 0


def resolve(args: argparse.Namespace) -> int:
    kind = edit.find_post(args.site, args.slug).kind
    return update(args, "Resolved" if kind == INCIDENTS else "Completed")


def check(args: argparse.Namespace) -> int:
    site_dir: Path = args.site
    config, problems = load_config(site_dir)
    files = sum(len(post_files(site_dir, kind)) for kind in KINDS)
    checked = f"checked site.yaml and {files} post{'s' if files != 1 else ''}"
    if config is None:
        # Posts need the config (time zone, components): they are read once it has no errors.
        checked = (
            f"checked site.yaml (its {files} post{'s' if files != 1 else ''} once it has no errors)"
        )
    else:
        from generator.notify.config import notify_problems

        # Through the build cache: a file read before is not parsed again (nor written to).
        cache = BuildCache(site_dir / CACHE_DIR)
        try:
            _, problems = load_site(site_dir, datetime.now(UTC), drafts=True, cache=cache)
            cache.save(tables=("posts",))
        finally:
            cache.close()
        theme = find_theme(site_dir, config.theme)
        links = theme.link_problems()
        templates = [] if links else check_templates(theme.template_dirs, site_dir)
        problems = sort_problems([*problems, *links, *templates, *notify_problems(site_dir)])
    for problem in problems:
        print(problem, file=sys.stderr)
    has_errors = any(p.is_error for p in problems)
    print(f"{checked}: {count_summary(problems)}", file=sys.stderr if has_errors else sys.stdout)
    return 1 if has_errors else 0


def build(args: argparse.Namespace) -> int:
    site_dir: Path = args.site
    out = args.out if args.out is not None else site_dir / "public"
    if args.base_url:
        from generator.config import check_base_url

        if message := check_base_url(args.base_url):
            raise UsageError(f"--base-url: {message.removeprefix('base_url ')}")
    if args.sign and not args.sign.is_file():
        raise UsageError(f"--sign: no key file '{args.sign}'")
    now = build_time(args.now, site_zone(site_dir))
    result = build_site(
        site_dir,
        out,
        now,
        args.drafts,
        args.base_url,
        manifest=args.manifest,
        sign_key=args.sign,
        compress=args.compress,
    )
    _print_warnings(result.warnings)
    print(result.summary(_shown(out) + "/"))
    return 0


def verify(args: argparse.Namespace) -> int:
    from generator.publish.verify import FolderSource, Source, UrlSource, verify_copy

    if not args.allowed_signers.is_file():
        raise UsageError(f"--allowed-signers: no file '{args.allowed_signers}'")
    source: Source
    if args.source.startswith(("http://", "https://")):
        source = UrlSource(args.source)
    elif Path(args.source).is_dir():
        source = FolderSource(Path(args.source))
    else:
        raise UsageError(f"'{args.source}' is neither a folder nor an http(s) URL")
    try:
        report = verify_copy(source, args.allowed_signers)
    except OSError as exc:
        print(f"outpost verify: error: cannot read the copy: {exc}", file=sys.stderr)
        return 1
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if report.problems:
        count = len(report.problems)
        print(
            f"{count} problem{'s' if count != 1 else ''}: this is not what was published",
            file=sys.stderr,
        )
        return 1
    print(
        f"verified {report.checked} files, signed by {report.signer}: nothing missing, changed or added"
    )
    return 0


def notify(args: argparse.Namespace) -> int:
    from generator.notify import notify_site

    result = notify_site(
        args.site, build_time(None), os.environ, dry_run=args.dry_run, baseline=args.baseline
    )
    _print_warnings(result.problems)
    print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def serve(args: argparse.Namespace) -> int:
    from generator.serve import serve_site

    now = build_time(args.now, site_zone(args.site)) if args.now else None
    return serve_site(args.site, args.host, args.port, args.drafts, now)


def site_zone(site_dir: Path) -> tzinfo:
    """The site's time zone, for reading --now; UTC while site.yaml has errors (reported later)."""
    config, _ = load_config(site_dir)
    return config.timezone if config and config.timezone else UTC


def build_time(text: str | None, zone: tzinfo = UTC) -> datetime:
    """--now (read in ZONE when it has none), else SOURCE_DATE_EPOCH, else the clock."""
    if text:
        try:
            return parse_timestamp(text, zone)
        except TimestampError as exc:
            raise UsageError(f"--now: {exc}") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError):
            raise UsageError(f"SOURCE_DATE_EPOCH must be whole seconds; got '{epoch}'") from None
    return datetime.now(UTC)


def read_message(given: str | None, name: str) -> str:
    """-m MESSAGE; else $EDITOR on a terminal; else standard input. UsageError when empty."""
    if given is not None:
        message = given
    elif sys.stdin.isatty():
        message = _edit(name)
    else:
        message = sys.stdin.read()
    if not message.strip():
        raise UsageError("the message is empty: nothing written")
    return message


EDITOR_HINT = "<!-- Write the update above this line, in Markdown. Save and close to append it. -->"


def _edit(name: str) -> str:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.md"
        path.write_text(f"\n\n{EDITOR_HINT}\n")
        try:
            result = subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            raise UsageError(
                f"cannot start the editor '{editor}': {exc.strerror}; use -m MESSAGE"
            ) from None
        if result.returncode != 0:
            raise UsageError(
                f"the editor '{editor}' exited with {result.returncode}: nothing written"
            )
        return path.read_text().replace(EDITOR_HINT, "")


def _print_warnings(problems: list[Problem]) -> None:
    for problem in sort_problems(problems):
        print(problem, file=sys.stderr)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
