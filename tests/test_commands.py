"""The writer commands as writers run them: exact output, exit codes, and the files they leave."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SITE_YAML, MakeSite, run_outpost

from generator.load import load_site

ROOT = Path(__file__).resolve().parent.parent

# Dated long ago, so that the clock is always later than the last update.
OUTAGE = """\
---
title: Login failures
impact: major
components: [API]
---
Some customers cannot log in.

## 2021-03-04 09:05 UTC — Investigating
We are looking into it.
"""
OUTAGE_PATH = "content/incidents/2021-03-04-login-failures.md"

MAINTENANCE = """\
---
title: Database upgrade
start: 2021-05-01 02:00 UTC
end: 2021-05-01 04:00 UTC
---
The API is read-only for a while.
"""
MAINTENANCE_PATH = "content/maintenance/2021-05-01-db-upgrade.md"

INCIDENT_STATUSES = "Investigating, Identified, Monitoring, Update, Resolved or Postmortem"
STAMP = re.compile(r"^## (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC — ", re.MULTILINE)


# --- helpers ---------------------------------------------------------------------------------


def outpost(
    *args: str | Path, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """run_outpost with this checkout importable."""
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = str(ROOT)
    return run_outpost(*args, cwd=cwd, stdin=stdin, env=env)


def outcome(result: subprocess.CompletedProcess[str]) -> tuple[int, list[str], list[str]]:
    """Exit code, stdout lines and stderr lines: everything the writer sees."""
    return result.returncode, result.stdout.splitlines(), result.stderr.splitlines()


def clock() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def stamps(text: str) -> list[datetime]:
    """The times of the update headings that the commands wrote."""
    return [
        datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) for s in STAMP.findall(text)
    ]


def fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site({OUTAGE_PATH: OUTAGE, MAINTENANCE_PATH: MAINTENANCE})


def unchanged(site: Path, path: str, text: str) -> bool:
    return (site / path).read_bytes() == text.encode()


# --- new -------------------------------------------------------------------------------------


def test_new_writes_an_incident_with_its_first_update(site: Path) -> None:
    before = clock()
    result = outpost(
        "new", "Login failures for EU customers",
        "--impact", "major", "--component", "API", "--component", "web app",
        "-m", "We are investigating.\n",
        cwd=site,
    )  # fmt: skip
    after = clock()
    code, out, err = outcome(result)
    assert (code, err) == (0, [])
    [path] = out
    text = (site / path).read_text(encoding="utf-8")
    [stamp] = stamps(text)
    assert before <= stamp <= after
    assert path == f"content/incidents/{stamp:%Y-%m-%d}-login-failures-for-eu-customers.md"
    assert text == (
        "---\n"
        "title: Login failures for EU customers\n"
        "impact: major\n"
        "components: [API, Web app]\n"
        "---\n"
        "\n"
        f"## {fmt(stamp)} — Investigating\n"
        "\n"
        "We are investigating.\n"
    )
    assert outcome(outpost("check", cwd=site))[0] == 0


def test_new_with_options_and_message_from_standard_input(site: Path) -> None:
    result = outpost(
        "new", "Scheduler delays", "--status", "identified", "--impact", "none", "--draft",
        cwd=site, stdin="Posts go out late.\n\n### What to do\nNothing.\n",
    )  # fmt: skip
    code, [path], err = outcome(result)
    assert (code, err) == (0, [])
    text = (site / path).read_text(encoding="utf-8")
    [stamp] = stamps(text)
    assert text == (
        "---\ntitle: Scheduler delays\nimpact: none\ndraft: true\n---\n\n"
        f"## {fmt(stamp)} — Identified\n\nPosts go out late.\n\n### What to do\nNothing.\n"
    )


@pytest.mark.parametrize(
    "title",
    ["Login: failures", "yes", "#1 outage", "'Quoted' \"twice\"", "2026-11-29", "Straße — Ünïcode"],
)
def test_new_titles_read_back_as_written(site: Path, title: str) -> None:
    code, [path], err = outcome(outpost("new", title, "-m", "Looking.", cwd=site))
    assert (code, err) == (0, [])
    loaded, problems = load_site(site, datetime(2100, 1, 1, tzinfo=UTC))
    assert problems == []
    assert loaded is not None
    [incident] = [i for i in loaded.incidents if f"{i.slug}.md" == Path(path).name]
    assert incident.title == title


def test_new_never_overwrites_a_file(site: Path) -> None:
    first = outcome(outpost("new", "Login failures", "-m", "One.", cwd=site))
    second = outcome(outpost("new", "Login failures", "-m", "Two.", cwd=site))
    assert first[0] == second[0] == 0
    [path_one], [path_two] = first[1], second[1]
    assert path_two != path_one
    if (
        stamps((site / path_one).read_text())[0].date()
        == stamps((site / path_two).read_text())[0].date()
    ):
        assert path_two == path_one.replace(".md", "-2.md")
    assert (site / path_one).read_text().endswith("\nOne.\n")
    assert (site / path_two).read_text().endswith("\nTwo.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--impact", "huge"],
            "impact must be one of none, minor, major, critical; got 'huge'",
        ),
        (
            ["--component", "Queu"],
            "component 'Queu' is not declared in site.yaml (did you mean 'Queue'?)",
        ),
        (
            ["--status", "fixed"],
            f"unknown status 'fixed' for an incident: expected {INCIDENT_STATUSES}",
        ),
        (["-m", "  \n"], "the message is empty: nothing written"),
    ],
)
def test_new_refuses_bad_options(site: Path, args: list[str], message: str) -> None:
    result = outpost("new", "Login failures", *args, cwd=site, stdin="")
    assert outcome(result) == (2, [], [f"outpost new: error: {message}"])
    assert sorted(p.name for p in (site / "content/incidents").iterdir()) == [
        Path(OUTAGE_PATH).name
    ]


def test_new_refuses_a_message_with_an_update_heading(site: Path) -> None:
    message = "Looking.\n\n## 2099-01-01 10:00 UTC — Resolved\nFixed."
    result = outpost("new", "Login failures", "-m", message, cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost new: error: line 3 of the message is an update heading: "
            "use '###' for a heading inside an update; nothing written"
        ],
    )
    assert sorted(p.name for p in (site / "content/incidents").iterdir()) == [
        Path(OUTAGE_PATH).name
    ]


def test_new_outside_a_site(tmp_path: Path) -> None:
    result = outpost("new", "Login failures", "-m", "Looking.", cwd=tmp_path)
    assert outcome(result) == (
        1,
        [],
        [
            "site.yaml:1: error: no site.yaml here: is this an Outpost site? (--site DIR)",
            "1 error; nothing written",
        ],
    )
    assert list(tmp_path.iterdir()) == []


# --- update ----------------------------------------------------------------------------------


def test_update_appends_a_stamped_update(site: Path) -> None:
    before = clock()
    result = outpost(
        "update", "2021-03-04-login-failures", "identified", "-m", "A bad deploy.", cwd=site
    )
    after = clock()
    text = (site / OUTAGE_PATH).read_text(encoding="utf-8")
    stamp = stamps(text)[-1]
    assert before <= stamp <= after
    assert outcome(result) == (
        0,
        [f"{OUTAGE_PATH}: appended '## {fmt(stamp)} — Identified'"],
        [],
    )
    assert text == OUTAGE + f"\n## {fmt(stamp)} — Identified\n\nA bad deploy.\n"


def test_update_reads_the_message_from_standard_input(site: Path) -> None:
    result = outpost("update", "login-failures", "monitoring", cwd=site, stdin="Rolled back.\n")
    assert outcome(result)[0] == 0
    text = (site / OUTAGE_PATH).read_text(encoding="utf-8")
    assert text == OUTAGE + f"\n## {fmt(stamps(text)[-1])} — Monitoring\n\nRolled back.\n"


def test_update_keeps_crlf_line_ends_and_byte_order_mark(make_site: MakeSite) -> None:
    crlf = b"\xef\xbb\xbf" + OUTAGE.replace("\n", "\r\n").encode()
    site = make_site({OUTAGE_PATH: crlf})
    # A message typed with Windows line ends does not end up with doubled carriage returns.
    result = outpost("update", "login-failures", "update", "-m", "Line one.\r\nLine two.", cwd=site)
    assert outcome(result)[0] == 0
    data = (site / OUTAGE_PATH).read_bytes()
    stamp = stamps(data.decode("utf-8-sig").replace("\r\n", "\n"))[-1]
    assert data == crlf + (
        f"\r\n## {fmt(stamp)} — Update\r\n\r\nLine one.\r\nLine two.\r\n".encode()
    )


def test_update_message_with_windows_line_ends_in_an_lf_file(site: Path) -> None:
    assert outpost("update", "login-failures", "update", "-m", "A.\r\nB.", cwd=site).returncode == 0
    assert b"\r" not in (site / OUTAGE_PATH).read_bytes()


def test_update_after_a_future_update_is_stamped_one_second_later(make_site: MakeSite) -> None:
    future = OUTAGE + "\n## 2099-01-01 00:00 UTC — Identified\nA bad deploy.\n"
    site = make_site({OUTAGE_PATH: future})
    result = outpost("update", "login-failures", "resolved", "-m", "Fixed.", cwd=site)
    code, out, err = outcome(result)
    assert code == 0
    assert out == [f"{OUTAGE_PATH}: appended '## 2099-01-01 00:00:01 UTC — Resolved'"]
    assert [re.sub(r"\(now [^)]*\)", "(now …)", line) for line in err] == [
        f"{OUTAGE_PATH}:11: warning: update time 2099-01-01 00:00:00 UTC is in the future "
        "(now …): check the date and time zone",
        f"{OUTAGE_PATH}:14: warning: update time 2099-01-01 00:00:01 UTC is in the future "
        "(now …): check the date and time zone",
    ]
    assert (site / OUTAGE_PATH).read_text() == (
        future + "\n## 2099-01-01 00:00:01 UTC — Resolved\n\nFixed.\n"
    )


@pytest.mark.parametrize(("args", "stdin"), [(["-m", ""], None), ([], ""), ([], " \n\n")])
def test_update_refuses_an_empty_message(site: Path, args: list[str], stdin: str | None) -> None:
    result = outpost("update", "login-failures", "identified", *args, cwd=site, stdin=stdin)
    assert outcome(result) == (
        2,
        [],
        ["outpost update: error: the message is empty: nothing written"],
    )
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_update_refuses_an_unknown_status(site: Path) -> None:
    result = outpost("update", "login-failures", "resolv", "-m", "Fixed.", cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost update: error: unknown status 'resolv' for an incident: "
            f"expected {INCIDENT_STATUSES} (did you mean 'Resolved'?)"
        ],
    )
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_maintenance_has_its_own_status_words(site: Path) -> None:
    result = outpost("update", "db-upgrade", "resolved", "-m", "Done.", cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost update: error: unknown status 'resolved' for maintenance: "
            "expected Scheduled, In progress, Verifying, Completed or Update"
        ],
    )
    result = outpost("update", "db-upgrade", "in-progress", "-m", "Started.", cwd=site)
    assert outcome(result)[0] == 0
    text = (site / MAINTENANCE_PATH).read_text()
    assert text == MAINTENANCE + f"\n## {fmt(stamps(text)[-1])} — In progress\n\nStarted.\n"


def test_update_suggests_close_slugs(site: Path) -> None:
    result = outpost("update", "login-failure", "identified", "-m", "x", cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost update: error: no incident or maintenance window 'login-failure' in content/; "
            "did you mean '2021-03-04-login-failures'?"
        ],
    )
    result = outpost("update", "nothing-like-it", "identified", "-m", "x", cwd=site)
    assert outcome(result) == (
        2,
        [],
        ["outpost update: error: no incident or maintenance window 'nothing-like-it' in content/"],
    )
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_update_finds_a_file_by_its_path(site: Path) -> None:
    result = outpost("update", OUTAGE_PATH, "identified", "-m", "Found.", cwd=site)
    assert outcome(result)[0] == 0
    assert (site / OUTAGE_PATH).read_text().endswith(" — Identified\n\nFound.\n")


def test_date_prefix_may_be_left_out_only_when_unique(make_site: MakeSite) -> None:
    later = "content/incidents/2021-09-10-login-failures.md"
    site = make_site({OUTAGE_PATH: OUTAGE, later: OUTAGE.replace("2021-03-04", "2021-09-10")})
    result = outpost("update", "login-failures", "identified", "-m", "Which one?", cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost update: error: 'login-failures' is more than one file: "
            "2021-03-04-login-failures or 2021-09-10-login-failures; give the date too"
        ],
    )
    assert (
        outpost("update", "2021-09-10-login-failures", "identified", "-m", "x", cwd=site).returncode
        == 0
    )
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_update_refuses_a_message_with_a_level_two_heading(site: Path) -> None:
    message = "Rolled back.\n\n## What you should do\nNothing."
    result = outpost("update", "login-failures", "update", "-m", message, cwd=site)
    assert outcome(result) == (
        1,
        [],
        [
            f"{OUTAGE_PATH}:15: error: '## What you should do' after the first update is not "
            "an update heading (expected '## 2026-11-29 09:05 UTC — Investigating'); "
            "use '###' for a heading inside an update",
            "1 error; nothing written",
        ],
    )
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_update_refuses_a_message_with_an_update_heading(site: Path) -> None:
    message = "Rolled back.\n\n## 2099-01-01 10:00 UTC — Resolved\nFixed."
    result = outpost("update", "login-failures", "update", "-m", message, cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost update: error: line 3 of the message is an update heading: "
            "use '###' for a heading inside an update; nothing written"
        ],
    )
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_update_refuses_to_hide_the_update_in_a_code_block(make_site: MakeSite) -> None:
    broken = OUTAGE + "```\nstack trace, never closed\n"
    site = make_site({OUTAGE_PATH: broken})
    # The message's first fence would close the file's, and the new heading be code.
    message = "Fixed:\n\n```\nretry = 3\n```"
    result = outpost("update", "login-failures", "resolved", "-m", message, cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            f"outpost update: error: the new update would be hidden in a code block left open "
            f"in {OUTAGE_PATH}: close its ``` first; nothing written"
        ],
    )
    assert unchanged(site, OUTAGE_PATH, broken)


def test_update_refuses_a_broken_file(make_site: MakeSite) -> None:
    broken = OUTAGE.replace("impact: major", "impact: huge")
    site = make_site({OUTAGE_PATH: broken})
    result = outpost("update", "login-failures", "identified", "-m", "x", cwd=site)
    assert outcome(result) == (
        1,
        [],
        [
            f"{OUTAGE_PATH}:3: error: impact must be one of none, minor, major, critical; got 'huge'",
            "1 error; nothing written",
        ],
    )
    assert unchanged(site, OUTAGE_PATH, broken)


# --- resolve ---------------------------------------------------------------------------------


def test_resolve_appends_resolved(site: Path) -> None:
    result = outpost("resolve", "login-failures", "-m", "Logins work again.", cwd=site)
    text = (site / OUTAGE_PATH).read_text()
    stamp = stamps(text)[-1]
    assert outcome(result) == (0, [f"{OUTAGE_PATH}: appended '## {fmt(stamp)} — Resolved'"], [])
    assert text == OUTAGE + f"\n## {fmt(stamp)} — Resolved\n\nLogins work again.\n"


def test_resolve_completes_maintenance(site: Path) -> None:
    result = outpost("resolve", "db-upgrade", "-m", "Done.", cwd=site)
    text = (site / MAINTENANCE_PATH).read_text()
    stamp = stamps(text)[-1]
    assert outcome(result) == (
        0,
        [f"{MAINTENANCE_PATH}: appended '## {fmt(stamp)} — Completed'"],
        [],
    )


def test_resolve_unknown_slug(site: Path) -> None:
    result = outpost("resolve", "nope", "-m", "x", cwd=site)
    assert outcome(result) == (
        2,
        [],
        ["outpost resolve: error: no incident or maintenance window 'nope' in content/"],
    )


# --- check, usage, help ----------------------------------------------------------------------


def test_check_passes_a_good_site(site: Path) -> None:
    assert outcome(outpost("check", cwd=site)) == (
        0,
        ["checked site.yaml and 2 posts: no problems"],
        [],
    )


def test_check_fails_with_every_error(make_site: MakeSite) -> None:
    site = make_site(
        {
            OUTAGE_PATH: OUTAGE.replace("impact: major", "impact: huge"),
            MAINTENANCE_PATH: MAINTENANCE.replace("title:", "titel:"),
        }
    )
    assert outcome(outpost("check", cwd=site)) == (
        1,
        [],
        [
            f"{OUTAGE_PATH}:3: error: impact must be one of none, minor, major, critical; got 'huge'",
            f"{MAINTENANCE_PATH}:1: error: title is required: add 'title: ...' to the front matter",
            f"{MAINTENANCE_PATH}:2: error: unknown key 'titel' (did you mean 'title'?)",
            "checked site.yaml and 2 posts: 3 errors",
        ],
    )


def test_site_option_acts_on_another_folder(site: Path, tmp_path: Path) -> None:
    result = outpost(
        "update", "--site", site, "login-failures", "identified", "-m", "x", cwd=tmp_path
    )
    code, [line], err = outcome(result)
    assert (code, err) == (0, [])
    assert line.startswith(f"site/{OUTAGE_PATH}: appended '## ")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["bogus"], "outpost: error: argument COMMAND: invalid choice: 'bogus'"),
        (["build", "--bogus"], "outpost: error: unrecognized arguments: --bogus"),
        (
            ["update", "login-failures"],
            "outpost update: error: the following arguments are required: status",
        ),
    ],
)
def test_unknown_commands_and_options_are_usage_errors(
    site: Path, args: list[str], error: str
) -> None:
    code, out, err = outcome(outpost(*args, cwd=site))
    assert (code, out) == (2, [])
    assert err[0].startswith("usage: outpost")
    assert err[-1].startswith(error)


def test_no_command_prints_help(site: Path) -> None:
    code, out, err = outcome(outpost(cwd=site))
    assert (code, out) == (2, [])
    assert err[0].startswith("usage: outpost")


@pytest.mark.parametrize(
    "args",
    [
        ["new"],
        ["new", "T", "--impact", "x"],
        ["new", "T", "-m", ""],
        ["update"],
        ["update", "x", "y", "-m", "z"],
        ["resolve", "nope"],
        ["build", "--now", "x"],
        ["build", "--out", "."],
        ["build", "--base-url", "ftp://x"],
        ["check", "--site", "missing"],
        ["--site", "missing", "build"],
        ["serve", "--port", "x"],
        ["build", "--drafts=yes"],
    ],
)
def test_bad_input_never_shows_a_traceback(site: Path, args: list[str]) -> None:
    result = outpost(*args, cwd=site, stdin="")
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_a_file_that_is_not_utf8(make_site: MakeSite) -> None:
    site = make_site({OUTAGE_PATH: OUTAGE.encode().replace(b"We are", b"We\xff are")})
    result = outpost("update", "login-failures", "identified", "-m", "x", cwd=site)
    code, out, err = outcome(result)
    assert (code, out) == (1, [])
    assert err[0].startswith(f"{OUTAGE_PATH}:9: error: file is not UTF-8: byte 0xff")
    assert err[1:] == ["1 error; nothing written"]


@pytest.mark.parametrize("command", ["new", "update", "resolve", "check", "build", "serve"])
def test_every_command_has_help_with_an_example(site: Path, command: str) -> None:
    code, out, err = outcome(outpost(command, "--help", cwd=site))
    assert (code, err) == (0, [])
    assert out[0].startswith(f"usage: outpost {command}")
    example = out.index("example:")
    assert out[example + 1].startswith(f"  outpost {command}")


def test_build_ends_with_one_summary_line(site: Path) -> None:
    code, out, err = outcome(outpost("build", "--now", "2021-06-01 00:00", cwd=site))
    assert (code, err) == (0, [])
    assert len(out) == 1
    assert re.fullmatch(
        r"built 11 pages, 10 feeds and \d+ other files into public/ in \d+\.\d\d s", out[0]
    )


def test_a_slug_in_both_folders_must_be_named_by_its_path(make_site: MakeSite) -> None:
    window = """\
    ---
    title: Database upgrade
    start: 2021-03-06 02:00 UTC
    end: 2021-03-06 04:00 UTC
    ---
    """
    site = make_site(
        {OUTAGE_PATH: OUTAGE, "content/maintenance/2021-03-04-login-failures.md": window}
    )
    result = outpost("update", "2021-03-04-login-failures", "identified", "-m", "x", cwd=site)
    assert outcome(result) == (
        2,
        [],
        [
            "outpost update: error: '2021-03-04-login-failures' is more than one file: "
            "content/incidents/2021-03-04-login-failures.md or "
            "content/maintenance/2021-03-04-login-failures.md; give its path"
        ],
    )
    by_path = "content/maintenance/2021-03-04-login-failures.md"
    assert outpost("update", by_path, "in-progress", "-m", "Started.", cwd=site).returncode == 0
    assert (site / by_path).read_text().endswith(" — In progress\n\nStarted.\n")
    assert unchanged(site, OUTAGE_PATH, OUTAGE)


def test_now_without_a_zone_is_read_in_the_sites_timezone(make_site: MakeSite) -> None:
    window = """\
    ---
    title: Database upgrade
    start: 2026-12-06 02:00 UTC
    end: 2026-12-06 04:00 UTC
    ---
    """
    berlin = SITE_YAML.replace("timezone: UTC", "timezone: Europe/Berlin")
    site = make_site({"content/maintenance/2026-12-06-db.md": window}, site_yaml=berlin)
    # 04:30 in Berlin is 03:30 UTC: inside the window; read as UTC it would be over.
    result = outpost("build", "--now", "2026-12-06 04:30", "--out", "out", cwd=site)
    assert result.returncode == 0, result.stderr
    page = (site / "out/maintenance/2026-12-06-db/index.html").read_text()
    assert "In progress" in page
    assert "Completed" not in page
