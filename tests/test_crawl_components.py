"""Each Scrapy component of ``archiver.crawl``, built alone with Scrapy's own
``scrapy.utils.test.get_crawler`` from the project's settings (no reactor, no network): what it
reads from the settings, and what it does with one request or response.

The crawl tests (``test_crawl*.py``) run the same components together against loopback servers;
these say which component broke when one of those fails.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from archiver import names
from archiver import settings as project
from archiver.crawl.agent import user_agent
from archiver.crawl.middlewares import BackoffRetryMiddleware, retry_after_seconds
from archiver.crawl.politeness import CrawlDelay

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
