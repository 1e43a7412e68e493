"""Article pages processed in worker processes: decoding, extraction and segmentation.

These are most of a crawl's CPU (per 47 KB article on this machine: trafilatura and our cleaning
about 5 ms, nlpo3 segmentation for the index about 3.5 ms), and Scrapy runs every callback
on its one reactor thread: done there, they leave the other cores idle and hold up the
downloads. ``PageWorkers`` runs ``process_article`` in a pool of processes; the spider awaits
the result (its article callback is a coroutine) while the reactor goes on fetching and
writing WARC records. With two or more workers they segment too and the index writer only
writes the rows; with one, the writer segments (``workers_segment``). ``archiver reindex``
sends the archived pages through the same function and pool.

The processes are spawned, not forked: a fork of the crawl would inherit its reactor, sockets
and lock file. Each starts in about 0.5 s (0.6 CPU-s: imports and the segmenter's dictionary,
once), and is the crawl's own child, so its CPU time counts in the crawl's (``os.wait4``,
``time``). ``workers=0`` runs everything in the calling process (small jobs, and to compare).

A worker that dies (killed, out of memory) breaks the pool: the page's future fails, the
spider counts it as an error, and the pool is started again for the next page.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from archiver.extract.items import ArticleItem
from archiver.extract.pages import NotAPage, article_item, page_text
from archiver.index import fulltext
from archiver.jobs.pool import exit_with, start_pool
from archiver.thai.words import index_text
from archiver.warc.records import RecordLocation

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Why a page that is no article is skipped (also in the crawl's log).
NOT_AN_ARTICLE = "not an article (soft error, empty or no article text)"


@dataclass
class Processed:
    """An article page after the workers: the item (with its index words), or why not."""

    item: ArticleItem | None
    skipped: str | None = None


def process_article(
    body: bytes,
    content_type: str,
    url: str,
    site: str,
    fetched_at: str,
    warc: RecordLocation | None,
    max_bytes: int,
    segment: bool = True,
) -> Processed:
    """Decode, extract and (``segment``) segment one article page (the same path for crawls
    and reindex). Unsegmented items are segmented by the index writer."""
    try:
        html = page_text(body, content_type, max_bytes)
    except NotAPage as reason:
        return Processed(None, str(reason))
    item = article_item(html, url, site, fetched_at, warc)
    if item is None:
        return Processed(None, NOT_AN_ARTICLE)
    if segment:
        item.prepared = fulltext.prepare(item.title, item.text)
    return Processed(item)


def default_workers() -> int:
    """One worker per core the process may use (``reindex``: its own process mostly waits)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def crawl_workers() -> int:
    """Page workers for a crawl: one per core but the one the crawl's own process (Scrapy,
    WARC writing) keeps busy, at least one. On the 2-core bench machine a second worker
    only made the four processes (crawl, 2 workers, index writer) take turns on two cores:
    13% more CPU for the same work and no shorter crawl (bench/crawl/README.md)."""
    return max(1, default_workers() - 1)


def workers_segment(workers: int) -> bool:
    """Whether the page workers segment the articles for the index, or leave it to the index
    writer. With a single worker, extraction and segmentation (about 6 and 3.5 ms an
    article) would make it the crawl's slowest process, while the writer (2.5 ms an article
    of SQLite) waits; split between the two, the three processes keep two cores evenly
    busy. With more workers, they segment and the writer only writes."""
    return workers >= 2


def _start_worker(crawl_pid: int, segment: bool) -> None:
    """In each new worker: exit with the crawl, and (when the workers segment) load the
    segmenter's dictionary before the first page (about 0.3 s)."""
    exit_with(crawl_pid)
    if segment:
        index_text("ทดสอบ")


class PageWorkers:
    """A pool of worker processes for CPU-heavy page work, started on first use.
    ``segment``: whether the pages they process are segmented there too (``process_article``
    is given it by the caller; here it decides whether each worker loads the dictionary)."""

    def __init__(self, workers: int, segment: bool = True) -> None:
        self.workers = max(0, workers)
        self.segment = segment
        self._pool: cf.ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., T], *args: Any) -> cf.Future[T]:
        """Run ``fn(*args)`` in a worker; with no workers, here and now (a done future)."""
        if self.workers == 0:
            done: cf.Future[T] = cf.Future()
            try:
                done.set_result(fn(*args))
            except Exception as exc:  # delivered like a worker's exception
                done.set_exception(exc)
            return done
        pool = self._pool_()
        try:
            return pool.submit(fn, *args)
        except cf.process.BrokenProcessPool:
            logger.warning("a page worker died; starting the worker pool again")
            self._pool = None
            return self._pool_().submit(fn, *args)

    def _pool_(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = start_pool(self.workers, _start_worker, (os.getpid(), self.segment))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> PageWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
