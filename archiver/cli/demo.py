"""``archiver demo``: serve the bundled agency site on 127.0.0.1, crawl it, search it.

The crawl goes through exactly the same code as a real one; only politeness is relaxed for the
loopback host, through Scrapy settings (as a user would with ``-s``), not a code path of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from archiver.cli.output import format_hits, format_report
from archiver.crawl import run
from archiver.demo.server import SiteServer
from archiver.demo.site import DEMO_LISTING, DEMO_QUERY, demo_routes
from archiver.index.store import open_existing
from archiver.search.results import search as search_articles

#: Settings for a site on our own machine: no delay, no throttle.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
}
#: Tried first, so that the demo's URLs (and so its articles) stay the same from run to run.
DEMO_PORT = 8765


def run_demo(archive: Path) -> Iterator[str]:
    """Yield what the demo did, line by line."""
    with SiteServer(demo_routes(), port=DEMO_PORT) as server:
        listing = server.base_url + DEMO_LISTING
        yield f"demo agency site serving on {server.base_url}"
        yield f"crawling {listing} into {Path(archive).resolve()} ..."
        targets = [run.Target("demo", [listing])]
        report = run.run(archive, targets, overrides=LOOPBACK_SETTINGS)
        yield format_report(report, archive)
    with open_existing(archive) as index:
        total, hits = search_articles(index.conn, DEMO_QUERY, site="demo", limit=3)
    yield ""
    yield f"$ archiver search {DEMO_QUERY} --site demo --limit 3"
    yield format_hits(total, hits, 0)
    yield ""
    yield f"done. The archive is in {Path(archive).resolve()}:"
    yield "  archiver search 'ศูนย์คุณธรรม'        archiver export --site demo | head -1"
