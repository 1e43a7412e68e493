"""thai-news-archiver: crawl Thai agency news into WARC, extract clean Thai text, search it."""

__version__ = "0.1.0"
