"""The project's exceptions: one base class; each subclass says where it is raised.

The CLI turns every ``ArchiverError`` into a one-line message and a non-zero exit code.
"""

import errno

#: OS errors that mean "no room to write": no space, over the file-size limit (``ulimit -f``),
#: over the disk quota.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


class ArchiverError(Exception):
    """Base class of every expected failure; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class QueryError(ArchiverError):
    """A search query that cannot be run (empty, only operators). Raised by
    ``archiver.search.query``."""

    exit_code = 2


class IndexMismatchError(ArchiverError):
    """The index was built with another segmenter or schema. Raised by ``archiver.index``."""


class ArchiveNotFoundError(ArchiverError):
    """No index where one was expected. Raised by ``archiver.index.open_existing``."""


class CrawlConfigError(ArchiverError):
    """An unknown site slug, a bad URL or a bad ``-s`` setting. Raised by ``archiver.crawl``."""

    exit_code = 2


class ArchiveLockedError(ArchiverError):
    """Another run holds the archive's lock. Raised by ``archiver.lock.ArchiveLock``; exit 75
    (EX_TEMPFAIL: try again later), so cron and systemd can tell it from a failure."""

    exit_code = 75


class DamagedDatabaseError(ArchiverError):
    """``index.db`` or ``captures.db`` cannot be read: derived from the WARCs, both are rebuilt
    by ``archiver reindex``. Raised by ``archiver.derived.database_error``."""


class ArchiveBusyError(ArchiverError):
    """A derived database is locked by another process for longer than we wait; exit 75
    (EX_TEMPFAIL), as for the archive's lock. Raised by ``archiver.index.derived``."""

    exit_code = 75


class WarcDamagedError(ArchiverError):
    """A WARC record that is missing (truncated file) or damaged (bad gzip member, unreadable
    record). Raised by ``archiver.warc.read_record``; the message names file and offset."""


class ClusterConfigError(ArchiverError):
    """A malformed ``--cluster`` URL, a missing or bad ``--node`` name, a node name already in use.
    Raised by ``archiver.cluster``."""

    exit_code = 2


class ClusterUnavailableError(ArchiverError):
    """Redis does not answer (at start, or after the retries mid-run); exit 69 (EX_UNAVAILABLE).
    Raised by ``archiver.cluster.connect``."""

    exit_code = 69


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the disk, the file-size limit or the quota is
    full: an ``OSError`` with such an errno, or SQLite's "database or disk is full" (which
    reaches us as a message only when it comes from another process)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in DISK_FULL_ERRNOS:
            return True
        if "disk is full" in str(seen) or "No space left" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message, else its type."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
