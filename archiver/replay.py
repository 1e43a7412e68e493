"""Replay the WARCs into the index (``archiver reindex``) and verify them (``archiver check``).

Each fetch was written as response + request + a metadata record naming what the crawler took
it for (``role``: listing, article, image, attachment; ``site``; ``article-url``), so the index
can be rebuilt from the WARC files alone, with today's extraction and segmentation.
"""

from __future__ import annotations

import hashlib
import logging
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archiver import settings
from archiver.captures import CaptureLog, capture_of
from archiver.index import Index
from archiver.items import MediaItem
from archiver.lock import ArchiveLock
from archiver.pages import NotAPage, article_item, page_text
from archiver.urls import canonical_url
from archiver.warc import StoredRecord, iter_records, read_record, warc_files

logger = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    files: int = 0
    records: int = 0
    articles: dict[str, int] = field(default_factory=dict)
    media: int = 0
    skipped: int = 0


def _fields(payload: bytes) -> dict[str, str]:
    out = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip()] = value.strip()
    return out


def reindex(archive: Path) -> ReplayReport:
    """Empty the index and fill it again from every WARC file, oldest first."""
    report = ReplayReport()
    with (
        ArchiveLock(archive, "reindex"),
        Index(Path(archive) / "index.db", rebuilding=True) as index,
    ):
        index.reset()
        captures = CaptureLog(index.conn)
        for path in warc_files(Path(archive) / "warc"):
            report.files += 1
            responses: dict[str, StoredRecord] = {}
            for record in iter_records(path):
                report.records += 1
                record_id = record.warc_headers.get_header("WARC-Record-ID")
                if record.rec_type == "response":
                    responses = {record_id: record}  # its metadata follows within 2 records
                    _replay_capture(captures, record)
                elif record.rec_type == "metadata":
                    target = responses.pop(
                        record.warc_headers.get_header("WARC-Concurrent-To") or "", None
                    )
                    if target is not None:
                        _replay_one(index, target, _fields(record.payload), report)
    return report


def _replay_capture(captures: CaptureLog, record: StoredRecord) -> None:
    """A full 2xx response is the capture later revisits refer to (and conditional GETs use)."""
    headers = record.http_headers
    status = int(headers.get_statuscode() or 0) if headers else 0
    if headers is None or not 200 <= status < 300:
        return
    captures.record(
        capture_of(
            record.url,
            status,
            list(headers.headers),
            record.warc_headers.get_header("WARC-Payload-Digest") or "",
            record.warc_headers.get_header("WARC-Date") or "",
            record.location,
        )
    )


def _replay_one(
    index: Index, record: StoredRecord, about: dict[str, str], report: ReplayReport
) -> None:
    role, site = about.get("role", ""), about.get("site", "")
    headers = record.http_headers
    status = int(headers.get_statuscode() or 0) if headers else 0
    ctype = (headers.get_header("Content-Type") or "") if headers else ""
    fetched = record.warc_headers.get_header("WARC-Date") or ""
    if role == "article" and status < 400:
        try:
            html = page_text(record.payload, ctype, settings.ARCHIVER_MAX_PAGE_BYTES)
        except NotAPage:
            report.skipped += 1
            return
        item = article_item(html, record.url, site, fetched, record.location)
        if item is None:
            report.skipped += 1
            return
        outcome = index.upsert_article(item)
        report.articles[outcome] = report.articles.get(outcome, 0) + 1
    elif role in ("image", "attachment") and status < 400:
        index.upsert_media(
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
        report.media += 1


# -- check ------------------------------------------------------------------------
def gzip_members_problem(path: Path) -> str | None:
    """Walk the gzip members of a file; say what is wrong (truncation, garbage), or None.

    warcio does not notice a truncated final member (warcio issue 138): this does.
    """
    with open(path, "rb") as stream:
        data = stream.read()
    pos = 0
    while pos < len(data):
        decomp = zlib.decompressobj(31)
        try:
            decomp.decompress(data[pos:])
        except zlib.error as exc:
            return f"bad gzip member at offset {pos}: {exc}"
        if not decomp.eof:
            return f"truncated gzip member at offset {pos}"
        pos = len(data) - len(decomp.unused_data)
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
            "SELECT url, warc_filename, warc_offset FROM media UNION ALL "
            "SELECT url, warc_filename, warc_offset FROM captures"
        ).fetchall()
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
