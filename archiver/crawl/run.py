"""One crawl run: every site of it in one Scrapy crawler, under the archive's lock; its report."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.python.failure import Failure

from archiver import names
from archiver.archive import Archive, ArchiveLock
from archiver.crawl import sitestats
from archiver.crawl.configure import check_settings, crawl_settings
from archiver.errors import (
    ArchiverError,
    ClusterConfigError,
    ClusterUnavailableError,
    CrawlConfigError,
    is_disk_full,
    one_line,
)
from archiver.index.capture_log import CaptureLog
from archiver.index.store import Index
from archiver.registry import Site, host_of, slug_for_url

Progress = Callable[[str, dict[str, Any]], None]


@dataclass
class Target:
    """One site to crawl: a registry entry, or a bare listing URL with a slug made for it."""

    slug: str
    urls: list[str]
    site: Site | None = None


def resolve_targets(slugs: list[str], urls: list[str], everything: bool) -> list[Target]:
    """Registry slugs (or ``--all``) and ``--url`` listings as crawl targets, one per slug."""
    from archiver.registry import AGENCIES, BY_SLUG

    unknown = [s for s in slugs if s not in BY_SLUG]
    if unknown:
        raise CrawlConfigError(f"unknown site {unknown[0]!r}; 'archiver sites' lists them")
    chosen = list(AGENCIES) if everything else [BY_SLUG[s] for s in slugs]
    targets = {site.slug: Target(site.slug, list(site.listings), site) for site in chosen}
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise CrawlConfigError(f"not an http(s) listing URL: {url!r}")
        site = next((s for s in AGENCIES if host_of(url) in s.hosts), None)
        slug = site.slug if site else slug_for_url(url)
        target = targets.setdefault(slug, Target(slug, [], site))
        if site is not None and target.urls == list(site.listings) and slug not in slugs:
            target.urls = []
        target.urls.append(url)
    if not targets:
        raise CrawlConfigError("nothing to crawl: name a site, give --url URL, or use --all")
    return list(targets.values())


#: Exit codes of a crawl stopped by a signal (128 + the signal's number, as a shell reports a
#: process killed by it): Ctrl-C and ``systemctl stop`` are not success.
STOP_EXIT_CODES: dict[int, int] = {signal.SIGINT.value: 130, signal.SIGTERM.value: 143}


class _Process(CrawlerProcess):
    """Scrapy's crawler process, noting the signal (SIGINT, SIGTERM) that stopped the crawl:
    Scrapy stops gracefully (the pages in hand are finished) and the report says "stopped".
    (Scrapy's own signal handlers, private: tests/test_recrawl.py's stop test notices if a
    Scrapy upgrade renames them.)"""

    stop_signal: int | None = None
    forced = False  # a second signal: Scrapy stops at once, the pages in hand are dropped

    def _signal_shutdown(self, signum: int, frame: Any) -> None:
        self.stop_signal = self.stop_signal or signum
        super()._signal_shutdown(signum, frame)

    def _signal_kill(self, signum: int, frame: Any) -> None:
        self.forced = True
        super()._signal_kill(signum, frame)


def run(
    archive: Path,
    targets: list[Target],
    *,
    max_articles: int | None = None,
    since: str | None = None,
    full: bool = False,
    overrides: dict[str, str] | None = None,
    log_level: str = "ERROR",
    progress: Progress | None = None,
    cluster: str | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """Crawl every target in one Scrapy process; record and return the run report.

    Every setting is checked first (``CrawlConfigError``, before the lock and before anything
    is fetched). Holds the archive's lock for the whole run (``ArchiveLockedError`` if another
    run has it). ``report["exit_code"]`` is what the command should exit with.

    ``cluster`` (a Redis URL) and ``node`` (this node's name): cluster mode
    (``archiver.crawl.cluster``): leases on the sites' units replace the archive's lock.
    """
    settings = crawl_settings(archive, overrides or {}, log_level)
    check_settings(settings, overrides)
    if cluster is not None or node is not None:
        return _run_cluster(
            archive, targets, settings, cluster or "", node, max_articles, since, full, progress
        )
    with ArchiveLock(archive, "crawl"):
        return _run_locked(archive, targets, settings, max_articles, since, full, progress)


def _run_cluster(
    archive: Path,
    targets: list[Target],
    settings: Settings,
    cluster: str,
    node: str | None,
    max_articles: int | None,
    since: str | None,
    full: bool,
    progress: Progress | None,
) -> dict[str, Any]:
    """One crawl node's run: the URL and name checked (exit 2), Redis asked (exit 69 when it
    does not answer), the name registered (exit 2 when a live node has it), all before
    anything is written; then the crawl of whichever units this node gets. The report holds
    the sites this node crawled, and what it did for the cluster (``report["cluster"]``)."""
    from archiver.cluster.connect import LOST, check_node, check_url, connect
    from archiver.cluster.lease import Leases

    if not cluster:
        raise ClusterConfigError("--node needs --cluster URL (redis://HOST:PORT/DB)")
    check_url(cluster)
    name = check_node(node)
    try:
        import redis  # noqa: F401
        import scrapy_redis  # noqa: F401
    except ImportError as exc:
        raise ClusterConfigError(
            f"cluster mode needs the [cluster] extra (pip install -e '.[cluster]'): {exc}"
        ) from None
    client = connect(cluster, latched=True)
    leases = Leases(client, name, settings.getfloat("ARCHIVER_CLUSTER_LEASE_TTL"))
    leases.register()
    try:
        settings.set("ARCHIVER_CLUSTER", cluster, priority="cmdline")
        settings.set("ARCHIVER_CLUSTER_NODE", name, priority="cmdline")
        settings.set("ARCHIVER_CLUSTER_TOKEN", leases.token, priority="cmdline")
        settings.set("SCHEDULER", "archiver.crawl.cluster.ClusterScheduler", priority="cmdline")
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["archiver.crawl.cluster.ClusterNode"] = 50
        settings.set("EXTENSIONS", extensions, priority="cmdline")
        return _run_locked(
            archive, targets, settings, max_articles, since, full, progress, cluster=True
        )
    finally:
        import redis

        # Redis lost (the report says so): the name expires by itself after its TTL
        with contextlib.suppress(redis.RedisError):
            if not LOST.is_set():
                leases.unregister()
        client.close()


def _refuse_damaged(archive: Path) -> None:
    """A damaged index.db or captures.db: one line before anything is fetched (``archiver
    reindex`` repairs). Other failures to open them (a full disk) are the crawl's to report."""
    try:
        Index(Archive(archive).index).close()
        CaptureLog.open(archive).close()
    except (OSError, sqlite3.Error):  # not damage (DamagedDatabaseError): the disk
        pass


def _run_locked(
    archive: Path,
    targets: list[Target],
    settings: Settings,
    max_articles: int | None,
    since: str | None,
    full: bool,
    progress: Progress | None,
    cluster: bool = False,
) -> dict[str, Any]:
    if not cluster:  # (cluster mode: captures are in Redis, index.db is the index writer's)
        _refuse_damaged(Path(archive))
    run_concurrency(settings, len(targets))
    process = _Process(settings)
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    crawler = process.create_crawler(names.GENERIC_SPIDER)  # by name: SPIDER_MODULES finds it
    if progress is not None:
        _watch(crawler, len(targets), progress)
    failures: list[Failure] = []  # the crawl could not start (an index it cannot write...)
    crawling = process.crawl(
        crawler,
        targets=[(t.slug, t.urls, t.site) for t in targets],
        max_articles=max_articles,
        since=since,
        full=full,
    )
    crawling.addErrback(failures.append)
    process.start()
    if failures and crawler.stats is not None:
        sitestats.stop(crawler, "start_failed", failures[0].value)
    summary = crawler.stats.get_value(names.CLUSTER_SUMMARY) if cluster and crawler.stats else None
    if cluster:  # the sites of the units this node crawled; the others are other nodes'
        crawled = set(summary["units"]) if summary else set()
        mine = [t for t in targets if _unit_of(summary, t.slug) in crawled]
        targets = mine
    report = _report(targets, crawler, started, time.monotonic() - clock, process.stop_signal)
    if cluster:
        report["cluster"] = summary or {}
    if report["stopped"] and process.forced and process.stop_signal is not None:
        report["stopped"]["forced"] = True
    _save(archive, targets, report, str(settings.get("ARCHIVER_CLUSTER") or ""))
    return report


def _unit_of(summary: dict[str, Any] | None, slug: str) -> str | None:
    for unit, slugs in (summary or {}).get("unit_sites", {}).items():
        if slug in slugs:
            return str(unit)
    return None


def _save(archive: Path, targets: list[Target], report: dict[str, Any], cluster: str = "") -> None:
    """Record the report in the index's ``crawls`` table (``report["id"]``). An index that
    cannot be written (a full disk) does not lose the report: it is printed all the same, with
    ``report["not_saved"]`` saying why, and the run is not ok. In cluster mode
    (``ARCHIVER_CLUSTER``) the report and the sites go to the item stream instead, for the
    cluster's index writer."""
    try:
        if cluster:
            import redis

            from archiver.cluster.connect import connect, shown
            from archiver.cluster.stream import Producer

            # checked at start; retried now (at once refused if Redis was lost mid-run)
            client = connect(cluster, check=False, latched=True)
            try:
                producer = Producer(client)
                producer.add_sites(t.site for t in targets if t.site is not None)
                producer.add_report(report)
            except redis.RedisError as exc:
                where = shown(cluster)
                raise ClusterUnavailableError(f"Redis at {where}: {one_line(exc)}") from exc
            finally:
                client.close()
            return
        with Index(Archive(archive).index) as index:
            for target in targets:
                if target.site is not None:
                    index.upsert_site(target.site)
            report["id"] = index.record_crawl(report)
    except (OSError, sqlite3.Error, ArchiverError) as exc:  # ArchiverError: Redis is away
        report["not_saved"] = one_line(exc)
        if report["status"] == "ok":
            report["status"] = "disk full" if is_disk_full(exc) else "failed"
            report["exit_code"] = 1


def run_concurrency(settings: Settings, sites: int) -> None:
    """``CONCURRENT_REQUESTS`` for the whole run: the per-site figure times the sites (one
    crawler crawls them all; per host, ``CONCURRENT_REQUESTS_PER_DOMAIN`` still rules)."""
    name = "CONCURRENT_REQUESTS"
    per_site = settings.getint(name)
    settings.set(name, per_site * max(1, sites), priority=settings.getpriority(name) or 0)


def _watch(crawler: Any, sites: int, progress: Progress) -> None:
    """Progress of the run on every item: the site's slug (or how many sites) and the run's
    stats so far."""

    def on_item(item: object, response: object, spider: object) -> None:
        label = str(getattr(item, "site", "")) if sites == 1 else f"{sites} sites"
        progress(label, crawler.stats.get_stats())

    crawler.signals.connect(on_item, signal=signals.item_scraped, weak=False)


def _report(
    targets: list[Target],
    crawler: Any,
    started: dt.datetime,
    seconds: float,
    stop_signal: int | None = None,
) -> dict[str, Any]:
    per_site = {}
    run_stats = crawler.stats.get_stats() if crawler.stats else {}
    every = sitestats.by_site(run_stats)
    for target in targets:
        stats = every.get(target.slug, {})
        site_errors = {
            k.split("/", 2)[2]: v for k, v in stats.items() if k.startswith(names.ERRORS_PREFIX)
        }
        for key, count in stats.items():  # a bug of ours on some page: counted, not hidden
            if key.startswith("spider_exceptions/") and key.count("/") == 1:
                site_errors[f"exception_{key.split('/', 1)[1]}"] = count
        listings_failed = stats.get(names.START_LISTINGS_FAILED, 0)
        per_site[target.slug] = {
            "listings": target.urls,
            "responses": stats.get(names.RESPONSES, 0),
            "articles_new": stats.get("archiver/articles_new", 0),
            "articles_streamed": stats.get(names.ARTICLES_STREAMED, 0),
            "articles_changed": stats.get("archiver/articles_changed", 0),
            "articles_unchanged": stats.get("archiver/articles_unchanged", 0),
            "media": sum(stats.get(names.MEDIA_PREFIX + role, 0) for role in names.MEDIA_ROLES),
            "requisites": stats.get(names.MEDIA_PREFIX + names.ROLE_REQUISITE, 0),
            "requisites_failed": sum(
                count
                for kind, count in site_errors.items()
                if kind.startswith(names.REQUISITE_ERROR)
            ),
            "skipped": stats.get(names.SKIPPED, 0),
            "known": stats.get(names.ARTICLES_KNOWN, 0),
            "revisits": stats.get(names.REVISITS, 0),
            "downloaded": stats.get(names.BYTES_FETCHED, 0),
            "errors": site_errors,
            "listing_errors": list(stats.get(names.LISTING_ERRORS, [])),
            "bytes": stats.get(names.WARC_BYTES, 0),
            # nothing fetched, or none of its listing URLs could be read (404, 5xx, refused)
            "failed": stats.get(names.RESPONSES, 0) == 0
            or listings_failed >= max(1, len(target.urls)),
        }
    totals: dict[str, Any] = {
        key: sum(site[key] for site in per_site.values())
        for key in (
            "articles_new",
            "articles_streamed",
            "articles_changed",
            "articles_unchanged",
            "media",
            "requisites",
            "requisites_failed",
            "skipped",
            "known",
            "revisits",
            "downloaded",
            "bytes",
            "responses",
        )
    }
    errors: dict[str, int] = {}
    for site in per_site.values():
        for kind, count in site["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    failed = [slug for slug, site in per_site.items() if site["failed"]]
    fault = run_stats.get(names.STOPPED)
    stopped: dict[str, Any] | None = None
    if fault is not None:  # a write failed (disk full) or the crawl could not start
        stopped = {"reason": fault, "message": run_stats.get(names.STOPPED_DETAIL, "")}
        status = "disk full" if fault == "disk_full" else "failed"
        code = ClusterUnavailableError.exit_code if fault == "redis_lost" else 1
    elif stop_signal is not None:
        name = signal.Signals(stop_signal).name
        stopped = {"reason": name, "message": f"stopped by {name}"}
        status, code = "stopped", STOP_EXIT_CODES.get(stop_signal, 128 + stop_signal)
    elif failed:
        status, code = "failed", 1
    else:
        status, code = "ok", 0
    return {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "sites": per_site,
        **totals,
        "errors": errors,
        "failed_sites": failed,
        "status": status,
        "stopped": stopped,
        "exit_code": code,
        "seconds": round(seconds, 2),
    }
