"""Item pipeline of cluster mode: each item to the Redis item stream (``archiver.cluster.stream``)
instead of a local index writer; the cluster's one ``archiver index-writer`` applies it.

Enabled by the ``ARCHIVER_CLUSTER`` setting (a Redis URL), which disables ``IndexPipeline``:
both are in ``ITEM_PIPELINES`` and each declines (``NotConfigured``) when the other is the
one. The items are sorted and counted by the same code (``pipelines.indexable``).

Why one ``XADD`` per item, awaited, and no batching as ``IndexPipeline`` does: Scrapy is done
with a request only after its callback's items went through the pipelines, and a crawl node
acknowledges a request to the shared frontier then (SCALE-OUT.md 5.2). An item still in a
batch in memory when the node is killed would be lost with an acknowledged request; an item
whose ``XADD`` Redis has answered is in its append-only file. The call runs in a thread of the
reactor's pool (redis-py blocks), so the reactor goes on fetching meanwhile; a lost Redis is
retried there with back-off (``archiver.cluster.connect``), and when it stays away the crawl
stops as for a failed index write: the pages are in the WARCs, and the next run fetches the
articles the index lacks again (as revisits).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from archiver import names
from archiver.cluster.connect import connect
from archiver.cluster.stream import Producer
from archiver.crawl import sitestats
from archiver.crawl.pipelines import indexable, registered_sites

logger = logging.getLogger(__name__)


class StreamPipeline:
    """Adds each article and media item to the item stream, returning once Redis answered.
    ``stats``: a Redis hash the index writer adds each article's status to (set by a crawl
    node that makes the run's report from it; None: not counted)."""

    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.stats: str | None = None
        self.client: Any = None
        self.producer: Producer | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StreamPipeline:
        url = crawler.settings.get("ARCHIVER_CLUSTER")
        if not url:  # one machine: IndexPipeline writes index.db itself
            raise NotConfigured("no ARCHIVER_CLUSTER")
        return cls(crawler, str(url))

    def open_spider(self) -> None:
        # Here, at once: a Redis that does not answer stops the crawl before it fetches anything.
        # a crawl node checked Redis at its start (run.py): a restart now is waited for
        node = bool(self.crawler.settings.get("ARCHIVER_CLUSTER_NODE"))
        self.client = connect(self.url, check=not node, latched=node)
        self.producer = Producer(self.client, self.stats)
        sites = registered_sites(self.crawler)
        if sites:
            self.producer.add_sites(sites)

    def close_spider(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    async def process_item(self, item: object) -> object:
        if not indexable(self.crawler, item):
            return item
        assert self.producer is not None
        try:
            await maybe_deferred_to_future(deferToThread(self.producer.add_item, item))
        except Exception as exc:  # Redis gone beyond the client's retries, or a bug: say so
            site = str(getattr(item, "site", ""))
            sitestats.inc(self.crawler.stats, site, names.ERRORS_PREFIX + "stream_failed")
            logger.error("adding an item to the stream failed: %r", exc)
            sitestats.stop(self.crawler, "stream_failed", exc)
        return item
