"""Node-kill loop of cluster mode: the node-kill run of tests/test_cluster.py, N times over.

    .venv/bin/python bench/cluster_crash_loop.py --runs 20
    .venv/bin/python bench/cluster_crash_loop.py --runs 5 --articles 40 --second-run
    .venv/bin/python bench/cluster_crash_loop.py --runs 10 --victim redis  # redis-server instead

Each run (``tests.cluster_kill.kill_run``): a fresh redis-server (AOF, fsync always) and
archive; three fixture sites of ``--articles`` articles (30 ms a page) on 127.0.0.2-4; the
index writer and three ``archiver crawl --cluster URL --node nX`` subprocesses (one site each
at a time, lease TTL 1.5 s); n1 SIGKILLed once its site has served a random number of requests
plus a random 0-200 ms, then restarted under its name. Then: ``archiver check`` passes, every
listing, article and image has exactly one full ``response`` record, every article is indexed
once, the stream is applied, the frontier is empty, no host served more than 2 requests at
once (the sites' own count). Prints one line a run and the totals: runs, kills, takeovers,
requests put back, URLs refetched, duplicates, lost.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cluster_kill import kill_run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--articles", type=int, default=20, help="articles per site")
    parser.add_argument(
        "--second-run", action="store_true", help="then crawl again: no new response records"
    )
    parser.add_argument(
        "--victim",
        choices=("n1", "redis"),
        default="n1",
        help="what is SIGKILLed: node n1 (restarted) or redis-server (started again on its files)",
    )
    args = parser.parse_args()
    held = takeovers = requeued = refetched = duplicates = lost = 0
    for n in range(args.runs):
        began = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            out = kill_run(
                Path(tmp),
                args.seed * 1000 + n,
                articles=args.articles,
                second_run=args.second_run,
                victim=args.victim,
            )
        ok = not out.problems
        held += ok
        takeovers += out.takeovers
        requeued += out.requeued
        refetched += out.refetched
        duplicates += len(out.duplicates)
        lost += len(out.lost) + len(out.not_indexed)
        again = (
            f"; second run: {out.second_run_responses} new responses"
            if out.second_run_responses is not None
            else ""
        )
        print(
            f"run {n + 1:2d}: {'ok  ' if ok else 'FAIL'} {time.monotonic() - began:5.1f} s "
            f"{out.line()}{again}" + ("" if ok else f"\n         {out.problems}"),
            flush=True,
        )
    print(
        f"{held} of {args.runs} runs held; kills {args.runs}, takeovers {takeovers}, requests "
        f"put back {requeued}, URLs refetched {refetched}, duplicates {duplicates}, lost {lost}"
    )
    sys.exit(0 if held == args.runs else 1)


if __name__ == "__main__":
    main()
