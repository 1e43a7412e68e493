"""The generic news spider: from a listing URL to archived, extracted articles.

``scrapy crawl news -a url=LISTING`` works for any agency listing; registered agencies get a
subclass each (see ``spiders/agencies.py``) so that ``scrapy crawl <slug>`` works too. Every
fetch is written to WARC by ``archiver.capture`` whatever happens here; this spider decides what
to fetch and which pages are articles.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from archiver.index import Index
from archiver.items import ArticleItem, MediaItem
from archiver.pages import NotAPage, article_item, page_text
from archiver.site import Site, slug_for_url
from archiver.urls import canonical_url
from spiders.discovery import article_links, pagination_links

logger = logging.getLogger(__name__)


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
        self.known: set[str] = set()

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.full:
            self.known = self._known_urls()
        for listing in self.listings:
            yield scrapy.Request(
                listing,
                callback=self.parse_listing,
                errback=self.failed,
                cb_kwargs={"listing": listing},
                dont_filter=True,
                meta={"archiver_role": "listing"},
            )

    def _known_urls(self) -> set[str]:
        path = Path(self.settings.get("ARCHIVER_ARCHIVE")) / "index.db"
        if not path.exists():
            return set()
        with Index(path) as index:
            return index.known_article_urls(self.slug)

    # -- listing pages ---------------------------------------------------------------------------
    def parse_listing(self, response: Response, listing: str) -> Iterator[scrapy.Request]:
        html = self._html(response)
        if html is None:
            return
        links = article_links(html, response.url, listing)
        new = [u for u in links if u not in self.known]
        self.crawler.stats.inc_value("archiver/listing_pages")
        self.crawler.stats.inc_value("archiver/articles_known", len(links) - len(new))
        for url in new:
            if self.max_articles is not None and self.scheduled_articles >= self.max_articles:
                return
            self.scheduled_articles += 1
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.failed,
                meta={"archiver_role": "article"},
            )
        if links and not new:
            logger.info(
                "%s: every article on %s is archived already; stopping", self.slug, response.url
            )
            return
        for url in pagination_links(html, response.url, listing):
            yield scrapy.Request(
                url,
                callback=self.parse_listing,
                errback=self.failed,
                cb_kwargs={"listing": listing},
                meta={"archiver_role": "listing"},
            )

    # -- articles ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[ArticleItem | scrapy.Request]:
        html = self._html(response)
        if html is None:
            return
        item = article_item(html, response.url, self.slug, _now(), response.meta.get("warc"))
        if item is None:
            self._skip(response, "not an article (soft error, empty or no article text)")
            return
        if self.since and item.published and item.published < self.since:
            self._skip(response, f"published {item.published}, before --since {self.since}")
            return
        yield item
        for kind, urls in (("image", item.images), ("attachment", item.attachments)):
            for url in urls:
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
        mime = (response.headers.get("Content-Type") or b"").decode("latin-1").split(";")[0].strip()
        yield MediaItem(
            url=canonical_url(response.url),
            article_url=article_url,
            site=self.slug,
            kind=kind,
            mime=mime,
            size=len(response.body),
            sha1=hashlib.sha1(response.body).hexdigest(),
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
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
        try:
            return page_text(response.body, ctype, self.settings.getint("ARCHIVER_MAX_PAGE_BYTES"))
        except NotAPage as reason:
            self._skip(response, str(reason))
            return None

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
        if kind == "IgnoreRequest":
            kind = "robots_or_ignored"
        self._count_error(kind, request.url if request else "?")
