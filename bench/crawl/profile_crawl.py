"""Where ``archiver crawl`` spends its time on the benchmark site: one crawl under py-spy.

    .venv/bin/python bench/crawl/profile_crawl.py --articles 5000
    .venv/bin/python bench/crawl/profile_crawl.py --summarise /tmp/bench-crawl-site/profile.raw

Samples the crawl and its subprocesses (the page workers of ``archiver.jobs.workers``) with
``py-spy record --format raw --subprocesses --nonblocking`` (install py-spy into the venv from
PyPI), writes the collapsed stacks to ``<out>/profile.raw`` (feed them to flamegraph.pl for an SVG)
and prints a Markdown summary: samples by area (each sample goes to the first area found walking
from the innermost frame outwards), by process (the crawl process, the page workers) and by
area within each, and the functions with the most inclusive samples.
py-spy samples only threads that are running, so samples are CPU time, not waiting.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from gensite import describe, generate  # noqa: E402
from nginx import Nginx  # noqa: E402
from run import archiver_command  # noqa: E402

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>.*):(?P<line>\d+)\)$")
#: (area, substrings of a frame's file), checked innermost frame first.
AREAS = [
    (
        "index: FTS words + SQLite (archiver/index/, search.py, sqlite3)",
        ("sqlite3/", "sqlite_utils", "archiver/index/", "archiver/search/"),
    ),
    (
        "Thai segmentation (archiver/thai/, nlpo3, pythainlp)",
        ("archiver/thai/", "nlpo3", "pythainlp"),
    ),
    (
        "extraction (trafilatura, justext, archiver/extract/)",
        (
            "trafilatura",
            "justext",
            "htmldate",
            "courlan",
            "archiver/extract/",
            "archiver/extract/rules.py",
        ),
    ),
    (
        "WARC: gzip + serialisation (archiver/warc/, capture.py, warcio)",
        (
            "archiver/warc/",
            "archiver/crawl/recorder.py",
            "archiver/index/capture_log.py",
            "warcio",
            "/gzip.py",
        ),
    ),
    (
        "spider: listing / article parsing (spiders/, parsel)",
        ("spiders/", "parsel", "archiver/extract/nodes.py"),
    ),
    (
        "Scrapy + Twisted internals (engine, downloader, middlewares, HTTP)",
        ("scrapy", "twisted", "w3lib", "zope"),
    ),
    ("other archiver code", ("archiver/",)),
]
START_UP = "interpreter start-up and imports"


def parse(raw: Path) -> list[tuple[str, list[tuple[str, str]], int]]:
    """``(process, [(function, file), ...] outermost first, samples)`` for each collapsed stack."""
    stacks = []
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        parts = stack.split(";")
        # py-spy names the whole chain of processes: the innermost one is the sampled one
        owners = [p for p in parts if p.startswith("process ")]
        process = owners[-1] if owners else ""
        frames = []
        for part in parts:
            match = FRAME.match(part)
            if match:
                frames.append((match["func"], match["file"]))
        stacks.append((process, frames, int(count)))
    return stacks


def area_of(frames: list[tuple[str, str]]) -> str:
    if any("<frozen importlib" in file for _, file in frames):
        return START_UP
    for _, file in reversed(frames):
        for area, needles in AREAS:
            if any(needle in file for needle in needles):
                return area
    return "other (Python standard library, interpreter)"


def short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def summarise(raw: Path, wall: float | None = None, top: int = 25) -> str:
    stacks = parse(raw)
    total = sum(count for _, _, count in stacks) or 1
    areas: collections.Counter[str] = collections.Counter()
    processes: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    own_by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for process, frames, count in stacks:
        area = area_of(frames)
        areas[area] += count
        kind = "crawl process"
        if "multiprocessing" in process:  # a pool process: the index writer or a page worker
            writer = any("archiver/crawl/pipelines.py" in file for _, file in frames)
            kind = "index writer" if writer else "page workers"
        processes[kind] += count
        by_kind[kind][area] += count
        seen = set()
        for func, file in frames:
            name = f"{func} ({short(file)})"
            if name not in seen:
                seen.add(name)
                inclusive[name] += count
        if frames:
            func, file = frames[-1]
            own[f"{func} ({short(file)})"] += count
            own_by_kind[kind][f"{func} ({short(file)})"] += count
    lines = [f"{total:,} samples" + (f" over {wall:.1f} s of wall time" if wall else "") + ".", ""]
    lines += ["| area (innermost match) | share of samples |", "|---|---|"]
    lines += [f"| {area} | {100 * count / total:.1f}% |" for area, count in areas.most_common()]
    lines += ["", "| process | share of samples |", "|---|---|"]
    lines += [f"| {name} | {100 * count / total:.1f}% |" for name, count in processes.most_common()]
    for kind, kind_areas in sorted(by_kind.items()):
        n = sum(kind_areas.values()) or 1
        lines += ["", f"| {kind}: area | share of its samples |", "|---|---|"]
        lines += [f"| {a} | {100 * c / n:.1f}% |" for a, c in kind_areas.most_common()]
        lines += ["", f"| {kind}: function (self) | share of its samples |", "|---|---|"]
        lines += [f"| `{f}` | {100 * c / n:.1f}% |" for f, c in own_by_kind[kind].most_common(12)]
    lines += ["", "| function (inclusive) | share |", "|---|---|"]
    lines += [f"| `{name}` | {100 * c / total:.1f}% |" for name, c in inclusive.most_common(top)]
    lines += ["", "| function (self, innermost Python frame) | share |", "|---|---|"]
    lines += [f"| `{name}` | {100 * c / total:.1f}% |" for name, c in own.most_common(15)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-crawl-site"))
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--rate", type=int, default=100, help="samples a second")
    parser.add_argument("--summarise", type=Path, help="summarise this raw file, crawl nothing")
    args = parser.parse_args()
    if args.summarise:
        print(summarise(args.summarise))
        return
    py_spy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    manifest = generate(args.out, args.articles, args.seed)
    print(describe(manifest), file=sys.stderr)
    raw = args.out / "profile.raw"
    with tempfile.TemporaryDirectory(prefix="bench-crawl-profile-") as tmp:
        with Nginx(args.out, args.out / "site") as server:
            url = server.base_url + manifest["listing"]
            command = [
                py_spy,
                "record",
                "--format",
                "raw",
                "--subprocesses",
                "--nonblocking",
                "--rate",
                str(args.rate),
                "--output",
                str(raw),
                "--",
                *archiver_command(url, Path(tmp) / "archive"),
            ]
            started = time.perf_counter()
            subprocess.run(
                command, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
            )
            wall = time.perf_counter() - started
    print(f"raw stacks: {raw}\n")
    print(summarise(raw, wall))


if __name__ == "__main__":
    main()
