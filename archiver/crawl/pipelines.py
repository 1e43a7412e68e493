"""Item pipeline: extracted articles and fetched media into the SQLite index.

Items are written in batches (one transaction per batch, not per item: about 1.6 ms an
article instead of 4.6) by an index writer process of their own, so neither the reactor nor
its GIL waits for SQLite and FTS5 (about 2.5 ms of CPU an article; the writer also segments
the articles that the page workers left unsegmented, ``workers.workers_segment``). One
crawler crawls every site of a run, so one writer takes every site's items, batched across
sites, and its counts go to each item's site (``archiver.crawl.sitestats``). A batch is handed over
when
it holds ``ARCHIVER_INDEX_BATCH`` items, when it is ``ARCHIVER_INDEX_BATCH_SECONDS`` old, and
when the spider closes; the writer handles them one at a time, in order. The writer starts
with the first batch: a scheduled run that finds nothing new starts no process.

The WARC record an item points at was written (and flushed) before the item reached us
(``archiver.crawl.recorder`` runs at download time), so an index row never points at a record that
is not on disk. A crawl killed with items still in a batch loses only those rows: their pages
are in the WARCs, so the next run (which finds them unknown and gets a revisit for each) or
``archiver reindex`` indexes them. The writer (``archiver.jobs.index_writer``) exits with the crawl
(``processes.exit_with``).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import sqlite3
import time
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archiver import names
from archiver.archive import Archive
from archiver.crawl import sitestats
from archiver.errors import is_disk_full
from archiver.extract.items import ArticleItem, MediaItem
from archiver.index.store import Index
from archiver.jobs import index_writer
from archiver.jobs.pool import exit_with, start_pool
from archiver.registry import Site

logger = logging.getLogger(__name__)

#: Batches waiting for the writer before ``process_item`` waits for the oldest (memory bound).
MAX_PENDING = 4


# -- in the crawl -----------------------------------------------------------------------------
def indexable(crawler: Crawler, item: object) -> bool:
    """Whether ``item`` goes to the index, counting it for the run's report: an item whose WARC
    record could not be written gets no row (``not_archived``); media are counted by kind.
    What every index pipeline does first (this one, and the cluster's ``StreamPipeline``)."""
    stats = crawler.stats
    site = str(getattr(item, "site", ""))
    if getattr(item, "warc", None) is None:  # not archived (a failed WARC write): no row
        sitestats.inc(stats, site, names.NOT_ARCHIVED)
        return False
    if isinstance(item, MediaItem):
        sitestats.inc(stats, site, names.MEDIA_PREFIX + item.kind)
    return True


def registered_sites(crawler: Crawler) -> list[Site]:
    """The registry entries of the run's sites (the index's ``sites`` rows)."""
    registered = getattr(crawler.spider, "registered_sites", None)
    return list(registered()) if registered is not None else []


class IndexPipeline:
    """Upserts articles (counting new / changed / unchanged) and media rows, in batches."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = Archive.of_settings(crawler.settings).index
        self.batch_size = max(1, crawler.settings.getint("ARCHIVER_INDEX_BATCH"))
        self.max_age = crawler.settings.getfloat("ARCHIVER_INDEX_BATCH_SECONDS")
        self.writer: cf.ProcessPoolExecutor | None = None
        self.articles: list[ArticleItem] = []
        self.media: list[MediaItem] = []
        self.oldest = 0.0  # monotonic time of the first item in the batch
        #: Batches handed to the writer, with the sites of their articles (None: opening).
        self.pending: list[tuple[cf.Future[Any], list[str]]] = []
        self.timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        if crawler.settings.get("ARCHIVER_CLUSTER"):  # the items go to Redis instead
            raise NotConfigured("cluster mode: archiver.crawl.stream_pipeline.StreamPipeline")
        return cls(crawler)

    def open_spider(self) -> None:
        # Here, at once: an index that cannot be opened stops the crawl before it starts. The
        # writer process starts with the first batch (a run with nothing new needs none).
        with Index(self.path) as index:
            for site in registered_sites(self.crawler):
                index.upsert_site(site)
        if self.max_age > 0:
            self.timer = task.LoopingCall(self._flush_if_old)
            self.timer.start(self.max_age, now=False)

    def close_spider(self) -> None:
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        self._flush()
        self._harvest(wait=True)
        if self.writer is not None:
            try:
                self.writer.submit(index_writer.close_index).result()
            except Exception as exc:  # the writer died: its failed batches were counted
                logger.error("closing the index writer failed: %r", exc)
                if isinstance(exc, (OSError, sqlite3.Error)):
                    sitestats.stop(self.crawler, "index_write_failed", exc)
            finally:
                self.writer.shutdown(wait=True)
                self.writer = None

    def process_item(self, item: object) -> object:
        if not indexable(self.crawler, item):
            return item
        if not self.articles and not self.media:
            self.oldest = time.monotonic()
        if isinstance(item, ArticleItem):
            self.articles.append(item)
        elif isinstance(item, MediaItem):
            self.media.append(item)
        if len(self.articles) + len(self.media) >= self.batch_size:
            self._flush()
        if len(self.pending) > MAX_PENDING:  # the writer is behind: wait for its oldest batch
            cf.wait([self.pending[0][0]])
        self._harvest(wait=False)
        return item

    def _flush_if_old(self) -> None:
        if (self.articles or self.media) and time.monotonic() - self.oldest >= self.max_age:
            self._flush()
        self._harvest(wait=False)

    def _flush(self) -> None:
        """Hand the batch to the writer process."""
        if not (self.articles or self.media):
            return
        articles, media = self.articles, self.media
        self.articles, self.media = [], []
        if self.writer is None:
            self.writer = start_pool(1, exit_with, (os.getpid(),))
            opening = self.writer.submit(index_writer.open_index, str(self.path))
            self.pending.append((opening, []))  # runs first
        future = self.writer.submit(index_writer.write, articles, media)
        self.pending.append((future, [a.site for a in articles]))

    def _harvest(self, wait: bool) -> None:
        """Count what the writer finished (in the reactor thread, where the stats live).
        ``wait``: first wait for every batch handed over (when closing)."""
        if wait:
            cf.wait([future for future, _ in self.pending])
        stats = self.crawler.stats
        while self.pending and self.pending[0][0].done():
            future, sites = self.pending.pop(0)
            try:
                statuses = future.result()
            except Exception as exc:  # a bug or a broken disk: say so, count it
                logger.error("writing a batch to the index failed: %r", exc)
                kind = "disk_full" if is_disk_full(exc) else "index_write_failed"
                for site in sorted(set(sites)) or [getattr(self.crawler.spider, "slug", "")]:
                    sitestats.inc(stats, site, names.ERRORS_PREFIX + kind)
                if isinstance(exc, (OSError, sqlite3.Error)):  # the index cannot be written:
                    sitestats.stop(self.crawler, "index_write_failed", exc)  # stop, as for WARC
                continue  # a bug on some items: the other batches go on
            for site, status in zip(sites, statuses or (), strict=False):
                sitestats.inc(stats, site, names.ARTICLES_PREFIX + status)
