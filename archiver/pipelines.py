"""Item pipeline: extracted articles and fetched media into the SQLite index.

The WARC record an item points at was written (and flushed) before the item reached us
(``archiver.capture`` runs at download time), so an index row never points at a record that
is not on disk.
"""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy.crawler import Crawler

from archiver.index import Index
from archiver.items import ArticleItem, MediaItem

logger = logging.getLogger(__name__)


class IndexPipeline:
    """Upserts articles (counting new / changed / unchanged) and media rows."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = Path(crawler.settings.get("ARCHIVER_ARCHIVE")) / "index.db"
        self.index: Index | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.index = Index(self.path)
        site = getattr(self.crawler.spider, "site", None)
        if site is not None:
            self.index.upsert_site(site)

    def close_spider(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def process_item(self, item: object) -> object:
        assert self.index is not None
        stats = self.crawler.stats
        if getattr(item, "warc", None) is None:  # not archived (a failed WARC write): no row
            if stats is not None:
                stats.inc_value("archiver/not_archived")
            return item
        if isinstance(item, ArticleItem):
            status = self.index.upsert_article(item)
            if stats is not None:
                stats.inc_value(f"archiver/articles_{status}")
        elif isinstance(item, MediaItem):
            self.index.upsert_media(item)
            if stats is not None:
                stats.inc_value(f"archiver/media_{item.kind}")
        return item
