"""Kill -9 loop: a crawl killed at a random moment, then resumed, N times over.

    .venv/bin/python bench/crash_loop.py --runs 20
    .venv/bin/python bench/crash_loop.py --runs 20 --sites 10   # ten sites in one run

With ``--sites K`` every run crawls K such sites in one ``archiver crawl`` (one ``--url`` each,
each site its own loopback host 127.11.0.x) and every check below covers all of them.

Each run: a fresh archive; `archiver crawl` of a 60-article site (tests/fault_site.py, 30 ms
per article page) as a real subprocess, SIGKILLed after a random 0.3-4.0 s (from start-up to
near the end); `archiver check` must find no damage in what it left (articles fetched but not
yet indexed are allowed: the next run indexes them); a second crawl must complete the
archive; then every article must be indexed, `check` must pass, and no article may be stored
twice (one full response each, the rest revisits). Prints one line a run and the count of runs
that held.
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.demo.server import SiteServer  # noqa: E402
from bench.loopback import cli, crawl_args, kill_after  # noqa: E402
from tests.fault_site import FaultSite  # noqa: E402

#: What `check` may say after a kill: articles fetched but not indexed yet (the next run
#: indexes them), or no WARC file at all (killed before the first fetch); never damage.
UNFINISHED = re.compile(
    r"index: no row for the article |index: \d+ more article records not in the index "
    r"|archiver: no WARC files"
)


def after_kill_ok(check: subprocess.CompletedProcess[str]) -> bool:
    lines = [line for line in check.stderr.splitlines() if line.strip()]
    return all(UNFINISHED.match(line) for line in lines)


def one_run(seed: int, sites: int = 1) -> tuple[bool, str]:
    faults = [
        FaultSite(articles=60, per_page=10, faults=False, article_delay=0.03) for _ in range(sites)
    ]
    kill_at = random.Random(seed).uniform(0.3, 4.0)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        servers = [
            stack.enter_context(SiteServer(site.routes(), host=f"127.11.0.{1 + n}"))
            for n, site in enumerate(faults)
        ]
        archive = Path(tmp) / "archive"
        command = crawl_args(servers[0].base_url + "/news/", archive, 2)
        for server in servers[1:]:
            command += ["--url", server.base_url + "/news/"]
        kill_after(command, kill_at)
        indexed_at_kill = _count(archive)
        check = cli("check", "--archive", str(archive))
        if not after_kill_ok(check):
            return False, f"check after kill at {kill_at:.2f} s: {check.stderr.strip()}"
        if (resume := cli(*command)).returncode:
            return False, f"resume failed: {resume.stdout.strip()}"
        if (check := cli("check", "--archive", str(archive))).returncode != 0:
            return False, f"check after resume: {check.stderr.strip()}"
        expected = {
            f"{server.base_url}/news/{n}.html"
            for server, site in zip(servers, faults, strict=True)
            for n in range(site.count)
        }
        urls = _urls(archive)
        responses = _responses(archive)
        twice = [u for u in expected if responses.count(u) != 1]
        if urls != expected or twice:
            return False, f"missing {len(expected - urls)}, stored twice {len(twice)}"
        return True, (
            f"killed at {kill_at:.2f} s with {indexed_at_kill} indexed; resumed to {len(expected)}"
        )


def _count(archive: Path) -> int:
    """Articles indexed when the crawl was killed (0 if it died before creating the index)."""
    try:
        return len(_urls(archive)) if (archive / "index.db").exists() else 0
    except sqlite3.OperationalError:
        return 0


def _urls(archive: Path) -> set[str]:
    conn = sqlite3.connect(archive / "index.db")
    try:
        return {u for (u,) in conn.execute("SELECT url FROM articles")}
    finally:
        conn.close()


def _responses(archive: Path) -> list[str]:
    out = []
    for path in (archive / "warc").glob("*.warc.gz"):
        with open(path, "rb") as stream:
            out += [
                r.rec_headers.get_header("WARC-Target-URI")
                for r in ArchiveIterator(stream)
                if r.rec_type == "response"
            ]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sites", type=int, default=1, help="sites in each run (max 250)")
    args = parser.parse_args()
    held = 0
    for n in range(args.runs):
        ok, what = one_run(args.seed * 1000 + n, args.sites)
        held += ok
        print(f"run {n + 1:2d}: {'ok  ' if ok else 'FAIL'} {what}", flush=True)
    print(f"{held} of {args.runs} runs held")
    sys.exit(0 if held == args.runs else 1)


if __name__ == "__main__":
    main()
