"""Scrapy settings: the one place configuration lives (``scrapy crawl`` and ``archiver crawl``).

Our own keys are ``ARCHIVER_*``. Anything here can be overridden per run with
``archiver crawl -s NAME=VALUE`` or ``scrapy crawl -s NAME=VALUE``.
"""

import os

BOT_NAME = "thai-news-archiver"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# -- the archive ------------------------------------------------------------------------------
ARCHIVER_ARCHIVE = os.environ.get("ARCHIVER_ARCHIVE", "archive")
ARCHIVER_WARC_MAX_SIZE = 1_000_000_000  # rotate near 1 GB (DESIGN.md)
#: gzip level of text records (pages, requests, metadata; photos and PDFs are stored at 0):
#: 1-3 with ISA-L (3: Thai HTML to 28.5% in 0.17 ms a page), 4-9 with zlib (6: 22.9% in
#: 2.4 ms); see archiver.warc.
ARCHIVER_WARC_GZIP_LEVEL = 3
ARCHIVER_OPERATOR = ""  # who runs the crawl, written into every warcinfo record
#: Where site owners can read about this crawler; part of the User-Agent.
ARCHIVER_CONTACT_URL = "https://github.com/thai-news-archiver/thai-news-archiver"
#: Known articles are fetched again (with a conditional GET) once their last check is older
#: than this many days; 0 never (only ``--full`` does).
ARCHIVER_RECHECK_DAYS = 0.0
#: Largest article page we try to extract (bytes of decoded HTML); bigger pages are archived
#: but skipped with a reason.
ARCHIVER_MAX_PAGE_BYTES = 5_000_000
#: Fetch each article page's requisites (stylesheets and what they load, scripts, icons, the
#: page's other images), once per run each and, like media, not again in later runs but with
#: ``--full`` (then with a conditional GET). False: the article, its images and attachments only.
ARCHIVER_REQUISITES = True


# -- politeness (DEVELOPERS.md: obey robots.txt, identify, throttle per host) ----------------
#: Unset: "thai-news-archiver/<version> (+<ARCHIVER_CONTACT_URL>)", made when the crawl starts
#: from the settings in force (``archiver.crawl.agent``); ``-s USER_AGENT=...`` replaces it.
USER_AGENT = None
ADDONS = {"archiver.crawl.agent.UserAgent": 0}
ROBOTSTXT_OBEY = True
#: Per site: a run of N sites may have N times this many requests in flight
#: (``archiver.crawl.run_concurrency``); per host, CONCURRENT_REQUESTS_PER_DOMAIN rules.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
#: One crawler crawls every site of a run: the next request comes from the host with the
#: fewest downloads in flight, so a site with a long queue never holds up the others.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
#: Seconds before the first retry of a 5xx or a timeout, doubled for each further one; a
#: server's Retry-After wins, and one over ARCHIVER_RETRY_AFTER_MAX gives up for this run.
ARCHIVER_RETRY_BACKOFF = 2.0
ARCHIVER_RETRY_AFTER_MAX = 120.0
#: robots.txt Crawl-delay is obeyed up to this many seconds.
ARCHIVER_MAX_CRAWL_DELAY = 60.0
DOWNLOAD_TIMEOUT = 60
#: Responses over this size are cut off and reported (``too_large``), not archived.
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
#: Keep 404 and other error pages: they are archived and reported, never indexed.
HTTPERROR_ALLOW_ALL = True

# -- the pipeline -------------------------------------------------------------------------------
EXTENSIONS = {
    "archiver.crawl.recorder.WarcCapture": 100,
    "archiver.crawl.politeness.CrawlDelay": 200,
}
#: Scrapy's downloader, fixed to keep CONCURRENT_REQUESTS_PER_DOMAIN with no delay.
DOWNLOADER = "archiver.crawl.downloader.PoliteDownloader"
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "archiver.crawl.middlewares.BackoffRetryMiddleware": 550,
    "archiver.crawl.middlewares.ConditionalGetMiddleware": 580,
}
#: Processes that decode, extract and segment article pages (``archiver.jobs.workers``); unset:
#: one per CPU core but one, at least one; 0: in the crawl's own process. With fewer than
#: two, the index writer segments the articles (``workers.workers_segment``).
ARCHIVER_WORKERS = None
#: The index is written in batches of this many items, or of what came within this many
#: seconds (``archiver.crawl.pipelines``).
ARCHIVER_INDEX_BATCH = 100
ARCHIVER_INDEX_BATCH_SECONDS = 1.0
#: Cluster mode: the Redis URL (``redis://HOST:PORT/DB``) of the cluster. Set, the items go to
#: its item stream (``archiver.crawl.stream_pipeline``) for the one ``archiver index-writer``,
#: and so do the run's report and sites; empty (one machine): into ``index.db`` directly.
ARCHIVER_CLUSTER = ""
#: Both pipelines are listed; the one ARCHIVER_CLUSTER does not select declines to start.
ITEM_PIPELINES = {
    "archiver.crawl.pipelines.IndexPipeline": 300,
    "archiver.crawl.stream_pipeline.StreamPipeline": 300,
}
#: Each response's callback output runs through this many tasks: 100 (the default) costs CPU
#: for nothing here (FACTS.md: 8 made a fetch-only crawl 1.6x cheaper).
CONCURRENT_ITEMS = 8

# -- cluster mode (archiver crawl --cluster URL --node NAME; archiver.crawl.cluster) ------------
#: Set by ``--node`` (with ``--cluster``, which sets ARCHIVER_CLUSTER above), not by hand:
#: this crawl node's name; set, the node shares the frontier, the leases and the captures.
ARCHIVER_CLUSTER_NODE = ""
ARCHIVER_CLUSTER_TOKEN = ""  # the node's fencing token, set by the crawl itself
#: Seconds a node's lease on a unit (the sites sharing a host) lasts unless renewed (every
#: third of it): how long a killed node's unit waits before another node takes it over.
ARCHIVER_CLUSTER_LEASE_TTL = 30.0
#: Units (sites) one node process crawls at once.
ARCHIVER_CLUSTER_UNITS = 16
#: A unit whose last run ended less than this many seconds ago is not crawled again (nor one
#: that ended after this node started): nodes on the same hourly timer crawl each site once.
ARCHIVER_CLUSTER_MIN_INTERVAL = 1800.0

# -- housekeeping ---------------------------------------------------------------------------------
REMOTE_CONTROL_ENABLED = False  # an HTTP server able to run code: not wanted
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# -- what each setting may be ---------------------------------------------------------------------
#: Checked before a crawl fetches anything (``archiver.crawl.check_settings``): a value outside
#: its rule is a one-line error and exit 2, never a crash mid-crawl or a run that archives
#: nothing. (name, type, lowest, highest): type is int, float, bool, str or a tuple of the
#: allowed values; None: no bound (for str, a lowest of 1 means "not empty"). Every
#: ``ARCHIVER_*`` setting is here (an ``ARCHIVER_*`` name that is not is a typo: refused), and
#: so is every Scrapy setting the README names. Lower-case names: Scrapy does not read them.
setting_rules: tuple[tuple[str, type | tuple[str, ...], float | None, float | None], ...] = (
    ("ARCHIVER_ARCHIVE", str, 1, None),
    ("ARCHIVER_WARC_MAX_SIZE", int, 1, None),
    ("ARCHIVER_WARC_GZIP_LEVEL", int, 0, 9),
    ("ARCHIVER_OPERATOR", str, None, None),
    ("ARCHIVER_CONTACT_URL", str, 1, None),
    ("ARCHIVER_RECHECK_DAYS", float, 0, None),
    ("ARCHIVER_MAX_PAGE_BYTES", int, 1, None),
    ("ARCHIVER_REQUISITES", bool, None, None),
    ("ARCHIVER_RETRY_BACKOFF", float, 0, None),
    ("ARCHIVER_RETRY_AFTER_MAX", float, 0, None),
    ("ARCHIVER_MAX_CRAWL_DELAY", float, 0, None),
    ("ARCHIVER_WORKERS", int, 0, 256),  # unset (or empty): one per core but one
    ("ARCHIVER_INDEX_BATCH", int, 1, None),
    ("ARCHIVER_INDEX_BATCH_SECONDS", float, 0, None),
    ("ARCHIVER_CLUSTER", str, None, None),  # and a Redis URL when set (cluster.connect)
    ("ARCHIVER_CLUSTER_NODE", str, None, None),
    ("ARCHIVER_CLUSTER_TOKEN", str, None, None),
    ("ARCHIVER_CLUSTER_LEASE_TTL", float, 0.1, None),
    ("ARCHIVER_CLUSTER_UNITS", int, 1, None),
    ("ARCHIVER_CLUSTER_MIN_INTERVAL", float, 0, None),
    ("USER_AGENT", str, 1, None),
    ("ROBOTSTXT_OBEY", bool, None, None),
    ("CONCURRENT_REQUESTS", int, 1, None),
    ("CONCURRENT_REQUESTS_PER_DOMAIN", int, 1, None),
    ("CONCURRENT_ITEMS", int, 1, None),
    ("DOWNLOAD_DELAY", float, 0, None),
    ("AUTOTHROTTLE_ENABLED", bool, None, None),
    ("AUTOTHROTTLE_START_DELAY", float, 0, None),
    ("AUTOTHROTTLE_MAX_DELAY", float, 0, None),
    ("AUTOTHROTTLE_TARGET_CONCURRENCY", float, 0.01, None),
    ("RETRY_ENABLED", bool, None, None),
    ("RETRY_TIMES", int, 0, None),
    ("DOWNLOAD_TIMEOUT", float, 0.001, None),
    ("DOWNLOAD_MAXSIZE", int, 0, None),  # 0: no limit
    ("DOWNLOAD_WARNSIZE", int, 0, None),
    ("REDIRECT_ENABLED", bool, None, None),
    ("REDIRECT_MAX_TIMES", int, 0, None),
    ("HTTPERROR_ALLOW_ALL", bool, None, None),
    ("LOG_ENABLED", bool, None, None),
    ("LOG_LEVEL", ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"), None, None),
)
