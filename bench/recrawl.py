"""Recrawl benchmark: what an hourly run costs when nothing changed.

    .venv/bin/python bench/recrawl.py --articles 500

Crawls a 500-article agency site (tests/fault_site.py: 20 articles a listing page, an image
each, ETag/Last-Modified on every page) into a fresh archive, then crawls it again unchanged,
and prints for both runs: wall seconds, body bytes downloaded, WARC bytes written, and for the
rerun the ratios against the first run and against the listing pages' own size.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.demo.server import SiteServer  # noqa: E402
from bench.loopback import ENV, crawl_command  # noqa: E402
from tests.fault_site import FaultSite  # noqa: E402


def crawl(archive: Path, url: str, *extra: str) -> tuple[float, dict]:
    start = time.perf_counter()
    result = subprocess.run(
        crawl_command(url, archive, 16, "-q", *extra),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        timeout=3600,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"crawl failed: {result.stdout}{result.stderr}")
    conn = sqlite3.connect(archive / "index.db")
    report = json.loads(conn.execute("SELECT report FROM crawls ORDER BY id DESC").fetchone()[0])
    conn.close()
    return wall, report


def warc_bytes(archive: Path) -> int:
    return sum(p.stat().st_size for p in (archive / "warc").glob("*.warc.gz"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    args = parser.parse_args()
    site = FaultSite(articles=args.articles, per_page=20, faults=False)
    pages = (args.articles + 19) // 20
    listing_bytes = sum(len(site.listing_html(p)) for p in range(pages))
    with tempfile.TemporaryDirectory() as tmp, SiteServer(site.routes()) as server:
        archive = Path(tmp) / "archive"
        url = server.base_url + "/news/"
        wall1, first = crawl(archive, url)
        warc1 = warc_bytes(archive)
        wall2, second = crawl(archive, url)
        warc2 = warc_bytes(archive)
    print(
        f"site: {args.articles} articles, {pages} listing pages of {listing_bytes:,} bytes in all"
    )
    print(
        f"first crawl   {wall1:6.1f} s  {first['downloaded']:>12,} bytes downloaded  "
        f"{warc1:>12,} bytes of WARC  ({first['articles_new']} new articles)"
    )
    print(
        f"recrawl       {wall2:6.1f} s  {second['downloaded']:>12,} bytes downloaded  "
        f"{warc2 - warc1:>12,} bytes of WARC added  ({second['revisits']} revisits, "
        f"{second['responses']} responses)"
    )
    print(
        f"recrawl / first: time {wall2 / wall1:.1%}, downloaded "
        f"{second['downloaded'] / first['downloaded']:.3%}, WARC growth "
        f"{(warc2 - warc1) / warc1:.3%}; downloaded / all listing pages "
        f"{second['downloaded'] / listing_bytes:.1%}"
    )


if __name__ == "__main__":
    main()
