"""The `outpost` command: argument parsing and printing, nothing else."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from generator import __version__
from generator import commands as run
from generator.problems import OutpostError, Problem, UsageError, count_summary, sort_problems

DESCRIPTION = """\
Outpost turns Markdown incident posts into a static status site with Atom and RSS feeds.
Every command acts on the site in the current folder, or in --site DIR.
"""

EXAMPLES = {
    "new": 'outpost new "Login failures for some customers" --impact major --component API -m "We are investigating."',
    "update": 'outpost update 2026-11-29-login-failures identified -m "A bad deploy; rolling back."',
    "resolve": 'outpost resolve login-failures -m "The rollback is complete; logins work again."',
    "check": "outpost check",
    "build": "outpost build --out public --base-url https://status.acme.example/",
    "verify": "outpost verify https://status.acme.example/ --allowed-signers allowed_signers",
    "serve": "outpost serve --port 8000",
    "notify": "outpost notify --dry-run",
}


def program() -> NoReturn:
    """The `outpost` program: `main`, then an exit that skips tearing the heap down.

    A build of thousands of posts leaves millions of objects, and freeing them one by one
    at exit takes longer than some builds: the process ends as soon as its output is out.
    Every file is closed by then, and the background deletion of old trees is left to the
    next build, as on any other exit.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ARGV; return the exit code."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args))
    except OutpostError as exc:
        print_problems(exc.problems, args.command)
        return exc.exit_code
    except UsageError as exc:
        print(f"outpost {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # The disk, not Outpost: full, read-only, a file where a folder should be.
        if args.debug:
            raise
        where = f" {exc.filename}:" if exc.filename else ""
        print(f"outpost {args.command}: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"outpost: internal error: {exc!r} (run with --debug for details)", file=sys.stderr)
        return 1


def print_problems(problems: list[Problem], command: str) -> None:
    for problem in sort_problems(problems):
        print(problem, file=sys.stderr)
    if any(p.is_error for p in problems):
        nothing = "; nothing written" if command in ("build", "new", "update", "resolve") else ""
        print(f"{count_summary(problems)}{nothing}", file=sys.stderr)


def make_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--site", type=Path, metavar="DIR", default=argparse.SUPPRESS,
        help="the site folder (default: the current folder)",
    )  # fmt: skip
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS,
        help="show Python tracebacks for internal errors",
    )  # fmt: skip
    parser = argparse.ArgumentParser(
        prog="outpost",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'outpost COMMAND --help' for a command's options and an example.\n"
        "Exit codes: 0 success, 1 content or config errors, 2 usage errors.",
    )
    parser.add_argument("--version", action="version", version=f"outpost {__version__}")
    parser.add_argument(
        "--site", type=Path, metavar="DIR", default=Path("."), help=argparse.SUPPRESS
    )
    parser.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            parents=[common],
            help=summary,
            description=summary,
            epilog=f"example:\n  {EXAMPLES[name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        return sub

    sub = command(
        "new",
        "Start an incident: write content/incidents/YYYY-MM-DD-slug.md with its first update.",
    )
    sub.add_argument("title", help="the incident's title, as customers will read it")
    sub.add_argument(
        "--impact", default="minor", help="none, minor, major or critical (default: minor)"
    )
    sub.add_argument(
        "--component", action="append", default=[], metavar="NAME",
        help="an affected component from site.yaml; repeat for several",
    )  # fmt: skip
    sub.add_argument(
        "--status",
        default="investigating",
        help="the first update's status (default: investigating)",
    )
    sub.add_argument(
        "-m", "--message", help="the first update's text (default: $EDITOR, or standard input)"
    )
    sub.add_argument(
        "--draft", action="store_true", help="mark it 'draft: true': left out of builds"
    )
    sub.set_defaults(run=run.new)

    sub = command(
        "update", "Append a timestamped status update to an incident or maintenance window."
    )
    sub.add_argument("slug", help="the file's name without .md (the date prefix may be left out)")
    sub.add_argument(
        "status",
        help="incidents: investigating, identified, monitoring, update, resolved, postmortem; "
        "maintenance: scheduled, in-progress, verifying, completed, update",
    )
    sub.add_argument(
        "-m", "--message", help="the update's text (default: $EDITOR, or standard input)"
    )
    sub.set_defaults(run=run.update)

    sub = command(
        "resolve", "Append a Resolved update (Completed, for maintenance): 'update SLUG resolved'."
    )
    sub.add_argument("slug", help="the file's name without .md (the date prefix may be left out)")
    sub.add_argument(
        "-m", "--message", help="the update's text (default: $EDITOR, or standard input)"
    )
    sub.set_defaults(run=run.resolve)

    sub = command(
        "check", "Check site.yaml, every post and the theme; print every problem as PATH:LINE."
    )
    sub.set_defaults(run=run.check)

    sub = command("build", "Build the static site: pages, feeds, sitemap, theme files.")
    sub.add_argument(
        "--out", type=Path, metavar="DIR", help="the output folder (default: public/ in the site)"
    )
    sub.add_argument("--drafts", action="store_true", help="include posts marked 'draft: true'")
    sub.add_argument(
        "--now", metavar="TIMESTAMP",
        help="the build's time, for maintenance windows (default: $SOURCE_DATE_EPOCH, else the clock); "
        "without a zone it is read in the site's timezone",
    )  # fmt: skip
    sub.add_argument(
        "--base-url", metavar="URL", help="serve from URL instead of site.yaml's base_url"
    )
    sub.add_argument(
        "--compress", action="store_true",
        help="also write PATH.gz and PATH.br beside each text file over 1 KB, "
        "for servers that send pre-compressed files (nginx: gzip_static)",
    )  # fmt: skip
    sub.add_argument(
        "--manifest", action="store_true",
        help="write manifest.json: every file's path, size and SHA-256, and the build time",
    )  # fmt: skip
    sub.add_argument(
        "--sign", type=Path, metavar="KEY",
        help="sign manifest.json with the SSH private key KEY (implies --manifest)",
    )  # fmt: skip
    sub.set_defaults(run=run.build)

    sub = command(
        "verify", "Check a published copy against its signed manifest: every file, nothing added."
    )
    sub.add_argument("source", help="the copy: a folder, or the site's http(s) URL")
    sub.add_argument(
        "--allowed-signers", type=Path, required=True, metavar="FILE",
        help="the keys allowed to sign, in ssh-keygen's allowed_signers format",
    )  # fmt: skip
    sub.set_defaults(run=run.verify)

    sub = command("serve", "Build, serve on HTTP, rebuild on every change and reload open pages.")
    sub.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)"
    )
    sub.add_argument(
        "--port", type=int, default=8000, help="the port; 0 picks a free one (default: 8000)"
    )
    sub.add_argument("--drafts", action="store_true", help="include posts marked 'draft: true'")
    sub.add_argument("--now", metavar="TIMESTAMP", help="a fixed build time instead of the clock")
    sub.set_defaults(run=run.serve)

    sub = command(
        "notify",
        "After a build and publish: send each new update once to the channels in site.yaml's "
        "notify: section (email, webhooks, a WebSub hub). Exit 1 if anything is left unsent.",
    )
    sub.add_argument(
        "--dry-run", action="store_true",
        help="print what would be sent, and to whom; send nothing and change nothing",
    )  # fmt: skip
    sub.add_argument(
        "--baseline", action="store_true",
        help="record every published update as notified without sending: the first run on a site "
        "that already has updates",
    )  # fmt: skip
    sub.set_defaults(run=run.notify)
    return parser
