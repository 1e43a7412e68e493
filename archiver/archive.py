"""The archive: every path of it in one place (``Archive``), and its lock (one run at a time).

An archive is a folder: ``warc/`` (the WARC files, the source of truth), ``index.db`` (articles
and media, full-text search), ``captures.db`` (what was fetched when: conditional GETs, dedup),
``crawls.jsonl`` (one report per run) and ``.lock``. Everything but ``warc/`` can be rebuilt
from ``warc/`` (``archiver reindex``; the run reports are kept).

The lock is an advisory lock on ``<archive>/.lock``.

``flock`` locks belong to the open file: the kernel drops them when the process ends, however it
ends (kill -9 included), so a dead run never leaves the archive locked.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from archiver.errors import ArchiveLockedError


@dataclass(frozen=True)
class Archive:
    """The paths of the archive in folder ``root``."""

    root: Path

    @classmethod
    def of(cls, where: Path | str | None) -> Archive:
        return cls(Path(where or "."))

    @classmethod
    def of_settings(cls, settings: Any) -> Archive:
        """The archive a crawl writes to (the ``ARCHIVER_ARCHIVE`` setting)."""
        return cls.of(settings.get("ARCHIVER_ARCHIVE"))

    @property
    def warc(self) -> Path:
        return self.root / "warc"

    @property
    def index(self) -> Path:
        return self.root / "index.db"

    @property
    def captures(self) -> Path:
        return self.root / "captures.db"

    @property
    def reports(self) -> Path:
        return self.root / "crawls.jsonl"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    @property
    def writer_lock_file(self) -> Path:
        """Held by the cluster's index writer (``archiver index-writer``): one per index. Not
        ``.lock``: a crawl on the same machine runs beside it."""
        return self.root / ".index-writer.lock"


class ArchiveLock:
    """``with ArchiveLock(archive, "crawl"):`` or ArchiveLockedError naming the holder."""

    def __init__(self, archive: Path, purpose: str, path: Path | None = None) -> None:
        """``path``: another lock file of the archive than ``.lock``."""
        self.path = path or Archive.of(archive).lock_file
        self.purpose = purpose
        self._fd: int | None = None

    def __enter__(self) -> ArchiveLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise ArchiveLockedError(
                f"{self.path.parent} is in use ({holder}); nothing done"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.purpose} by pid {os.getpid()}".encode())
        self._fd = fd
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
