"""Many agencies in one run: the same N real articles as 1 site and as 10, 100 and 300 sites.

    .venv/bin/python bench/many_sites.py                       # 800 articles; 1/10/100/300 sites
    .venv/bin/python bench/many_sites.py --sites 1,100 --no-images-only

The articles are the first N items of the thaigov corpus (``../shared/corpus``, real Thai
government news) in the demo's Joomla chrome, spread round-robin over K sites. Each site is its
own loopback host (127.10.x.y, one ``SiteServer`` each), as separate agencies are to Scrapy's
per-host download slots: its robots.txt, a category blog listing of 20 articles a page with
``?start=N`` pagination, its articles, and (``images``) two JPEG-like files of 20-60 KB per
article. One ``archiver crawl`` with one ``--url`` per site crawls them into a fresh archive,
politeness relaxed for loopback through settings (as the other benches do).

Per run: wall time, CPU of the whole tree (the crawl and its reaped children, ``os.wait4``),
the peak number of processes of the tree and the peak sum of their resident sizes (sampled from
/proc every 50 ms, ``tests/proctree.py``), articles indexed, and whether the output held a
traceback or "database is locked". Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.demo.server import Page, SiteServer  # noqa: E402
from archiver.demo.site import (  # noqa: E402
    HTML_UTF8,
    JoomlaArticle,
    joomla_article_html,
    joomla_listing_html,
)
from bench.loopback import ENV, RELAXED, archiver  # noqa: E402
from tests.proctree import TreeSampler  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "thaigov-news-2021-2022.jsonl.gz"
SECTION = "/news/pr-news"
LISTING = SECTION + ".html"
PER_PAGE = 20
ROBOTS = b"User-agent: *\nDisallow: /administrator/\n"
SITE_NAME = "หน่วยงานทดสอบ"


def load_items(count: int) -> list[dict]:
    """The first ``count`` corpus items with a title and some text."""
    items = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as stream:
        for line in stream:
            item = json.loads(line)
            if item.get("title") and len(item.get("text", "")) > 200:
                items.append(item)
                if len(items) == count:
                    break
    return items


def fake_jpeg(rng: random.Random, size: int) -> bytes:
    head = (
        b"\xff\xd8\xff\xe0"
        + struct.pack(">H", 16)
        + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    )
    return head + rng.randbytes(size - len(head) - 2) + b"\xff\xd9"


def article_of(item: dict, number: int, images: bool) -> JoomlaArticle:
    title = re.sub(r"^รัฐบาลไทย-ข่าวทำเนียบรัฐบาล-", "", item["title"])
    paragraphs = [p.strip() for p in item["text"].split("\n") if p.strip()]
    published = f"2021-{1 + number % 12:02d}-{1 + number % 28:02d}"
    code = f"{0xB0000000 + number:08X}-0000-4000-8000-000000000000"
    pictures = (
        [
            (f"/images/News/{code}_L0_00{i}.jpg", f"{code.replace('-', ' ')} L0 00{i}")
            for i in (1, 2)
        ]
        if images
        else []
    )
    return JoomlaArticle(
        id=1000 + number,
        slug=f"news-{number}",
        title=title,
        published=published,
        paragraphs=paragraphs,
        author="กลุ่มงานประชาสัมพันธ์",
        images=pictures,
    )


def site_routes(items: list[tuple[int, dict]], images: bool, rng: random.Random) -> dict:
    """The routes of one site holding ``items`` (corpus number, item)."""
    common = {"prefix": "", "site_name": SITE_NAME, "section": SECTION}
    articles = [article_of(item, number, images) for number, item in items]
    routes: dict[str, Page] = {
        "/robots.txt": Page(ROBOTS, headers=[("Content-Type", "text/plain")])
    }
    for start in range(0, max(1, len(articles)), PER_PAGE):
        body = joomla_listing_html(
            articles[start : start + PER_PAGE],
            start=start,
            per_page=PER_PAGE,
            total=len(articles),
            **common,
        )
        key = LISTING + (f"?start={start}" if start else "")
        routes[key] = Page(body, headers=list(HTML_UTF8))
    for n, article in enumerate(articles):
        newer = articles[n - 1].path(SECTION) if n else None
        older = articles[n + 1].path(SECTION) if n + 1 < len(articles) else None
        body = joomla_article_html(article, prev_next=(newer, older), **common)
        routes[article.path(SECTION)] = Page(body, headers=list(HTML_UTF8))
        for src, _alt in article.images:
            jpeg = fake_jpeg(rng, rng.randrange(20_000, 60_001))
            routes[src] = Page(jpeg, headers=[("Content-Type", "image/jpeg")])
    return routes


def host(n: int) -> str:
    return f"127.10.{n // 250}.{1 + n % 250}"


def run_once(items: list[dict], sites: int, images: bool, per_host: int) -> dict:
    rng = random.Random(12)
    spread: list[list[tuple[int, dict]]] = [[] for _ in range(sites)]
    for number, item in enumerate(items):
        spread[number % sites].append((number, item))
    servers = [
        SiteServer(site_routes(spread[k], images, rng), host=host(k)).start() for k in range(sites)
    ]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "archive"
            command = ["crawl", "--archive", str(archive), *RELAXED]
            command += ["-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={per_host}"]
            for server in servers:
                command += ["--url", server.base_url + LISTING]
            log = Path(tmp) / "out.txt"
            with log.open("w") as out:
                started = time.perf_counter()
                process = subprocess.Popen(
                    archiver(*command), cwd=ROOT, env=ENV, stdout=out, stderr=out
                )
                sampler = TreeSampler(process.pid).start()
                _, status, usage = os.wait4(process.pid, 0)
                wall = time.perf_counter() - started
                sampler.stop()
                process.returncode = os.waitstatus_to_exitcode(status)
            output = log.read_text(errors="replace")
            with sqlite3.connect(archive / "index.db") as conn:
                (indexed,) = conn.execute("SELECT count(*) FROM articles").fetchone()
                (media,) = conn.execute("SELECT count(*) FROM media").fetchone()
    finally:  # each stop waits up to the server's 0.5 s poll: all at once, not 300 in turn
        with ThreadPoolExecutor(32) as stopping:
            list(stopping.map(SiteServer.stop, servers))
    return {
        "sites": sites,
        "images": images,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "processes": sampler.peak_processes,
        "rss": sampler.peak_rss,
        "indexed": indexed,
        "media": media,
        "exit": process.returncode,
        "problems": "traceback"
        if "Traceback" in output
        else "locked"
        if "database is locked" in output
        else "",
    }


def table(runs: list[dict], articles: int, per_host: int) -> str:
    base = {r["images"]: r["wall"] for r in runs if r["sites"] == 1}
    lines = [
        f"{articles} articles, CONCURRENT_REQUESTS_PER_DOMAIN={per_host}:",
        "",
        "| sites | images | wall | wall / 1 site | CPU (tree) | processes (peak) "
        "| RSS of the tree (peak) | articles indexed | media | exit | problems |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        ratio = f"{r['wall'] / base[r['images']]:.2f}x" if r["images"] in base else "-"
        lines.append(
            f"| {r['sites']} | {'yes' if r['images'] else 'no'} | {r['wall']:.1f} s | {ratio} | "
            f"{r['cpu']:.1f} s | {r['processes']} | {r['rss'] / 1e6:.0f} MB | {r['indexed']} | "
            f"{r['media']} | {r['exit']} | {r['problems'] or 'none'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=800)
    parser.add_argument("--sites", default="1,10,100,300", help="comma list of site counts")
    parser.add_argument("--per-host", type=int, default=8, help="CONCURRENT_REQUESTS_PER_DOMAIN")
    parser.add_argument("--images", choices=("both", "yes", "no"), default="both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"the thaigov corpus is not at {CORPUS}")
    items = load_items(args.articles)
    runs = []
    for images in {"both": (False, True), "yes": (True,), "no": (False,)}[args.images]:
        for sites in (int(s) for s in args.sites.split(",")):
            run = run_once(items, sites, images, args.per_host)
            print(
                f"{sites} sites, images {images}: {run['wall']:.1f} s, "
                f"{run['processes']} processes, {run['rss'] / 1e6:.0f} MB, "
                f"{run['indexed']} indexed",
                file=sys.stderr,
            )
            runs.append(run)
    print(json.dumps(runs, indent=1) if args.json else table(runs, len(items), args.per_host))


if __name__ == "__main__":
    main()
