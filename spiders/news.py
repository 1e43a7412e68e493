"""The generic news spider: from a listing URL to archived, extracted articles.

``scrapy crawl news -a url=LISTING`` works for any agency listing; registered agencies get a
subclass each (see ``spiders/agencies.py``) so that ``scrapy crawl <slug>`` works too. Every
fetch is written to WARC by ``archiver.capture`` whatever happens here; this spider decides what
to fetch and which pages are articles.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from parsel import Selector
from scrapy.http import Response
from twisted.python.failure import Failure

from archiver.index import Index
from archiver.items import ArticleItem, MediaItem
from archiver.pages import NotAPage, page_text
from archiver.site import Site, slug_for_url
from archiver.urls import canonical_url
from archiver.warc import read_payload
from archiver.workers import PageWorkers, crawl_workers, process_article, workers_segment
from spiders.discovery import article_links, pagination_links

logger = logging.getLogger(__name__)


#: Report names for the exceptions a request can end with.
ERROR_KINDS = {
    "IgnoreRequest": "robots_or_ignored",
    "CancelledError": "too_large",  # DOWNLOAD_MAXSIZE cancels the transfer
    "ResponseNeverReceived": "connection_lost",
    "TCPTimedOutError": "TimeoutError",
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class NewsSpider(scrapy.Spider):
    """Crawl news listings, their pagination, their articles and the articles' media."""

    name = "news"
    site: Site | None = None  # set on per-agency subclasses

    def __init__(
        self,
        url: str | None = None,
        slug: str | None = None,
        max_articles: int | str | None = None,
        since: str | None = None,
        full: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        urls = [u for u in (url or "").split(",") if u]
        if self.site is not None and not urls:
            urls = list(self.site.listings)
        if not urls:
            raise ValueError("the news spider needs a listing URL: -a url=https://...")
        self.listings = urls
        self.slug = slug or (self.site.slug if self.site else slug_for_url(urls[0]))
        self.max_articles = int(max_articles) if max_articles else None
        self.since = since or None
        self.full = str(full).lower() in ("1", "true", "yes")
        self.scheduled_articles = 0
        self.cut_short = False  # --max-articles stopped the walk: not a complete pass
        self.known: dict[str, str] = {}  # indexed article URL -> last seen
        self.known_media: set[str] = set()
        #: Listing pages asked for in this run. Scrapy's duplicate filter would drop the
        #: repeats too, but a listing links to all its pages: 250 pages of 250 links each
        #: made 62,000 requests to build, fingerprint and drop (bench/crawl).
        self.listing_pages: set[str] = set()
        self.walked_before = False
        self.recheck_before = ""  # known articles last seen before this are fetched again
        self.workers = PageWorkers(0)  # article pages are processed here (set from settings)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        workers = crawler.settings.get("ARCHIVER_WORKERS")
        count = (
            crawl_workers()
            if workers in (None, "")
            else crawler.settings.getint("ARCHIVER_WORKERS")
        )
        spider.workers = PageWorkers(count, segment=workers_segment(count))
        days = crawler.settings.getfloat("ARCHIVER_RECHECK_DAYS")
        if days > 0:
            when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
            spider.recheck_before = when.isoformat(timespec="seconds")
        return spider

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Everything loaded so far (Scrapy, lxml, trafilatura, ...) lives as long as the crawl:
        # out of the collector's sight, full collections stop pausing the reactor for ~0.1 s.
        gc.freeze()
        self._load_archive_state()
        for listing in self.listings:
            self.listing_pages.add(canonical_url(listing))
            yield self._listing_request(listing, listing, dont_filter=True)

    def _load_archive_state(self) -> None:
        """What this archive already holds for the site: indexed articles and media, and
        whether an earlier run walked the whole listing (only then may a run stop early)."""
        path = Path(self.settings.get("ARCHIVER_ARCHIVE")) / "index.db"
        if not path.exists():
            return
        with Index(path) as index:
            self.known = index.known_articles(self.slug)
            self.known_media = index.known_media(self.slug)
            self.walked_before = index.walked(self.slug) is not None

    def closed(self, reason: str) -> None:
        """A run that went through the whole listing (not killed, not cut short by
        --max-articles) lets later runs stop at the first page with nothing new."""
        self.workers.close()
        if reason == "finished" and not self.cut_short:
            path = Path(self.settings.get("ARCHIVER_ARCHIVE")) / "index.db"
            with Index(path) as index:
                index.mark_walked(self.slug, _now())

    def _due(self, url: str) -> bool:
        """Whether an article must be fetched: new, or known but --full / due for a recheck."""
        if url not in self.known:
            return True
        return self.full or (bool(self.recheck_before) and self.known[url] < self.recheck_before)

    def _listing_request(self, url: str, listing: str, dont_filter: bool = False) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.failed,
            cb_kwargs={"listing": listing},
            dont_filter=dont_filter,
            meta={"archiver_role": "listing"},
        )

    # -- listing pages ---------------------------------------------------------------------------
    def parse_listing(self, response: Response, listing: str) -> Iterator[scrapy.Request]:
        html = self._html(response)
        if html is None:
            return
        page = Selector(text=html)  # one parse for both kinds of links
        links = article_links(page, response.url, listing)
        due = [u for u in links if self._due(u)]
        new = [u for u in links if u not in self.known]
        self.crawler.stats.inc_value("archiver/listing_pages")
        self.crawler.stats.inc_value("archiver/articles_known", len(links) - len(due))
        for url in due:
            if self.max_articles is not None and self.scheduled_articles >= self.max_articles:
                self.cut_short = True
                return
            self.scheduled_articles += 1
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.failed,
                meta={"archiver_role": "article"},
            )
        if links and not new and self.walked_before and not self.full:
            logger.info("%s: nothing new on %s; stopping", self.slug, response.url)
            return
        for url in pagination_links(page, response.url, listing):
            if url not in self.listing_pages:  # each page links to every other: ask once
                self.listing_pages.add(url)
                yield self._listing_request(url, listing)

    # -- articles ---------------------------------------------------------------------------------
    async def parse_article(
        self, response: Response
    ) -> AsyncIterator[ArticleItem | scrapy.Request]:
        """Extraction and segmentation run in a page worker (``archiver.workers``); the
        reactor goes on fetching meanwhile."""
        if response.status >= 400:
            self._count_error(f"http_{response.status}", response.url)
            return
        body, ctype = self._body(response)
        job = self.workers.submit(
            process_article,
            body,
            ctype,
            response.url,
            self.slug,
            _now(),
            response.meta.get("warc"),
            self.settings.getint("ARCHIVER_MAX_PAGE_BYTES"),
            self.workers.segment,  # else the index writer segments
        )
        try:
            done = await asyncio.wrap_future(job)
        except Exception as exc:  # a worker died, or a bug of ours on this page: count it
            logger.error("%s: processing %s failed: %r", self.slug, response.url, exc)
            self.crawler.stats.inc_value("archiver/errors/processing_failed")
            return
        item = done.item
        if item is None:
            self._skip(response, done.skipped or "")
            return
        if self.since and item.published and item.published < self.since:
            self._skip(response, f"published {item.published}, before --since {self.since}")
            return
        yield item
        for kind, urls in (("image", item.images), ("attachment", item.attachments)):
            for url in urls:
                if url in self.known_media and not self.full:
                    continue  # archived with an earlier article (same URL): not again
                self.known_media.add(url)
                yield scrapy.Request(
                    url,
                    callback=self.parse_media,
                    errback=self.failed,
                    cb_kwargs={"article_url": response.url, "kind": kind},
                    headers={"Referer": response.url},
                    meta={"archiver_role": kind, "archiver_article": response.url},
                )

    def parse_media(self, response: Response, article_url: str, kind: str) -> Iterator[MediaItem]:
        if response.status >= 400:
            self._count_error(f"http_{response.status}", response.url)
            return
        body, ctype = self._body(response)
        yield MediaItem(
            url=canonical_url(response.url),
            article_url=article_url,
            site=self.slug,
            kind=kind,
            mime=ctype.split(";")[0].strip(),
            size=len(body),
            # the WARC's payload digest is this hash already, when the body is as it was sent
            sha1=response.meta.get("archiver_sha1") or hashlib.sha1(body).hexdigest(),
            status=response.status,
            fetched_at=_now(),
            warc=response.meta.get("warc"),
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _html(self, response: Response) -> str | None:
        """The page as text, or None (reported) for error statuses, binaries and huge pages."""
        if response.status >= 400:
            self._count_error(f"http_{response.status}", response.url)
            return None
        body, ctype = self._body(response)
        try:
            return page_text(body, ctype, self.settings.getint("ARCHIVER_MAX_PAGE_BYTES"))
        except NotAPage as reason:
            self._skip(response, str(reason))
            return None

    def _body(self, response: Response) -> tuple[bytes, str]:
        """The body and content type; for a ``304 Not Modified`` those of the archived copy
        (the capture the conditional GET was made from), so a page that did not change is
        handled exactly as when it was first fetched."""
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if response.status != 304 or not response.meta.get("warc"):
            return response.body, ctype
        archive = Path(self.settings.get("ARCHIVER_ARCHIVE")) / "warc"
        return read_payload(archive, response.meta["warc"])

    def _skip(self, response: Response, reason: str) -> None:
        logger.info("%s: skipped %s: %s", self.slug, response.url, reason)
        self.crawler.stats.inc_value("archiver/skipped")

    def _count_error(self, kind: str, url: str) -> None:
        logger.warning("%s: %s for %s", self.slug, kind, url)
        self.crawler.stats.inc_value(f"archiver/errors/{kind}")

    def failed(self, failure: Failure) -> None:
        """Errback: a request that got no response at all (DNS, refused, timeout, robots)."""
        kind = failure.type.__name__ if failure.type else "error"
        request = getattr(failure, "request", None)
        kind = ERROR_KINDS.get(kind, kind)
        if "maxsize" in str(failure.value).lower() or "max size" in str(failure.value).lower():
            kind = "too_large"
        self._count_error(kind, request.url if request else "?")
