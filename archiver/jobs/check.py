"""``archiver check``: verify every WARC file (gzip members, digests) and the index against them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archiver import names, settings
from archiver.archive import Archive
from archiver.errors import ArchiveNotFoundError, ArchiverError
from archiver.index.capture_log import captured_locations
from archiver.index.store import Index
from archiver.jobs.workers import process_article
from archiver.urls import canonical_url
from archiver.warc.reader import Skipped, StoredRecord, iter_records
from archiver.warc.records import warc_fields, warc_files


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
    #: (canonical URL, payload digest) -> offsets of the full ``response`` records holding it.
    copies: dict[tuple[str, str], list[int]] = field(default_factory=dict)

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
                digest = record.warc_headers.get_header("WARC-Payload-Digest")
                headers = record.http_headers
                status = int(headers.get_statuscode() or 0) if headers else 0
                if digest and 200 <= status < 300:  # what a crawl stores as a revisit
                    key = (canonical_url(record.url), digest)
                    found.copies.setdefault(key, []).append(record.location.offset)
        elif record.rec_type == "metadata":
            target = pending.pop(record.warc_headers.get_header("WARC-Concurrent-To") or "", None)
            about = warc_fields(record.payload)
            if reader.skipped and target is None:  # the metadata of a lost response?
                lost = reader.skipped[-1].lost.partition(" ")
                if lost[0] == "response" and lost[2] == record.url:
                    found.lost[canonical_url(lost[2])] = about.get("role", "")
            headers = target.http_headers if target is not None else None
            status = int(headers.get_statuscode() or 0) if headers else 0
            if target is not None and about.get("role") == names.ROLE_ARTICLE and status < 400:
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
    files = warc_files(Archive(archive).warc)
    if not files:
        raise ArchiverError(f"no WARC files under {archive / 'warc'}: nothing to check")
    found = {path.name: check_file(path) for path in files}
    problems = [p for name in found for p in found[name].problems()]
    problems += check_index(archive, found)
    problems += _refetched(found)
    problems += stored_twice(found)
    return len(files), problems


def stored_twice(found: dict[str, FileCheck]) -> list[str]:
    """URLs with two full ``response`` records of one payload, in any files of any crawl
    node: the second should have been a ``revisit`` (the capture state says what was
    stored). On one machine this does not happen; in a cluster it is what a node killed
    between writing a record and noting its capture can leave when no other node could read
    its files (SCALE-OUT.md 5.4). Nothing is lost (both copies are whole), but the archive
    holds the bytes twice: reported, not repaired (WARC files are never rewritten).
    Only 2xx responses: an error page asked again (a site's missing ``/favicon.ico`` with
    ``--full``, a 404 article) is a new capture, never a revisit."""
    where: dict[tuple[str, str], list[str]] = {}
    for name, file in found.items():
        for key, offsets in file.copies.items():
            where.setdefault(key, []).extend(f"{name}@{offset}" for offset in offsets)
    return [
        f"stored twice: {url} ({digest}) has {len(places)} full copies: {', '.join(places)}"
        for (url, digest), places in sorted(where.items())
        if len(places) > 1
    ]


def _refetched(found: dict[str, FileCheck]) -> list[str]:
    """The URLs whose capture was lost, and how they come back: once the index and captures
    no longer count them (``reindex``; a crawl forgets cut-off records by itself), the next
    crawl fetches pages again, and images, attachments and requisites with their article
    (``--full``)."""
    lines = []
    for file in found.values():
        for skipped in file.skipped:
            kind, _, url = skipped.lost.partition(" ")
            if kind != "response" or not url:
                continue
            if file.lost.get(canonical_url(url)) in names.MEDIA_TABLE_ROLES:
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
        found = {path.name: check_file(path) for path in warc_files(Archive(archive).warc)}
    problems: list[str] = []
    index_path = Archive(archive).index
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
        for record, about in check_file(Archive(archive).warc / name, set(urls)).records:
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
