"""Kill -9 during `archiver reindex` at random moments, N times over.

    .venv/bin/python bench/reindex_kill_loop.py --runs 20

One archive is made by a real crawl of a loopback site (tests/fault_site.py, 150 articles); the
uninterrupted reindex of it is timed. Each run: a copy of the archive, `archiver reindex` as a
real subprocess SIGKILLed after a random moment within that time (from start-up to the swap);
then `export` must give every article (the old index, or the complete new one: never a half),
`search` must answer, and a second `reindex` must complete with the same articles. Prints one
line a run and the count of runs that held.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.demo.server import SiteServer  # noqa: E402
from bench.loopback import cli, crawl_args, kill_after  # noqa: E402
from tests.fault_site import FaultSite  # noqa: E402


def exported(archive: Path) -> list[str] | None:
    result = cli("export", "--archive", str(archive))
    if result.returncode != 0:
        return None
    return sorted(json.loads(line)["url"] for line in result.stdout.splitlines() if line)


def one_run(source: Path, work: Path, expected: list[str], seconds: float, seed: int) -> str:
    archive = work / f"run-{seed}"
    shutil.copytree(source, archive)
    kill_at = random.Random(seed).uniform(0.05, seconds)
    kill_after(["reindex", "--archive", str(archive)], kill_at)
    try:
        if (got := exported(archive)) != expected:
            return f"FAIL killed at {kill_at:.2f} s: export gave {len(got or [])} articles"
        if cli("search", "ข่าว", "--archive", str(archive)).returncode != 0:
            return f"FAIL killed at {kill_at:.2f} s: search failed"
        if (again := cli("reindex", "--archive", str(archive))).returncode != 0:
            return f"FAIL killed at {kill_at:.2f} s: reindex after it: {again.stderr.strip()}"
        if exported(archive) != expected:
            return f"FAIL killed at {kill_at:.2f} s: the second reindex lost articles"
        return f"ok   killed at {kill_at:.2f} s; {len(expected)} articles before and after"
    finally:
        shutil.rmtree(archive)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    site = FaultSite(articles=args.articles, per_page=20, faults=False)
    with tempfile.TemporaryDirectory() as tmp, SiteServer(site.routes()) as server:
        source = Path(tmp) / "archive"
        crawl = cli(*crawl_args(server.base_url + "/news/", source, 8))
        if crawl.returncode != 0:
            sys.exit(f"the crawl failed: {crawl.stdout}{crawl.stderr}")
        expected = exported(source) or []
        started = time.perf_counter()
        if cli("reindex", "--archive", str(source)).returncode != 0:
            sys.exit("the uninterrupted reindex failed")
        seconds = time.perf_counter() - started
        print(f"{len(expected)} articles; an uninterrupted reindex takes {seconds:.1f} s")
        held = 0
        for n in range(args.runs):
            line = one_run(source, Path(tmp), expected, seconds, args.seed * 1000 + n)
            held += line.startswith("ok")
            print(f"run {n + 1:2d}: {line}", flush=True)
    print(f"{held} of {args.runs} runs held")
    sys.exit(0 if held == args.runs else 1)


if __name__ == "__main__":
    main()
