"""Downloader middlewares: conditional GETs for what is archived, retries with back-off.

Government servers are often slow and fragile: a failed request is retried a bounded number of
times, each time after a longer pause (or after the server's own ``Retry-After``), never at
once; and a page the archive already holds is asked for with ``If-None-Match`` /
``If-Modified-Since``, so an unchanged page costs the server a ``304`` and no body.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archiver import names
from archiver.archive import Archive
from archiver.crawl.recorder import WarcCapture, slug_for
from archiver.index.capture_log import CaptureStore

logger = logging.getLogger(__name__)


class ConditionalGetMiddleware:
    """Adds validators from the URL's last capture to requests the spider marks
    ``archiver_conditional`` (pages already archived: listings, rechecked articles, media).

    The capture's record is read back first (one gzip member): a damaged one is forgotten
    and the page fetched in full, since a ``304`` or a revisit would point at lost bytes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.warc_directory = Archive.of_settings(crawler.settings).warc

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        return cls(crawler)

    def _captures(self) -> CaptureStore:
        """The capture log of the crawl's WARC extension (one connection for both)."""
        capture = self.crawler.get_extension(WarcCapture)
        if capture is None:
            raise NotConfigured("the conditional GET needs the WarcCapture extension")
        return capture.captures

    def process_request(self, request: Request) -> None:
        if request.method != "GET" or b"If-None-Match" in request.headers:
            return
        log = self._captures()
        site = slug_for(self.crawler.spider, request)
        earlier = log.get(request.url, site)
        if earlier is not None and not log.intact(earlier, self.warc_directory, site):
            logger.warning("%s: its archived record is damaged; fetching it again", request.url)
            earlier = None  # a full fetch: a 304 or a revisit would point at lost bytes
        request.meta[names.EARLIER] = (request.url, earlier)
        if earlier is None:
            return
        if earlier.etag:
            request.headers[b"If-None-Match"] = earlier.etag.encode("latin-1")
        if earlier.last_modified:
            request.headers[b"If-Modified-Since"] = earlier.last_modified.encode("latin-1")


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date; None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (same settings: RETRY_TIMES, RETRY_HTTP_CODES) that waits
    before each retry: ``ARCHIVER_RETRY_BACKOFF`` x 2^(attempt-1) seconds, or the server's
    ``Retry-After``. A ``Retry-After`` over ``ARCHIVER_RETRY_AFTER_MAX`` gives up at once (the
    server asked us to come back later: the next scheduled run will)."""

    def __init__(self, settings) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.backoff = settings.getfloat("ARCHIVER_RETRY_BACKOFF")
        self.retry_after_max = settings.getfloat("ARCHIVER_RETRY_AFTER_MAX")

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None and wait > self.retry_after_max:
            logger.warning(
                "%s: Retry-After %.0f s is too long; giving up for now", request.url, wait
            )
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(names.RETRY_AFTER_TOO_LONG)
            return response
        retry = self._retry_request(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await self._pause(request, wait)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry_request(request, exception)
        if retry is not None:
            await self._pause(request, None)
        return retry

    def _retry_request(self, request: Request, reason: str | Exception) -> Request | None:
        """The retry of ``request`` (Scrapy's public ``get_retry_request``: counts, logs, gives
        up after RETRY_TIMES), or None when its retries are spent."""
        spider = self.crawler.spider
        assert spider is not None
        return get_retry_request(
            request,
            spider=spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )

    async def _pause(self, request: Request, retry_after: float | None) -> None:
        attempt = request.meta.get("retry_times", 0) + 1
        wait = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
        if wait > 0:
            logger.info("%s: retry %d in %.1f s", request.url, attempt, wait)
            await asyncio.sleep(wait)
