"""From a page to an ``Article``: rules as data (``rules``, ``lines``), node matching, the
extractor. No SQLite, no Scrapy.
"""
