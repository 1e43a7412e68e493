"""Work shared by the crawl and ``reindex``: worker pools, page workers, the index writer
process, reindex and check.
"""
