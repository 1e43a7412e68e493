"""The project's exceptions: one base class; each subclass says where it is raised.

The CLI turns every ``ArchiverError`` into a one-line message and a non-zero exit code.
"""


class ArchiverError(Exception):
    """Base class of every expected failure; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class QueryError(ArchiverError):
    """A search query that cannot be run (empty, only operators). Raised by ``archiver.query``."""

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
    (EX_TEMPFAIL), as for the archive's lock. Raised by ``archiver.derived``."""

    exit_code = 75


class WarcDamagedError(ArchiverError):
    """A WARC record that is missing (truncated file) or damaged (bad gzip member, unreadable
    record). Raised by ``archiver.warc.read_record``; the message names file and offset."""
