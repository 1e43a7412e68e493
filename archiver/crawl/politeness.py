"""Honour robots.txt ``Crawl-delay``: Scrapy obeys Allow/Disallow but not the delay.

When a site's robots.txt is parsed, its crawl delay for our User-Agent becomes the floor of
that host's download-slot delay; AutoThrottle may raise the delay, never lower it below that.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


class CrawlDelay:
    """Keeps each host's slot delay at or above its robots.txt ``Crawl-delay``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.user_agent = crawler.settings.get("USER_AGENT")
        self.max_delay = crawler.settings.getfloat("ARCHIVER_MAX_CRAWL_DELAY")
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelay:
        ext = cls(crawler)
        crawler.signals.connect(ext.robots_parsed, signal=signals.robots_parsed)
        # connected after AutoThrottle (a lower extension order), so this runs after it
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        return ext

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        delay = getattr(robotparser, "crawl_delay", lambda _ua: None)(self.user_agent)
        if not delay:
            return
        host = urlparse_cached(request).hostname or ""
        self.delays[host] = min(float(delay), self.max_delay)
        logger.info("%s: robots.txt Crawl-delay %.1f s", host, self.delays[host])
        self._enforce(host)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        host = urlparse_cached(request).hostname or ""
        if host in self.delays:
            self._enforce(host)

    def _enforce(self, host: str) -> None:
        try:
            engine = self.crawler.engine
        except RuntimeError:  # not started yet (Scrapy 2.13+ raises rather than give None)
            return
        if engine is None:
            return
        for key, slot in engine.downloader.slots.items():
            if key == host and slot.delay < self.delays[host]:
                slot.delay = self.delays[host]
