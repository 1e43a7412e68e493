"""Per-site counters in a crawl's Scrapy stats: one crawler crawls every site of a run.

A run of many sites is one Scrapy crawler (one engine, one downloader with a slot per host, one
page-worker pool, one index writer; ``archiver.crawl``), so the counters that make each site's
report are kept per site inside the crawler's one stats collector: ``inc(stats, slug, name)``
adds to the run's total ``name`` (what Scrapy's stats dump and the progress line show) and to
``site/<slug>/<name>``; ``by_site`` reads them back for the report. Slugs hold no ``/``
(``archiver.registry.Site``), so the key splits unambiguously.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from archiver import names
from archiver.cluster.connect import LOST
from archiver.errors import is_disk_full, one_line

logger = logging.getLogger(__name__)

PREFIX = "site/"


def key(slug: str, name: str) -> str:
    return f"{PREFIX}{slug}/{name}"


def inc(stats: Any, slug: str, name: str, count: int = 1) -> None:
    """Add ``count`` to the run's ``name`` and to the site's (``stats``: a Scrapy
    StatsCollector, or None when the crawler has none)."""
    if stats is None:
        return
    stats.inc_value(name, count)
    stats.inc_value(key(slug, name), count)


def set_value(stats: Any, slug: str, name: str, value: Any) -> None:
    """Set the site's ``name`` (values that are not summed, such as WARC bytes of its file)."""
    if stats is not None:
        stats.set_value(key(slug, name), value)


def append(stats: Any, slug: str, name: str, value: Any) -> None:
    """Add ``value`` to the site's list ``name`` (a listing page that could not be read...)."""
    if stats is not None:
        stats.set_value(key(slug, name), [*stats.get_value(key(slug, name), []), value])


def stop(crawler: Any, reason: str, exc: BaseException | str) -> None:
    """Stop the whole run now because of a fault (a WARC record or the index could not be
    written): the engine finishes what is in hand and closes the spider with ``reason``, and
    the run's report says why (the first fault is kept). A full disk is always
    ``disk_full``, whichever write found it, and a crawl node's Redis gone beyond its
    client's retries ``redis_lost`` (``archiver.cluster.connect.LOST``), whichever call found it."""
    detail = exc if isinstance(exc, str) else one_line(exc)
    if not isinstance(exc, str) and is_disk_full(exc):
        reason = "disk_full"
    elif LOST.is_set():
        reason = "redis_lost"
    stats = crawler.stats
    if stats is not None and stats.get_value(names.STOPPED) is None:
        stats.set_value(names.STOPPED, reason)
        stats.set_value(names.STOPPED_DETAIL, detail)
    logger.error("stopping the crawl (%s): %s", reason, detail)
    try:
        engine = crawler.engine
    except RuntimeError:  # the crawl never started
        return
    if engine is None or engine.spider is None:
        return
    from scrapy.utils.defer import deferred_from_coro

    closing = deferred_from_coro(engine.close_spider_async(reason=reason))
    closing.addErrback(lambda failure: logger.error("closing the spider: %s", failure.value))


def by_site(stats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every site's counters, in one pass over the stats: ``{slug: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in stats.items():
        if name.startswith(PREFIX):
            slug, _, rest = name[len(PREFIX) :].partition("/")
            out.setdefault(slug, {})[rest] = value
    return out
