"""The ceiling for anything built on Scrapy: fetch the listing pages, the articles and the articles'
images of the benchmark site, and throw them away (no WARC, no extraction, no index).

    scrapy runspider bench/crawl/bare_spider.py -a url=http://127.0.0.1:PORT/news/pr-news.html \\
        -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s CONCURRENT_REQUESTS=16 \\
        -s CONCURRENT_REQUESTS_PER_DOMAIN=16 -s CONCURRENT_ITEMS=8 ...

Run it from a directory without a ``scrapy.cfg`` so the project's settings stay out of it.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.start_urls = [url]

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        """A listing page: its articles and the pagination (the dupe filter drops repeats)."""
        for href in response.css("h2.item-title a::attr(href)").getall():
            yield response.follow(href, callback=self.parse_article)
        for href in response.css("ul.pagination a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        for src in response.css('div[itemprop="articleBody"] img::attr(src)').getall():
            yield response.follow(src, callback=self.discard)

    def discard(self, response: Response) -> None:
        return None
