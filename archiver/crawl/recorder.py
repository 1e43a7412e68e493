"""Scrapy extension that writes every fetch to the archive's WARC files.

It listens to ``response_downloaded``, which Scrapy sends before any downloader middleware has
touched the response: the body is still exactly as the server sent it (gzip included). Every
fetch is captured here, whatever the spider later does with it: listing pages, articles, media,
redirects, error pages and robots.txt alike. The location of the response record is put in the
request's meta (``warc``) so that the index can point at it, and what the spider took the page
for (``archiver_role`` in the request's meta: listing, article, image, attachment) is written
beside it as a metadata record, so that ``archiver reindex`` needs nothing but the WARCs.

Each site of a run has its own WARC files (``<slug>-<timestamp>-<serial>.warc.gz``), opened at
the site's first fetch: one crawler crawls every site of a run (``spiders.news``), and the
spider says which site a request belongs to (``slug_for``).

In cluster mode (``ARCHIVER_CLUSTER_NODE``: a crawl node) each node writes files of its own
(``<slug>-<timestamp>-<node>-<serial>.warc.gz``) and the captures are noted in Redis
(``archiver.cluster.captures``) instead of ``captures.db``; the record a killed holder left
un-noted is recovered by the node that takes its unit over (``recover``), not at start.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archiver import names
from archiver.archive import Archive
from archiver.crawl import sitestats
from archiver.errors import is_disk_full
from archiver.index.capture_log import Capture, CaptureLog, CaptureStore, capture_of
from archiver.warc.records import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    Fetch,
    Revisit,
    node_of,
    payload_digest,
    site_of,
    warc_files,
)
from archiver.warc.writer import WarcFileWriter

logger = logging.getLogger(__name__)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` as (name, value) str pairs, repeated names kept."""
    out = []
    for name, values in headers.items():
        for value in values:
            out.append((name.decode("latin-1"), value.decode("latin-1")))
    return out


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def fetch_from(request: Request, response: Response) -> Fetch:
    """The exchange as it went over the wire, rebuilt from Scrapy's request and response."""
    from urllib.parse import urlsplit

    host = urlsplit(request.url).netloc
    request_headers = [("Host", host)] + _pairs(request.headers)
    return Fetch(
        url=response.url,
        method=request.method,
        request_headers=request_headers,
        request_body=request.body or b"",
        protocol=response.protocol or "HTTP/1.1",
        status=response.status,
        reason=_reason(response.status),
        response_headers=_pairs(response.headers),
        body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
        date=dt.datetime.now(dt.UTC),
    )


class WarcCapture:
    """Writes a request + response record pair for every response the downloader receives."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        archive = settings.get("ARCHIVER_ARCHIVE")
        if not archive:
            raise NotConfigured("ARCHIVER_ARCHIVE is not set")
        self.directory = Archive.of(archive).warc
        self.max_size = settings.getint("ARCHIVER_WARC_MAX_SIZE")
        self.gzip_level = settings.getint("ARCHIVER_WARC_GZIP_LEVEL")
        self.operator = settings.get("ARCHIVER_OPERATOR")
        self.user_agent = settings.get("USER_AGENT")
        self.robots = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        self.crawler = crawler
        self.writers: dict[str, WarcFileWriter] = {}  # by site slug
        self.open = False
        self.failed = False  # a capture failed: the crawl is stopping
        self.node = settings.get("ARCHIVER_CLUSTER_NODE") or ""
        #: What was fetched when; the conditional-GET middleware reads it through this extension.
        self.captures: CaptureStore
        cluster = settings.get("ARCHIVER_CLUSTER")
        if self.node and cluster:
            from archiver.cluster.captures import RedisCaptures
            from archiver.cluster.connect import connect

            self.captures = RedisCaptures(connect(cluster, check=False, latched=True))
        else:
            self.captures = CaptureLog.open(Path(archive))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if not self.node:  # cluster mode: per unit, when a node takes it (ClusterNode)
            self.recover(_slugs(spider))
        self.open = True

    def recover(self, prefixes: list[str], node: str | None = None) -> int:
        """Before this run writes: captures whose record was cut off (a truncated file) are
        forgotten, so those pages are fetched again in full (``CaptureStore.forget_lost``);
        and the newest WARC file of an earlier run of each site may end with a capture it was
        killed before noting (``CaptureStore.recover``). ``node``: only the files that cluster
        node wrote (the previous holder of a unit this node takes over). Returns how many
        of the files ended with a capture that was not noted (a kill's window)."""
        for url in self.captures.forget_lost(self.directory, prefixes):
            logger.warning("%s: its archived record is lost; fetching it again", url)
        newest: dict[str, Path] = {}
        wanted = set(prefixes)
        for path in warc_files(self.directory):  # sorted: the newest of a prefix is the last
            if (slug := site_of(path.name)) in wanted and (
                node is None or node_of(path.name) == node
            ):
                newest[slug] = path
        noted = 0
        for path in newest.values():
            before = self.captures.high_water(path.name)
            try:
                for skipped in self.captures.recover(path):
                    logger.warning("damaged WARC: %s", skipped)
            except OSError as exc:  # unreadable (`archiver check` says more): go on
                logger.warning("could not read the end of %s: %s", path.name, exc)
            noted += self.captures.high_water(path.name) != before
        return noted

    def _writer(self, slug: str) -> WarcFileWriter:
        writer = self.writers.get(slug)
        if writer is None:
            info = {"robots": self.robots, "http-header-user-agent": self.user_agent}
            if self.operator:
                info["operator"] = self.operator
            writer = WarcFileWriter(
                self.directory, slug, self.max_size, info, self.gzip_level, self.node
            )
            self.writers[slug] = writer
        return writer

    def spider_closed(self, spider: Spider) -> None:
        self.open = False
        stats = self.crawler.stats
        for slug, writer in self.writers.items():
            sitestats.set_value(stats, slug, names.WARC_BYTES, writer.bytes_written)
            sitestats.set_value(stats, slug, names.WARC_RECORDS, writer.records_written)
            if stats is not None:
                stats.inc_value(names.WARC_BYTES, writer.bytes_written)
                stats.inc_value(names.WARC_RECORDS, writer.records_written)
            writer.close()
        self.writers.clear()
        self.captures.close()

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        """Capture one fetch. Scrapy's signal dispatch logs and swallows what a handler raises,
        so nothing may escape here: any failure stops the whole crawl (``sitestats.stop``) with
        a reason its report gives, and from then on nothing more is archived or indexed (a
        crawl never reports success without its records)."""
        if not self.open:
            return
        if self.failed:  # a capture failed: the crawl is stopping; nothing more is archived
            request.meta[names.WARC] = None
            return
        slug = slug_for(spider, request)
        try:
            self._capture(slug, response, request)
        except Exception as exc:  # a full disk, a bug: stop before indexing what is not archived
            request.meta[names.WARC] = None
            self._fail(slug, "warc_write_failed", exc)

    def _fail(self, slug: str, reason: str, exc: BaseException) -> None:
        self.failed = True
        kind = "disk_full" if is_disk_full(exc) else reason
        sitestats.inc(self.crawler.stats, slug, names.ERRORS_PREFIX + kind)
        sitestats.stop(self.crawler, reason, exc)

    def _capture(self, slug: str, response: Response, request: Request) -> None:
        sitestats.inc(self.crawler.stats, slug, names.RESPONSES)
        about = {
            "site": slug,
            "role": request.meta.get(names.ROLE, names.ROLE_OTHER),
            "article-url": request.meta.get(names.ARTICLE, ""),
        }
        fetch = fetch_from(request, response)
        looked = request.meta.get(names.EARLIER)
        # A crawl node looks again for a 200: another node may have noted this URL while this
        # request was out (it took the site over while this node was paused): a revisit then.
        # (A 304 answers the validators of the capture looked up before the request.)
        fresh = bool(self.node) and response.status != 304
        if looked is not None and looked[0] == response.url and not fresh:
            earlier = looked[1]
        else:
            earlier = self.captures.get(response.url, slug)
        revisit = _revisit_of(fetch, earlier)
        # the file is cut back to its last whole record when this fails (WarcWriteError)
        written = self._writer(slug).write_fetch(fetch, about, revisit)
        request.meta.pop(names.SHA1, None)  # (a redirect's request carries the old meta)
        sitestats.inc(self.crawler.stats, slug, names.BYTES_FETCHED, len(response.body))
        if revisit is not None and earlier is not None:
            request.meta[names.WARC] = earlier.location  # the index points at the bytes
            request.meta[names.REVISIT] = revisit.profile
            sitestats.inc(self.crawler.stats, slug, names.REVISITS)
            return
        request.meta[names.WARC] = written.location  # on disk: its index row may be written
        if not response.headers.get("Content-Encoding"):  # the body as the spider sees it
            request.meta[names.SHA1] = sha1_hex(written.digest)
        if 200 <= response.status < 300:
            try:
                self.captures.record(
                    capture_of(
                        response.url,
                        response.status,
                        fetch.response_headers,
                        written.digest,
                        written.date,
                        written.location,
                    ),
                    slug,
                )
            except Exception as exc:  # captures.db unwritable: the next run notes it (recover)
                self._fail(slug, "captures_write_failed", exc)


def _slugs(spider: Spider) -> list[str]:
    """The sites a spider crawls (``spiders.news``), or its name (any other spider)."""
    sites = getattr(spider, "sites", None)
    if isinstance(sites, dict):
        return list(sites)
    return [getattr(spider, "slug", None) or spider.name]


def slug_for(spider: Spider | None, request: Request) -> str:
    """The site slug of ``request`` (the spider's ``slug_for``, else the spider's name)."""
    of_request = getattr(spider, "slug_for", None)
    if of_request is not None:
        return str(of_request(request))
    return str(getattr(spider, "slug", None) or getattr(spider, "name", ""))


def sha1_hex(digest: str) -> str | None:
    """The hex SHA-1 of a ``sha1:BASE32`` WARC digest (the media table's form), or None."""
    label, _, value = digest.partition(":")
    if label.lower() != "sha1" or not value:
        return None
    try:
        return base64.b32decode(value).hex()
    except ValueError:
        return None


def _revisit_of(fetch: Fetch, earlier: Capture | None) -> Revisit | None:
    """A revisit when the server says Not Modified, or sends the same payload again."""
    if earlier is None:
        return None
    if fetch.status == 304:
        profile = PROFILE_NOT_MODIFIED
    elif 200 <= fetch.status < 300 and payload_digest(fetch.body) == earlier.digest:
        profile = PROFILE_IDENTICAL
    else:
        return None
    return Revisit(profile, earlier.url, earlier.warc_date, earlier.digest)
