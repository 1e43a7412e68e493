"""The cluster's one index writer (``archiver index-writer --cluster URL``): the item stream into
``index.db``, each entry exactly once, whatever is killed when.

The protocol, and why each step is where it is:

1. ``XREADGROUP GROUP index <consumer> ... STREAMS items 0``: this consumer's own pending
   entries first (delivered before, never acknowledged: the writer was killed, or Redis
   restarted before the ack reached it); only when there are none, new ones (``>``, blocking
   at most ``block_ms`` so that a stop is noticed).
2. Entries with ids up to ``meta.stream_id`` of ``index.db`` were applied already (the
   writer was killed between its commit and its ack): they are acknowledged, not applied.
3. The others are applied in ONE SQLite transaction together with ``meta.stream_id`` = the
   last id (``Index.apply_stream_batch``): the rows and the id are committed together or not
   at all.
4. Then ``XACK`` + ``XDEL`` (in one MULTI; the stream holds only what is not yet in the index)
   and, for entries that name a stats hash, the articles' statuses (``HINCRBY``).

A kill before 3's commit: nothing of the batch is in the index, the entries are pending, step 1
delivers them again. A kill between 3 and 4: they are pending but their ids are stored, step 2
skips them. Without the stored id (an ack alone) the same kill applies a batch twice: the
prototype measured 3,683 applications of 3,600 entries with 3 kills a run (SCALE-OUT.md).

A Redis that goes away mid-run is waited for (the client retries with back-off; beyond that
this loop retries every few seconds, saying so on stderr, until it is back or the writer is
stopped); its append-only file (``appendfsync always``) keeps the stream and the pending list.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.cluster import stream
from archiver.cluster.connect import connect, shown
from archiver.errors import ClusterUnavailableError, one_line
from archiver.index.store import Index

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

#: Entries read at a time (one SQLite transaction each).
BATCH = 200
#: How long one read waits for new entries (ms): the longest a stop waits for.
BLOCK_MS = 500
#: Back-off while Redis is away, beyond the client's own retries: 1 s doubling to 30 s.
AWAY_FIRST_S = 1.0
AWAY_MAX_S = 30.0


@dataclass
class WriterStats:
    """What a writer run did (printed when it ends, and what the tests count)."""

    applied: int = 0  # entries applied to the index
    skipped: int = 0  # entries pending again but applied already (ids <= meta.stream_id)
    dead: int = 0  # entries that could not be read: moved to the dead-letter stream
    batches: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    last_id: str | None = None
    compactions: int = 0  # full-text merges done while the stream was idle


class IndexWriter:
    """Applies the stream to one ``index.db``. ``say`` gets one line for each thing an operator
    should hear about (Redis lost, back, dead entries); ``stop`` ends ``run`` after the batch in
    hand (a signal handler sets it)."""

    def __init__(
        self,
        url: str,
        index_path: Path,
        consumer: str = "writer",
        batch: int = BATCH,
        block_ms: int = BLOCK_MS,
        say: Callable[[str], None] = logger.warning,
    ) -> None:
        self.url = url
        self.index_path = index_path
        self.consumer = consumer
        self.batch = batch
        self.block_ms = block_ms
        self.say = say
        self.stop = threading.Event()
        self.stats = WriterStats()
        self.client: redis.Redis | None = None
        self.index: Index | None = None

    def connect(self) -> None:
        """Redis first (``ClusterConfigError`` for a bad URL, ``ClusterUnavailableError`` if it
        does not answer), so that nothing is created or written on disk before it answers;
        and the consumer group, from the start of the stream (entries added before the first
        writer ever ran are applied too)."""
        import redis as redis_py
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.client = connect(self.url)
        # one try per call: a lost Redis is the loop's to wait for, saying so (``run``), not
        # 20 silent seconds of the client's retries
        self.client.set_retry(Retry(NoBackoff(), 0))
        try:
            self.client.xgroup_create(stream.STREAM, stream.GROUP, id="0", mkstream=True)
        except redis_py.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        except redis_py.RedisError as exc:  # it answered PING, then went away
            raise ClusterUnavailableError(f"Redis at {shown(self.url)}: {one_line(exc)}") from None

    def open_index(self) -> None:
        """The index, and the id of the last entry it holds (None: none yet)."""
        self.index = Index(self.index_path)
        self.stats.last_id = self.index.stream_id()

    def open(self) -> None:
        self.connect()
        self.open_index()

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def run(self, drain: bool = False) -> WriterStats:
        """Apply entries until stopped; ``drain``: until nothing is pending or new (one empty
        read), for tests and cron."""
        import redis as redis_py

        away = 0.0  # the current back-off while Redis is away (0: it answers)
        while not self.stop.is_set():
            try:
                done = self.step()
            except (redis_py.ConnectionError, redis_py.TimeoutError, OSError) as exc:
                away = min(AWAY_MAX_S, away * 2) if away else AWAY_FIRST_S
                reason = str(exc).split("\n")[0] or type(exc).__name__
                self.say(f"Redis at {shown(self.url)} lost ({reason}); retrying in {away:g} s")
                self.stop.wait(away)
                continue
            if away:
                self.say(f"Redis at {shown(self.url)} is back; carrying on")
                away = 0.0
            if drain and done == 0:
                break
        return self.stats

    def step(self) -> int:
        """One read and what it brought; the number of entries read (0: none)."""
        assert self.client is not None
        entries = self._read("0")  # ours, delivered before and not acknowledged
        if not entries:
            entries = self._read(">", block=self.block_ms)
        if entries:
            self.apply(entries)
        else:  # the stream is idle: merge the full-text segments if writes piled them up
            assert self.index is not None
            # (``Index.compact``, as a crawl's end does; new entries wait in Redis meanwhile)
            self.stats.compactions += self.index.compact()
        return len(entries)

    def _read(self, start: str, block: int | None = None) -> list[tuple[Any, Any]]:
        assert self.client is not None
        reply: Any = self.client.xreadgroup(
            stream.GROUP,
            self.consumer,
            {stream.STREAM: start},
            count=self.batch,
            block=block,
        )
        # RESP2: [[stream, [(id, fields), ...]]], RESP3: {stream: [[(id, fields), ...]]}; a
        # pending entry deleted meanwhile has fields None
        if not reply:
            return []
        if isinstance(reply, dict):
            return list(next(iter(reply.values()))[0])
        return list(reply[0][1])

    def apply(self, entries: list[tuple[Any, Any]]) -> None:
        """Apply what is not applied yet, in one transaction with the last id; then ack."""
        assert self.client is not None and self.index is not None
        stored = stream.parse_id(self.stats.last_id) if self.stats.last_id else (0, 0)
        batch = stream.Batch()
        dead: list[tuple[str, str, dict[str, str]]] = []
        last: str | None = None
        for entry_id, raw in entries:
            text_id = stream.id_text(entry_id)
            if stream.parse_id(text_id) <= stored:
                self.stats.skipped += 1
                continue
            last = text_id
            if raw is None:  # deleted before we read it: nothing to apply
                continue
            try:
                batch.add(stream.decode(text_id, raw))
            except stream.BadEntry as exc:
                dead.append((text_id, str(exc), {_text(k): _text(v) for k, v in raw.items()}))
        if dead:  # kept before the commit: a kill after it cannot lose them (ids <= stored)
            keep = self.client.pipeline(transaction=True)
            for entry_id, reason, raw_fields in dead:
                kept: dict[Any, Any] = {**raw_fields, "id": entry_id, "reason": reason}
                keep.xadd(stream.DEAD, kept)
            keep.execute()
        statuses: list[str] = []
        if last is not None:
            statuses = self.index.apply_stream_batch(
                last,
                articles=batch.articles,
                media=batch.media,
                sites=batch.sites,
                walked=[(w["slug"], w["when"]) for w in batch.walked],
                reports=batch.reports,
            )
            self.stats.last_id = last
            self.stats.applied += len(batch)
            self.stats.batches += 1
            for status in statuses:
                self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        ids = [entry_id for entry_id, _ in entries]
        pipe = self.client.pipeline(transaction=True)
        for article, status, stats_key in zip(
            batch.articles, statuses, batch.article_stats, strict=False
        ):
            if stats_key:
                pipe.hincrby(stats_key, f"{article.site}/articles_{status}", 1)
        pipe.xack(stream.STREAM, stream.GROUP, *ids)
        pipe.xdel(stream.STREAM, *ids)
        pipe.execute()
        for entry_id, reason, _ in dead:
            self.stats.dead += 1
            self.say(f"entry {entry_id} not applied ({reason}): kept in {stream.DEAD}")

    def pending(self) -> int:
        """Entries delivered to the group and not acknowledged (0 once drained)."""
        assert self.client is not None
        info = self.client.xpending(stream.STREAM, stream.GROUP)
        return int(info["pending"])


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
