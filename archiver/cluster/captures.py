"""The capture log of cluster mode: each URL's last full capture in Redis, shared by every node.

On one machine ``captures.db`` tells the crawl what the archive holds for a URL (for a
conditional GET, and to write a ``revisit`` instead of a second copy). With many nodes the next
fetch of a URL may happen on any of them, so the same facts live in Redis: ``cap:<site>`` HASH,
canonical URL -> the capture (digest, WARC-Date, ETag, Last-Modified, content type, file,
offset, length), about 250 bytes a URL; and ``warcmark`` HASH, WARC file name -> offset of the
last record noted in it (what ``CaptureLog`` derives from ``max(warc_offset)``), both set in
one script so that the mark never runs ahead of the captures.

The facts are true whoever writes them (a record on disk, whole), so noting is not fenced: a
node that lost its unit may still note the record it had just written, which is right.

Nodes read each other's records by (file, offset, length): the archive's ``warc/`` must be one
shared file system mounted at the same path on every node (README, "Cluster mode").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.index.capture_log import Capture, CaptureStore
from archiver.urls import canonical_url
from archiver.warc.records import file_sizes, site_of, whole_on_disk

if TYPE_CHECKING:
    import redis

WARCMARK = "warcmark"

#: KEYS cap:<site>, warcmark; ARGV url, capture (JSON), file, offset
RECORD = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local mark = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '')
if not mark or tonumber(ARGV[4]) > mark then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
return 1
"""


def cap_key(site: str) -> str:
    return f"cap:{site}"


def _encode(capture: Capture) -> str:
    return json.dumps(capture.fields(), ensure_ascii=False)


def _decode(url: str, raw: bytes | str) -> Capture:
    return Capture.of_fields(url, json.loads(raw))


class RedisCaptures(CaptureStore):
    """``CaptureStore`` in Redis: every node of a cluster sees every capture."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._record = client.register_script(RECORD)

    def get(self, url: str, site: str = "") -> Capture | None:
        key = canonical_url(url)
        raw = self.client.hget(cap_key(site), key)
        return None if raw is None else _decode(key, raw)

    def record(self, capture: Capture, site: str = "") -> None:
        loc = capture.location
        self._record(
            keys=[cap_key(site), WARCMARK],
            args=[capture.url, _encode(capture), loc.filename, loc.offset],
        )

    def high_water(self, filename: str) -> int | None:
        raw = self.client.hget(WARCMARK, filename)
        return None if raw is None else int(raw)

    def forget_at(self, filename: str, offset: int) -> None:
        key = cap_key(site_of(filename))
        for url, raw in self.client.hscan_iter(key, count=1000):
            loc = _decode("", raw).location
            if loc.filename == filename and loc.offset == offset:
                self.client.hdel(key, url)

    def forget(self, url: str, site: str = "") -> None:
        self.client.hdel(cap_key(site), canonical_url(url))

    def forget_lost(self, directory: Path, sites: list[str] | None = None) -> list[str]:
        """Forget the captures of ``sites`` whose record is cut off (a truncated file): one
        pass over their hashes, done when a node takes a unit (not at every fetch)."""
        sizes = file_sizes(directory)
        lost: list[str] = []
        for site in sites or []:
            key = cap_key(site)
            for url, raw in self.client.hscan_iter(key, count=1000):
                loc = _decode("", raw).location
                if not whole_on_disk(loc.filename, loc.offset, loc.length, sizes):
                    self.client.hdel(key, url)
                    lost.append(url.decode() if isinstance(url, bytes) else str(url))
        return lost

    def close(self) -> None:
        self.client.close()
