"""Many sites in one run (issue 12): one crawler, one page-worker pool and one index writer for
the whole run, whatever the number of sites; each site keeps its own report, WARC files and
incremental state. Every site is a separate loopback host (127.0.0.x), as separate agencies are
to Scrapy's per-host download slots."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.demo.server import SiteServer
from archiver.demo.site import DEMO_LISTING, demo_articles, demo_routes
from archiver.registry import slug_for_url
from tests.conftest import LOOPBACK, ROOT
from tests.proctree import TreeSampler

HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")


@pytest.fixture(scope="module")
def servers() -> Iterator[list[SiteServer]]:
    started = [SiteServer(demo_routes(), host=host).start() for host in HOSTS]
    yield started
    for server in started:
        server.stop()


def crawl_sampled(archive: Path, urls: list[str], *extra: str) -> tuple[int, str, TreeSampler]:
    """``archiver crawl`` of ``urls`` in a subprocess, its process tree sampled meanwhile."""
    command = [sys.executable, "-m", "archiver", "crawl", "--archive", str(archive)]
    for url in urls:
        command += ["--url", url]
    command += [*LOOPBACK, "-s", "ARCHIVER_WORKERS=1", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    sampler = TreeSampler(process.pid, interval=0.02).start()
    output, _ = process.communicate(timeout=180)
    sampler.stop()
    return process.returncode, output, sampler


def last_report(archive: Path) -> dict:
    with sqlite3.connect(archive / "index.db") as conn:
        (report,) = conn.execute("SELECT report FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    return json.loads(report)


def test_one_run_of_four_sites_uses_one_worker_and_one_writer(servers, tmp_path: Path) -> None:
    """A crawler per site started a worker and a writer per site (crawl, multiprocessing's
    resource tracker, and 2 x 4: 10 processes); one run has the crawl, the tracker, its one
    page worker and its one index writer."""
    urls = [server.base_url + DEMO_LISTING for server in servers]
    code, output, sampler = crawl_sampled(tmp_path / "archive", urls)
    assert code == 0, output
    assert "Traceback" not in output and "database is locked" not in output
    assert 3 <= sampler.peak_processes <= 4, sampler.peak_processes


def test_each_site_has_its_own_report_warc_files_and_rows(servers, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    urls = [server.base_url + DEMO_LISTING for server in servers]
    code, output, _ = crawl_sampled(archive, urls)
    assert code == 0, output
    articles = len(demo_articles())
    report = last_report(archive)
    slugs = [slug_for_url(url) for url in urls]
    assert sorted(report["sites"]) == sorted(slugs)
    for slug, server in zip(slugs, servers, strict=True):
        site = report["sites"][slug]
        assert site["articles_new"] == articles, (slug, site)
        assert site["media"] > 0 and site["responses"] > articles and not site["failed"]
        files = sorted((archive / "warc").glob(f"{slug}-*.warc.gz"))
        assert files, slug
        hosts = set()
        for path in files:
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream):
                    target = record.rec_headers.get_header("WARC-Target-URI")
                    if record.rec_type == "response":
                        hosts.add(target.split("/")[2])
        assert hosts == {server.base_url.split("/")[2]}, (slug, hosts)  # robots.txt too
    assert report["articles_new"] == articles * len(servers)
    with sqlite3.connect(archive / "index.db") as conn:
        rows = dict(conn.execute("SELECT site, count(*) FROM articles GROUP BY site"))
    assert rows == {slug: articles for slug in slugs}


def test_a_dead_site_fails_alone_and_the_rerun_is_incremental_per_site(
    servers, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    urls = [server.base_url + DEMO_LISTING for server in servers[:2]]
    dead = SiteServer(demo_routes(), host="127.0.0.9").start()
    dead_url = dead.base_url + DEMO_LISTING
    dead.stop()  # its port now refuses connections
    code, output, _ = crawl_sampled(archive, [*urls, dead_url], "-s", "RETRY_TIMES=0")
    assert code == 1, output  # a site could not be fetched
    report = last_report(archive)
    assert report["failed_sites"] == [slug_for_url(dead_url)]
    assert all(report["sites"][slug_for_url(u)]["articles_new"] == 5 for u in urls)
    with sqlite3.connect(archive / "index.db") as conn:
        walked = dict(conn.execute("SELECT slug, walked FROM sites"))
    assert walked.get(slug_for_url(dead_url)) is None  # its next run walks its whole listing
    assert all(walked[slug_for_url(u)] for u in urls)
    # the second run: each live site walked its whole listing last time, so it stops at its
    # first listing page (all known) and fetches no article again
    code, output, _ = crawl_sampled(archive, urls)
    assert code == 0, output
    again = last_report(archive)
    for url in urls:
        site = again["sites"][slug_for_url(url)]
        assert site["known"] > 0 and site["responses"] <= 2, site  # robots.txt, listing
        assert site["articles_new"] == site["articles_unchanged"] == 0, site
