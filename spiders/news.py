"""The generic news spider: from listing URLs to archived, extracted articles, for one site or
for every site of a run.

``scrapy crawl news -a url=LISTING`` works for any agency listing; registered agencies get a
subclass each (see ``spiders/agencies.py``) so that ``scrapy crawl <slug>`` works too.
``archiver crawl`` gives one spider every site of the run (``targets``): one crawler, whose
downloader keeps a slot per host (per-host politeness as with a crawler per site), one page-worker
pool and one index writer, however many sites (a crawler per site cost about 145 MB and two
processes each, issue 12). What the spider knows of each site (its archived articles and media,
its listing pages, its --max-articles count) lives in a ``SiteState``; every request carries its
site's slug in ``meta[names.SITE]``. Every fetch is written to WARC by
``archiver.crawl.recorder`` whatever happens here; this spider decides what to fetch and which
pages are articles.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import hashlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy import signals
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from archiver import names
from archiver.archive import Archive
from archiver.cluster.connect import LOST
from archiver.crawl import sitestats
from archiver.errors import ArchiverError
from archiver.extract.items import ArticleItem, MediaItem
from archiver.extract.pages import NotAPage, page_text
from archiver.extract.requisites import (
    css_references,
    is_default_icon,
    is_stylesheet,
    page_requisites,
)
from archiver.index.store import Index
from archiver.jobs.workers import PageWorkers, crawl_workers, process_article, workers_segment
from archiver.registry import Site, slug_for_url
from archiver.urls import canonical_url
from archiver.warc.reader import read_payload
from archiver.warc.records import file_sizes
from spiders.discovery import article_links, pagination_links

logger = logging.getLogger(__name__)


#: Report names for the exceptions a request can end with.
ERROR_KINDS = {
    "IgnoreRequest": "robots_or_ignored",
    "CancelledError": "too_large",  # DOWNLOAD_MAXSIZE cancels the transfer
    "ResponseNeverReceived": "connection_lost",
    "TCPTimedOutError": "TimeoutError",
}


def _stream_walked(url: str, slugs: list[str], when: str) -> None:
    """Cluster mode: the walked listings to the item stream, for the one index writer."""
    import redis

    from archiver.cluster.connect import connect
    from archiver.cluster.stream import WALKED, Producer

    client = connect(url)
    try:
        Producer(client).add_many((WALKED, {"slug": slug, "when": when}) for slug in slugs)
    except redis.RedisError as exc:
        raise ArchiverError(f"Redis at {url}: {exc}") from exc
    finally:
        client.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class SiteState:
    """One site of the run: its listings, and what the archive and this run know of it."""

    slug: str
    listings: list[str]
    site: Site | None = None
    scheduled_articles: int = 0
    cut_short: bool = False  # --max-articles stopped the walk: not a complete pass
    listing_failed: bool = False  # a listing page could not be fetched or read: neither
    known: dict[str, str] = field(default_factory=dict)  # indexed article URL -> last seen
    known_media: set[str] = field(default_factory=set)  # images, attachments, requisites
    #: Requisites asked for in this run (canonical): each once per run, ``--full`` too.
    requisites: set[str] = field(default_factory=set)
    #: What each archived stylesheet loads (canonical), looked at without fetching it again.
    sheet_loads: dict[str, list[str]] = field(default_factory=dict)
    #: Known articles a run that ended early left without all their media (fetched again).
    incomplete: set[str] = field(default_factory=set)
    #: Listing pages asked for in this run. Scrapy's duplicate filter would drop the
    #: repeats too, but a listing links to all its pages: 250 pages of 250 links each
    #: made 62,000 requests to build, fingerprint and drop (bench/crawl).
    listing_pages: set[str] = field(default_factory=set)
    walked_before: bool = False


class NewsSpider(scrapy.Spider):
    """Crawl news listings, their pagination, their articles, the articles' media and the
    pages' requisites."""

    name = names.GENERIC_SPIDER
    site: Site | None = None  # set on per-agency subclasses

    def __init__(
        self,
        url: str | None = None,
        slug: str | None = None,
        max_articles: int | str | None = None,
        since: str | None = None,
        full: bool | str = False,
        targets: Sequence[tuple[str, Sequence[str], Site | None]] | None = None,
        **kwargs: Any,
    ) -> None:
        """One site from ``url`` (comma-separated listings) / ``slug`` / the class's registry
        entry, as ``scrapy crawl`` gives them; or every site of a run as ``targets``:
        ``(slug, listing URLs, registry entry or None)`` each."""
        super().__init__(**kwargs)
        if not targets:
            urls = [u for u in (url or "").split(",") if u]
            if self.site is not None and not urls:
                urls = list(self.site.listings)
            if not urls:
                raise ValueError("the news spider needs a listing URL: -a url=https://...")
            name = slug or (self.site.slug if self.site else slug_for_url(urls[0]))
            targets = [(name, urls, self.site)]
        self.sites = {t[0]: SiteState(t[0], list(t[1]), t[2]) for t in targets}
        #: The site of a request that carries none (robots.txt): by host and port.
        self.by_netloc: dict[str, str] = {}
        for state in self.sites.values():
            for listing in state.listings:
                self.by_netloc.setdefault(urlsplit(listing).netloc, state.slug)
        self.slug = next(iter(self.sites))  # the first (the only one, for scrapy crawl)
        self.max_articles = int(max_articles) if max_articles else None
        self.since = since or None
        self.full = str(full).lower() in ("1", "true", "yes")
        self.recheck_before = ""  # known articles last seen before this are fetched again
        self.workers = PageWorkers(0)  # article pages are processed here (set from settings)
        self.fetch_requisites = True  # ARCHIVER_REQUISITES
        #: Cluster mode: the sites whose run this node finished (``archiver.crawl.cluster``).
        self.cluster_finished: set[str] = set()

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
        spider.fetch_requisites = crawler.settings.getbool("ARCHIVER_REQUISITES")
        days = crawler.settings.getfloat("ARCHIVER_RECHECK_DAYS")
        if days > 0:
            when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
            spider.recheck_before = when.isoformat(timespec="seconds")
        crawler.signals.connect(spider._callback_failed, signal=signals.spider_error)
        return spider

    def slug_for(self, request: Request) -> str:
        """The slug of the site ``request`` belongs to (its meta, else its host and port)."""
        slug = request.meta.get(names.SITE)
        if slug is None:
            slug = self.by_netloc.get(urlparse_cached(request).netloc, self.slug)
        return str(slug)

    def registered_sites(self) -> list[Site]:
        """The registry entries of the run's sites (the index's ``sites`` table)."""
        return [s.site for s in self.sites.values() if s.site is not None]

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Everything loaded so far (Scrapy, lxml, trafilatura, ...) lives as long as the crawl:
        # out of the collector's sight, full collections stop pausing the reactor for ~0.1 s.
        gc.freeze()
        self._load_archive_state()
        if self.settings.get("ARCHIVER_CLUSTER_NODE"):  # the node seeds the sites it leases
            return
        for slug in self.sites:
            for request in self.seed_requests(slug):
                yield request

    def seed_requests(self, slug: str) -> list[scrapy.Request]:
        """The requests a run of site ``slug`` starts from: its listing URLs. In cluster mode
        (``archiver.crawl.cluster``) the node that starts a run of the site's unit pushes them
        to the shared frontier; otherwise they are this spider's start requests."""
        state = self.sites[slug]
        requests = []
        for listing in state.listings:
            state.listing_pages.add(canonical_url(listing))
            request = self._listing_request(state, listing, listing, dont_filter=True)
            request.meta[names.START] = True  # one of the site's own listing URLs
            requests.append(request)
        return requests

    def _load_archive_state(self) -> None:
        """What this archive already holds for each site: indexed articles and media (not
        those whose WARC record was cut off by truncation: they are fetched again), and
        whether an earlier run walked the whole listing (only then may a run stop early; not
        when articles were lost, which may be linked from any listing page)."""
        archive = Archive.of_settings(self.settings)
        if not archive.index.exists():
            return
        sizes = file_sizes(archive.warc)  # a row whose record is cut off is not known
        with Index(archive.index) as index:
            settled = index.settled(self.sites)
            for state in self.sites.values():
                lost: set[str] = set()
                state.known = index.known_articles(state.slug, sizes, lost)
                state.known_media = index.known_media(state.slug, sizes)
                state.sheet_loads = index.media_loads(state.slug)
                state.incomplete = index.incomplete_articles(
                    state.slug, state.known_media, settled[state.slug]
                )
                # a lost article may be on any listing page: walk them all to find it again
                state.walked_before = index.walked(state.slug) is not None and not lost
                if lost:
                    logger.warning("%s: %d archived articles were lost", state.slug, len(lost))

    def closed(self, reason: str) -> None:
        """A run that went through a site's whole listing (not killed, not cut short by
        --max-articles, no listing page lost to an error) lets later runs stop at the first
        page with nothing new."""
        self.workers.close()
        if reason != "finished":
            return
        when = _now()
        walked = [
            state.slug
            for state in self.sites.values()
            if not state.cut_short and not state.listing_failed
        ]
        if self.settings.get("ARCHIVER_CLUSTER_NODE"):  # a crawl node: the runs it finished
            walked = [slug for slug in walked if slug in self.cluster_finished]
        cluster = self.settings.get("ARCHIVER_CLUSTER")
        try:
            if cluster:  # the cluster's index writer notes them (archiver.cluster.stream)
                _stream_walked(str(cluster), walked, when)
                return
            with Index(Archive.of_settings(self.settings).index) as index:
                for slug in walked:
                    index.mark_walked(slug, when)
        except (OSError, sqlite3.Error, ArchiverError) as exc:  # a full disk, Redis away:
            logger.error("could not note the walked listings: %s", exc)  # walked again

    def _due(self, state: SiteState, url: str) -> bool:
        """Whether an article must be fetched: new, or known but --full / due for a recheck."""
        if url not in state.known or url in state.incomplete:
            return True
        return self.full or (bool(self.recheck_before) and state.known[url] < self.recheck_before)

    def _listing_request(
        self, state: SiteState, url: str, listing: str, dont_filter: bool = False
    ) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_listing,
            errback=self.failed,
            cb_kwargs={"listing": listing},
            dont_filter=dont_filter,
            meta={names.ROLE: names.ROLE_LISTING, names.SITE: state.slug},
        )

    def _state(self, response: Response) -> SiteState:
        request = response.request or Request(response.url)
        return self.sites.get(self.slug_for(request)) or self._first()

    # -- listing pages ---------------------------------------------------------------------------
    def parse_listing(self, response: Response, listing: str) -> Iterator[scrapy.Request]:
        state = self._state(response)
        html = self._html(state, response)
        if html is None:
            self._listing_failed(state, response.request, response.url, self._problem(response))
            return
        page = Selector(text=html)  # one parse for both kinds of links
        links = article_links(page, response.url, listing)
        due = [u for u in links if self._due(state, u)]
        new = [u for u in links if u not in state.known]
        self._count(state, names.LISTING_PAGES)
        self._count(state, names.ARTICLES_KNOWN, len(links) - len(due))
        if self.fetch_requisites:  # a replayed listing has its layout too (once per run)
            yield from self._requisites(
                state, page_requisites(page.root, response.url), response.url, response.url
            )
        for url in due:
            if self.max_articles is not None and state.scheduled_articles >= self.max_articles:
                state.cut_short = True
                return
            state.scheduled_articles += 1
            yield scrapy.Request(
                url,
                callback=self.parse_article,
                errback=self.failed,
                meta={names.ROLE: names.ROLE_ARTICLE, names.SITE: state.slug},
            )
        if links and not new and state.walked_before and not self.full:
            logger.info("%s: nothing new on %s; stopping", state.slug, response.url)
            return
        for url in pagination_links(page, response.url, listing):
            if url not in state.listing_pages:  # each page links to every other: ask once
                state.listing_pages.add(url)
                yield self._listing_request(state, url, listing)

    # -- articles ---------------------------------------------------------------------------------
    async def parse_article(
        self, response: Response
    ) -> AsyncIterator[ArticleItem | scrapy.Request]:
        """Extraction and segmentation run in a page worker (``archiver.jobs.workers``); the
        reactor goes on fetching meanwhile."""
        state = self._state(response)
        if response.status >= 400:
            self._count_error(state, f"http_{response.status}", response.url)
            return
        body, ctype = self._body(response)
        job = self.workers.submit(
            process_article,
            body,
            ctype,
            response.url,
            state.slug,
            _now(),
            response.meta.get(names.WARC),
            self.settings.getint("ARCHIVER_MAX_PAGE_BYTES"),
            self.workers.segment,  # else the index writer segments
        )
        try:
            done = await asyncio.wrap_future(job)
        except Exception as exc:  # a worker died, or a bug of ours on this page: count it
            logger.error("%s: processing %s failed: %r", state.slug, response.url, exc)
            self._count(state, "archiver/errors/processing_failed")
            return
        item = done.item
        if item is None:
            self._skip(state, response, done.skipped or "")
            return
        if self.since and item.published and item.published < self.since:
            self._skip(state, response, f"published {item.published}, before --since {self.since}")
            return
        yield item
        for kind, urls in (
            (names.ROLE_IMAGE, item.images),
            (names.ROLE_IMAGE, item.image_sources),  # every other srcset candidate, src
            (names.ROLE_ATTACHMENT, item.attachments),
        ):
            for url in urls:
                if url in state.known_media and not self.full:
                    continue  # archived with an earlier article (same URL): not again
                state.known_media.add(url)
                yield scrapy.Request(
                    url,
                    callback=self.parse_media,
                    errback=self.failed,
                    cb_kwargs={"article_url": response.url, "kind": kind},
                    headers={"Referer": response.url},
                    meta={
                        names.ROLE: kind,
                        names.ARTICLE: response.url,
                        names.SITE: state.slug,
                    },
                )
        if self.fetch_requisites:
            for request in self._requisites(state, item.requisites, response.url, response.url):
                yield request  # (no ``yield from`` in an async generator)

    # -- requisites -------------------------------------------------------------------------------
    def _requisites(
        self, state: SiteState, urls: Iterable[str], article_url: str, referer: str
    ) -> Iterator[scrapy.Request]:
        """The requests for the requisites ``urls`` of ``article_url`` (an article or a listing
        page; found on ``referer``: the page or a stylesheet): none for those this run asked
        for already (a theme shared by every page is fetched once per run), nor for those an
        earlier run archived (as media), but with ``--full`` (then once, with a conditional
        GET). What an archived stylesheet loads is looked at in turn, from what the index
        keeps of it: a run that ended early may have archived a stylesheet but not its fonts."""
        for url in urls:
            key = canonical_url(url)
            if key in state.requisites:
                continue
            state.requisites.add(key)
            if key in state.known_media and not self.full:
                yield from self._requisites(state, state.sheet_loads.get(key, ()), article_url, url)
                continue
            state.known_media.add(key)
            yield scrapy.Request(
                url,
                callback=self.parse_requisite,
                errback=self.failed,
                cb_kwargs={"article_url": article_url},
                headers={"Referer": referer},
                meta={
                    names.ROLE: names.ROLE_REQUISITE,
                    names.ARTICLE: article_url,
                    names.SITE: state.slug,
                },
            )

    def parse_requisite(
        self, response: Response, article_url: str
    ) -> Iterator[MediaItem | scrapy.Request]:
        """A requisite: a media row (so later runs know it), and a stylesheet's own
        references (``@import``, fonts, background images) asked for in turn. One that
        fails is counted in the report (``requisite_http_404``, ...) and nothing more; but
        a ``/favicon.ico`` that is not there (404, 410) is no error: most sites have none."""
        state = self._state(response)
        if response.status in (404, 410) and is_default_icon(response.url):
            logger.info("%s: no icon at %s (%d)", state.slug, response.url, response.status)
            # a media row all the same: later runs know it and do not ask again (but with
            # --full), so an unchanged site's next run stores no new response record
            yield self._media_item(response, article_url, names.ROLE_REQUISITE, ())
            return
        if response.status >= 400:
            self._count_error(state, f"{names.REQUISITE_ERROR}http_{response.status}", response.url)
            return
        body, ctype = self._body(response)
        loads: list[str] = []
        if is_stylesheet(response.url, ctype):
            found = css_references(body.decode("utf-8", "replace"), response.url)
            yield from self._requisites(state, found, article_url, response.url)
            loads = list(dict.fromkeys(canonical_url(u) for u in found))
        yield from self.parse_media(response, article_url, names.ROLE_REQUISITE, loads)

    def parse_media(
        self, response: Response, article_url: str, kind: str, loads: Sequence[str] = ()
    ) -> Iterator[MediaItem]:
        state = self._state(response)
        if response.status >= 400:
            self._count_error(state, f"http_{response.status}", response.url)
            return
        yield self._media_item(response, article_url, kind, loads)

    def _media_item(
        self, response: Response, article_url: str, kind: str, loads: Sequence[str]
    ) -> MediaItem:
        state = self._state(response)
        body, ctype = self._body(response)
        return MediaItem(
            url=canonical_url(response.url),
            article_url=article_url,
            site=state.slug,
            kind=kind,
            mime=ctype.split(";")[0].strip(),
            size=len(body),
            # the WARC's payload digest is this hash already, when the body is as it was sent
            sha1=response.meta.get(names.SHA1) or hashlib.sha1(body).hexdigest(),
            status=response.status,
            fetched_at=_now(),
            warc=response.meta.get(names.WARC),
            loads=list(loads),
        )

    # -- helpers ----------------------------------------------------------------------------------
    def _html(self, state: SiteState, response: Response) -> str | None:
        """The page as text, or None (reported) for error statuses, binaries and huge pages."""
        if response.status >= 400:
            self._count_error(state, f"http_{response.status}", response.url)
            return None
        body, ctype = self._body(response)
        try:
            return page_text(body, ctype, self.settings.getint("ARCHIVER_MAX_PAGE_BYTES"))
        except NotAPage as reason:
            response.meta[names.NOT_A_PAGE] = str(reason)
            self._skip(state, response, str(reason))
            return None

    @staticmethod
    def _problem(response: Response) -> str:
        if response.status >= 400:
            return f"http_{response.status}"
        return f"not a page: {response.meta.get(names.NOT_A_PAGE, '?')}"

    def _listing_failed(
        self, state: SiteState, request: Request | None, url: str, problem: str
    ) -> None:
        """A listing page that could not be fetched or read: a problem of the run's report
        (``listing_errors``); when it is one of the site's own listing URLs (not a further
        page of one), nothing of the site could be crawled from it (``start_listings_failed``:
        the site fails when all of them do). The next run walks the whole listing again."""
        state.listing_failed = True
        sitestats.append(self.crawler.stats, state.slug, names.LISTING_ERRORS, f"{url} ({problem})")
        if request is not None and request.meta.get(names.START):
            self._count(state, names.START_LISTINGS_FAILED)

    def _body(self, response: Response) -> tuple[bytes, str]:
        """The body and content type; for a ``304 Not Modified`` those of the archived copy
        (the capture the conditional GET was made from), so a page that did not change is
        handled exactly as when it was first fetched."""
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1")
        if response.status != 304 or not response.meta.get(names.WARC):
            return response.body, ctype
        archive = Archive.of_settings(self.settings).warc
        return read_payload(archive, response.meta[names.WARC])

    def _count(self, state: SiteState, name: str, count: int = 1) -> None:
        sitestats.inc(self.crawler.stats, state.slug, name, count)

    def _skip(self, state: SiteState, response: Response, reason: str) -> None:
        logger.info("%s: skipped %s: %s", state.slug, response.url, reason)
        self._count(state, names.SKIPPED)

    def _count_error(self, state: SiteState, kind: str, url: str) -> None:
        logger.warning("%s: %s for %s", state.slug, kind, url)
        self._count(state, names.ERRORS_PREFIX + kind)

    def failed(self, failure: Failure) -> None:
        """Errback: a request that got no response at all (DNS, refused, timeout, robots)."""
        kind = failure.type.__name__ if failure.type else "error"
        request = getattr(failure, "request", None)
        kind = ERROR_KINDS.get(kind, kind)
        if "maxsize" in str(failure.value).lower() or "max size" in str(failure.value).lower():
            kind = "too_large"
        state = self.sites.get(self.slug_for(request)) if request is not None else None
        state = state or self._first()
        if LOST.is_set():  # the cluster's Redis failed, not the site: the stop line says so
            if request is not None and request.meta.get(names.ROLE) == names.ROLE_LISTING:
                state.listing_failed = True  # the next run walks the whole listing
            return
        if request is not None and request.meta.get(names.ROLE) == names.ROLE_REQUISITE:
            if kind == ERROR_KINDS["IgnoreRequest"] and is_default_icon(request.url):
                logger.info("%s: robots.txt disallows %s", state.slug, request.url)
                return  # a guess of ours that the site forbids: not an error of the run
            kind = names.REQUISITE_ERROR + kind  # in the report, never a failed site
        self._count_error(state, kind, request.url if request else "?")
        if request is not None and request.meta.get(names.ROLE) == names.ROLE_LISTING:
            self._listing_failed(state, request, request.url, kind)

    def _callback_failed(self, failure: Failure, response: Response, spider: Any) -> None:
        """A bug of ours on some page (Scrapy counts ``spider_exceptions/<type>`` for the
        run): counted for the page's site too, so that its report shows it."""
        name = failure.type.__name__ if failure.type else "Exception"
        state = self._state(response)
        self.crawler.stats.inc_value(sitestats.key(state.slug, f"spider_exceptions/{name}"))

    def _first(self) -> SiteState:
        return self.sites[self.slug]
