"""Cluster mode on Scrapy's side: scrapy-redis's ``Scheduler`` with our queue and dupefilter,
the acks, and the node's leases (``archiver crawl --cluster URL --node NAME``).

The Redis protocol (leases, fencing, frontier scripts, captures) is in ``archiver.cluster``;
this module plugs it into one Scrapy crawler:

* ``ClusterScheduler``: scrapy-redis's ``Scheduler`` (its shell: open, enqueue, next, length)
  with a client of ours (``connect``: retries with back-off) and without its deprecated stats
  calls. ``SCHEDULER_PERSIST`` is forced on: scrapy-redis's default flushes the *shared* queue
  when the first node finishes.
* ``LeasedQueue``: push, pop and length over the units this node holds; a request goes to the
  frontier of its site's unit (``spider.slug_for``). Requests are pickled, as scrapy-redis
  does, without the meta keys that hold this process's objects (captures, WARC locations).
* ``NoDupeFilter``: seen-or-not is decided in the push script, atomically with the queueing
  (scrapy-redis's own filter marks a URL seen before it is queued and loses it on a kill).
* ``ClusterNode`` (extension): takes units (``Leases.acquire``), recovers the previous holder's
  last WARC record, seeds a new run with the site's listing URLs, renews the leases, finishes
  runs when nothing is queued or in flight, and acks a request when the engine is done with it.
  Scrapy 2.19 has no signal for "done": the engine's private ``_remove_request`` runs after the
  download, the callback's child requests and items (pipelines included) and after a
  retry/redirect replaced the request; it is wrapped (pinned in tests/test_private_apis.py).
  A lost lease (fencing) stops the crawl at once and nothing more is written to WARC.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.request import request_from_dict
from scrapy_redis import picklecompat
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from archiver import names
from archiver.cluster.connect import LOST, connect
from archiver.cluster.frontier import Frontier
from archiver.cluster.lease import MAX_ATTEMPTS, LeaseLost, Leases, node_of_token, units
from archiver.crawl import sitestats
from archiver.crawl.recorder import WarcCapture, slug_for
from archiver.extract.items import ArticleItem
from archiver.registry import host_of

logger = logging.getLogger(__name__)

#: Request meta: (unit, run, fingerprint, pop id) of a request popped from the frontier.
POPPED = "archiver_cluster_popped"
#: Meta keys that hold this process's objects or this fetch's results: not sent to Redis.
TRANSIENT = (POPPED, names.EARLIER, names.WARC, names.SHA1, names.REVISIT)
#: Stats key of what the node did (run.py puts it into the report).
CLUSTER_STATS = names.CLUSTER_SUMMARY


class NoDupeFilter(BaseDupeFilter):
    """Never says "seen": the frontier's push script decides, in one step with the queueing."""

    @classmethod
    def from_spider(cls, spider: Spider) -> NoDupeFilter:
        return cls()

    def request_seen(self, request: Request) -> bool:
        return False


class ClusterScheduler(Scheduler):
    """scrapy-redis's Scheduler, on our client and queue (see the module's docstring)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        url = crawler.settings.get("ARCHIVER_CLUSTER")
        if not url:
            raise NotConfigured("ClusterScheduler needs ARCHIVER_CLUSTER")
        scheduler = cls(
            server=connect(url, check=False, latched=True),
            persist=True,
            queue_cls="archiver.crawl.cluster.LeasedQueue",
            dupefilter=NoDupeFilter(),
            serializer=picklecompat,
        )
        scheduler.stats = crawler.stats
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        return bool(self.queue.push(request))

    def next_request(self) -> Request | None:
        return self.queue.pop(0)  # type: ignore[no-any-return]


class LeasedQueue(Base):
    """The frontiers of the units this node holds, as one Scrapy queue."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        node = spider.crawler.get_extension(ClusterNode)
        if node is None:
            raise NotConfigured("LeasedQueue needs the ClusterNode extension")
        self.node: ClusterNode = node
        self.fingerprinter = spider.crawler.request_fingerprinter
        self._next = 0  # round-robin over the held units

    def _encode_request(self, request: Request) -> bytes:
        data = request.to_dict(spider=self.spider)
        data["meta"] = {k: v for k, v in data["meta"].items() if k not in TRANSIENT}
        return self.serializer.dumps(data)  # type: ignore[no-any-return]

    def push(self, request: Request) -> bool:
        slug = slug_for(self.spider, request)
        unit = self.node.unit_of.get(slug)
        run = self.node.held.get(unit or "")
        if unit is None or run is None:  # its unit is not ours (any more): not our request
            logger.warning("%s: its unit %s is not held by this node; dropped", request.url, unit)
            return False
        fp = self.fingerprinter.fingerprint(request).hex()
        try:
            return self.node.frontier.push(
                unit,
                run,
                fp,
                self._encode_request(request),
                request.priority,
                request.dont_filter,
                request.url,
            )
        except LeaseLost as exc:
            self.node.lost(unit, exc)
            return False

    def pop(self, timeout: int = 0) -> Request | None:
        held = list(self.node.held.items())
        for step in range(len(held)):
            unit, run = held[(self._next + step) % len(held)]
            try:
                popped = self.node.frontier.pop(unit, run)
            except LeaseLost as exc:
                self.node.lost(unit, exc)
                continue
            if popped is None:
                continue
            self._next = (self._next + step + 1) % len(held)
            self.node.outstanding.add(popped.pop_id)
            request = request_from_dict(self.serializer.loads(popped.blob), spider=self.spider)
            request.meta[POPPED] = (unit, run, popped.fp, popped.pop_id)
            return request
        return None

    def __len__(self) -> int:
        return sum(self.node.frontier.queued(unit, run) for unit, run in self.node.held.items())

    def clear(self) -> None:
        """Never: the frontier is shared (scrapy-redis clears it when not persisting)."""


class ClusterNode:
    """This node's units: acquire, recover, seed, renew, finish, ack (module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        url, node = settings.get("ARCHIVER_CLUSTER"), settings.get("ARCHIVER_CLUSTER_NODE")
        if not url or not node:
            raise NotConfigured("cluster mode needs ARCHIVER_CLUSTER and ARCHIVER_CLUSTER_NODE")
        self.crawler = crawler
        LOST.clear()  # a new run: its clients answer until Redis is lost in it
        self.client = connect(url, check=False, latched=True)
        ttl = settings.getfloat("ARCHIVER_CLUSTER_LEASE_TTL")
        #: the token ``run.run_cluster`` registered the node's name with
        self.leases = Leases(self.client, node, ttl, settings.get("ARCHIVER_CLUSTER_TOKEN"))
        self.frontier = Frontier(self.client, self.leases)
        self.max_units = settings.getint("ARCHIVER_CLUSTER_UNITS")
        self.min_interval = settings.getfloat("ARCHIVER_CLUSTER_MIN_INTERVAL")
        self.interval = max(0.05, ttl / 3)
        self.units: dict[str, list[str]] = {}  # unit -> its slugs (this run's sites)
        self.unit_of: dict[str, str] = {}  # slug -> unit
        self.held: dict[str, str] = {}  # unit -> run, while this node holds it
        self.outstanding: set[str] = set()  # pop ids of the requests this process has
        self.settled: set[str] = set()  # units done for this round (by us or by others)
        self.summary: dict[str, Any] = {
            "node": node,
            "units": [],  # units this node crawled (or took part in)
            "finished": [],  # runs this node finished
            "takeovers": 0,
            "requeued": 0,
            "dead_letters": [],
            "recovered": 0,
            "lost": [],
        }
        self.loop: task.LoopingCall | None = None
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterNode:
        node = cls(crawler)
        crawler.signals.connect(node.engine_started, signal=signals.engine_started)
        crawler.signals.connect(node.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(node.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(node.item_scraped, signal=signals.item_scraped)
        return node

    def item_scraped(self, item: object) -> None:
        """Count the articles handed to the stream, per site: whether each is new, changed or
        unchanged is for the index writer to find (this node's report cannot say)."""
        if isinstance(item, ArticleItem) and item.warc is not None:
            sitestats.inc(self.crawler.stats, item.site, names.ARTICLES_STREAMED)

    # -- start -------------------------------------------------------------------------------
    def engine_started(self) -> None:
        spider = self.crawler.spider
        sites = getattr(spider, "sites", {})
        groups = []
        for slug, state in sites.items():
            site = getattr(state, "site", None)
            hosts = list(site.hosts) if site is not None else []
            hosts += [host_of(url) for url in getattr(state, "listings", [])]
            groups.append((slug, hosts))
        self.units = units(groups)
        self.unit_of = {slug: unit for unit, slugs in self.units.items() for slug in slugs}
        self.summary["unit_sites"] = self.units
        self._wrap_remove_request()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=True).addErrback(
            lambda failure: self._stop("cluster_failed", failure.value)
        )

    def _wrap_remove_request(self) -> None:
        """Ack each popped request when the engine is done with it (the module's docstring)."""
        engine = self.crawler.engine
        assert engine is not None
        remove = engine._remove_request

        def _remove_request(result: Any, request: Request) -> None:
            try:
                self.ack(request)
            finally:
                remove(result, request=request)

        engine._remove_request = _remove_request  # type: ignore[method-assign,assignment]

    def ack(self, request: Request) -> None:
        popped = request.meta.get(POPPED)
        if popped is None:
            return
        unit, run, fp, pop_id = popped
        self.outstanding.discard(pop_id)
        if self.held.get(unit) != run:
            return  # lost meanwhile: the next holder fetches it again
        try:
            self.frontier.ack(unit, run, fp, pop_id)
        except LeaseLost as exc:
            self.lost(unit, exc)

    # -- the loop ----------------------------------------------------------------------------
    def tick(self) -> None:
        """Every third of the lease TTL: renew, finish what is done, take what is free."""
        if self.stopping:
            return
        if not self.leases.renew_node():
            self._stop("node_name_lost", "another process took this node's name")
            return
        for unit in list(self.held):
            if not self.leases.renew(unit):
                self.lost(unit, LeaseLost(f"unit {unit}: lease renewal refused"))
        for unit, run in list(self.held.items()):
            try:
                if self.frontier.sweep(unit, run, self.outstanding):
                    logger.warning("unit %s: pops lost with a Redis reply put back", unit)
            except LeaseLost as exc:
                self.lost(unit, exc)
                continue
            if self.frontier.pending(unit, run) == (0, 0) and self._finish(unit, run):
                self.held.pop(unit, None)
                self.settled.add(unit)
        for unit in self.units:
            if len(self.held) >= self.max_units:
                break
            if unit not in self.held and unit not in self.settled:
                self._take(unit)
        if not self.held and not set(self.units) - self.settled:
            self._close()  # every unit is done: no need to wait for the engine's heartbeat

    def _close(self) -> None:
        engine = self.crawler.engine
        if engine is None or engine.spider is None or self.stopping:
            return
        self.stopping = True
        from scrapy.utils.defer import deferred_from_coro

        closing = deferred_from_coro(engine.close_spider_async(reason="finished"))
        closing.addErrback(lambda failure: logger.error("closing the spider: %s", failure.value))

    def _finish(self, unit: str, run: str) -> bool:
        try:
            done = self.frontier.finish(unit, run)
        except LeaseLost as exc:
            self.lost(unit, exc)
            return False
        if done:
            self.summary["finished"].append(unit)
            finished = getattr(self.crawler.spider, "cluster_finished", None)
            if finished is not None:
                finished.update(self.units[unit])
            for letter in self.leases.dead_letters(unit):
                self.summary["dead_letters"].append(letter)
            self.client.delete(f"dead:{unit}")
        return done

    def _take(self, unit: str) -> None:
        got = self.leases.acquire(unit, self.min_interval, MAX_ATTEMPTS)
        if got.status == "done":
            self.settled.add(unit)
            return
        if not got.held:
            return
        self.held[unit] = got.run
        self.summary["units"].append(unit)
        if got.status == "resume":
            self.summary["takeovers"] += 1
            self.summary["requeued"] += got.requeued
            logger.warning(
                "unit %s: taken over from %s (%d in-flight requests put back, %d dead)",
                unit,
                got.previous or "?",
                got.requeued,
                got.dead,
            )
        capture = self.crawler.get_extension(WarcCapture)
        if got.previous and capture is not None:  # the holder's last record, maybe un-noted
            recovered = capture.recover(self.units[unit], node_of_token(got.previous))
            self.summary["recovered"] += recovered
        if got.status == "new" or not got.seeded:
            self._seed(unit)

    def _seed(self, unit: str) -> None:
        """The run's start requests (each site's listing URLs) into the unit's frontier."""
        spider = self.crawler.spider
        engine = self.crawler.engine
        assert spider is not None and engine is not None
        for slug in self.units[unit]:
            for request in spider.seed_requests(slug):  # type: ignore[attr-defined]
                engine.crawl(request)
        if unit in self.held:
            try:
                self.frontier.mark_seeded(unit)
            except LeaseLost as exc:
                self.lost(unit, exc)

    # -- the end -----------------------------------------------------------------------------
    def spider_idle(self) -> None:
        """Keep the crawler open while a unit of this run is not done: its holder may die, and
        this node take it over."""
        if not self.stopping and set(self.units) - self.settled:
            raise DontCloseSpider

    def lost(self, unit: str, exc: BaseException) -> None:
        """Fenced out of ``unit``: stop the crawl; nothing more is written."""
        if self.held.pop(unit, None) is not None:
            self.summary["lost"].append(unit)
        self._stop("lease_lost", exc)

    def _stop(self, reason: str, exc: BaseException | str) -> None:
        if self.stopping:
            return
        self.stopping = True
        capture = self.crawler.get_extension(WarcCapture)
        if capture is not None:
            capture.failed = True  # no more WARC records from this node
        sitestats.stop(self.crawler, reason, exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Give up the leases still held (a stop: the next holder puts their in-flight
        requests back) and the node's name; the summary goes into the run's stats."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not LOST.is_set():  # else the leases and the name expire by themselves
            for unit in list(self.held):
                self.leases.release(unit)
            self.leases.unregister()
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(CLUSTER_STATS, self.summary)
