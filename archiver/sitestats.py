"""Per-site counters in a crawl's Scrapy stats: one crawler crawls every site of a run.

A run of many sites is one Scrapy crawler (one engine, one downloader with a slot per host, one
page-worker pool, one index writer; ``archiver.crawl``), so the counters that make each site's
report are kept per site inside the crawler's one stats collector: ``inc(stats, slug, name)``
adds to the run's total ``name`` (what Scrapy's stats dump and the progress line show) and to
``site/<slug>/<name>``; ``by_site`` reads them back for the report. Slugs hold no ``/``
(``archiver.site.Site``), so the key splits unambiguously.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def by_site(stats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every site's counters, in one pass over the stats: ``{slug: {name: value}}``."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in stats.items():
        if name.startswith(PREFIX):
            slug, _, rest = name[len(PREFIX) :].partition("/")
            out.setdefault(slug, {})[rest] = value
    return out
