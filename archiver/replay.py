"""Replay the WARCs into the index (``archiver reindex``) and verify them (``archiver check``).

Each fetch was written as response + request + a metadata record naming what the crawler took
it for (``role``: listing, article, image, attachment; ``site``; ``article-url``), so the index
can be rebuilt from the WARC files alone, with today's extraction and segmentation.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import logging
import mmap
import os
import zlib
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archiver import settings
from archiver.captures import FILENAME as CAPTURES
from archiver.captures import CaptureLog, captured_locations
from archiver.derived import rebuild_path, remove_database, swap_in
from archiver.index import Index
from archiver.items import MediaItem
from archiver.lock import ArchiveLock
from archiver.urls import canonical_url
from archiver.warc import StoredRecord, iter_records, read_record, warc_files
from archiver.workers import PageWorkers, Processed, default_workers, process_article

logger = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    files: int = 0
    records: int = 0
    articles: dict[str, int] = field(default_factory=dict)
    media: int = 0
    skipped: int = 0
    runs: int = 0  # run reports carried over (``Index.restore_runs``)


def _fields(payload: bytes) -> dict[str, str]:
    out = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip()] = value.strip()
    return out


#: Articles written to the index per transaction while replaying.
REPLAY_BATCH = 200


def reindex(archive: Path, workers: int | None = None) -> ReplayReport:
    """Build the index (and ``captures.db``) again from every WARC file, oldest first, beside
    the live ones, and put them in place once complete (``archiver.derived``): a reindex
    killed at any moment leaves the old index, and readers see the old one or the new one.
    The old files are never read but for the run reports (``Index.restore_runs``), so a
    damaged or garbage index is rebuilt as well.

    Article pages are decoded, extracted and segmented in page workers (``workers``, one per
    core by default), as in a crawl, and written in batches, in the order of the WARCs (so the
    versions of a changed article come out in the order they were fetched).
    """
    archive = Path(archive)
    live_index, live_captures = archive / "index.db", archive / CAPTURES
    new_index, new_captures = rebuild_path(live_index), rebuild_path(live_captures)
    report = ReplayReport()
    with ArchiveLock(archive, "reindex"):
        remove_database(new_index)  # what a killed reindex left
        remove_database(new_captures)
        try:
            _rebuild(archive, new_index, new_captures, live_index, workers, report)
            swap_in(new_index, live_index)
            swap_in(new_captures, live_captures)
        finally:
            remove_database(new_index)
            remove_database(new_captures)
    return report


def _rebuild(
    archive: Path,
    new_index: Path,
    new_captures: Path,
    live_index: Path,
    workers: int | None,
    report: ReplayReport,
) -> None:
    with (
        Index(new_index, rebuilding=True) as index,
        PageWorkers(default_workers() if workers is None else workers) as pool,
        ExitStack() as stack,
    ):
        report.runs = index.restore_runs(live_index)
        captures = stack.enter_context(closing(CaptureLog.open(archive, new_captures)))
        queue = _Replay(index, pool, report)
        for path in warc_files(archive / "warc"):
            report.files += 1
            responses: dict[str, StoredRecord] = {}
            for record in iter_records(path):
                report.records += 1
                record_id = record.warc_headers.get_header("WARC-Record-ID")
                if record.rec_type == "response":
                    responses = {record_id: record}  # its metadata follows within 2 records
                    captures.record_stored(record)
                elif record.rec_type == "metadata":
                    target = responses.pop(
                        record.warc_headers.get_header("WARC-Concurrent-To") or "", None
                    )
                    if target is not None:
                        queue.add(target, _fields(record.payload))
        queue.drain()


class _Replay:
    """Replayed fetches on their way to the index: article pages in the page workers, media
    rows as they are; written in batches, in order."""

    def __init__(self, index: Index, pool: PageWorkers, report: ReplayReport) -> None:
        self.index, self.pool, self.report = index, pool, report
        self.articles: list[cf.Future[Processed]] = []
        self.media: list[MediaItem] = []

    def add(self, record: StoredRecord, about: dict[str, str]) -> None:
        role, site = about.get("role", ""), about.get("site", "")
        headers = record.http_headers
        status = int(headers.get_statuscode() or 0) if headers else 0
        ctype = (headers.get_header("Content-Type") or "") if headers else ""
        fetched = record.warc_headers.get_header("WARC-Date") or ""
        if role == "article" and status < 400:
            self.articles.append(
                self.pool.submit(
                    process_article,
                    record.payload,
                    ctype,
                    record.url,
                    site,
                    fetched,
                    record.location,
                    settings.ARCHIVER_MAX_PAGE_BYTES,
                )
            )
            if len(self.articles) >= 2 * REPLAY_BATCH:  # the workers keep one batch ahead
                self.drain(REPLAY_BATCH)
        elif role in ("image", "attachment") and status < 400:
            self.media.append(
                MediaItem(
                    url=canonical_url(record.url),
                    article_url=about.get("article-url", ""),
                    site=site,
                    kind=role,
                    mime=ctype.split(";")[0].strip(),
                    size=len(record.payload),
                    sha1=hashlib.sha1(record.payload).hexdigest(),
                    status=status,
                    fetched_at=fetched,
                    warc=record.location,
                )
            )

    def drain(self, count: int | None = None) -> None:
        """Write the first ``count`` pending articles (all, by default) and the media rows."""
        count = len(self.articles) if count is None else count
        done, self.articles = self.articles[:count], self.articles[count:]
        items = []
        for future in done:
            processed = future.result()
            if processed.item is None:
                self.report.skipped += 1
            else:
                items.append(processed.item)
        for outcome in self.index.upsert_articles(items):
            self.report.articles[outcome] = self.report.articles.get(outcome, 0) + 1
        self.index.upsert_media_many(self.media)
        self.report.media += len(self.media)
        self.media = []


# -- check ------------------------------------------------------------------------
#: Bytes of compressed input fed at a time while walking the gzip members of a file.
_CHUNK = 1 << 16


def gzip_members_problem(path: Path) -> str | None:
    """Walk the gzip members of a file; say what is wrong (truncation, garbage), or None.

    warcio does not notice a truncated final member (warcio issue 138): this does. The file
    is read through a memory map in chunks, so a 1 GB WARC costs one pass (handing zlib the
    rest of the file for each member made it quadratic: minutes for 300 MB).
    """
    with open(path, "rb") as stream:
        if os.fstat(stream.fileno()).st_size == 0:
            return None
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                return _walk_members(view)
            finally:
                view.release()


def _walk_members(view: memoryview) -> str | None:
    size, pos = len(view), 0
    while pos < size:
        start = pos
        decomp = zlib.decompressobj(31)
        while not decomp.eof:
            if pos >= size:
                return f"truncated gzip member at offset {start}"
            chunk = view[pos : pos + _CHUNK]
            try:
                decomp.decompress(chunk)
            except zlib.error as exc:
                return f"bad gzip member at offset {start}: {exc}"
            pos += len(chunk)
        pos -= len(decomp.unused_data)
    return None


def check_file(path: Path) -> list[str]:
    """Problems of one WARC file: gzip truncation, unparsable records, digest mismatches."""
    problems = []
    truncated = gzip_members_problem(path)
    if truncated:
        problems.append(f"{path.name}: {truncated}")
    try:
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream, check_digests=True):
                record.content_stream().read()
                if record.digest_checker.passed is False:
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    problems.append(f"{path.name}: digest mismatch in {record.rec_type} {uri}")
    except Exception as exc:  # warcio raises many kinds on a broken file: report, go on
        problems.append(f"{path.name}: unreadable: {exc}")
    return problems


def check_index(archive: Path) -> list[str]:
    """Index rows whose WARC record is missing or names another URL."""
    problems: list[str] = []
    index_path = Path(archive) / "index.db"
    if not index_path.exists():
        return problems
    with Index(index_path) as index:
        rows = index.conn.execute(
            "SELECT url, warc_filename, warc_offset FROM articles UNION ALL "
            "SELECT url, warc_filename, warc_offset FROM media"
        ).fetchall()
    rows += captured_locations(Path(archive))
    for url, filename, offset in rows:
        path = Path(archive) / "warc" / (filename or "")
        if not filename or not path.is_file():
            problems.append(f"index: {url} points at missing WARC file {filename}")
            continue
        try:
            record = read_record(path, offset)
        except Exception as exc:  # any parse failure means the pointer is wrong
            problems.append(f"index: {url} points at no record ({filename}@{offset}: {exc})")
            continue
        if canonical_url(record.rec_headers.get_header("WARC-Target-URI") or "") != url:
            problems.append(f"index: {url} points at a record of another URL")
    return problems


def check(archive: Path) -> tuple[int, list[str]]:
    """(files checked, problems) for every WARC file and every index row."""
    files = warc_files(Path(archive) / "warc")
    problems = [p for path in files for p in check_file(path)]
    return len(files), problems + check_index(archive)
