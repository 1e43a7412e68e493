"""Cluster mode (issue 17): crawl nodes and one index writer sharing a Redis server.

Nothing here imports Scrapy: the Scrapy-facing parts (scheduler queue, acks, the stream pipeline)
live in ``archiver.crawl``; this package holds the Redis protocol they and the index writer share.
"""
