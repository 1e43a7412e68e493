"""The archive's derived databases (``index.db``, ``captures.db``): damage, and rebuilding them.

Both are made from the WARC files and can always be made again (``archiver reindex``), so damage
to them is never fatal: opening a damaged one gives one line naming the file and the repair
(``DamagedDatabaseError``), and a rebuild never needs to read the old file.

A rebuild is made **beside** the live file (``index.db.new``) and put in place only when it is
complete (``swap_in``), so a reindex killed at any moment leaves the old database as it was, and
readers (search, export, Datasette) see the old index or the new one, never a half. The swap
copies the new database into the live one with SQLite's backup API: one write transaction, which
WAL readers see commit at once, and which a kill rolls back; renaming the new file over the live
one would leave the live file's ``-wal`` and ``-shm`` (shared by name) to a database they do not
belong to, and long-lived readers reading a file that is gone. Only a live file SQLite cannot
open as a database at all (garbage, truncated to a partial header) is replaced by renaming:
nobody can be reading it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from archiver.errors import ArchiveBusyError, ArchiverError, DamagedDatabaseError, is_disk_full

#: SQLite's messages for a database another process holds.
_BUSY = ("database is locked", "database table is locked", "database is busy")
#: SQLite's messages for a file it cannot trust: what ``archiver reindex`` repairs. Others
#: (a disk I/O error, a full disk, permissions) are about the disk, not the file.
_DAMAGE = ("not a database", "malformed", "no such table", "no such column", "corrupt")


def database_error(path: Path | str, exc: sqlite3.DatabaseError) -> Exception:
    """The one-line error for a SQLite failure on the derived database ``path``: busy (another
    process holds it: try again), or damaged (run ``archiver reindex``). Errors of ours
    (``ProgrammingError``, ``IntegrityError``) are returned unchanged: they are bugs."""
    name = Path(path).name
    message = str(exc)
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.IntegrityError):
        return exc
    if any(word in message for word in _BUSY):
        return ArchiveBusyError(f"{name} is busy ({message}); try again")
    if is_disk_full(exc):
        return ArchiverError(f"{name} could not be written: disk full ({message})")
    if any(word in message for word in _DAMAGE):
        return DamagedDatabaseError(f"{name} is damaged ({message}): run 'archiver reindex'")
    return ArchiverError(f"{name} could not be used ({message})")  # I/O error, permissions...


def raise_if_damaged(path: Path | str, exc: sqlite3.DatabaseError) -> None:
    """Raise ``DamagedDatabaseError`` (from ``exc``) when ``exc`` says the derived database
    ``path`` is damaged; else return, and the caller re-raises ``exc`` (a full disk, an I/O
    error: the caller's to report, as a crawl does in its report)."""
    error = database_error(path, exc)
    if isinstance(error, DamagedDatabaseError):
        raise error from exc


def rebuild_path(live: Path) -> Path:
    """Where the rebuild of ``live`` is made, beside it (``index.db.new``)."""
    return live.with_name(live.name + ".new")


def remove_database(path: Path) -> None:
    """Delete a database file and its WAL companions (a rebuild's leftovers)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def swap_in(new: Path, live: Path) -> None:
    """Make the complete database ``new`` the ``live`` one, atomically for readers, and
    delete ``new``. ``new`` must be closed (every connection to it)."""
    source = sqlite3.connect(new)
    try:
        target = _open_live(live)
        if target is None:  # not a database at all: replace the file itself
            source.close()
            remove_database(live)
            os.replace(new, live)
            return
        try:
            source.backup(target)  # one write transaction on the live file
            with contextlib.suppress(sqlite3.DatabaseError):  # fold the WAL back: best effort
                target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.close()
    finally:
        source.close()
    remove_database(new)


def _open_live(live: Path) -> sqlite3.Connection | None:
    """A connection to ``live`` if SQLite can read it as a database (its content may still
    be damaged: the backup overwrites every page), else None."""
    if not live.exists():
        return None
    conn = sqlite3.connect(live, timeout=60)
    try:
        conn.execute("PRAGMA journal_mode").fetchone()
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        if any(word in str(exc) for word in _BUSY):
            raise ArchiveBusyError(f"{live.name} is busy ({exc}); try again") from exc
        return None
    return conn
