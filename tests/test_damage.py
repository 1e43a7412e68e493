"""Damaged archives (issue 13): a real loopback crawl, copied and damaged per case.

Each case damages one WARC file of a copy (a flipped byte in each kind of record, a truncated
file, an overwritten range, garbage appended, a stray non-WARC file) and asserts what the user
sees: no traceback, the exit code, the damaged range named by file and offset, and every
article whose record is intact found again by ``reindex`` + ``export``. Then repair: a capture
lost to damage is fetched again by the next crawl as a full response, never a revisit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.demo.server import SiteServer
from archiver.urls import canonical_url
from archiver.warc.reader import iter_records
from archiver.warc.records import warc_files
from tests import damage, fixture_sites
from tests.conftest import LOOPBACK, load_json_lines, run_cli


@dataclass
class Source:
    """An intact archive of one fixture site, its server (still serving) and its records."""

    archive: Path
    server: SiteServer
    listing: str
    recs: list[damage.Rec]
    articles: set[str]  # canonical URLs export gives

    def of(self, type_: str, role: str) -> list[damage.Rec]:
        return [r for r in self.recs if r.type == type_ and r.role == role]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    server = SiteServer(fixture_sites.joomla_routes()).start()
    archive = tmp_path_factory.mktemp("intact")
    listing = server.base_url + fixture_sites.LISTINGS["joomla"]
    crawl = run_cli("crawl", "--url", listing, *LOOPBACK, archive=archive)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    exported = run_cli("export", archive=archive)
    articles = {row["url"] for row in load_json_lines(exported.stdout)}
    assert len(articles) >= 10
    try:
        yield Source(archive, server, listing, damage.records(archive), articles)
    finally:
        server.stop()


def _warc(archive: Path) -> Path:
    (path,) = warc_files(archive / "warc")
    return path


def _exported(archive: Path) -> set[str]:
    result = run_cli("export", archive=archive)
    assert result.returncode == 0, result.stderr
    return {row["url"] for row in load_json_lines(result.stdout)}


def _no_traceback(*results) -> None:  # type: ignore[no-untyped-def]
    for result in results:
        assert "Traceback" not in result.stdout + result.stderr, result.stderr


#: What a case does to the WARC file at ``path``; returns the damaged byte range [start, end).
Hurt = Callable[[Source, Path], tuple[int, int]]


def _flip_middle(type_: str, role: str, n: int = 2) -> Hurt:
    def hurt(src: Source, path: Path) -> tuple[int, int]:
        recs = src.of(type_, role)
        rec = recs[min(n, len(recs) - 1)]
        damage.flip(path, rec.middle)
        return rec.middle, rec.middle + 1

    return hurt


def _truncate(src: Source, path: Path) -> tuple[int, int]:
    rec = src.of("response", "article")[-2]
    size = path.stat().st_size
    damage.truncate(path, rec.middle)
    return rec.middle, size


def _overwrite(src: Source, path: Path) -> tuple[int, int]:
    rec = src.of("response", "article")[4]
    start = rec.offset + 5
    damage.overwrite(path, start, b"\0" * 3000)
    return start, start + 3000


def _append(src: Source, path: Path) -> tuple[int, int]:
    size = path.stat().st_size
    damage.append(path, os.urandom(5000))
    return size, size  # nothing of the records


CASES: dict[str, Hurt] = {
    "flip-article-response": _flip_middle("response", "article"),
    "flip-image-response": _flip_middle("response", "image", 3),
    "flip-article-request": _flip_middle("request", "article"),
    "flip-article-metadata": _flip_middle("metadata", "article"),
    "flip-listing-response": _flip_middle("response", "listing", 0),
    "flip-warcinfo": _flip_middle("warcinfo", ""),
    "flip-gzip-header": lambda src, path: (
        damage.flip(path, src.of("response", "article")[3].offset),
        (src.of("response", "article")[3].offset, src.of("response", "article")[3].offset + 1),
    )[1],
    "flip-image-gzip-crc": lambda src, path: (
        damage.flip(path, src.of("response", "image")[5].end - 6),
        (src.of("response", "image")[5].end - 6, src.of("response", "image")[5].end - 5),
    )[1],
    "truncate-mid-record": _truncate,
    "overwrite-range": _overwrite,
    "append-garbage": _append,
}


def _lost_articles(src: Source, start: int, end: int) -> set[str]:
    """Articles whose response record overlaps the damaged bytes [start, end)."""
    return {
        r.url for r in src.of("response", "article") if r.offset < end and start < r.end
    } & src.articles


@pytest.mark.parametrize("case", sorted(CASES))
def test_reindex_and_check_read_past_damage(source: Source, tmp_path: Path, case: str) -> None:
    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    path = _warc(archive)
    start, end = CASES[case](source, path)

    check = run_cli("check", archive=archive)  # before reindex: the index still points at it
    reindex = run_cli("reindex", archive=archive)
    _no_traceback(check, reindex)

    assert reindex.returncode == 1, reindex.stdout + reindex.stderr
    damaged = [line for line in reindex.stderr.splitlines() if line.startswith("damaged: ")]
    assert len(damaged) == 1, reindex.stderr  # one range, one line
    offset = int(re.search(rf"{re.escape(path.name)}@(\d+): (\d+) bytes", damaged[0])[1])
    assert offset <= start < max(end, start + 1) or case == "append-garbage"
    assert "damaged ranges skipped" in reindex.stdout

    assert check.returncode == 1, check.stdout + check.stderr
    assert f"{path.name}@{offset}:" in check.stderr

    lost = _lost_articles(source, start, end)
    assert _exported(archive) == source.articles - lost
    media = [r for r in source.recs if r.type == "response" and r.role in ("image", "attachment")]
    kept = [r for r in media if not (r.offset < end and start < r.end)]
    assert f"; {len(kept)} media;" in reindex.stdout  # every intact image too
    if case in ("flip-article-request", "flip-article-metadata", "flip-image-response"):
        assert not lost  # one byte of another record of the fetch costs no article
    if case == "flip-article-response":  # what was lost, and what happens to it
        (url,) = lost
        assert f"lost response {url}" in damaged[0]
        assert f"lost capture, fetched again by the next crawl: {url}" in check.stderr
        assert f"index: {url} points at a damaged record" in check.stderr
    if case == "flip-image-gzip-crc":
        image = source.of("response", "image")[5].url
        assert "incorrect" in damaged[0] and f"lost response {image}" in damaged[0]
        assert f"fetched again with its article by `archiver crawl --full`: {image}" in check.stderr


def test_stray_non_warc_file_is_one_skipped_range(source: Source, tmp_path: Path) -> None:
    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    (archive / "warc" / "x.warc.gz").write_bytes(b"<html>not a WARC</html>\n" * 200)
    (archive / "warc" / "y.warc.gz").write_bytes(b"\x1f\x8b\x08" + os.urandom(3000))
    reindex = run_cli("reindex", archive=archive)
    check = run_cli("check", archive=archive)
    _no_traceback(reindex, check)
    assert reindex.returncode == 1 and check.returncode == 1
    damaged = sorted(line for line in reindex.stderr.splitlines() if line.startswith("damaged"))
    assert damaged[0].startswith("damaged: x.warc.gz@0: 4800 bytes skipped")
    assert damaged[1].startswith("damaged: y.warc.gz@0: 3003 bytes skipped")
    assert len(damaged) == 2
    assert _exported(archive) == source.articles


def test_check_fails_on_missing_or_empty_archive_and_on_an_emptied_index(
    source: Source, tmp_path: Path
) -> None:
    typo = run_cli("check", archive=tmp_path / "archvie")
    assert typo.returncode == 1 and typo.stderr.startswith("archiver: no archive at")
    assert len(typo.stderr.splitlines()) == 1
    (tmp_path / "empty").mkdir()
    empty = run_cli("check", archive=tmp_path / "empty")
    assert empty.returncode == 1 and "no WARC files" in empty.stderr

    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    intact = run_cli("check", archive=archive)
    assert intact.returncode == 0, intact.stderr
    import sqlite3

    with sqlite3.connect(archive / "index.db") as conn:
        url = sorted(source.articles)[0]
        conn.execute("DELETE FROM articles WHERE url = ?", (url,))
    one = run_cli("check", archive=archive)
    assert one.returncode == 1
    assert f"no row for the article {url}" in one.stderr
    with sqlite3.connect(archive / "index.db") as conn:
        conn.execute("DELETE FROM articles")
    emptied = run_cli("check", archive=archive)
    _no_traceback(typo, empty, one, emptied)
    assert emptied.returncode == 1
    assert emptied.stderr.count("no row for the article") == len(source.articles)
    # the fixture site's page that holds no article is no problem (extraction decides)
    assert "pages skipped" not in emptied.stderr


def test_show_of_a_damaged_or_cut_off_record_is_one_line(source: Source, tmp_path: Path) -> None:
    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    path = _warc(archive)
    articles = [r for r in source.of("response", "article") if r.url in source.articles]
    flipped, cut = articles[1], articles[-1]
    damage.flip(path, flipped.middle)
    damage.truncate(path, cut.middle)
    for rec, what in ((flipped, "damaged record (bad gzip member"), (cut, "truncated")):
        for option in ([], ["--html"], ["--headers"]):
            shown = run_cli("show", rec.url, *option, archive=archive)
            _no_traceback(shown)
            assert shown.returncode == 1, shown.stdout
            assert shown.stdout == ""
            (line,) = shown.stderr.splitlines()
            assert f"{path.name}@{rec.offset}" in line and what in line
    fine = run_cli("show", articles[0].url, "--html", archive=archive)
    assert fine.returncode == 0 and "<html" in fine.stdout.lower()


def _responses(path: Path) -> dict[str, str]:
    """Canonical URL -> record type (``response`` or ``revisit``) in one WARC file."""
    return {
        canonical_url(r.url): r.rec_type
        for r in iter_records(path)
        if r.rec_type in ("response", "revisit")
    }


def test_next_crawl_fetches_a_truncated_capture_again_in_full(
    source: Source, tmp_path: Path
) -> None:
    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    path = _warc(archive)
    articles = [r for r in source.of("response", "article") if r.url in source.articles]
    cut = articles[-1]
    damage.truncate(path, cut.middle)  # a disk that filled up, a copy cut short
    check = run_cli("check", archive=archive)
    assert check.returncode == 1
    assert f"fetched again by the next crawl: {cut.url}" in check.stderr

    crawl = run_cli("crawl", "--url", source.listing, *LOOPBACK, archive=archive)
    _no_traceback(check, crawl)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    newest = warc_files(archive / "warc")[-1]
    assert newest != path
    again = _responses(newest)
    assert again.get(cut.url) == "response"  # a full copy, not a revisit of lost bytes
    assert _exported(archive) == source.articles
    shown = run_cli("show", cut.url, archive=archive)
    assert shown.returncode == 0 and newest.name in shown.stdout


@pytest.mark.parametrize("full", [False, True])
def test_a_damaged_capture_is_fetched_again_in_full(
    source: Source, tmp_path: Path, full: bool
) -> None:
    """A flipped byte inside the file: ``reindex`` drops the record from the index and the
    captures (the next crawl fetches the page as new); and even without it, ``--full``
    reads the capture back before a conditional GET and fetches a damaged one in full."""
    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    path = _warc(archive)
    articles = [r for r in source.of("response", "article") if r.url in source.articles]
    hurt = articles[-1]  # on the second listing page: an incremental run stops before it
    damage.flip(path, hurt.middle)
    if not full:
        assert run_cli("reindex", archive=archive).returncode == 1
    extra = ["--full"] if full else []
    crawl = run_cli("crawl", "--url", source.listing, *extra, *LOOPBACK, archive=archive)
    _no_traceback(crawl)
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    again = _responses(warc_files(archive / "warc")[-1])
    assert again.get(hurt.url) == "response"
    if full:  # the intact ones are revisits of their intact records
        assert again.get(articles[0].url) == "revisit"
    else:  # the intact ones were not fetched at all
        assert articles[0].url not in again
    assert _exported(archive) == source.articles
    shown = run_cli("show", hurt.url, "--html", archive=archive)
    assert shown.returncode == 0, shown.stderr


def test_capture_log_forgets_captures_cut_off_or_damaged(tmp_path: Path) -> None:
    """At a crawl's start (``WarcCapture._recover``): captures past a file's end are forgotten
    without reading the file; the last noted one is read back by ``recover`` and forgotten if
    damaged; intact ones stay."""
    from archiver.index.capture_log import CaptureLog
    from archiver.warc.records import Fetch
    from archiver.warc.writer import WarcFileWriter

    writer = WarcFileWriter(tmp_path / "warc", "site")
    for n in range(4):
        body = f"<html>{n}</html>".encode() + os.urandom(2000)  # a member of some size
        writer.write_fetch(
            Fetch(
                f"http://127.0.0.1/{n}.html",
                "GET",
                [("Host", "127.0.0.1")],
                b"",
                "HTTP/1.1",
                200,
                "OK",
                [("Content-Type", "text/html")],
                body,
            ),
            {"role": "article"},
        )
    writer.close()
    path = _warc(tmp_path)
    log = CaptureLog.open(tmp_path)
    log.recover(path)  # notes all four
    urls = [f"http://127.0.0.1/{n}.html" for n in range(4)]
    assert all(log.get(url) for url in urls)
    assert log.forget_lost(tmp_path / "warc") == []

    last = log.get(urls[3])
    assert last is not None
    damage.truncate(path, last.location.offset + last.location.length // 2)
    assert log.forget_lost(tmp_path / "warc") == [urls[3]]
    assert log.get(urls[3]) is None and log.get(urls[2]) is not None

    third = log.get(urls[2])
    assert third is not None
    damage.flip(path, third.location.offset + third.location.length - 6)  # its gzip CRC
    skipped = log.recover(path)
    assert [s.offset for s in skipped] == [third.location.offset, last.location.offset]
    assert log.get(urls[2]) is None  # damaged: the next fetch is a full one
    assert log.get(urls[1]) is not None
    assert not log.intact(log.get(urls[1]), tmp_path / "nowhere")  # its file is gone
    assert log.get(urls[1]) is None and log.intact(log.get(urls[0]), tmp_path / "warc")
    log.close()


def test_check_counts_the_article_records_past_its_extraction_limit(
    source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check`` extracts at most CHECK_EXTRACT_MAX missing articles and counts the rest (a
    kill -9 loop found it printing "-10 more": the sets it counted shrank as it went)."""
    import sqlite3

    from archiver.jobs import check

    archive = damage.copy_archive(source.archive, tmp_path / "archive")
    with sqlite3.connect(archive / "index.db") as conn:
        conn.execute("DELETE FROM articles")
    monkeypatch.setattr(check, "CHECK_EXTRACT_MAX", 3)
    _, problems = check.check(archive)
    rows = [p for p in problems if p.startswith("index: no row for the article")]
    more = [p for p in problems if " more article records not in the index" in p]
    assert len(rows) <= 3 and len(more) == 1
    rest = int(more[0].split()[1])  # article records, soft errors among them: >= articles
    assert rest + 3 >= len(source.articles) and rest > 0, more[0]
