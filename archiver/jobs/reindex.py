"""``archiver reindex``: rebuild index.db and captures.db from the WARC files alone."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

from archiver import names, settings
from archiver.archive import Archive, ArchiveLock
from archiver.extract.items import MediaItem
from archiver.extract.requisites import css_references, is_default_icon, is_stylesheet
from archiver.index.capture_log import CaptureLog
from archiver.index.derived import rebuild_path, remove_database, swap_in
from archiver.index.store import Index
from archiver.jobs.workers import PageWorkers, Processed, default_workers, process_article
from archiver.urls import canonical_url
from archiver.warc.reader import Skipped, StoredRecord, iter_records
from archiver.warc.records import site_of, warc_fields, warc_files


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


#: Articles written to the index per transaction while replaying.
REPLAY_BATCH = 200


def reindex(archive: Path, workers: int | None = None) -> ReplayReport:
    """Build the index (and ``captures.db``) again from every WARC file, oldest first, beside
    the live ones, and put them in place once complete (``archiver.index.derived``): a reindex
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
    live_index, live_captures = Archive(archive).index, Archive(archive).captures
    new_index, new_captures = rebuild_path(live_index), rebuild_path(live_captures)
    report = ReplayReport()
    # also the cluster index writer's lock: the batches a writer applied during the rebuild
    # would be overwritten when the rebuild is put in place, and, acknowledged in Redis,
    # never applied again
    with (
        ArchiveLock(archive, "reindex"),
        ArchiveLock(archive, "reindex", Archive(archive).writer_lock_file),
    ):
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
        for path in warc_files(Archive(archive).warc):
            report.files += 1
            _replay_file(path, captures, queue, report)
        queue.drain()
        index.optimize()  # one b-tree per full-text table: the fastest searches
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
            queue.add(pending, {"role": names.ROLE_ARTICLE, "site": site})

    for record in reader:
        report.records += 1
        if record.rec_type == "response":
            orphan()
            pending, skips = record, len(reader.skipped)  # its metadata follows within 2 records
            captures.record_stored(record)
        elif record.rec_type == "metadata" and pending is not None:
            concurrent = record.warc_headers.get_header("WARC-Concurrent-To")
            if concurrent == pending.warc_headers.get_header("WARC-Record-ID"):
                queue.add(pending, warc_fields(record.payload))
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
        if role == names.ROLE_ARTICLE and status < 400:
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
        elif role in names.MEDIA_TABLE_ROLES and (
            status < 400
            # a site's missing /favicon.ico: known to the crawl, so it is not asked every run
            or (
                role == names.ROLE_REQUISITE
                and status in (404, 410)
                and is_default_icon(record.url)
            )
        ):
            loads: list[str] = []
            if role == names.ROLE_REQUISITE and is_stylesheet(record.url, ctype):
                css = record.payload.decode("utf-8", "replace")
                loads = list(
                    dict.fromkeys(canonical_url(u) for u in css_references(css, record.url))
                )
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
                    loads=loads,
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
