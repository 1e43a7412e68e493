"""End-to-end crawl benchmark: a generated Joomla agency site on 127.0.0.1, crawled by the real
``archiver crawl`` (WARC + extraction + index), timed from outside.

    .venv/bin/python bench/e2e_crawl.py --articles 500

Prints wall seconds, the crawl process's CPU seconds, articles/s, and the archive's size.
The site is served by the project's small threaded Python server (``archiver.demo.server``),
which shares the 2 cores with the crawler: issue 6's benchmark uses nginx instead.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.demo.media import tiny_jpeg  # noqa: E402
from archiver.demo.server import Page, SiteServer  # noqa: E402
from archiver.demo.site import JoomlaArticle, html_page, joomla_article_html, joomla_listing_html  # noqa: E402
from bench.loopback import ENV, crawl_command  # noqa: E402

SECTION = "/ศูนย์คุณธรรม/news/pr-news"
PER_PAGE = 20


def build_site(count: int) -> dict[str, Page]:
    prose = json.loads((ROOT / "tests" / "data" / "prose.json").read_text("utf-8"))
    items = prose["joomla"] + prose["wordpress"] + prose["legacy"]
    articles = []
    for n in range(count):
        item = items[n % len(items)]
        paragraphs = list(item["paragraphs"])
        images = [(f"/images/bench/{n}_{i}.jpg", f"IMG_{n:04d}{i}") for i in (1, 2)]
        articles.append(
            JoomlaArticle(
                id=10000 + n,
                slug=f"bench-{n}",
                title=f"{item['title']} ({n})",
                published=str(item.get("date", "2021-11-15")),
                paragraphs=paragraphs,
                author="กลุ่มงานประชาสัมพันธ์",
                images=images,
            )
        )
    routes: dict[str, Page] = {"/robots.txt": Page(b"User-agent: *\nDisallow:\n")}
    common = dict(prefix="/ศูนย์คุณธรรม", site_name="หน่วยงานทดสอบ", section=SECTION)
    for start in range(0, count, PER_PAGE):
        key = f"{SECTION}.html" + (f"?start={start}" if start else "")
        routes[key] = html_page(
            joomla_listing_html(
                articles[start : start + PER_PAGE],
                start=start,
                per_page=PER_PAGE,
                total=count,
                **common,
            )
        )
    for article in articles:
        routes[article.path(SECTION)] = html_page(joomla_article_html(article, **common))
        for i, (src, _) in enumerate(article.images):
            routes[src] = Page(
                tiny_jpeg(article.id * 3 + i), headers=[("Content-Type", "image/jpeg")]
            )
    return routes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    args = parser.parse_args()
    routes = build_site(args.articles)
    html_bytes = sum(len(p.body) for k, p in routes.items() if k.endswith(".html"))
    with tempfile.TemporaryDirectory() as tmp, SiteServer(routes) as server:
        archive = Path(tmp) / "archive"
        command = crawl_command(server.base_url + SECTION + ".html", archive, 16, "-q")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=ENV,
            timeout=3600,
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            sys.exit(f"crawl failed: {result.stdout}{result.stderr}")
        warc = sum(p.stat().st_size for p in (archive / "warc").glob("*.warc.gz"))
        index = sum(p.stat().st_size for p in archive.glob("index.db*"))
        indexed = int(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sqlite3,sys; print(sqlite3.connect(sys.argv[1])"
                    ".execute('select count(*) from articles').fetchone()[0])",
                    str(archive / "index.db"),
                ],
                capture_output=True,
                text=True,
            ).stdout
        )
    print(
        f"articles indexed      {indexed} of {args.articles} "
        f"({len(routes)} URLs, {html_bytes / 1e6:.1f} MB of HTML)"
    )
    print(f"wall                  {wall:.1f} s  ({indexed / wall:.1f} articles/s end to end)")
    print(f"crawl process CPU     {cpu:.1f} s  ({indexed / cpu:.1f} articles per CPU-second)")
    print(f"WARC                  {warc / 1e6:.2f} MB")
    print(f"index.db              {index / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
