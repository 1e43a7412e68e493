"""The crawl: the only package that imports Scrapy and Twisted."""
