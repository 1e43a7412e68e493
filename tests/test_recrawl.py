"""Scheduled crawls: faults a fragile server shows, incremental reruns, versions, the lock,
and a crawl killed with SIGKILL (a real subprocess) that the next run completes."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.archive import ArchiveLock
from archiver.demo.server import SiteServer
from tests.conftest import ROOT, run_cli
from tests.fault_site import FaultSite

#: Politeness relaxed for the loopback host, through settings only.
NO_DELAY = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
FAST = [
    *NO_DELAY,
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    "-s",
    "DOWNLOAD_TIMEOUT=1",
    "-s",
    "RETRY_TIMES=2",
    "-s",
    "ARCHIVER_RETRY_BACKOFF=0.1",
    "-s",
    "ARCHIVER_RETRY_AFTER_MAX=5",
    "-s",
    "DOWNLOAD_MAXSIZE=100000",
]


def _records(archive: Path) -> list[tuple[str, str, str]]:
    """(type, target URI, WARC-Profile) of every record, in file order."""
    out = []
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                out.append(
                    (
                        record.rec_type,
                        record.rec_headers.get_header("WARC-Target-URI"),
                        record.rec_headers.get_header("WARC-Profile") or "",
                    )
                )
    return out


def _articles(archive: Path) -> dict[str, str]:
    conn = sqlite3.connect(archive / "index.db")
    try:
        return dict(conn.execute("SELECT url, text FROM articles"))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory):
    """One site with every fault, crawled once (module-wide: the tests read what it left)."""
    site = FaultSite()
    archive = tmp_path_factory.mktemp("faults")
    with SiteServer(site.routes()) as server:
        result = run_cli("crawl", "--url", server.base_url + "/news/", *FAST, archive=archive)
        yield site, server, archive, result


def _paths(server: SiteServer) -> list[str]:
    return [r.target for r in server.received]


def test_one_500_is_retried_after_a_back_off_and_the_page_archived(faulty) -> None:
    site, server, archive, result = faulty
    assert result.returncode == 0, result.stdout + result.stderr
    times = [r.at for r in server.received if r.target == "/faults/flaky.html"]
    assert len(times) == 2 and times[1] - times[0] >= 0.09  # ARCHIVER_RETRY_BACKOFF=0.1
    assert server.base_url + "/faults/flaky.html" in _articles(archive)


def test_retry_after_is_honoured(faulty) -> None:
    site, server, archive, _ = faulty
    times = [r.at for r in server.received if r.target == "/faults/busy.html"]
    assert len(times) == 2 and times[1] - times[0] >= 0.9  # Retry-After: 1
    assert server.base_url + "/faults/busy.html" in _articles(archive)


def test_retry_after_longer_than_the_limit_gives_up_at_once(faulty) -> None:
    site, _, _, result = faulty
    assert site.hits["/faults/closed.html"] == 1
    assert "http_503 1" in result.stdout


def test_timeouts_are_retried_a_bounded_number_of_times_and_reported(faulty) -> None:
    site, _, archive, result = faulty
    assert site.hits["/faults/slow.html"] == 3  # RETRY_TIMES=2: three attempts in all
    assert "TimeoutError" in result.stdout
    assert len([u for u in _articles(archive) if "/news/" in u]) == site.count  # the rest went on


def test_redirect_is_indexed_once_under_its_target(faulty) -> None:
    _, server, archive, _ = faulty
    urls = _articles(archive)
    assert server.base_url + "/news/3.html" in urls
    assert not any("redirect" in u for u in urls)


def test_redirect_loop_ends_with_an_error_not_a_hang(faulty) -> None:
    site, _, _, result = faulty
    assert site.hits["/faults/loop-a.html"] <= 6
    assert "Traceback" not in result.stdout + result.stderr


def test_robots_disallowed_path_is_never_requested(faulty) -> None:
    _, server, _, _ = faulty
    assert "/robots.txt" in _paths(server)
    assert not any(p.startswith("/private/") for p in _paths(server))


def test_page_over_the_size_limit_is_skipped_with_a_reason(faulty) -> None:
    _, server, archive, result = faulty
    assert server.base_url + "/faults/huge.html" not in _articles(archive)
    assert "too_large" in result.stdout


def test_unchanged_rerun_fetches_no_article_and_adds_only_revisits(tmp_path: Path) -> None:
    site = FaultSite(articles=12, faults=False)
    with SiteServer(site.routes()) as server:
        first = run_cli("crawl", "--url", server.base_url + "/news/", *FAST, archive=tmp_path)
        before = _records(tmp_path)
        seen = len(server.received)
        second = run_cli("crawl", "--url", server.base_url + "/news/", *FAST, archive=tmp_path)
        rerun = server.received[seen:]
    assert first.returncode == second.returncode == 0
    assert not [r.target for r in rerun if r.target.startswith(("/news/0", "/news/1", "/images"))]
    listing = [r for r in rerun if r.target == "/news/"]
    assert listing and listing[0].headers.get("If-None-Match")  # a conditional GET
    added = _records(tmp_path)[len(before) :]
    assert {t for t, _, _ in added} == {"warcinfo", "revisit", "request", "metadata"}
    # no response: the site's missing /favicon.ico is known from the first run's 404 (a
    # media row), not asked again but with --full
    assert not [u for t, u, _ in added if t == "response"]
    profiles = {p.rsplit("/", 1)[1] for t, _, p in added if t == "revisit"}
    assert "server-not-modified" in profiles
    assert "0 new" in second.stdout


def test_changed_article_keeps_every_version_and_search_sees_the_newest(tmp_path: Path) -> None:
    site = FaultSite(articles=6, faults=False)
    with SiteServer(site.routes()) as server:
        run_cli("crawl", "--url", server.base_url + "/news/", *FAST, archive=tmp_path)
        site.edits[2] = "ฉบับแก้ไข ประกาศผลการประกวดโครงการอนุรักษ์พลังงานประจำปี " * 8
        result = run_cli(
            "crawl", "--url", server.base_url + "/news/", "--full", *FAST, archive=tmp_path
        )
        url = server.base_url + "/news/2.html"
    assert result.returncode == 0 and "1 changed" in result.stdout
    assert "ฉบับแก้ไข" in _articles(tmp_path)[url]
    versions = run_cli("show", url, "--versions", archive=tmp_path)
    assert versions.returncode == 0 and len(versions.stdout.strip().splitlines()) == 2
    hits = json.loads(run_cli("search", "อนุรักษ์พลังงาน", "--json", archive=tmp_path).stdout)
    assert [h["url"] for h in hits] == [url]
    kinds = [(t, p) for t, u, p in _records(tmp_path) if u == url and t in ("response", "revisit")]
    assert [t for t, _ in kinds] == ["response", "response"]  # the changed page, stored again


def test_second_run_waits_for_the_lock_holder(tmp_path: Path) -> None:
    with ArchiveLock(tmp_path, "test"):
        result = run_cli("crawl", "--url", "http://127.0.0.1:9/news/", archive=tmp_path)
    assert result.returncode == 75
    assert "in use" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "warc").exists()


def test_crawl_delay_from_robots_spaces_requests(tmp_path: Path) -> None:
    site = FaultSite(articles=3, faults=False, crawl_delay=1)
    with SiteServer(site.routes()) as server:
        result = run_cli(
            "crawl",
            "--url",
            server.base_url + "/news/",
            *NO_DELAY,
            archive=tmp_path,
        )
        times = [r.at for r in server.received if r.target != "/robots.txt"]
    assert result.returncode == 0
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps and min(gaps) >= 0.45  # Crawl-delay 1 s, with Scrapy's 0.5-1.5x jitter


def _processes_with(tag: str) -> list[int]:
    """PIDs of the live processes whose environment holds ``ARCHIVER_TEST_TAG=tag``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if f"ARCHIVER_TEST_TAG={tag}".encode() in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def _crawl_process(
    archive: Path, url: str, tag: str = "", session: bool = False, *extra: str
) -> subprocess.Popen[bytes]:
    """``archiver crawl`` in the background; with ``extra`` arguments, its output is kept."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ARCHIVER_TEST_TAG": tag}
    command = [
        sys.executable,
        "-m",
        "archiver",
        "crawl",
        "--url",
        url,
        "--archive",
        str(archive),
        *FAST,
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        *extra,
    ]
    output = subprocess.PIPE if extra else subprocess.DEVNULL
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
        start_new_session=session,  # its own process group, as a terminal or systemd gives
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_mid_crawl_leaves_a_valid_archive_that_the_next_run_completes(
    tmp_path: Path, seed: int
) -> None:
    site = FaultSite(articles=40, per_page=10, faults=False, article_delay=0.03)
    with SiteServer(site.routes()) as server:
        url = server.base_url + "/news/"
        tag = f"kill-{seed}-{os.getpid()}"
        process = _crawl_process(tmp_path, url, tag)
        time.sleep(random.Random(seed).uniform(0.8, 2.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert _gone(tag) == []  # the page workers and the writer follow their crawl
        check = run_cli("check", archive=tmp_path)
        # nothing damaged: at most articles fetched but not indexed yet, or nothing fetched
        unfinished = re.compile(
            r"index: no row for the article |index: \d+ more article records not in the "
            r"index |archiver: no WARC files"
        )
        lines = [line for line in check.stderr.splitlines() if line.strip()]
        assert all(unfinished.match(line) for line in lines), check.stderr
        assert check.returncode == (1 if lines else 0), check.stdout + check.stderr
        resumed = run_cli("crawl", "--url", url, *FAST, archive=tmp_path)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    final = run_cli("check", archive=tmp_path)
    assert final.returncode == 0, final.stdout + final.stderr
    expected = {f"{server.base_url}/news/{n}.html" for n in range(site.count)}
    assert set(_articles(tmp_path)) == expected
    responses = [u for t, u, _ in _records(tmp_path) if t == "response"]
    assert all(responses.count(u) == 1 for u in expected)  # nothing stored twice


def _gone(tag: str) -> list[int]:
    """Wait (boundedly) for the processes tagged ``tag`` to end; those still alive."""
    for _ in range(100):
        if not _processes_with(tag):
            break
        time.sleep(0.1)
    return _processes_with(tag)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_systemctl_stop_ends_the_crawl_with_every_fetched_article_indexed(
    tmp_path: Path, signum: int
) -> None:
    site = FaultSite(articles=40, per_page=10, faults=False, article_delay=0.05)
    with SiteServer(site.routes()) as server:
        url = server.base_url + "/news/"
        tag = f"stop-{signum}-{os.getpid()}"
        process = _crawl_process(tmp_path, url, tag, True, "-q")  # as cron or systemd runs it
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(
            t == "response" and u.endswith(".html") and "/news/" in u
            for t, u, _ in (_records(tmp_path) if (tmp_path / "warc").exists() else [])
        ):
            time.sleep(0.1)
        os.killpg(process.pid, signum)  # the whole group: crawl, page workers, index writer
        out, err = process.communicate(timeout=60)
        assert _gone(tag) == []
    # stopped is not ok: a documented non-zero code (128 + the signal), and the report says so
    assert process.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[signum]
    assert b"Traceback" not in out + err
    assert re.match(rb"crawl \d+ stopped in ", out), out
    assert f"stopped by {signal.Signals(signum).name}: the pages in hand".encode() in out
    assert run_cli("check", archive=tmp_path).returncode == 0
    fetched = {
        u for t, u, _ in _records(tmp_path) if t == "response" and re.search(r"/news/\d+\.html$", u)
    }
    assert fetched and set(_articles(tmp_path)) == fetched  # the pages in hand were finished


def test_reindex_repairs_a_lost_index_and_recrawls_stay_revisits(tmp_path: Path) -> None:
    site = FaultSite(articles=8, faults=False)
    with SiteServer(site.routes()) as server:
        run_cli("crawl", "--url", server.base_url + "/news/", *FAST, archive=tmp_path)
        articles = _articles(tmp_path)
        for path in tmp_path.glob("index.db*"):
            path.unlink()  # the index is lost; the WARCs are the source of truth
        rebuilt = run_cli("reindex", archive=tmp_path)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert _articles(tmp_path) == articles
        before = len(_records(tmp_path))
        again = run_cli(
            "crawl", "--url", server.base_url + "/news/", "--full", *FAST, archive=tmp_path
        )
    assert again.returncode == 0 and "8 unchanged" in again.stdout
    added = _records(tmp_path)[before:]
    # conditional GETs from the captures: revisits; a response only for the site's missing
    # /favicon.ico (a 404 has nothing to revisit)
    answered = [u for t, u, _ in added if t == "response"]
    assert answered == [server.base_url + "/favicon.ico"]
    assert run_cli("check", archive=tmp_path).returncode == 0


def test_a_dead_site_does_not_stop_the_others_and_the_run_is_recorded(tmp_path: Path) -> None:
    site = FaultSite(articles=4, faults=False)
    with SiteServer(site.routes()) as server:
        result = run_cli(
            "crawl",
            "--url",
            "http://127.0.0.1:9/news/",
            "--url",
            server.base_url + "/news/",
            *FAST,
            archive=tmp_path,
        )
    assert result.returncode == 1  # one site could not be fetched at all
    assert "FAILED" in result.stdout and "4 new" in result.stdout
    assert len(_articles(tmp_path)) == 4
    conn = sqlite3.connect(tmp_path / "index.db")
    row = conn.execute(
        "SELECT status, articles_new, revisits, errors, bytes, seconds FROM crawls"
    ).fetchone()
    conn.close()
    status, new, revisits, errors, size, seconds = row
    assert (status, new, revisits) == ("failed", 4, 0)
    assert json.loads(errors) and size > 0 and seconds > 0


def test_quiet_mode_prints_nothing_when_all_went_well(tmp_path: Path) -> None:
    site = FaultSite(articles=3, faults=False)
    with SiteServer(site.routes()) as server:
        result = run_cli(
            "crawl", "--url", server.base_url + "/news/", "-q", *FAST, archive=tmp_path
        )
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""


def test_at_most_two_requests_at_once_per_host_by_default(tmp_path: Path) -> None:
    site = FaultSite(articles=12, faults=False, article_delay=0.2)
    with SiteServer(site.routes()) as server:
        result = run_cli(
            "crawl",
            "--url",
            server.base_url + "/news/",
            *NO_DELAY,
            archive=tmp_path,
        )
    assert result.returncode == 0
    assert site.max_in_flight == 2  # CONCURRENT_REQUESTS_PER_DOMAIN, reached and never passed


def test_recheck_interval_refetches_known_articles_with_conditional_gets(tmp_path: Path) -> None:
    site = FaultSite(articles=5, faults=False)
    with SiteServer(site.routes()) as server:
        run_cli("crawl", "--url", server.base_url + "/news/", *FAST, archive=tmp_path)
        seen = len(server.received)
        # last_seen and the recheck cut-off both have one-second resolution: the cut-off
        # (now - 0.864 s, truncated) is past every truncated last_seen only after ~1.9 s.
        time.sleep(2.0)
        again = run_cli(
            "crawl",
            "--url",
            server.base_url + "/news/",
            *FAST,
            "-s",
            "ARCHIVER_RECHECK_DAYS=0.00001",
            archive=tmp_path,
        )
        rerun = [
            r
            for r in server.received[seen:]
            if r.target.startswith("/news/") and r.target.endswith(".html")
        ]
    assert again.returncode == 0 and "5 unchanged" in again.stdout
    assert len(rerun) == 5 and all(r.headers.get("If-None-Match") for r in rerun)


def test_a_capture_written_but_not_noted_before_a_kill_is_noted_by_the_next_run(
    tmp_path: Path,
) -> None:
    """``kill -9`` between a WARC record and its ``captures.db`` row (the crawl notes each
    capture right after writing it) must not make the next run store the page again."""
    from archiver.index.capture_log import CaptureLog, capture_of
    from archiver.warc.records import Fetch
    from archiver.warc.writer import WarcFileWriter

    def fetch(path: str, status: int = 200) -> Fetch:
        return Fetch(
            url=f"http://127.0.0.1/news/{path}",
            method="GET",
            request_headers=[("Host", "127.0.0.1")],
            request_body=b"",
            protocol="HTTP/1.1",
            status=status,
            reason="OK",
            response_headers=[("Content-Type", "text/html"), ("ETag", f'"{path}"')],
            body=f"<html>{path}</html>".encode(),
        )

    writer = WarcFileWriter(tmp_path / "warc", "site")
    log = CaptureLog.open(tmp_path)
    noted = fetch("1.html")
    written = writer.write_fetch(noted, {"role": "article"})
    log.record(
        capture_of(
            noted.url, 200, noted.response_headers, written.digest, written.date, written.location
        )
    )
    lost = writer.write_fetch(fetch("2.html"), {"role": "article"})  # killed before noting
    writer.write_fetch(fetch("3.html", status=404), {"role": "article"})  # never a capture
    writer.close()
    (path,) = (tmp_path / "warc").glob("*.warc.gz")

    log.recover(path)
    log.recover(path)  # twice changes nothing

    assert log.get(noted.url) is not None and log.get(noted.url).location == written.location
    recovered = log.get("http://127.0.0.1/news/2.html")
    assert recovered is not None
    assert (recovered.location, recovered.digest, recovered.etag) == (
        lost.location,
        lost.digest,
        '"2.html"',
    )
    assert log.get("http://127.0.0.1/news/3.html") is None
    assert log.conn.execute("SELECT count(*) FROM captures").fetchone() == (2,)
    log.close()


def test_a_run_killed_before_the_requisites_and_image_sources_the_next_run_fetches_them(
    tmp_path: Path,
) -> None:
    """``kill -9`` once every article is indexed but while the fonts (loaded by the theme's
    stylesheets, which are archived) and the ``768x512`` ``srcset`` candidates of the photos
    are still being served: the next run (no ``--full``) fetches each of them, from what the
    index keeps of what each page and stylesheet loads."""
    from tests import fixture_sites

    gate = threading.Event()
    routes: dict[str, object] = dict(fixture_sites.wordpress_routes())
    held = [k for k in routes if k.endswith((".woff2", "-768x512.jpg"))]

    def held_back(page):
        def answer(handler):
            gate.wait(30)  # bounded: opened once the crawl is killed
            return page

        return answer

    for key in held:
        routes[key] = held_back(routes[key])
    articles = len(fixture_sites.EXPECTED["wordpress"])
    sheets = len([k for k in fixture_sites.THEME["wordpress"] if ".css" in k])
    wide = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "-s", "CONCURRENT_REQUESTS=64"]
    server = SiteServer(routes).start()
    try:
        url = server.base_url + fixture_sites.LISTINGS["wordpress"]
        tag = f"requisites-{os.getpid()}"
        process = _crawl_process(tmp_path, url, tag, False, *wide, "-s", "DOWNLOAD_TIMEOUT=60")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # every article indexed, the stylesheets archived
            if (tmp_path / "index.db").exists():
                counts = _index_counts(tmp_path)
                if counts == (articles, sheets):
                    break
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        assert _index_counts(tmp_path) == (articles, sheets)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        assert _gone(tag) == []
        gate.set()
        missing = {server.base_url + k for k in held} - _media(tmp_path)
        assert len(missing) == len(held) >= articles + 2  # what the killed run left
        asked = len(server.log)
        resumed = run_cli("crawl", "--url", url, *NO_DELAY, archive=tmp_path)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        again = [target for _, target in server.log[asked:]]
    finally:
        gate.set()
        server.stop()
    assert _media(tmp_path) >= missing
    assert all(again.count(k) == 1 for k in held), again  # each once
    check = run_cli("check", archive=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def _index_counts(archive: Path) -> tuple[int, int]:
    """(articles, stylesheets) in the index."""
    conn = sqlite3.connect(archive / "index.db", timeout=5)
    try:
        (found,) = conn.execute("SELECT count(*) FROM articles").fetchone()
        (sheets,) = conn.execute("SELECT count(*) FROM media WHERE mime = 'text/css'").fetchone()
        return int(found), int(sheets)
    except sqlite3.OperationalError:  # the tables are not made yet
        return 0, 0
    finally:
        conn.close()


def _media(archive: Path) -> set[str]:
    conn = sqlite3.connect(archive / "index.db")
    try:
        return {url for (url,) in conn.execute("SELECT url FROM media")}
    finally:
        conn.close()
