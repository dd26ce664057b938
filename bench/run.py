"""Build one corpus with Outpost, Pelican and Hugo, cold and after one appended update.

    pip install -e '.[bench]'
    python bench/run.py --incidents 1000 --updates 8 --runs 5

Runs are paired: each round builds with every tool in turn, so the noise of a shared
machine hits them alike; the figures are medians over the rounds, and ratios of medians.
Peak memory is the largest resident set of the build's process tree. Nothing here asserts
a time: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus

NOW = "2026-12-01 00:00 UTC"
APPENDED = "\n## 2026-12-01 00:00 UTC — Update\nOne more update, appended for the benchmark.\n"


@dataclass
class Measure:
    """Wall seconds and peak memory (MiB) of each run."""

    seconds: list[float] = field(default_factory=list)
    mib: list[float] = field(default_factory=list)

    def add(self, seconds: float, mib: float) -> None:
        self.seconds.append(seconds)
        self.mib.append(mib)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run COMMAND; its wall time and the peak resident memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed:\n{error}")
    return seconds, usage.ru_maxrss / 1024


# --- the same corpus for each tool ---


def pelican_site(source: Path, target: Path) -> Path:
    """SOURCE's incidents as Pelican articles (same Markdown, Pelican's metadata)."""
    content = target / "content"
    content.mkdir(parents=True)
    for path in sorted((source / "content/incidents").glob("*.md")):
        front, body = split(path.read_text())
        title = re.search(r"^title: (.*)$", front, re.M)
        date = path.stem[:10]
        text = (
            f"Title: {title[1] if title else path.stem}\nDate: {date}\nSlug: {path.stem}\n\n{body}"
        )
        (content / path.name).write_text(text)
    (target / "pelicanconf.py").write_text(
        'SITENAME = "Bench"\nSITEURL = ""\nPATH = "content"\nTIMEZONE = "UTC"\n'
        "CACHE_CONTENT = True\nLOAD_CONTENT_CACHE = True\nCACHE_PATH = '.cache'\n"
        "FEED_ALL_ATOM = 'feeds/all.atom.xml'\nDEFAULT_PAGINATION = 10\n"
    )
    return target


def hugo_site(source: Path, target: Path) -> Path:
    """SOURCE's incidents as Hugo pages (same Markdown, YAML front matter)."""
    content = target / "content/posts"
    content.mkdir(parents=True)
    for path in sorted((source / "content/incidents").glob("*.md")):
        front, body = split(path.read_text())
        title = re.search(r"^title: (.*)$", front, re.M)
        text = (
            f'---\ntitle: "{title[1] if title else path.stem}"\ndate: {path.stem[:10]}\n---\n{body}'
        )
        (content / path.name).write_text(text)
    (target / "hugo.toml").write_text('baseURL = "https://bench.example/"\ntitle = "Bench"\n')
    layouts = target / "layouts/_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text("<h1>{{ .Title }}</h1>{{ .Content }}\n")
    (layouts / "list.html").write_text(
        "{{ range .Pages }}<a href='{{ .RelPermalink }}'>{{ .Title }}</a>{{ end }}\n"
    )
    return target


def split(text: str) -> tuple[str, str]:
    _, front, body = text.split("---\n", 2)
    return front, body


# --- the tools ---


@dataclass
class Tool:
    name: str
    site: Path
    build: list[str]
    edited: Path  # the file that gets one more update
    clean: Callable[[], None]


def tools(root: Path, incidents: int, updates: int) -> list[Tool]:
    outpost_dir = write_corpus(root / "outpost", incidents, updates)
    first = sorted((outpost_dir / "content/incidents").glob("*.md"))[incidents // 2]
    found = [
        Tool(
            "Outpost",
            outpost_dir,
            [sys.executable, "-m", "generator", "build", "--now", NOW, "--out", "out"],
            first,
            lambda: shutil.rmtree(outpost_dir / ".outpost-cache", ignore_errors=True),
        )
    ]
    if shutil.which("pelican"):
        pelican_dir = pelican_site(outpost_dir, root / "pelican")
        found.append(
            Tool(
                "Pelican",
                pelican_dir,
                ["pelican", "content", "-o", "out", "-s", "pelicanconf.py", "-q"],
                pelican_dir / "content" / first.name,
                lambda: shutil.rmtree(pelican_dir / ".cache", ignore_errors=True),
            )
        )
    if shutil.which("hugo"):
        hugo_dir = hugo_site(outpost_dir, root / "hugo")
        found.append(
            Tool(
                "Hugo",
                hugo_dir,
                ["hugo", "--quiet", "-d", "out"],
                hugo_dir / "content/posts" / first.name,
                lambda: shutil.rmtree(hugo_dir / "out", ignore_errors=True),
            )
        )
    return found


def serve_latency(site: Path, edited: Path, runs: int) -> list[float]:
    """Seconds from saving an incident file to `outpost serve` serving the rebuilt site."""
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--port", "0", "--now", NOW],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        wait_for_line(process.stdout, "Serving ")
        found = []
        for index in range(runs):
            saved = time.perf_counter()
            with edited.open("a") as handle:
                handle.write(f"\nServe benchmark edit {index}.\n")
            wait_for_line(process.stdout, "rebuilt in ")
            found.append(time.perf_counter() - saved)
        return found
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_line(stream: object, start: str, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], deadline - time.monotonic())
        if ready:
            line = stream.readline()  # type: ignore[attr-defined]
            if line.startswith(start):
                return str(line)
    raise SystemExit(f"no line starting with {start!r} in {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="outpost-bench-") as folder:
        root = Path(folder)
        found = tools(root, args.incidents, args.updates)
        cold = {t.name: Measure() for t in found}
        edit = {t.name: Measure() for t in found}
        originals = {t.name: t.edited.read_text() for t in found}
        for round_number in range(args.runs):
            order = found[round_number % len(found) :] + found[: round_number % len(found)]
            for tool in order:
                tool.clean()
                tool.edited.write_text(originals[tool.name])
                cold[tool.name].add(*run(tool.build, tool.site))
                tool.edited.write_text(originals[tool.name] + APPENDED)
                edit[tool.name].add(*run(tool.build, tool.site))
        outpost = found[0]
        check = Measure()
        for _ in range(args.runs):
            check.add(*run([sys.executable, "-m", "generator", "check"], outpost.site))
        latency = serve_latency(outpost.site, outpost.edited, args.runs)
        report(args, found, cold, edit, check, latency)


def report(
    args: argparse.Namespace,
    found: list[Tool],
    cold: dict[str, Measure],
    edit: dict[str, Measure],
    check: Measure,
    latency: list[float],
) -> None:
    print(f"{args.incidents} incidents x {args.updates} updates, {args.runs} paired runs, medians")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'tool':10} {'cold s':>8} {'cold MiB':>9} {'one edit s':>11}")
    for tool in found:
        c, e = cold[tool.name], edit[tool.name]
        print(f"{tool.name:10} {c.median:8.2f} {max(c.mib):9.0f} {e.median:11.2f}")
    base = cold["Outpost"].median
    for name in ("Pelican", "Hugo"):
        if name in cold:
            print(f"Outpost cold / {name} cold: {base / cold[name].median:.2f}")
            print(
                f"Outpost one edit / {name} cold: {edit['Outpost'].median / cold[name].median:.2f}"
            )
    print(f"outpost check: {check.median:.2f} s")
    print(f"outpost serve, save to served: {statistics.median(latency) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
