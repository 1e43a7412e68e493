"""Each Scrapy component of ``archiver.crawl``, built alone with Scrapy's own
``scrapy.utils.test.get_crawler`` from the project's settings (no reactor, no network): what it
reads from the settings, and what it does with one request or response.

The crawl tests (``test_crawl*.py``) run the same components together against loopback servers;
these say which component broke when one of those fails.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extension import ExtensionManager
from scrapy.http import HtmlResponse, Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archiver import names
from archiver import settings as project
from archiver.archive import Archive
from archiver.crawl.agent import user_agent
from archiver.crawl.middlewares import (
    BackoffRetryMiddleware,
    ConditionalGetMiddleware,
    retry_after_seconds,
)
from archiver.crawl.pipelines import IndexPipeline
from archiver.crawl.politeness import CrawlDelay
from archiver.crawl.recorder import WarcCapture
from archiver.extract.items import ArticleItem
from archiver.index.store import Index
from archiver.warc.records import RecordLocation

URL = "http://127.0.0.1:9/news/1.html"


def crawler(**overrides: Any) -> Crawler:
    """A crawler with the project's settings (as ``archiver crawl`` loads them) and
    ``overrides`` at command-line priority, like ``-s NAME=VALUE``."""
    settings = Settings()
    settings.setmodule(project, priority="project")
    values = {name: settings[name] for name in settings}
    values["TWISTED_REACTOR_ENABLED"] = False  # components only: nothing is downloaded
    values.update(overrides)
    made = get_crawler(settings_dict=values)
    made.spider = Spider.from_crawler(made, name="components")  # what retries are counted for
    return made


# -- the User-Agent add-on -------------------------------------------------------------------
def test_the_user_agent_is_made_from_the_contact_url_in_force() -> None:
    contact = "https://example.org/x"
    assert crawler(ARCHIVER_CONTACT_URL=contact).settings["USER_AGENT"] == user_agent(contact)
    assert f"(+{project.ARCHIVER_CONTACT_URL})" in crawler().settings["USER_AGENT"]


def test_a_user_agent_given_by_the_user_wins_over_the_contact_url() -> None:
    made = crawler(USER_AGENT="MyArchive/1.0", ARCHIVER_CONTACT_URL="https://example.org/x")
    assert made.settings["USER_AGENT"] == "MyArchive/1.0"


# -- retries ---------------------------------------------------------------------------------
def test_the_retry_middleware_reads_its_defaults_from_the_settings_module() -> None:
    middleware = BackoffRetryMiddleware.from_crawler(crawler())
    assert middleware.backoff == project.ARCHIVER_RETRY_BACKOFF
    assert middleware.retry_after_max == project.ARCHIVER_RETRY_AFTER_MAX
    changed = BackoffRetryMiddleware.from_crawler(crawler(ARCHIVER_RETRY_BACKOFF=0.25))
    assert changed.backoff == 0.25


def test_a_5xx_is_retried_with_one_more_attempt_counted() -> None:
    middleware = BackoffRetryMiddleware.from_crawler(crawler(ARCHIVER_RETRY_BACKOFF=0))
    request = Request(URL)
    retry = asyncio.run(middleware.process_response(request, Response(URL, status=503)))
    assert isinstance(retry, Request) and retry.meta["retry_times"] == 1


def test_a_retry_after_over_the_limit_gives_up_and_is_counted() -> None:
    made = crawler()
    middleware = BackoffRetryMiddleware.from_crawler(made)
    response = Response(URL, status=503, headers={"Retry-After": "9999"})
    assert asyncio.run(middleware.process_response(Request(URL), response)) is response
    assert made.stats is not None
    assert made.stats.get_value(names.RETRY_AFTER_TOO_LONG) == 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(b"120", 120.0), (b"Wed, 21 Oct 2015 07:28:00 GMT", 0.0), (b"soon", None), (None, None)],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(
    header: bytes | None, seconds: float | None
) -> None:
    assert retry_after_seconds(header, now=2_000_000_000.0) == seconds


# -- robots.txt Crawl-delay -------------------------------------------------------------------
def test_a_robots_crawl_delay_for_our_agent_is_kept_up_to_the_maximum() -> None:
    made = crawler(ARCHIVER_MAX_CRAWL_DELAY=30)
    extension = CrawlDelay.from_crawler(made)
    robots = b"User-agent: *\nCrawl-delay: 500\n"
    extension.robots_parsed(ProtegoRobotParser.from_crawler(made, robots), Request(URL))
    assert extension.delays == {"127.0.0.1": 30.0}


def test_a_crawl_delay_for_another_agent_is_not_ours() -> None:
    made = crawler()
    extension = CrawlDelay.from_crawler(made)
    robots = b"User-agent: SomeOtherBot\nCrawl-delay: 10\n"
    extension.robots_parsed(ProtegoRobotParser.from_crawler(made, robots), Request(URL))
    assert extension.delays == {}


# -- the WARC recorder and the conditional GET ---------------------------------------------------
def _fetch(capture: WarcCapture, spider: Spider, body: bytes) -> Request:
    request = Request(URL, meta={names.ROLE: names.ROLE_ARTICLE})
    headers = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'}
    response = HtmlResponse(URL, status=200, headers=headers, body=body, request=request)
    capture.response_downloaded(response, request, spider)
    return request


def test_the_recorder_writes_each_fetch_and_a_revisit_for_the_same_bytes(tmp_path: Path) -> None:
    made = crawler(ARCHIVER_ARCHIVE=str(tmp_path))
    capture = WarcCapture.from_crawler(made)
    spider = made.spider
    assert spider is not None
    capture.spider_opened(spider)
    first = _fetch(capture, spider, "<p>ข่าว</p>".encode())
    again = _fetch(capture, spider, "<p>ข่าว</p>".encode())
    capture.spider_closed(spider)

    assert names.REVISIT not in first.meta and again.meta[names.REVISIT]
    assert again.meta[names.WARC] == first.meta[names.WARC]  # the index points at the bytes
    (path,) = Archive(tmp_path).warc.glob("*.warc.gz")
    with path.open("rb") as stream:
        kinds = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
            for r in ArchiveIterator(stream)
        ]
    assert [k for k, _ in kinds] == [
        "warcinfo", "response", "request", "metadata", "revisit", "request", "metadata",
    ]  # fmt: skip
    assert {uri for kind, uri in kinds if kind != "warcinfo"} == {URL}


def test_the_conditional_get_sends_the_validators_of_the_last_capture(tmp_path: Path) -> None:
    made = crawler(ARCHIVER_ARCHIVE=str(tmp_path))
    made.extensions = ExtensionManager.from_crawler(made)  # what the engine builds at start
    capture = made.get_extension(WarcCapture)
    spider = made.spider
    assert capture is not None and spider is not None
    capture.spider_opened(spider)
    _fetch(capture, spider, b"<p>one</p>")
    request = Request(URL)
    ConditionalGetMiddleware.from_crawler(made).process_request(request)
    capture.spider_closed(spider)
    assert request.headers[b"If-None-Match"] == b'"v1"'
    assert request.meta[names.EARLIER][1] is not None


# -- the index pipeline ---------------------------------------------------------------------------
def test_the_index_pipeline_writes_articles_through_its_writer_process(tmp_path: Path) -> None:
    made = crawler(
        ARCHIVER_ARCHIVE=str(tmp_path), ARCHIVER_INDEX_BATCH=1, ARCHIVER_INDEX_BATCH_SECONDS=0
    )
    pipeline = IndexPipeline.from_crawler(made)
    pipeline.open_spider()
    item = ArticleItem(
        url=URL,
        site="components",
        title="ข่าวทดสอบ",
        published="2021-11-09",
        published_raw="9 พ.ย. 64",
        author=None,
        photographer=None,
        text="ศูนย์คุณธรรมหารือวัฒนธรรมจังหวัด",
        warc=RecordLocation("components-20211109000000-00000.warc.gz", 0, 100),
    )
    unarchived = ArticleItem(**{**item.__dict__, "url": URL + "?lost", "warc": None})
    pipeline.process_item(unarchived)  # its WARC write failed: never indexed
    pipeline.process_item(item)
    pipeline.process_item(item)  # the same article again: unchanged
    pipeline.close_spider()
    stats = made.stats
    assert stats is not None
    assert stats.get_value(names.ARTICLES_PREFIX + "new") == 1
    assert stats.get_value(names.ARTICLES_PREFIX + "unchanged") == 1
    with Index(Archive(tmp_path).index) as index:
        assert index.article(URL)["title"] == "ข่าวทดสอบ"  # type: ignore[index]
        assert index.article(URL + "?lost") is None
    assert stats.get_value(names.NOT_ARCHIVED) == 1
