"""Crawl-time faults and bad input, each through the real CLI in a subprocess against a loopback
site: bad settings, a WARC capture that fails, a full disk (a real file-size limit), a crawl
stopped by a signal's report, listing pages that answer 4xx/5xx, and out-of-range dates.

Every case asserts what a user and cron see (no traceback, the exit code, the one line that says
why) and that nothing already archived is lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.crawl.agent import user_agent
from archiver.demo.server import Page, SiteServer
from tests.conftest import LOOPBACK, ROOT, run_cli
from tests.fault_site import FaultSite

HTML = [("Content-Type", "text/html; charset=utf-8")]


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _tree(archive: Path) -> dict[str, str]:
    """Every file of an archive and the SHA-1 of its bytes."""
    return {
        str(p.relative_to(archive)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(archive.rglob("*"))
        if p.is_file()
    }


def _articles(archive: Path) -> dict[str, tuple[str, str, int]]:
    """url -> (text, WARC file, offset) of every indexed article."""
    conn = sqlite3.connect(archive / "index.db")
    try:
        rows = conn.execute("SELECT url, text, warc_filename, warc_offset FROM articles")
        return {url: (text, name, offset) for url, text, name, offset in rows}
    finally:
        conn.close()


def _media_count(archive: Path) -> int:
    """The photos and attachments indexed (not the requisites: the site's missing
    ``/favicon.ico`` is one)."""
    conn = sqlite3.connect(archive / "index.db")
    try:
        sql = "SELECT count(*) FROM media WHERE kind <> 'requisite'"
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def _responses(archive: Path) -> list[tuple[str, str, int]]:
    """(target URI, file, offset) of every response record; reading fails on a torn record."""
    out = []
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    out.append((uri, path.name, records.get_record_offset()))
    return out


def _assert_index_agrees_with_warcs(archive: Path) -> None:
    """Each article row points at a whole response record of its own URL."""
    records = {(name, offset): uri for uri, name, offset in _responses(archive)}
    for url, (_text, name, offset) in _articles(archive).items():
        assert records.get((name, offset)) == url, (url, name, offset)


# -- settings -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory):
    """A site and an archive of a first crawl of it: bad runs must leave it as it is."""
    site = FaultSite(articles=4, faults=False)
    archive = tmp_path_factory.mktemp("archived")
    with SiteServer(site.routes()) as server:
        first = run_cli("crawl", "--url", server.base_url + "/news/", *LOOPBACK, archive=archive)
        assert first.returncode == 0, first.stdout + first.stderr
        yield server, archive


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        (
            "ARCHIVER_WARC_GZIP_LEVEL=42",
            "ARCHIVER_WARC_GZIP_LEVEL='42': must be a whole number from 0 to 9",
        ),
        ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY='abc': must be a number, 0 or more"),
        ("DOWNLOAD_TIMEOUT=nan", "DOWNLOAD_TIMEOUT='nan'"),
        ("RETRY_TIMES=-1", "RETRY_TIMES='-1': must be a whole number, 0 or more"),
        ("CONCURRENT_REQUESTS=0", "CONCURRENT_REQUESTS='0'"),
        ("AUTOTHROTTLE_ENABLED=maybe", "AUTOTHROTTLE_ENABLED='maybe': must be True or False"),
        ("ARCHIVER_WORKERS=many", "ARCHIVER_WORKERS='many'"),
        ("LOG_LEVEL=LOUD", "LOG_LEVEL='LOUD': must be one of"),
        ("USER_AGENT=", "USER_AGENT=''"),
        (
            "ARCHIVER_WARC_GZIP_LEVL=3",
            "unknown setting ARCHIVER_WARC_GZIP_LEVL; did you mean ARCHIVER_WARC_GZIP_LEVEL?",
        ),
        ("download_delay=0", "setting names are upper case: DOWNLOAD_DELAY"),
        ("ARCHIVER_ARCHIVE=/tmp/elsewhere", "give the archive with --archive DIR"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2_before_anything_is_fetched(
    archived, setting: str, says: str
) -> None:
    server, archive = archived
    before, requests = _tree(archive), len(server.received)
    result = run_cli(
        "crawl", "--url", server.base_url + "/news/", *LOOPBACK, "-s", setting, archive=archive
    )
    assert result.returncode == 2
    assert says in _one_line_error(result)
    assert len(server.received) == requests  # nothing fetched, not even robots.txt
    assert _tree(archive) == before  # nothing written, no run recorded


def test_every_archiver_setting_and_every_scrapy_setting_the_readme_names_has_a_rule() -> None:
    from scrapy.settings import Settings, default_settings

    from archiver import settings as project
    from archiver.crawl.configure import check_settings

    ruled = {rule[0] for rule in project.setting_rules}
    ours = {name for name in dir(project) if name.startswith("ARCHIVER_")}
    assert ours <= ruled, ours - ruled
    readme = (ROOT / "README.md").read_text("utf-8")
    named = set(re.findall(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b", readme))
    scrapy_named = {n for n in named if hasattr(default_settings, n)}
    assert scrapy_named <= ruled, scrapy_named - ruled
    defaults = Settings()
    defaults.setmodule(project)
    check_settings(defaults)  # the defaults keep their own rules


def test_the_contact_url_setting_is_in_the_user_agent(tmp_path: Path) -> None:
    site = FaultSite(articles=1, faults=False)
    contact = "https://example.org/about-our-crawler"
    with SiteServer(site.routes()) as server:
        url = server.base_url + "/news/"
        result = run_cli(
            "crawl",
            "--url",
            url,
            *LOOPBACK,
            "-s",
            f"ARCHIVER_CONTACT_URL={contact}",
            archive=tmp_path,
        )
        agents = {r.headers.get("User-Agent") for r in server.received}
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(agents) == 1 and f"(+{contact})" in str(agents.pop())


def test_scrapy_crawl_puts_the_contact_url_in_the_user_agent_too(tmp_path: Path) -> None:
    """Scrapy's own command reads the same settings module: the add-on that makes the
    User-Agent runs there too (it was built once at import, so -s changed nothing)."""
    site = FaultSite(articles=1, faults=False)
    contact = "https://example.org/x"
    with SiteServer(site.routes()) as server:
        command = [
            str(Path(sys.executable).parent / "scrapy"),
            "crawl",
            "news",
            "-a",
            f"url={server.base_url}/news/",
            "-s",
            f"ARCHIVER_ARCHIVE={tmp_path}",
            "-s",
            f"ARCHIVER_CONTACT_URL={contact}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "LOG_LEVEL=ERROR",
        ]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
        agents = {r.headers.get("User-Agent") for r in server.received}
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(server.received) > 2  # robots.txt, the listing, the article
    assert agents == {user_agent(contact)}


# -- the WARC capture ---------------------------------------------------------------------------
def test_a_failing_warc_capture_stops_the_crawl_with_a_report_not_ok(tmp_path: Path) -> None:
    """``warc`` is a file, not a folder: no record can be written. Scrapy swallows what a signal
    handler raises; the crawl must not go on and report success without its records."""
    site = FaultSite(articles=4, faults=False)
    (tmp_path / "warc").write_text("not a folder")
    with SiteServer(site.routes()) as server:
        result = run_cli("crawl", "--url", server.base_url + "/news/", *LOOPBACK, archive=tmp_path)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("crawl 1 failed")
    assert "stopped: a WARC record could not be written" in result.stdout
    assert "warc_write_failed 1" in result.stdout
    assert _articles(tmp_path) == {}  # nothing indexed that is not archived
    assert (tmp_path / "warc").read_text() == "not a folder"
    run = json.loads(_last_report(tmp_path))
    assert run["status"] == "failed" and run["stopped"]["reason"] == "warc_write_failed"


def _last_report(archive: Path) -> str:
    conn = sqlite3.connect(archive / "index.db")
    try:
        return str(conn.execute("SELECT report FROM crawls ORDER BY id DESC").fetchone()[0])
    finally:
        conn.close()


# -- a full disk --------------------------------------------------------------------------------
def _crawl_with_file_limit(
    archive: Path, url: str, limit: int | None
) -> subprocess.CompletedProcess[str]:
    """``archiver crawl`` with every file it writes limited to ``limit`` bytes (``ulimit -f``:
    a write past it fails with EFBIG, as on a full disk; Python ignores SIGXFSZ)."""

    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    command = [sys.executable, "-m", "archiver", "crawl", "--url", url, *LOOPBACK]
    return subprocess.run(
        [*command, "--archive", str(archive)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=limited,
    )


def test_a_full_disk_stops_the_crawl_at_the_first_failed_write_and_the_next_run_carries_on(
    tmp_path: Path,
) -> None:
    # 12 articles with a 300 KB photo each: a run needs over 3.6 MB of WARC; 450 KB a file is
    # room for the index (about 0.25 MB) but not for a second photo
    site = FaultSite(articles=12, faults=False, image_bytes=300_000)
    with SiteServer(site.routes()) as server:
        url = server.base_url + "/news/"
        first = run_cli("crawl", "--url", url, "--max-articles", "3", *LOOPBACK, archive=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        kept = _articles(tmp_path)
        full = _crawl_with_file_limit(tmp_path, url, 450_000)
        after_full, media_after_full = _articles(tmp_path), _media_count(tmp_path)
        records_after_full = _responses(tmp_path)  # every file reads to its end
        check = run_cli("check", archive=tmp_path)
        freed = _crawl_with_file_limit(tmp_path, url, None)
        before_again = dict(site.hits)
        again = run_cli("crawl", "--url", url, *LOOPBACK, archive=tmp_path)
        again_hits = {p for p, n in site.hits.items() if n > before_again.get(p, 0)}
    assert "Traceback" not in full.stdout + full.stderr
    assert full.returncode == 1, full.stdout + full.stderr
    assert re.match(r"crawl 2 disk full in ", full.stdout), full.stdout
    assert "stopped: disk full ([Errno 27]" in full.stdout and "File too large" in full.stdout
    assert full.stderr == ""
    assert check.returncode == 0, check.stdout + check.stderr  # only whole records
    for url_, row in kept.items():  # nothing the first run archived is lost
        assert after_full[url_] == row
    assert len(kept) < len(after_full) and media_after_full < site.count  # stopped midway
    written = {uri for uri, _, _ in records_after_full}
    assert set(after_full) <= written  # rows only for records on disk
    _assert_index_agrees_with_warcs(tmp_path)
    assert freed.returncode == 0, freed.stdout + freed.stderr
    expected = {f"{server.base_url}/news/{n}.html" for n in range(site.count)}
    assert set(_articles(tmp_path)) == expected
    assert _media_count(tmp_path) == site.count  # photos the full disk cut off, fetched now
    responses = [uri for uri, _, _ in _responses(tmp_path)]
    assert all(responses.count(u) == 1 for u in expected)  # no article stored twice
    _assert_index_agrees_with_warcs(tmp_path)
    assert run_cli("check", archive=tmp_path).returncode == 0
    # once a run has ended normally, the next one fetches no article and no photo again
    assert again.returncode == 0, again.stdout + again.stderr
    assert again_hits and all(p.startswith("/news/?") or p == "/news/" for p in again_hits)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1.2 MB tmpfs (a real ENOSPC; SQLite's "database or disk is full"), where the machine
    lets us mount one (root, and not in a container without the right); grown with
    ``mount -o remount,size=...`` to free space."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mount.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mount.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_file_system_stops_the_crawl_and_the_next_run_carries_on_once_grown(
    small_disk: Path,
) -> None:
    archive = small_disk / "archive"
    site = FaultSite(articles=12, faults=False, image_bytes=150_000)  # 1.8 MB of photos
    with SiteServer(site.routes()) as server:
        url = server.base_url + "/news/"
        full = run_cli("crawl", "--url", url, "-q", *LOOPBACK, archive=archive)
        subprocess.run(["mount", "-o", "remount,size=16m", str(small_disk)], check=True)
        # what the full disk left, checked once SQLite has room for its -shm file again
        check = run_cli("check", archive=archive)
        freed = run_cli("crawl", "--url", url, "-q", *LOOPBACK, archive=archive)
    assert "Traceback" not in full.stdout + full.stderr
    assert full.returncode == 1, full.stdout + full.stderr
    # whether the report itself still fits depends on which write meets the full disk first
    # (captures.db's WAL, the index writer's batch): saved with its id, or printed saying so
    assert re.match(r"crawl (\d+ )?disk full in ", full.stdout), full.stdout
    assert re.search(r"^crawl \d+ ", full.stdout) or "could not be saved" in full.stdout
    assert "No space left on device" in full.stdout
    # only whole records: at most articles archived but not indexed (the index had no room)
    lines = [line for line in check.stderr.splitlines() if line.strip()]
    assert all(line.startswith("index: no row for the article") for line in lines), check.stderr
    assert check.returncode == (1 if lines else 0), check.stdout + check.stderr
    assert freed.returncode == 0, freed.stdout + freed.stderr
    expected = {f"{server.base_url}/news/{n}.html" for n in range(site.count)}
    assert set(_articles(archive)) == expected
    assert _media_count(archive) == site.count
    _assert_index_agrees_with_warcs(archive)
    assert run_cli("check", archive=archive).returncode == 0


def test_an_index_the_full_disk_cannot_grow_is_a_report_not_a_traceback(tmp_path: Path) -> None:
    """So little room that SQLite fails first (here: as the crawl starts)."""
    site = FaultSite(articles=6, faults=False)
    with SiteServer(site.routes()) as server:
        url = server.base_url + "/news/"
        first = run_cli("crawl", "--url", url, "--max-articles", "2", *LOOPBACK, archive=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        kept, warcs = _articles(tmp_path), _tree(tmp_path / "warc")
        full = _crawl_with_file_limit(tmp_path, url, 4096)
        after = _articles(tmp_path)
        freed = _crawl_with_file_limit(tmp_path, url, None)
    assert "Traceback" not in full.stdout + full.stderr
    assert full.returncode == 1, full.stdout + full.stderr
    assert re.match(r"crawl (failed|disk full) in ", full.stdout), full.stdout
    assert "stopped: " in full.stdout
    assert "this report could not be saved in index.db" in full.stdout
    assert after == kept
    assert all(_tree(tmp_path / "warc").get(name) == sha for name, sha in warcs.items())
    assert freed.returncode == 0, freed.stdout + freed.stderr
    assert len(_articles(tmp_path)) == site.count


# -- listing pages ------------------------------------------------------------------------------
def _listing_site() -> dict[str, object]:
    items = "".join(f'<h2><a href="/news/{n}.html">ข่าวที่ {n}</a></h2>' for n in range(2))
    body = "<p>" + "ผู้ว่าราชการจังหวัดลงพื้นที่ตรวจเยี่ยมประชาชน " * 20 + "</p>"
    article = "<html><body><article><h1>{}</h1>" + body + "</article></body></html>"
    return {
        "/robots.txt": Page(b"User-agent: *\nDisallow:\n"),
        "/news/": Page(
            f"<html><body>{items}<a rel='next' href='/news/?page=2'>ถัดไป</a></body></html>".encode(),
            headers=HTML,
        ),
        "/news/?page=2": Page(b"busy", status=503),
        "/news/0.html": Page(article.format("ข่าวดี").encode(), headers=HTML),
        "/news/1.html": Page(article.format("ข่าวเด่น").encode(), headers=HTML),
        "/gone/": Page(b"<h1>not found</h1>", status=404, headers=HTML),
    }


def test_a_listing_answering_404_fails_its_site_even_with_q(tmp_path: Path) -> None:
    with SiteServer(_listing_site()) as server:
        result = run_cli(
            "crawl", "--url", server.base_url + "/gone/", "-q", *LOOPBACK, archive=tmp_path
        )
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    assert f"listing page not read: {server.base_url}/gone/ (http_404)" in result.stdout


def test_a_listing_page_answering_5xx_is_a_problem_printed_by_q(tmp_path: Path) -> None:
    with SiteServer(_listing_site()) as server:
        result = run_cli(
            "crawl",
            "--url",
            server.base_url + "/news/",
            "-q",
            *LOOPBACK,
            "-s",
            "RETRY_TIMES=0",
            archive=tmp_path,
        )
    assert result.returncode == 0, result.stdout + result.stderr  # the site's articles came
    assert f"listing page not read: {server.base_url}/news/?page=2 (http_503)" in result.stdout
    assert len(_articles(tmp_path)) == 2


# -- dates --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "99999", "32", "1985", "2200", "1800-01-01"])
@pytest.mark.parametrize("verb", ["search", "export", "crawl"])
def test_an_out_of_range_year_is_one_line_and_exit_2(tmp_path: Path, verb: str, value: str) -> None:
    args = {
        "search": ["search", "ข่าว"],
        "export": ["export"],
        "crawl": ["crawl", "--url", "http://127.0.0.1:9/"],
    }
    result = run_cli(*args[verb], "--since", value, archive=tmp_path)
    assert result.returncode == 2
    assert "out of range" in _one_line_error(result)
    assert not tmp_path.joinpath("index.db").exists()


@pytest.mark.parametrize("verb", ["search", "export", "crawl"])
def test_help_says_a_two_digit_year_is_buddhist_era(verb: str) -> None:
    result = run_cli(verb, "--help")
    assert result.returncode == 0
    assert "64 (B.E. 2564 = 2021)" in " ".join(result.stdout.split())


def test_crawl_help_documents_the_exit_codes() -> None:
    text = " ".join(run_cli("crawl", "--help").stdout.split())
    assert "130 stopped by SIGINT" in text and "143 stopped by SIGTERM" in text


def test_a_two_digit_year_is_a_buddhist_era_short_year(archived) -> None:
    _server, archive = archived  # articles of November 2021 (B.E. 2564)
    since = {
        value: run_cli("export", "--since", value, "--until", until, archive=archive)
        for value, until in (("64", "64"), ("2564", "2564"), ("2021", "2021"), ("65", "2565"))
    }
    assert all(r.returncode == 0 for r in since.values())
    assert since["64"].stdout == since["2564"].stdout == since["2021"].stdout != ""
    assert since["65"].stdout == ""
