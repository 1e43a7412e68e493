"""What the archive already holds for each URL: the last full capture, for revisits and
conditional GETs.

A recrawl asks the server with ``If-None-Match`` / ``If-Modified-Since`` from the last capture;
a ``304 Not Modified``, or a ``200`` whose payload digest equals the last capture's, is written
as a ``revisit`` record pointing at that capture instead of a second copy of the bytes.

The table lives in ``archive/captures.db``, derived from the WARCs like ``index.db``
(``archiver reindex`` rebuilds it from the response records). It is a database of its own
because the crawl process records every capture the moment its WARC record is on disk (so a
killed crawl never stores a page twice; the one capture a ``kill -9`` can catch between the
two is noted by the next run, ``CaptureLog.recover``), while the index writer process holds
``index.db``'s write lock for its batches: in one file, the crawl's reactor waited on that
lock for about a tenth of a crawl (bench/crawl). Archives from before keep their table in
``index.db`` until the first ``CaptureLog.open``, which moves it.

Cluster mode keeps the same facts in Redis (``archiver.cluster.captures.RedisCaptures``), so
that revisits and conditional GETs work whichever node fetches. Both stores share what does
not depend on where the facts live (``CaptureStore``: noting a record read back, recovering
the record a kill left un-noted from a file's high-water mark, checking a record before a
conditional GET); each keeps only its reads and writes.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.archive import Archive
from archiver.errors import WarcDamagedError
from archiver.index.derived import raise_if_damaged
from archiver.urls import canonical_url
from archiver.warc.reader import Skipped, StoredRecord, iter_records, read_record
from archiver.warc.records import RecordLocation, file_sizes, site_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (url TEXT PRIMARY KEY, status INTEGER, digest TEXT,
    warc_date TEXT, etag TEXT, last_modified TEXT, content_type TEXT, warc_filename TEXT,
    warc_offset INTEGER, warc_length INTEGER);
CREATE INDEX IF NOT EXISTS captures_location ON captures (warc_filename, warc_offset);
"""
#: The WARC files captures point into, in one index step each (not a scan of the table).
_FILES = """
WITH RECURSIVE f(name) AS (
    SELECT min(warc_filename) FROM captures
    UNION ALL
    SELECT (SELECT min(warc_filename) FROM captures WHERE warc_filename > f.name) FROM f
    WHERE f.name IS NOT NULL)
SELECT name FROM f WHERE name IS NOT NULL
"""


@dataclass(frozen=True)
class Capture:
    """The last full (non-revisit) capture of a URL."""

    url: str
    status: int
    digest: str
    warc_date: str
    etag: str | None
    last_modified: str | None
    content_type: str
    location: RecordLocation

    def fields(self) -> tuple[Any, ...]:
        """Everything but the URL, flat: a ``captures`` row's other columns, and the JSON value
        of a capture in Redis (``archiver.cluster.captures``)."""
        loc = self.location
        return (
            self.status,
            self.digest,
            self.warc_date,
            self.etag,
            self.last_modified,
            self.content_type,
            loc.filename,
            loc.offset,
            loc.length,
        )

    @classmethod
    def of_fields(cls, url: str, fields: Sequence[Any]) -> Capture:
        status, digest, date, etag, modified, ctype, *where = fields
        return cls(url, status, digest, date, etag, modified, ctype, RecordLocation(*where))


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


def capture_of(
    url: str,
    status: int,
    headers: list[tuple[str, str]],
    digest: str,
    warc_date: str,
    location: RecordLocation,
) -> Capture:
    return Capture(
        canonical_url(url),
        status,
        digest,
        warc_date,
        _header(headers, "etag"),
        _header(headers, "last-modified"),
        _header(headers, "content-type") or "",
        location,
    )


class CaptureStore(ABC):
    """Where the last full capture of each URL is noted: ``captures.db`` on one machine
    (``CaptureLog``), Redis in cluster mode. ``site`` is the slug of the URL's site (a store
    may keep sites apart; ``captures.db`` does not need to)."""

    @abstractmethod
    def get(self, url: str, site: str = "") -> Capture | None:
        """The last full capture of ``url``, or None."""

    @abstractmethod
    def record(self, capture: Capture, site: str = "") -> None:
        """Note a full capture whose record is on disk, and move its file's high-water mark."""

    @abstractmethod
    def high_water(self, filename: str) -> int | None:
        """The offset of the last record noted in WARC file ``filename`` (None: none)."""

    @abstractmethod
    def forget_at(self, filename: str, offset: int) -> None:
        """Forget the capture whose record is at ``offset`` of ``filename`` (it is damaged)."""

    @abstractmethod
    def forget(self, url: str, site: str = "") -> None:
        """Forget the capture of ``url`` (its record does not read back)."""

    @abstractmethod
    def forget_lost(self, directory: Path, sites: list[str] | None = None) -> list[str]:
        """Forget the captures whose record is not whole on disk; return their URLs."""

    @abstractmethod
    def close(self) -> None:
        """Let go of the store's connection."""

    def record_stored(self, record: StoredRecord, site: str = "") -> None:
        """Remember a response record read back from a WARC, if it is a full 2xx capture
        (the capture later revisits refer to and conditional GETs use)."""
        headers = record.http_headers
        if record.rec_type != "response" or headers is None:
            return
        status = int(headers.get_statuscode() or 0)
        if not 200 <= status < 300:
            return
        self.record(
            capture_of(
                record.url,
                status,
                list(headers.headers),
                record.warc_headers.get_header("WARC-Payload-Digest") or "",
                record.warc_headers.get_header("WARC-Date") or "",
                record.location,
            ),
            site or site_of(record.location.filename),
        )

    def recover(self, warc: Path) -> list[Skipped]:
        """Note the response a killed crawl wrote to ``warc`` but had no time to note here,
        and forget the last noted capture if its record turns out damaged; return the damaged
        ranges read past.

        The crawl notes each capture right after its record is on disk, one fetch at a time:
        a ``kill -9`` between the two leaves at most the file's last response unnoted, and
        the next run would store that page a second time. Read from the last noted record on.
        """
        start = self.high_water(warc.name)
        reader = iter_records(warc, start or 0)
        for record in reader:
            if record.location.offset != start:
                self.record_stored(record)
        if start is not None and any(s.offset == start for s in reader.skipped):
            self.forget_at(warc.name, start)
        return reader.skipped

    def intact(self, capture: Capture, directory: Path, site: str = "") -> bool:
        """Whether the record of ``capture`` reads back whole (gzip CRC checked); if not, the
        capture is forgotten (``forget_lost``'s reason)."""
        try:
            read_record(Path(directory) / capture.location.filename, capture.location.offset)
        except (WarcDamagedError, OSError):
            self.forget(capture.url, site)
            return False
        return True


class CaptureLog(CaptureStore):
    """Reads and records captures in an archive's ``captures.db``; one per crawler."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        with self.conn:
            self.conn.executescript(SCHEMA)

    @classmethod
    def open(cls, archive: Path, path: Path | None = None) -> CaptureLog:
        """The log of the archive in directory ``archive`` (WAL, like the index); ``path``:
        another file (``reindex`` builds a new log beside the live one). A file SQLite cannot
        read is ``DamagedDatabaseError`` (one line: run ``archiver reindex``)."""
        archive = Path(archive)
        archive.mkdir(parents=True, exist_ok=True)
        path = path or Archive(archive).captures
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # as the index: no fsync per commit in WAL
            log = cls(conn)
            if path == Archive(archive).captures:
                log._move_from_index(Archive(archive).index)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise_if_damaged(path, exc)
            raise
        return log

    def _move_from_index(self, index_path: Path) -> None:
        """Take over the ``captures`` table an older archive kept in ``index.db``."""
        if not index_path.exists():
            return
        try:
            with closing(sqlite3.connect(index_path, timeout=30)) as old:
                found = old.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'captures'"
                ).fetchone()
        except sqlite3.DatabaseError:  # a damaged index says so itself when it is opened
            return
        if not found:
            return
        self.conn.execute("ATTACH DATABASE ? AS old", (str(index_path),))
        try:
            with self.conn:
                self.conn.execute("INSERT OR IGNORE INTO captures SELECT * FROM old.captures")
                self.conn.execute("DROP TABLE old.captures")
        finally:
            self.conn.execute("DETACH DATABASE old")

    def clear(self) -> None:
        """Forget every capture (``reindex`` refills the table from the WARCs)."""
        with self.conn:
            self.conn.execute("DELETE FROM captures")

    def get(self, url: str, site: str = "") -> Capture | None:
        row = self.conn.execute(
            "SELECT url, status, digest, warc_date, etag, last_modified, content_type, "
            "warc_filename, warc_offset, warc_length FROM captures WHERE url = ?",
            (canonical_url(url),),
        ).fetchone()
        if row is None:
            return None
        return Capture.of_fields(row[0], row[1:])

    def record(self, capture: Capture, site: str = "") -> None:
        """Remember a full capture (committed at once: the WARC record is already on disk)."""
        with self.conn:
            self.conn.execute(
                "INSERT OR REPLACE INTO captures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (capture.url, *capture.fields()),
            )

    def high_water(self, filename: str) -> int | None:
        (start,) = self.conn.execute(
            "SELECT max(warc_offset) FROM captures WHERE warc_filename = ?", (filename,)
        ).fetchone()
        return None if start is None else int(start)

    def forget_at(self, filename: str, offset: int) -> None:
        with self.conn:
            self.conn.execute(
                "DELETE FROM captures WHERE warc_filename = ? AND warc_offset = ?",
                (filename, offset),
            )

    def forget(self, url: str, site: str = "") -> None:
        with self.conn:
            self.conn.execute("DELETE FROM captures WHERE url = ?", (canonical_url(url),))

    def forget_lost(self, directory: Path, sites: list[str] | None = None) -> list[str]:
        """Forget the captures whose record is not whole on disk (its file is missing or
        ends before the record does: truncated) and return their URLs, so that the next
        fetch of each is a full capture, not a revisit pointing at lost bytes.

        Cheap at every crawl start: two index look-ups and a ``stat`` per WARC file (a
        million captures over 100 files: 2 ms); the records are not read (damage inside a
        file is for ``archiver check`` to find and ``archiver reindex`` to drop).
        """
        sizes = file_sizes(directory)
        lost: list[str] = []
        for (name,) in self.conn.execute(_FILES).fetchall():
            size = sizes.get(name, -1)
            last = self.conn.execute(  # records do not overlap: the last one ends last
                "SELECT warc_offset + warc_length FROM captures WHERE warc_filename = ? "
                "ORDER BY warc_offset DESC LIMIT 1",
                (name,),
            ).fetchone()
            if last is None or last[0] is None or last[0] <= size:
                continue
            where = "warc_filename = ? AND warc_offset + warc_length > ?"
            with self.conn:
                lost += [
                    url
                    for (url,) in self.conn.execute(
                        f"SELECT url FROM captures WHERE {where}", (name, size)
                    )
                ]
                self.conn.execute(f"DELETE FROM captures WHERE {where}", (name, size))
        return lost

    def close(self) -> None:
        self.conn.close()


def captured_locations(archive: Path) -> list[tuple[str, str, int]]:
    """(url, WARC file, offset) of every capture, read only (``archiver check``): from
    ``captures.db``, and from ``index.db`` where an older archive still keeps them."""
    rows: list[tuple[str, str, int]] = []
    for path in (Archive.of(archive).captures, Archive.of(archive).index):
        if not path.exists():
            continue
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            has = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'captures'"
            ).fetchone()
            if has:
                rows += conn.execute("SELECT url, warc_filename, warc_offset FROM captures")
    return rows
