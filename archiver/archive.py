"""One run at a time per archive: an advisory lock on ``<archive>/.lock``.

``flock`` locks belong to the open file: the kernel drops them when the process ends, however it
ends (kill -9 included), so a dead run never leaves the archive locked.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from archiver.errors import ArchiveLockedError


class ArchiveLock:
    """``with ArchiveLock(archive, "crawl"):`` or ArchiveLockedError naming the holder."""

    def __init__(self, archive: Path, purpose: str) -> None:
        self.path = Path(archive) / ".lock"
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
