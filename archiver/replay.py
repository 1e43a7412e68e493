"""Replay the WARCs into the index (``archiver reindex``) and verify them (``archiver check``).

Each fetch was written as response + request + a metadata record naming what the crawler took
it for (``role``: listing, article, image, attachment; ``site``; ``article-url``), so the index
can be rebuilt from the WARC files alone, with today's extraction and segmentation.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import logging
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

from archiver import settings
from archiver.captures import FILENAME as CAPTURES
from archiver.captures import CaptureLog, captured_locations
from archiver.derived import rebuild_path, remove_database, swap_in
from archiver.errors import ArchiveNotFoundError, ArchiverError
from archiver.index import Index
from archiver.items import MediaItem
from archiver.lock import ArchiveLock
from archiver.urls import canonical_url
from archiver.warc import Skipped, StoredRecord, iter_records, site_of, warc_files
from archiver.workers import PageWorkers, Processed, default_workers, process_article

logger = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    files: int = 0
    records: int = 0
    articles: dict[str, int] = field(default_factory=dict)
    media: int = 0
    skipped: int = 0  # article pages that held no article
    #: Damaged ranges of the WARC files that were read past (``WarcReader.skipped``).
    damaged: list[Skipped] = field(default_factory=list)
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

    Damaged ranges of the files are read past (``WarcReader``) and listed in the report's
    ``damaged``: every intact record is indexed, and ``captures.db`` is refilled from the
    intact response records only, so a capture whose record was lost no longer counts as
    archived and the next crawl fetches it again in full (walking the whole listing of each
    site that lost records: they may be linked from any page of it).

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
            _replay_file(path, captures, queue, report)
        queue.drain()
        for slug in {site_of(skipped.filename) for skipped in report.damaged} - {""}:
            index.forget_walked(slug)  # what was lost may be linked from any listing page


def _replay_file(path: Path, captures: CaptureLog, queue: _Replay, report: ReplayReport) -> None:
    """Replay the intact records of one file; its damaged ranges go to ``report.damaged``.

    A response whose metadata record was lost to damage (a skipped range follows it) has no
    role: if it is an HTML page, it is handed to extraction as an article of the site the
    file is named after, and indexed if extraction finds an article in it (as for any page).
    """
    reader = iter_records(path)  # reads past damage: the intact records only
    pending: StoredRecord | None = None  # the last response, until its metadata comes
    skips = 0  # len(reader.skipped) when it came
    site = site_of(path.name)

    def orphan() -> None:
        if pending is not None and len(reader.skipped) > skips and _is_html(pending):
            queue.add(pending, {"role": "article", "site": site})

    for record in reader:
        report.records += 1
        if record.rec_type == "response":
            orphan()
            pending, skips = record, len(reader.skipped)  # its metadata follows within 2 records
            captures.record_stored(record)
        elif record.rec_type == "metadata" and pending is not None:
            concurrent = record.warc_headers.get_header("WARC-Concurrent-To")
            if concurrent == pending.warc_headers.get_header("WARC-Record-ID"):
                queue.add(pending, _fields(record.payload))
                pending = None
    orphan()
    report.damaged += reader.skipped


def _is_html(record: StoredRecord) -> bool:
    headers = record.http_headers
    ctype = (headers.get_header("Content-Type") or "") if headers else ""
    return "html" in ctype.lower()


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
@dataclass
class FileCheck:
    """What ``check_file`` found in one WARC file: its damaged ranges, where each response
    (or revisit) record starts and its URL, and its article pages (response + metadata
    ``role: article``, status under 400)."""

    skipped: list[Skipped] = field(default_factory=list)
    responses: dict[int, str] = field(default_factory=dict)  # offset -> canonical URL
    articles: set[str] = field(default_factory=set)  # canonical URLs
    #: URL -> role (its metadata record's) of the responses lost in damaged ranges.
    lost: dict[str, str] = field(default_factory=dict)
    #: The article records asked for (``check_file``'s ``want``), payload included.
    records: list[tuple[StoredRecord, dict[str, str]]] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [str(skipped) for skipped in self.skipped]

    def damaged_at(self, offset: int) -> Skipped | None:
        return next((s for s in self.skipped if s.offset <= offset < s.offset + s.length), None)


def check_file(path: Path, want: set[str] | None = None) -> FileCheck:
    """Read a WARC file past damage with every digest checked (``WarcReader``); the article
    records whose URL is in ``want`` are kept whole."""
    found = FileCheck()
    reader = iter_records(path, check_digests=True)
    pending: dict[str, StoredRecord] = {}
    for record in reader:
        if record.rec_type in ("response", "revisit"):
            found.responses[record.location.offset] = canonical_url(record.url)
            if record.rec_type == "response":
                pending = {record.warc_headers.get_header("WARC-Record-ID"): record}
        elif record.rec_type == "metadata":
            target = pending.pop(record.warc_headers.get_header("WARC-Concurrent-To") or "", None)
            about = _fields(record.payload)
            if reader.skipped and target is None:  # the metadata of a lost response?
                lost = reader.skipped[-1].lost.partition(" ")
                if lost[0] == "response" and lost[2] == record.url:
                    found.lost[canonical_url(lost[2])] = about.get("role", "")
            headers = target.http_headers if target is not None else None
            status = int(headers.get_statuscode() or 0) if headers else 0
            if target is not None and about.get("role") == "article" and status < 400:
                url = canonical_url(target.url)
                found.articles.add(url)
                if want is not None and url in want:
                    found.records.append((target, about))
    found.skipped = reader.skipped
    return found


#: Article records missing from the index that ``check`` extracts to confirm, at most.
CHECK_EXTRACT_MAX = 50


def check(archive: Path) -> tuple[int, list[str]]:
    """(files checked, problems): every WARC file read through (damaged ranges, digests), and
    every index and captures row checked against the records found.

    Fails with ``ArchiverError`` when there is no archive or no WARC file at all (an empty
    archive: nothing was ever fetched into it).

    Missing index rows: an article record of the WARCs (a page the crawler fetched as
    ``role: article``, status under 400, its metadata record intact) whose URL has no row in
    ``articles`` is a problem when extraction finds an article in it today, which is the
    rule ``reindex`` indexes by. So soft errors and pages that hold no article, which are
    legitimately not indexed, are not problems; an emptied index is. Articles a crawl left
    out only for ``--since`` are reported too (``reindex`` indexes every article), as are
    those a killed crawl had fetched but not yet indexed (its next run indexes them). Only
    the records missing from the index are extracted, at most ``CHECK_EXTRACT_MAX``.
    """
    archive = Path(archive)
    if not archive.is_dir():
        raise ArchiveNotFoundError(f"no archive at {archive} (give --archive DIR)")
    files = warc_files(archive / "warc")
    if not files:
        raise ArchiverError(f"no WARC files under {archive / 'warc'}: nothing to check")
    found = {path.name: check_file(path) for path in files}
    problems = [p for name in found for p in found[name].problems()]
    problems += check_index(archive, found)
    problems += _refetched(found)
    return len(files), problems


def _refetched(found: dict[str, FileCheck]) -> list[str]:
    """The URLs whose capture was lost, and how they come back: once the index and captures
    no longer count them (``reindex``; a crawl forgets cut-off records by itself), the next
    crawl fetches pages again, and images and attachments with their article (``--full``)."""
    lines = []
    for file in found.values():
        for skipped in file.skipped:
            kind, _, url = skipped.lost.partition(" ")
            if kind != "response" or not url:
                continue
            if file.lost.get(canonical_url(url)) in ("image", "attachment"):
                how = "fetched again with its article by `archiver crawl --full`"
            else:
                how = "fetched again by the next crawl"
            lines.append(f"lost capture, {how}: {url}")
    return lines


def check_index(archive: Path, found: dict[str, FileCheck] | None = None) -> list[str]:
    """Index and captures rows whose WARC record is missing, damaged or of another URL, and
    article records of the WARCs the index lacks (see ``check``). ``found``: the files read
    already (by name), else they are read here."""
    archive = Path(archive)
    if found is None:
        found = {path.name: check_file(path) for path in warc_files(archive / "warc")}
    problems: list[str] = []
    index_path = archive / "index.db"
    if not index_path.exists():
        return ["index: no index.db: run `archiver reindex`"]
    with Index(index_path) as index:
        rows = index.conn.execute(
            "SELECT url, warc_filename, warc_offset FROM articles UNION ALL "
            "SELECT url, warc_filename, warc_offset FROM media"
        ).fetchall()
        indexed = {url for (url,) in index.conn.execute("SELECT url FROM articles")}
    for url, filename, offset in rows:
        problems += _row_problem("index", url, filename, offset, found)
    for url, filename, offset in captured_locations(archive):
        problems += _row_problem("captures", url, filename, offset, found)
    problems += _unindexed(archive, found, indexed)
    return problems


def _row_problem(
    db: str, url: str, filename: str, offset: int, found: dict[str, FileCheck]
) -> list[str]:
    where = f"{filename}@{offset}"
    file = found.get(filename or "")
    if file is None:
        return [f"{db}: {url} points at missing WARC file {filename}"]
    at = file.responses.get(offset)
    if at is None:
        damaged = file.damaged_at(offset)
        if damaged is not None:
            return [f"{db}: {url} points at a damaged record ({where})"]
        return [f"{db}: {url} points at no record ({where})"]
    if at != url:
        return [f"{db}: {url} points at a record of another URL ({where})"]
    return []


def _unindexed(archive: Path, found: dict[str, FileCheck], indexed: set[str]) -> list[str]:
    """Article records whose URL is not in the index and in which extraction finds an
    article: reading them again, with their payloads, only for those files."""
    missing: dict[str, set[str]] = {}
    for name, file in found.items():
        if file.articles - indexed:
            missing[name] = file.articles - indexed
    problems: list[str] = []
    tried, total = 0, sum(len(urls) for urls in missing.values())
    for name, urls in missing.items():
        for record, about in check_file(archive / "warc" / name, set(urls)).records:
            url = canonical_url(record.url)
            if url not in urls:
                continue
            if tried >= CHECK_EXTRACT_MAX:
                rest = total - tried  # (the sets shrink as they are tried: count first)
                problems.append(
                    f"index: {rest} more article records not in the index were not extracted: "
                    "run `archiver reindex`"
                )
                return problems
            tried += 1
            urls.discard(url)
            headers = record.http_headers
            ctype = (headers.get_header("Content-Type") or "") if headers else ""
            processed = process_article(
                record.payload,
                ctype,
                record.url,
                about.get("site", ""),
                "",
                record.location,
                settings.ARCHIVER_MAX_PAGE_BYTES,
                segment=False,
            )
            if processed.item is not None:
                where = f"{record.location.filename}@{record.location.offset}"
                problems.append(
                    f"index: no row for the article {url} ({where}): "
                    "`archiver reindex` (or the next crawl) adds it"
                )
    return problems
