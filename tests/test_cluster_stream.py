"""The cluster's item stream (issue 17, SCALE-OUT.md 5.5): what crawl nodes add to Redis reaches
``index.db`` exactly once, through ``archiver index-writer``, whatever is killed when.

Everything is real: a redis-server of our own (AOF, fsync always) on 127.0.0.1, the index
writer as the CLI runs it (a subprocess, killed with SIGKILL), a real ``index.db``. Each applied
article is counted by a trigger the test adds to ``index.db`` (an INSERT or UPDATE of
``articles`` logged in the same transaction as the row): a batch applied twice shows as
UPDATEs, which the rows alone would hide (the upsert makes a second application
``unchanged``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.cluster import stream
from archiver.cluster.connect import connect
from archiver.cluster.stream import Producer
from archiver.cluster.writer import IndexWriter
from archiver.extract.items import ArticleItem, MediaItem
from archiver.index import fulltext
from archiver.index.store import Index
from archiver.registry import Site
from archiver.warc.records import RecordLocation
from tests.conftest import ROOT, comparable_export, run_cli
from tests.redis_server import RedisServer, free_port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


def article(n: int, text: str | None = None, words: bool = True) -> ArticleItem:
    body = text or f"ข่าวที่ {n} จังหวัดคุณธรรม ประชาชนร่วมงาน"
    return ArticleItem(
        url=f"http://127.0.0.2/news/{n}.html",
        site="s1",
        title=f"ข่าว {n}",
        published="2021-11-09",
        published_raw="9 พฤศจิกายน 2564",
        author="ผู้เขียน",
        photographer=None,
        text=body,
        images=[f"http://127.0.0.2/img/{n}.jpg"],
        fetched_at="2026-01-01T00:00:00+00:00",
        warc=RecordLocation("s1-20260101000000-n1-00000.warc.gz", 100 * n, 50),
        # as a page worker segments them (the writer segments the others itself)
        prepared=fulltext.prepare(f"ข่าว {n}", body) if words else None,
    )


def media(n: int) -> MediaItem:
    return MediaItem(
        url=f"http://127.0.0.2/img/{n}.jpg",
        article_url=f"http://127.0.0.2/news/{n}.html",
        site="s1",
        kind="image",
        mime="image/jpeg",
        size=1234,
        sha1="ab" * 20,
        status=200,
        fetched_at="2026-01-01T00:00:00+00:00",
        warc=RecordLocation("s1-20260101000000-n1-00000.warc.gz", 100 * n + 60, 30),
    )


def count_applications(index_db: Path) -> None:
    """Log every INSERT and UPDATE of ``articles`` (in the writer's own transaction)."""
    with Index(index_db):
        pass  # the schema
    with sqlite3.connect(index_db) as conn:
        conn.executescript(
            """
            CREATE TABLE applications (url TEXT, what TEXT);
            CREATE TRIGGER applied_insert AFTER INSERT ON articles
                BEGIN INSERT INTO applications VALUES (new.url, 'insert'); END;
            CREATE TRIGGER applied_update AFTER UPDATE ON articles
                BEGIN INSERT INTO applications VALUES (new.url, 'update'); END;
            """
        )


def rows(index_db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(index_db) as conn:
        return conn.execute(sql).fetchall()


def stream_state(url: str) -> tuple[str, int, int]:
    """(last id the stream ever had, entries left in it, entries pending)."""
    client = connect(url)
    info = client.xinfo_stream(stream.STREAM)
    pending = client.xpending(stream.STREAM, stream.GROUP)["pending"]
    return stream.id_text(info["last-generated-id"]), client.xlen(stream.STREAM), pending


# -- the protocol ---------------------------------------------------------------------------------
def test_items_round_trip_through_the_payload_unchanged() -> None:
    item, photo = article(1), media(1)
    # what a page and a stylesheet load: the index keeps it for the run after a killed one
    item.loads = ["http://127.0.0.2/theme/site.css", "http://127.0.0.2/img/1-768.jpg"]
    photo.loads = ["http://127.0.0.2/theme/font.woff2"]
    for value in (item, photo):
        raw = stream.fields_of_item(value)
        assert json.loads(raw["data"])  # JSON, never pickle
        back = stream.decode("5-1", {k.encode(): v.encode() for k, v in raw.items()})
        assert back.value == value and back.id == "5-1"
        assert back.value.loads == value.loads  # not in ``==`` (compare=False)
    assert stream.decode("1-0", stream.fields_of_item(item)).value.prepared == item.prepared
    site = Site("s1", "หน่วยงาน", "Agency", ("http://127.0.0.2/news/",))
    assert stream.decode("1-0", stream.fields(stream.SITE, stream.site_data(site))).value == site


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"v": "2", "kind": "article", "data": "{}"}, "payload version"),
        ({"v": "1", "kind": "rumour", "data": "{}"}, "unknown kind"),
        ({"v": "1", "kind": "article", "data": "{not json"}, "unreadable"),
        ({"v": "1", "kind": "media", "data": '{"url": "x"}'}, "unreadable"),
        ({"v": "1", "kind": "report", "data": '{"status": "ok"}'}, "without its sites"),
    ],
)
def test_entries_the_writer_cannot_read_are_named(raw: dict, says: str) -> None:
    with pytest.raises(stream.BadEntry, match=says):
        stream.decode("1-0", raw)


def test_ids_compare_as_numbers_not_text() -> None:
    assert stream.parse_id("9-0") < stream.parse_id("10-0")
    assert stream.parse_id(b"10-2") > stream.parse_id("10-1")


# -- the writer, in this process -----------------------------------------------------------------
def test_items_added_are_applied_once_and_the_stream_is_emptied(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    index_db = tmp_path / "archive" / "index.db"
    count_applications(index_db)
    producer = Producer(connect(redis_server.url))
    site = Site("s1", "หน่วยงาน", "Agency", ("http://127.0.0.2/news/",))
    producer.add_sites([site])
    for n in range(30):
        producer.add_item(article(n, words=n % 2 == 0))  # half segmented by the writer
        producer.add_item(media(n))
    producer.add_walked("s1", "2026-01-01T00:00:00+00:00")
    report = {
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:00+00:00",
        "sites": {"s1": {}},
        "status": "ok",
        "articles_new": 30,
        "articles_changed": 0,
        "articles_unchanged": 0,
        "media": 30,
        "errors": {},
        "bytes": 1,
        "seconds": 60.0,
    }
    producer.add_report(report)
    producer.add_report(report)  # a node retrying its XADD: kept once
    producer.add_item(article(3))  # the same page delivered twice: absorbed by the upsert

    writer = IndexWriter(redis_server.url, index_db, batch=16, block_ms=50)
    writer.open()
    try:
        stats = writer.run(drain=True)
    finally:
        writer.close()

    assert stats.applied == 1 + 60 + 1 + 2 + 1
    assert stats.statuses == {"new": 30, "unchanged": 1}
    assert rows(index_db, "SELECT count(*) FROM articles") == [(30,)]
    assert rows(index_db, "SELECT count(*) FROM article_versions") == [(0,)]
    assert rows(index_db, "SELECT count(*) FROM media") == [(30,)]
    assert rows(index_db, "SELECT what, count(*) FROM applications GROUP BY what") == [
        ("insert", 30),
        ("update", 1),  # the duplicate delivery, as unchanged
    ]
    assert rows(index_db, "SELECT count(*) FROM crawls") == [(1,)]
    assert rows(index_db, "SELECT slug, name_en, walked, last_crawl FROM sites") == [
        ("s1", "Agency", "2026-01-01T00:00:00+00:00", "2026-01-01T00:01:00+00:00")
    ]
    # searchable like any crawl's: the words of both halves are in the full-text tables
    with Index(index_db) as index:
        from archiver.search.results import search

        total, _ = search(index.conn, "คุณธรรม", limit=5)
        assert total == 30
        last, left, pending = stream_state(redis_server.url)
        assert index.stream_id() == last
    assert (left, pending) == (0, 0)
    assert len((tmp_path / "archive" / "crawls.jsonl").read_text().splitlines()) == 1


def test_an_unreadable_entry_is_kept_aside_and_the_rest_applied(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    client = connect(redis_server.url)
    Producer(client).add_item(article(1))
    client.xadd(stream.STREAM, {"v": "1", "kind": "article", "data": "{broken"})
    Producer(client).add_item(article(2))
    said: list[str] = []
    writer = IndexWriter(redis_server.url, tmp_path / "index.db", block_ms=50, say=said.append)
    writer.open()
    try:
        stats = writer.run(drain=True)
    finally:
        writer.close()
    assert (stats.applied, stats.dead) == (2, 1)
    assert rows(tmp_path / "index.db", "SELECT count(*) FROM articles") == [(2,)]
    dead = client.xrange(stream.DEAD)
    assert len(dead) == 1 and dead[0][1][b"data"] == b"{broken"
    assert b"unreadable" in dead[0][1][b"reason"]
    assert len(said) == 1 and "not applied" in said[0]


def test_statuses_go_to_the_stats_hash_the_entry_names(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    client = connect(redis_server.url)
    producer = Producer(client, stats="r:s1:run1:stats")
    producer.add_item(article(1))
    producer.add_item(article(1))
    producer.add_item(article(1, text="แก้ไขแล้ว"))
    writer = IndexWriter(redis_server.url, tmp_path / "index.db", block_ms=50)
    writer.open()
    try:
        writer.run(drain=True)
    finally:
        writer.close()
    assert client.hgetall("r:s1:run1:stats") == {
        b"s1/articles_new": b"1",
        b"s1/articles_unchanged": b"1",
        b"s1/articles_changed": b"1",
    }


# -- the CLI ----------------------------------------------------------------------------------------
def test_a_malformed_cluster_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("index-writer", "--cluster", "http://127.0.0.1:6379/0", archive=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a Redis URL" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_redis_is_one_line_exit_69_and_nothing_written(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = run_cli("index-writer", "--cluster", url, "--once", archive=archive)
    assert result.returncode == 69
    assert (
        result.stderr
        == f"archiver: Redis at {url} does not answer: "
        + result.stderr.split("does not answer: ")[1]
    )
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not archive.exists()


def test_a_second_writer_on_one_archive_is_refused(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    first = start_writer(redis_server.url, archive)
    try:
        wait_for(lambda: (archive / "index.db").exists(), 30)
        result = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=archive)
        assert result.returncode == 75
        assert "in use (index-writer by pid" in result.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
    assert first.returncode == 0, err
    assert out.startswith("stopped by SIGTERM: applied 0 entries")


def start_writer(url: str, archive: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "archiver", "index-writer", "--cluster", url]
    command += ["--archive", str(archive), *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # bounded
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


def test_the_cli_drains_the_stream_and_says_what_it_applied(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    producer = Producer(connect(redis_server.url))
    for n in range(5):
        producer.add_item(article(n))
    result = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("drained: applied 5 entries in 1 batches (articles: 5 new)")
    again = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=tmp_path)
    assert again.stdout.startswith("drained: applied 0 entries")
    export = run_cli("export", archive=tmp_path)
    assert len(export.stdout.splitlines()) == 5


# -- a real crawl through the stream ---------------------------------------------------------------
def test_a_crawl_through_the_stream_exports_what_a_plain_crawl_does(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """The fixture sites crawled twice on one machine, on servers of this test's own (the
    session's servers count their requests for other tests): into index.db directly, and
    through the stream (``ARCHIVER_CLUSTER``) with the index writer draining it."""
    from archiver.demo.server import SiteServer
    from tests import fixture_sites
    from tests.conftest import LOOPBACK, SITES

    routes = {
        "joomla": fixture_sites.joomla_routes(),
        "wordpress": fixture_sites.wordpress_routes(),
        "legacy": fixture_sites.legacy_routes(),
    }
    servers = {name: SiteServer(routes[name]).start() for name in SITES}
    plain_archive, archive = tmp_path / "plain", tmp_path / "archive"
    writer = start_writer(redis_server.url, archive)
    try:
        urls = []
        for name in SITES:
            urls += ["--url", servers[name].base_url + fixture_sites.LISTINGS[name]]
        plain_crawl = run_cli("crawl", *urls, *LOOPBACK, archive=plain_archive)
        assert plain_crawl.returncode == 0, plain_crawl.stdout + plain_crawl.stderr
        cluster = ["-s", f"ARCHIVER_CLUSTER={redis_server.url}"]
        result = run_cli("crawl", *urls, *LOOPBACK, *cluster, archive=archive)
        assert result.returncode == 0, result.stdout + result.stderr
        # the writer applies the run's last entries (its report) within a few reads
        wait_for(lambda: stream_state(redis_server.url)[1:] == (0, 0), 60)
    finally:
        for server in servers.values():
            server.stop()
        writer.send_signal(signal.SIGTERM)
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert out.startswith("stopped by SIGTERM: applied ")

    def index_rows(where: Path, sql: str) -> list[tuple]:
        return rows(where / "index.db", sql)

    plain = run_cli("export", archive=plain_archive)
    streamed = run_cli("export", archive=archive)
    assert streamed.returncode == 0, streamed.stderr
    assert len(streamed.stdout.splitlines()) >= 20
    assert comparable_export(streamed.stdout) == comparable_export(plain.stdout)
    media = (  # a requisite's article is the first that loaded it: the order of fetches
        "SELECT url, iif(kind = 'requisite', '', article_url), site, kind, mime, size, sha1,"
        " status FROM media ORDER BY url"
    )
    assert index_rows(archive, media) == index_rows(plain_archive, media)
    sites = "SELECT slug, walked IS NOT NULL, last_crawl IS NOT NULL FROM sites ORDER BY slug"
    assert index_rows(archive, sites) == index_rows(plain_archive, sites)
    assert index_rows(archive, "SELECT count(*), min(status) FROM crawls") == [(1, "ok")]
    assert index_rows(archive, "SELECT count(*) FROM article_versions") == [(0,)]
    with Index(archive / "index.db") as index:
        assert index.stream_id() == stream_state(redis_server.url)[0]
    # and it is searchable as the plain crawl is
    search = ["search", "คุณธรรม", "--json"]
    hits = [h["url"] for h in json.loads(run_cli(*search, archive=archive).stdout)]
    assert hits and sorted(hits) == sorted(
        h["url"] for h in json.loads(run_cli(*search, archive=plain_archive).stdout)
    )


# -- kills ---------------------------------------------------------------------------------------------
def start_producer(url: str, count: int, pause: float) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "tests.stream_producer", url, str(count), str(pause)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def assert_applied_once(archive: Path, url: str, count: int, updates: int = 0) -> None:
    """Every article once: ``count`` rows, no second version, ``count`` INSERTs and at most
    ``updates`` UPDATEs (duplicate deliveries, absorbed as unchanged); the stored id is the
    stream's last; nothing left in the stream or pending."""
    index_db = archive / "index.db"
    assert rows(index_db, "SELECT count(*), count(DISTINCT url) FROM articles") == [(count, count)]
    assert rows(index_db, "SELECT count(*) FROM article_versions") == [(0,)]
    applied = dict(rows(index_db, "SELECT what, count(*) FROM applications GROUP BY what"))
    assert applied.get("insert") == count
    assert applied.get("update", 0) <= updates
    last, left, pending = stream_state(url)
    with Index(index_db) as index:
        assert index.stream_id() == last
    assert (left, pending) == (0, 0)


def test_the_writer_killed_three_times_applies_every_entry_once(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    archive, count = tmp_path / "archive", 1500
    count_applications(archive / "index.db")
    chance = random.Random()
    producer = start_producer(redis_server.url, count, 0.001)
    writer = start_writer(redis_server.url, archive, "--batch", "100")
    kills = 0
    try:
        for _ in range(3):
            time.sleep(chance.uniform(1.0, 2.5))  # the writer imports for about 0.7 s
            writer.kill()  # SIGKILL
            writer.wait(timeout=30)
            kills += writer.returncode == -signal.SIGKILL
            writer = start_writer(redis_server.url, archive, "--batch", "100")
        out, err = producer.communicate(timeout=180)
        assert producer.returncode == 0, err
    finally:
        producer.kill()
        writer.send_signal(signal.SIGTERM)
        writer.communicate(timeout=60)
    assert kills == 3
    drained = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=archive)
    assert drained.returncode == 0, drained.stderr
    assert out.strip() == stream_state(redis_server.url)[0]  # the producer's last entry
    assert_applied_once(archive, redis_server.url, count)


def test_redis_killed_and_restarted_on_its_aof_loses_nothing_and_applies_nothing_twice(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    archive, count = tmp_path / "archive", 1500
    count_applications(archive / "index.db")
    producer = start_producer(redis_server.url, count, 0.001)
    writer = start_writer(redis_server.url, archive, "--batch", "100")
    try:
        time.sleep(random.uniform(1.5, 2.5))
        assert producer.poll() is None  # mid-stream
        redis_server.kill()  # SIGKILL: what the AOF (fsync always) holds survives
        time.sleep(0.5)
        redis_server.start()
        out, err = producer.communicate(timeout=180)
        assert producer.returncode == 0, err
        wait_for(lambda: stream_state(redis_server.url)[1:] == (0, 0), 60)
    finally:
        producer.kill()
        writer.send_signal(signal.SIGTERM)
        _, said = writer.communicate(timeout=60)
    assert writer.returncode == 0, said
    lines = said.splitlines()
    assert lines[0].startswith(f"archiver index-writer: Redis at {redis_server.url} lost (")
    assert lines[-1] == f"archiver index-writer: Redis at {redis_server.url} is back; carrying on"
    assert "Traceback" not in said
    # a producer's XADD answered by a Redis killed before the reply reached it is retried:
    # that entry is in the stream twice, and the upsert makes the second one "unchanged"
    assert_applied_once(archive, redis_server.url, count, updates=1)


def test_a_batch_committed_but_not_acknowledged_is_skipped_not_applied_again(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """The kill a random SIGKILL rarely lands in (between the commit and the XACK), made
    certain: the entries are delivered to the writer's consumer and committed with their id,
    and never acknowledged. A writer that trusted the ack alone would apply them again."""
    archive = tmp_path / "archive"
    count_applications(archive / "index.db")
    client = connect(redis_server.url)
    producer = Producer(client)
    for n in range(10):
        producer.add_item(article(n))
    client.xgroup_create(stream.STREAM, stream.GROUP, id="0")
    reply = client.xreadgroup(stream.GROUP, "writer", {stream.STREAM: ">"}, count=10)
    entries = reply[0][1]
    with Index(archive / "index.db") as index:  # what the writer commits before its ack
        last = stream.id_text(entries[-1][0])
        items = [stream.decode(entry_id, raw).value for entry_id, raw in entries]
        index.apply_stream_batch(last, articles=items)
    assert client.xpending(stream.STREAM, stream.GROUP)["pending"] == 10
    producer.add_item(article(10))  # and one more, new

    result = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=archive)
    assert result.returncode == 0, result.stderr
    assert "applied 1 entries" in result.stdout and "10 applied before, skipped" in result.stdout
    assert_applied_once(archive, redis_server.url, 11)


# -- archiver check, over every node's files ---------------------------------------------------------
def test_check_reads_every_nodes_files_and_flags_a_page_stored_twice(
    crawled, tmp_path: Path
) -> None:
    import shutil

    archive = tmp_path / "archive"
    shutil.copytree(crawled.archive, archive, ignore=shutil.ignore_patterns(".lock"))
    assert run_cli("check", archive=archive).returncode == 0
    url, name, offset, length = crawled.index_rows(
        "SELECT url, warc_filename, warc_offset, warc_length FROM articles ORDER BY url LIMIT 1"
    )[0]
    with open(archive / "warc" / name, "rb") as source:
        source.seek(offset)
        member = source.read(length)  # the article's response record, one gzip member
    # another node's file (its name in the file name) holding the same page, in full, again:
    # what a node killed between its record and its capture note can leave
    slug = name.rsplit("-", 2)[0]
    (archive / "warc" / f"{slug}-20260101000000-node2-00000.warc.gz").write_bytes(member)

    result = run_cli("check", archive=archive)
    assert result.returncode == 1
    problems = result.stderr.splitlines()
    assert len(problems) == 1, result.stderr
    assert problems[0].startswith(f"stored twice: {url} (sha1:")
    copies = problems[0].split("has 2 full copies: ")[1].split(", ")
    assert sorted(copies) == sorted(
        [f"{name}@{offset}", f"{slug}-20260101000000-node2-00000.warc.gz@0"]
    )
    assert result.stdout.startswith(f"checked {len(list((archive / 'warc').iterdir()))} WARC files")


def test_the_writer_merges_the_full_text_segments_when_the_stream_is_idle(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "COMPACT_SEGMENTS", 2)
    index_db = tmp_path / "archive" / "index.db"
    producer = Producer(connect(redis_server.url))
    for n in range(12):
        producer.add_item(article(n))
    writer = IndexWriter(redis_server.url, index_db, batch=2, block_ms=50)  # 6 transactions
    writer.open()
    try:
        writer.step()
        assert writer.index is not None
        while writer.step():  # the batches, then the idle read that merges
            assert writer.stats.compactions == 0
            if writer.stats.applied == 12:
                segments = [fulltext.segments(writer.index.conn, t) for t in fulltext.TABLES]
                assert max(segments) > 2, segments
        assert writer.stats.compactions == 1
        assert [fulltext.segments(writer.index.conn, t) for t in fulltext.TABLES] == [1, 1, 1]
        writer.step()  # idle again, nothing written since: no second merge
        assert writer.stats.compactions == 1
    finally:
        writer.close()
    with Index(index_db) as index:
        from archiver.search.results import search

        assert search(index.conn, "คุณธรรม", limit=5)[0] == 12


def test_reindex_and_a_running_index_writer_exclude_each_other(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """A reindex replaces index.db under a running writer (its later batches went to the file
    the rebuild replaced): each refuses while the other runs, in one line, exit 75."""
    from archiver.archive import Archive, ArchiveLock

    archive = tmp_path / "archive"
    writer = start_writer(redis_server.url, archive)
    try:
        wait_for(lambda: (archive / "index.db").exists(), 30)
        (archive / "warc").mkdir()
        (archive / "warc" / "s1-20260101000000-n1-00000.warc.gz").write_bytes(b"")
        result = run_cli("reindex", archive=archive)
        assert result.returncode == 75, result.stderr
        assert "in use (index-writer by pid" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    finally:
        writer.send_signal(signal.SIGTERM)
        _, err = writer.communicate(timeout=30)
    assert writer.returncode == 0, err
    with ArchiveLock(archive, "reindex", Archive(archive).writer_lock_file):  # as reindex holds it
        result = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=archive)
    assert result.returncode == 75, result.stderr
    assert "in use (reindex by pid" in result.stderr
