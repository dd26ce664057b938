"""The build cache and the kept output trees: a warm build gives exactly the cold build's
output, whatever changed, and never serves anything stale."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import INCIDENT, MAINTENANCE, SITE_YAML, MakeSite, run_outpost

from generator import build as build_module
from generator import cache as cache_module
from generator import load as load_module
from generator.build import build_site
from generator.cache import CACHE_DIR, DATABASE, BuildCache
from generator.output import SPARE_DIR, Record, TreeWriter
from generator.outputs.markup import MarkdownRenderer
from generator.problems import OutpostError

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FIRST = "content/incidents/2026-11-29-login-failures.md"
SECOND = "content/incidents/2026-11-20-slow-search.md"
WINDOW = "content/maintenance/2026-12-06-database-upgrade.md"
APPENDED = "\n## 2026-11-29 12:00 UTC — Postmortem\nA deploy check was missing.\n"

Change = Callable[[Path], None]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cold(site: Path, tmp: Path, now: datetime = NOW, **options: object) -> dict[str, bytes]:
    """The site built from nothing: a copy without its cache, into a new folder."""
    copy = tmp / "cold-site"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(CACHE_DIR, "public"))
    build_site(copy, copy / "public", now, **options)  # type: ignore[arg-type]
    return tree(copy / "public")


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site(
        {
            FIRST: INCIDENT,
            SECOND: INCIDENT.replace("Login failures", "Slow search")
            .replace("2026-11-29", "2026-11-20")
            .replace("[API]", "[Web app]"),
            WINDOW: MAINTENANCE,
        }
    )


def append(path: str, text: str = APPENDED) -> Change:
    def change(site: Path) -> None:
        with (site / path).open("a", encoding="utf-8") as handle:
            handle.write(text)

    return change


def replace(path: str, old: str, new: str) -> Change:
    def change(site: Path) -> None:
        file = site / path
        text = file.read_text(encoding="utf-8")
        assert old in text
        file.write_text(text.replace(old, new), encoding="utf-8")

    return change


def write(path: str, text: str) -> Change:
    def change(site: Path) -> None:
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(text, encoding="utf-8")

    return change


def remove(path: str) -> Change:
    return lambda site: (site / path).unlink()


def rename_component(site: Path, old: str, new: str) -> None:
    replace("site.yaml", f"- name: {old}", f"- name: {new}")(site)
    for post in (FIRST, WINDOW):
        replace(post, f"[{old}]", f"[{new}]")(site)


CHANGES: dict[str, Change] = {
    "nothing": lambda site: None,
    "an appended update": append(FIRST),
    "an edited update": replace(FIRST, "Rolling back.", "Rolled back."),
    "a new title": replace(FIRST, "title: Login failures", "title: Sign-in failures"),
    "a removed incident": remove(SECOND),
    "a new incident": write(
        "content/incidents/2026-11-30-queue.md",
        INCIDENT.replace("2026-11-29", "2026-11-30").replace("[API]", "[Queue]"),
    ),
    "a renamed component": lambda site: rename_component(site, "API", "Public API"),
    "a new site title": replace("site.yaml", "title: Example Status", "title: Acme Status"),
    "another language": append("site.yaml", "language: de\n"),
    "another time zone": replace("site.yaml", "timezone: UTC", "timezone: Europe/Berlin"),
    "a site template": write(
        "themes/mine/templates/incident.html",
        '{% extends "base.html" %}{% block main %}<h1>{{ incident.title }}!</h1>{% endblock %}',
    ),
    "a site stylesheet": write("themes/mine/static/style.css", "body { color: red }\n"),
    "a site catalogue": write(
        "themes/mine/messages/en.yaml", 'incident:\n  postmortem: "What went wrong"\n'
    ),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_warm_build_after_a_change_is_byte_identical_to_a_cold_one(
    site: Path, tmp_path: Path, name: str
) -> None:
    (site / "site.yaml").write_text(SITE_YAML + "theme: mine\n")
    (site / "themes/mine").mkdir(parents=True)
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)  # a second tree: the next build starts from the spare
    CHANGES[name](site)
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)
    CHANGES["an edited update"](site) if name != "an edited update" else append(FIRST)(site)
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)


def test_only_what_changed_is_made_again(site: Path) -> None:
    out = site / "public"
    assert build_site(site, out, NOW).rendered == 3 + 2  # three posts, two months
    assert build_site(site, out, NOW).rendered == 0
    append(FIRST)(site)
    assert build_site(site, out, NOW).rendered == 1 + 1  # so the tests above can fail


def test_unchanged_files_are_not_written_again(site: Path) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)
    page = "incidents/2026-11-20-slow-search/index.html"
    edited = "incidents/2026-11-29-login-failures/index.html"
    before = {path: os.stat(out / path) for path in (page, edited)}
    append(FIRST)(site)
    build_site(site, out, NOW)
    after = {path: os.stat(out / path) for path in (page, edited)}
    assert after[page].st_ino == before[page].st_ino
    assert after[page].st_mtime_ns == before[page].st_mtime_ns
    assert after[edited].st_ino != before[edited].st_ino


def test_a_maintenance_page_follows_the_build_time_but_incident_pages_are_kept(
    site: Path, tmp_path: Path
) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    during = datetime(2026, 12, 6, 3, tzinfo=UTC)  # the window is in progress
    result = build_site(site, out, during)
    assert result.rendered == 1 + 1  # the window's page and its month's (which shows its state)
    assert tree(out) == cold(site, tmp_path, during)


def test_a_template_that_reads_other_posts_is_never_kept(site: Path, tmp_path: Path) -> None:
    (site / "site.yaml").write_text(SITE_YAML + "theme: mine\n")
    write(
        "themes/mine/templates/incident.html",
        '{% extends "base.html" %}{% block main %}<h1>{{ incident.title }}</h1>'
        "<p>{{ site.incidents | length }} incidents in all</p>{% endblock %}",
    )(site)
    out = site / "public"
    build_site(site, out, NOW)
    assert build_site(site, out, NOW).rendered == 2  # both incident pages, every time
    remove(SECOND)(site)
    build_site(site, out, NOW)
    assert (
        b"1 incidents in all"
        in (out / "incidents/2026-11-29-login-failures/index.html").read_bytes()
    )
    assert tree(out) == cold(site, tmp_path)


def test_files_changed_or_added_by_hand_in_the_output_do_not_survive(
    site: Path, tmp_path: Path
) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)
    page = out / "incidents/2026-11-20-slow-search/index.html"
    with page.open("ab") as handle:  # in place: the spare tree shares this file
        handle.write(b"<!-- changed by hand -->")
    (out / "incidents/2026-11-20-slow-search/extra.txt").write_text("added by hand")
    (out / "stray").mkdir()
    (out / "stray/file.txt").write_text("added by hand")
    for _ in range(2):  # the edited tree becomes the spare, then the next output
        append(FIRST, f"\n## 2026-11-29 1{_ + 2}:00 UTC — Update\nMore.\n")(site)
        build_site(site, out, NOW)
        assert tree(out) == cold(site, tmp_path)


def test_the_kept_records_of_the_trees_hold_their_folders_times_as_on_disk(
    site: Path, tmp_path: Path
) -> None:
    # The next build trusts a folder of the spare whose time is as recorded (nothing was
    # added to it by hand): the records must hold every folder, with its time on disk.
    out = site / "public"
    trees = site / CACHE_DIR / "trees"

    def records_match_the_disk() -> None:
        store = BuildCache(site / CACHE_DIR)
        try:
            for folder in (out, next(trees.glob(f"*/{SPARE_DIR}"))):
                kept = store.tree_record(str(folder.resolve()))
                record = Record.load(kept) if kept is not None else None
                assert record is not None, folder
                assert record.folders == {
                    name: os.stat(folder / name).st_mtime_ns for name in record.folders
                }, folder
                assert set(record.folders) == {
                    str(path.relative_to(folder)).removeprefix(".")
                    for path in (folder, *folder.rglob("*"))
                    if path.is_dir()
                }, folder
        finally:
            store.close()

    changes = [
        append(FIRST),  # one update: its post's folder and the top one, among others
        write("content/incidents/2026-11-30-new.md", INCIDENT),  # a new folder
        remove(SECOND),  # a folder that goes
        replace("site.yaml", "title: Example Status", "title: Acme Status"),  # every page
        append(FIRST, "\n## 2026-11-29 13:00 UTC — Update\nMore.\n"),
    ]
    build_site(site, out, NOW)
    for change in changes:
        change(site)
        build_site(site, out, NOW)
        records_match_the_disk()
    assert tree(out) == cold(site, tmp_path)


def test_a_file_edited_by_hand_is_not_linked_from_the_output_into_the_next(
    site: Path, tmp_path: Path
) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    append(FIRST)(site)
    build_site(site, out, NOW)  # the spare holds the page as it was: the next links this one
    page = out / "incidents/2026-11-29-login-failures/index.html"
    data = page.read_bytes()
    page.unlink()
    page.write_bytes(data.replace(b"</body>", b"<!-- changed by hand --></body>"))
    feed = out / "incidents/2026-11-29-login-failures/feed.atom"
    feed.unlink()
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)


@pytest.mark.parametrize("interruption", [OSError, KeyboardInterrupt])
def test_an_interrupted_warm_build_leaves_the_output_and_the_next_build_is_right(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: type[BaseException]
) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)
    before = tree(out)
    append(FIRST)(site)
    put = TreeWriter.put

    def fail(self: TreeWriter, path: str, data: bytes, digest: str) -> None:
        if path.startswith("incidents/2026-11-29"):
            raise interruption()
        put(self, path, data, digest)

    monkeypatch.setattr(TreeWriter, "put", fail)
    with pytest.raises(interruption):
        build_site(site, out, NOW)
    monkeypatch.undo()
    assert tree(out) == before
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)


def test_another_version_of_outpost_starts_afresh(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    monkeypatch.setattr(cache_module, "code_identity", lambda: "another version")
    monkeypatch.setattr(build_module, "code_identity", lambda: "another version")
    assert build_site(site, out, NOW).rendered == 3 + 2


def test_the_code_identity_covers_every_module() -> None:
    package = Path(cache_module.__file__).parent
    assert len(list(package.rglob("*.py"))) > 40
    assert cache_module.code_identity() == cache_module.code_identity()


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100])
def test_a_damaged_cache_is_ignored(site: Path, tmp_path: Path, damage: bytes) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    (site / CACHE_DIR / DATABASE).write_bytes(damage)
    append(FIRST)(site)
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)


def test_compiled_templates_follow_their_sources_and_survive_damage(
    site: Path, tmp_path: Path
) -> None:
    (site / "site.yaml").write_text(SITE_YAML + "theme: mine\n")
    template = site / "themes/mine/templates/incident.html"
    template.parent.mkdir(parents=True)
    page = "incidents/2026-11-29-login-failures/index.html"
    body = (
        '{% extends "base.html" %}{% block main %}<h1>{{ incident.title }}WORD</h1>{% endblock %}'
    )
    out = site / "public"
    for word in ("one", "two"):  # the same size, as an edit in place often is
        template.write_text(body.replace("WORD", word))
        build_site(site, out, NOW)
        assert f"Login failures{word}</h1>".encode() in (out / page).read_bytes()
    compiled = list((site / CACHE_DIR / build_module.TEMPLATES).rglob("*.cache"))
    assert compiled
    for number, file in enumerate(compiled):
        file.write_bytes(b"" if number % 2 else b"damaged" * 50)
    append(FIRST)(site)
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)


def test_a_deleted_cache_or_spare_costs_only_time(site: Path, tmp_path: Path) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)
    shutil.rmtree(site / CACHE_DIR)
    append(FIRST)(site)
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)
    for spare in (site / CACHE_DIR / "trees").glob("*/spare"):
        shutil.rmtree(spare)
    append(FIRST, "\n## 2026-11-29 13:00 UTC — Update\nMore.\n")(site)
    build_site(site, out, NOW)
    assert tree(out) == cold(site, tmp_path)


def test_a_future_update_warns_whatever_the_cache_holds(site: Path) -> None:
    def warned(now: datetime) -> list[int]:
        return [w.line for w in build_site(site, None, now).warnings if w.path == FIRST]

    late = datetime(2026, 11, 30, tzinfo=UTC)
    early = datetime(2026, 11, 29, 10, tzinfo=UTC)  # before two of the updates
    assert warned(late) == []
    assert warned(early) == [11, 14]
    assert warned(late) == []
    assert warned(early) == [11, 14]


def test_workers_make_what_one_process_makes(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in range(1, 12):
        write(
            f"content/incidents/2026-10-{day:02d}-outage.md",
            INCIDENT.replace("2026-11-29", f"2026-10-{day:02d}"),
        )(site)
    monkeypatch.setattr(build_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(build_module, "BATCH", 3)
    out = site / "public"
    result = build_site(site, out, NOW)
    assert result.rendered == 14 + 3
    monkeypatch.undo()
    assert tree(out) == cold(site, tmp_path)  # in one process


def many_posts(site: Path) -> None:
    for day in range(1, 12):
        write(
            f"content/incidents/2026-10-{day:02d}-outage.md",
            INCIDENT.replace("2026-11-29", f"2026-10-{day:02d}"),
        )(site)


LISTING = (
    '{% extends "base.html" %}{% block main %}<h1>{{ incident.title }}</h1>'
    "{% for other in site.incidents %}<p>{{ other.title }}</p>{% endfor %}{% endblock %}"
)


@pytest.mark.parametrize(
    "case",
    [
        "a new tree",
        "a recycled spare",
        "a spare but no output",
        "in memory",
        "a theme listing posts",
        "drafts",
    ],
)
def test_early_workers_make_what_one_process_makes(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    # Workers forked before the site is loaded parse and render with the config alone.
    many_posts(site)
    options: dict[str, object] = {}
    out = site / "public"
    if case in ("a recycled spare", "a spare but no output"):  # every post read anew
        build_site(site, out, NOW)
        build_site(site, out, NOW)
        replace("site.yaml", "title: Example Status", "title: Acme Status")(site)
    if case == "a spare but no output":  # the next spare is linked while the pages are made
        shutil.rmtree(out)
    if case == "a theme listing posts":
        (site / "site.yaml").write_text(SITE_YAML + "theme: mine\n")
        write("themes/mine/templates/incident.html", LISTING)(site)
    if case == "drafts":
        replace(SECOND, "title:", "draft: true\ntitle:")(site)
        options = {"drafts": True}
    monkeypatch.setattr(build_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(build_module, "BATCH", 3)
    if case == "in memory":
        made = build_site(site, None, NOW).files
    else:
        build_site(site, out, NOW, **options)  # type: ignore[arg-type]
        made = tree(out)
    monkeypatch.undo()
    assert made == cold(site, tmp_path, **options)  # in one process
    if case == "a theme listing posts":
        assert b"<p>Slow search</p>" in made["incidents/2026-10-03-outage/index.html"]
    assert not list(site.glob(".outpost-new-*"))
    if case != "in memory":  # the spare this one left is the next build's start
        spare = next((site / CACHE_DIR / "trees").glob("*/spare"))
        if case != "a recycled spare":  # no output before: the spare is linked from this one
            assert tree(spare) == made
        assert not list((site / CACHE_DIR / "trees").glob("*/spare-next"))
        append(FIRST)(site)
        build_site(site, out, NOW, **options)  # type: ignore[arg-type]
        assert tree(out) == cold(site, tmp_path, **options)


def test_loading_pauses_the_collector_and_workers_collect_as_usual(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading keeps every post it reads: the parent does not collect meanwhile, but the
    # workers it forks (which make and drop pages by the thousand) do.
    seen = tmp_path / "seen"

    def spied(parse: Callable[..., Any]) -> Callable[..., Any]:
        def parse_file(*args: Any, **kwargs: Any) -> Any:
            with seen.open("a") as handle:
                handle.write(f"{os.getpid()} {gc.isenabled()}\n")
            return parse(*args, **kwargs)

        return parse_file

    monkeypatch.setattr(load_module, "parse_file", spied(load_module.parse_file))
    monkeypatch.setattr(build_module, "parse_file", spied(build_module.parse_file))
    assert gc.isenabled()
    build_site(site, None, NOW)  # three posts: read here
    assert gc.isenabled()
    assert set(seen.read_text().splitlines()) == {f"{os.getpid()} False"}
    seen.unlink()
    many_posts(site)
    monkeypatch.setattr(build_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(build_module, "BATCH", 3)
    build_site(site, site / "public", NOW + timedelta(seconds=1))  # read again, by workers
    assert gc.isenabled()
    read = [line.split() for line in seen.read_text().splitlines()]
    assert len(read) >= 11 and all(pid != str(os.getpid()) for pid, _ in read)  # 11 new
    assert {enabled for _, enabled in read} == {"True"}


def test_early_workers_meeting_an_error_leave_the_output_as_it_was(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_posts(site)
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)
    before = tree(out)
    replace("site.yaml", "title: Example Status", "title: Acme Status")(site)
    replace("content/incidents/2026-10-05-outage.md", "## 2026-10-05 09:05", "## 2026-13-05 09:05")(
        site
    )
    monkeypatch.setattr(build_module, "PARALLEL_FROM", 2)
    monkeypatch.setattr(build_module, "BATCH", 3)
    with pytest.raises(OutpostError) as raised:
        build_site(site, out, NOW)
    errors = [p.path for p in raised.value.problems if p.is_error]
    assert errors == ["content/incidents/2026-10-05-outage.md"]
    assert tree(out) == before
    assert not list(site.glob(".outpost-new-*"))


def test_check_reads_through_the_cache_and_leaves_the_build_warm(site: Path) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    assert run_outpost("check", cwd=site).returncode == 0
    assert run_outpost("check", cwd=site).returncode == 0
    assert build_site(site, out, NOW).rendered == 0  # check pruned nothing of the build's
    replace(FIRST, "## 2026-11-29 10:40 UTC — Identified", "## 2026-11-29 10:40 UTC — Found")(site)
    result = run_outpost("check", cwd=site)
    assert result.returncode == 1
    assert f"{FIRST}:11: error: unknown status 'Found'" in result.stderr


def test_a_post_file_that_stat_says_is_unchanged_is_not_read_again(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load_module, "_settled", lambda stat: True)  # as if written long ago
    build_site(site, None, NOW)
    read: list[str] = []

    def counted(path: str, *args: Any, **kwargs: Any) -> Any:
        read.append(os.path.basename(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(load_module, "open", counted, raising=False)  # before the built-in
    build_site(site, None, NOW)
    # Only the window, whose updates are still to come: a post warned about is never kept.
    assert [name for name in read if name.endswith(".md")] == ["2026-12-06-database-upgrade.md"]
    # Same size, same modification time: the change time still tells.
    file = site / FIRST
    before = os.stat(file)
    file.write_text(file.read_text().replace("Rolling back.", "Rolling BACK."))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(file).st_size == before.st_size
    page = build_site(site, None, NOW).files["incidents/2026-11-29-login-failures/index.html"]
    assert b"Rolling BACK." in page


def test_a_post_file_written_just_now_is_read_again(site: Path) -> None:
    build_site(site, None, NOW)  # every file is new: none is trusted by its stat alone
    file = site / FIRST
    before = os.stat(file)
    file.write_text(file.read_text().replace("Rolling back.", "Rolling BACK."))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    page = build_site(site, None, NOW).files["incidents/2026-11-29-login-failures/index.html"]
    assert b"Rolling BACK." in page


def test_a_new_theme_renders_pages_again_but_not_their_markdown(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = site / "public"
    build_site(site, out, NOW)
    build_site(site, out, NOW)  # makes nothing, and must not forget the renderings
    converted: list[str] = []
    convert = MarkdownRenderer.convert

    def counted(self: MarkdownRenderer, text: str, lowest: int, shift: int) -> str:
        converted.append(text)
        return convert(self, text, lowest, shift)

    monkeypatch.setattr(MarkdownRenderer, "convert", counted)
    (site / "site.yaml").write_text(SITE_YAML + "theme: mine\n")
    write("themes/mine/static/style.css", "body { color: red }\n")(site)
    assert build_site(site, out, NOW).rendered == 3 + 2
    assert converted == []
    append(FIRST)(site)
    build_site(site, out, NOW)
    assert converted == ["A deploy check was missing."]
