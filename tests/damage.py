"""Fault injection for archives: copy one, list its records, damage its WARC files in place.

The records are listed from an intact archive (each gzip member's offset and length, its type,
URL and the ``role`` its metadata record gives it), so a test can damage exactly one record
of a chosen kind and know which articles must survive.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from archiver.urls import canonical_url
from archiver.warc.reader import iter_records
from archiver.warc.records import warc_files


@dataclass(frozen=True)
class Rec:
    """One record of an intact WARC file; ``role`` is that of its fetch (responses,
    requests and metadata records of one fetch share it)."""

    path: Path
    type: str
    url: str
    offset: int
    length: int
    role: str

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def middle(self) -> int:
        return self.offset + self.length // 2


def copy_archive(src: Path, dst: Path) -> Path:
    """A copy of the archive directory (WARCs and databases; not the lock file)."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".lock", "*-wal", "*-shm"))
    return dst


def records(archive: Path) -> list[Rec]:
    """Every record of every WARC file of an intact archive, oldest first."""
    out: list[Rec] = []
    for path in warc_files(Path(archive) / "warc"):
        reader = iter_records(path)
        listed = list(reader)
        assert not reader.skipped, reader.skipped  # the archive to damage must be intact
        roles = {}
        for record in listed:
            if record.rec_type == "metadata":
                fields = dict(
                    line.split(": ", 1) for line in record.payload.decode().splitlines() if line
                )
                target = record.warc_headers.get_header("WARC-Concurrent-To")
                roles[target] = fields.get("role", "")
        for record in listed:
            rid = record.warc_headers.get_header("WARC-Record-ID")
            concurrent = record.warc_headers.get_header("WARC-Concurrent-To")
            role = roles.get(rid) or roles.get(concurrent or "", "")
            out.append(
                Rec(
                    path,
                    record.rec_type,
                    canonical_url(record.url) if record.url else "",
                    record.location.offset,
                    record.location.length,
                    role,
                )
            )
    return out


def flip(path: Path, offset: int) -> None:
    """Invert every bit of the byte at ``offset`` (bit rot, a bad sector)."""
    with open(path, "r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(size)


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)
