"""Leases, fencing and the reliable frontier, on a real redis-server (archiver.cluster)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from archiver.cluster.captures import RedisCaptures
from archiver.cluster.connect import connect
from archiver.cluster.frontier import Frontier, frontier_keys
from archiver.cluster.lease import LeaseLost, Leases, units
from archiver.errors import ClusterConfigError
from archiver.index.capture_log import capture_of
from archiver.warc.records import Fetch, node_of, site_of
from archiver.warc.writer import WarcFileWriter
from tests.redis_server import RedisServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def client(server: RedisServer) -> Iterator[redis.Redis]:
    client = connect(server.url)
    client.flushdb()
    yield client
    client.close()


def test_sites_sharing_a_host_are_one_unit() -> None:
    got = units(
        [
            ("b-site", ["b.go.th"]),
            ("a-site", ["a.go.th", "shared.go.th"]),
            ("c-site", ["shared.go.th"]),
            ("d-site", ["d.go.th"]),
        ]
    )
    assert got == {"a-site": ["a-site", "c-site"], "b-site": ["b-site"], "d-site": ["d-site"]}


def test_one_holder_per_unit_and_a_done_unit_is_not_crawled_again_in_the_round(
    client: redis.Redis,
) -> None:
    n1, n2 = Leases(client, "n1", 5), Leases(client, "n2", 5)
    first = n1.acquire("u", min_interval_s=600)
    assert first.status == "new" and first.previous == ""
    assert n2.acquire("u", min_interval_s=600).status == "busy"
    frontier = Frontier(client, n1)
    assert frontier.finish("u", first.run)  # nothing queued: done, lease given up
    assert n2.acquire("u", min_interval_s=600).status == "done"  # ended after n2 started
    time.sleep(0.01)  # nodes started after the run ended (Redis milliseconds)
    later = Leases(client, "n3", 5)
    assert later.acquire("u", min_interval_s=600).status == "done"  # within the interval
    assert Leases(client, "n4", 5).acquire("u", min_interval_s=0).status == "new"


def test_a_request_leaves_redis_only_when_acked(client: redis.Redis) -> None:
    leases = Leases(client, "n1", 5)
    run = leases.acquire("u", 600).run
    frontier = Frontier(client, leases)
    assert frontier.push("u", run, "fp1", b"one", 0, False, "http://a/1")
    assert not frontier.push("u", run, "fp1", b"one", 0, False, "http://a/1")  # seen
    assert frontier.push("u", run, "fp2", b"two", 5, False, "http://a/2")
    popped = frontier.pop("u", run)
    assert popped is not None and popped.blob == b"two"  # higher priority first
    assert frontier.pending("u", run) == (1, 1)
    assert not frontier.finish("u", run)  # one queued, one in flight
    assert frontier.ack("u", run, popped.fp, popped.pop_id)
    assert not frontier.ack("u", run, popped.fp, popped.pop_id)  # once
    again = frontier.pop("u", run)
    assert again is not None and again.blob == b"one"
    # a retry of the same URL is queued again before the first pop is acked: the ack of
    # the first pop leaves the retry's entry alone
    assert frontier.push("u", run, "fp1", b"one-retry", 0, True, "http://a/1")
    assert frontier.ack("u", run, again.fp, again.pop_id)
    retry = frontier.pop("u", run)
    assert retry is not None and retry.blob == b"one-retry"
    assert frontier.pop("u", run) is None
    assert frontier.ack("u", run, retry.fp, retry.pop_id)
    assert frontier.finish("u", run)
    assert frontier_keys(client) == []
    assert client.get("lease:u") is None


def test_takeover_puts_the_dead_holders_in_flight_requests_back_first(
    client: redis.Redis,
) -> None:
    dead = Leases(client, "n1", 0.3)
    run = dead.acquire("u", 600).run
    f1 = Frontier(client, dead)
    for n in range(4):
        f1.push("u", run, f"fp{n}", f"r{n}".encode(), 0, False, f"http://a/{n}")
    f1.mark_seeded("u")
    popped = [f1.pop("u", run) for _ in range(2)]
    assert all(popped)
    standby = Leases(client, "n2", 5)
    assert standby.acquire("u", 600).status == "busy"  # n1's lease still runs
    time.sleep(0.4)  # n1 is dead: its lease is not renewed
    taken = standby.acquire("u", 600)
    assert (taken.status, taken.run, taken.seeded, taken.requeued) == ("resume", run, True, 2)
    assert taken.previous == dead.token
    f2 = Frontier(client, standby)
    first_two = {f2.pop("u", run).blob for _ in range(2)}  # type: ignore[union-attr]
    assert first_two == {p.blob for p in popped if p}  # put back at the head of the queue
    # fencing: the old holder can no longer push, pop, ack, or finish
    with pytest.raises(LeaseLost):
        f1.push("u", run, "fp9", b"x", 0, False, "http://a/9")
    with pytest.raises(LeaseLost):
        f1.pop("u", run)
    with pytest.raises(LeaseLost):
        f1.ack("u", run, popped[0].fp, popped[0].pop_id)  # type: ignore[union-attr]
    with pytest.raises(LeaseLost):
        f1.finish("u", run)
    assert not dead.renew("u")  # its renewal says so: it stops
    assert standby.renew("u")


def test_a_request_in_flight_at_three_takeovers_goes_to_the_dead_letter_list(
    client: redis.Redis,
) -> None:
    run = ""
    for attempt in range(3):
        node = Leases(client, f"n{attempt}", 0.2)
        got = node.acquire("u", 600)
        assert got.held
        run = run or got.run
        frontier = Frontier(client, node)
        if attempt == 0:
            frontier.push("u", run, "crash", b"kills-nodes", 0, False, "http://a/crash")
            frontier.push("u", run, "fine", b"fine", -1, False, "http://a/fine")
        popped = frontier.pop("u", run)
        assert popped is not None and popped.fp == "crash"  # the node "dies" on it
        time.sleep(0.25)
    last = Leases(client, "n9", 5)
    got = last.acquire("u", 600)
    assert (got.requeued, got.dead) == (0, 1)
    assert last.dead_letters("u") == [{"run": run, "url": "http://a/crash", "attempts": 3}]
    frontier = Frontier(client, last)
    assert frontier.pop("u", run).fp == "fine"  # type: ignore[union-attr]


def test_a_second_live_node_with_the_same_name_is_refused(client: redis.Redis) -> None:
    live = Leases(client, "n1", 0.6)
    live.register()
    stop = threading.Event()

    def renew() -> None:  # what the node's looping call does
        while not stop.wait(0.2):
            live.renew_node()

    thread = threading.Thread(target=renew)
    thread.start()
    try:
        with pytest.raises(ClusterConfigError, match="another running node has this name"):
            Leases(client, "n1", 0.6).register()
    finally:
        stop.set()
        thread.join()
    # the first one is now "killed" (no renewal): a restart under its name gets it back
    restarted = Leases(client, "n1", 0.6)
    began = time.monotonic()
    restarted.register()
    assert time.monotonic() - began < 2.0
    assert client.get("node:n1") == restarted.token.encode()


def test_a_node_that_paused_past_its_lease_stops_writing(
    tmp_path: Path, client: redis.Redis
) -> None:
    paused = Leases(client, "n1", 0.2)
    run = paused.acquire("u", 600).run
    frontier = Frontier(client, paused)
    frontier.push("u", run, "a", b"a", 0, False, "http://a/a")
    time.sleep(0.3)
    # nobody took the unit: renewal takes the lease back, the node goes on
    assert paused.renew("u")
    time.sleep(0.3)
    other = Leases(client, "n2", 5)
    assert other.acquire("u", 600).status == "resume"
    assert not paused.renew("u")
    with pytest.raises(LeaseLost):
        frontier.pop("u", run)


# -- captures in Redis (archiver.cluster.captures) ----------------------------------------------
def _fetch(url: str, body: bytes) -> Fetch:
    return Fetch(
        url=url,
        method="GET",
        request_headers=[("Host", "127.0.0.2")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[("Content-Type", "text/html"), ("ETag", '"e1"')],
        body=body,
    )


def test_captures_in_redis_are_shared_and_the_unnoted_tail_is_recovered(
    tmp_path: Path, client: redis.Redis
) -> None:
    """A node notes each capture after its record is on disk; a kill between the two leaves
    the file's last response un-noted. Another node (another client) recovering the file
    from its high-water mark notes it, so the next fetch of that URL is a revisit."""
    writer = WarcFileWriter(tmp_path, "s1", node="n1")
    n1 = RedisCaptures(client)
    noted = []
    for n in range(3):
        url = f"http://127.0.0.2/{n}.html"
        w = writer.write_fetch(_fetch(url, f"page {n}".encode()))
        if n < 2:  # the third: killed before noting
            n1.record(capture_of(url, 200, [("ETag", '"e1"')], w.digest, w.date, w.location), "s1")
            noted.append(w.location)
    writer.close()
    (path,) = tmp_path.glob("s1-*-n1-00000.warc.gz")
    assert node_of(path.name) == "n1" and site_of(path.name) == "s1"
    port = client.connection_pool.connection_kwargs["port"]
    other = RedisCaptures(connect(f"redis://127.0.0.1:{port}/0"))  # another node
    first = other.get("http://127.0.0.2/0.html", "s1")
    assert first is not None and first.etag == '"e1"' and first.location == noted[0]
    assert other.get("http://127.0.0.2/2.html", "s1") is None
    assert other.high_water(path.name) == noted[1].offset
    assert other.recover(path) == []
    third = other.get("http://127.0.0.2/2.html", "s1")
    assert third is not None and third.location.offset > noted[1].offset
    assert other.high_water(path.name) == third.location.offset
    assert other.get("http://127.0.0.2/0.html", "other-site") is None  # per site
    # a file cut short: the captures past its end are forgotten
    with open(path, "r+b") as stream:
        stream.truncate(third.location.offset + 10)
    assert other.forget_lost(tmp_path, ["s1"]) == ["http://127.0.0.2/2.html"]
    assert other.get("http://127.0.0.2/2.html", "s1") is None
    assert other.get("http://127.0.0.2/1.html", "s1") is not None


def test_a_pop_whose_reply_was_lost_is_put_back_by_its_holder(client: redis.Redis) -> None:
    """Redis restarted (or the client retried a pop that had run): the entry is in flight
    under this node's token, but the node holds no request for it. The sweep puts it back;
    the pops the node does hold stay in flight."""
    leases = Leases(client, "n1", 5)
    run = leases.acquire("u", 600).run
    frontier = Frontier(client, leases)
    for n in range(3):
        frontier.push("u", run, f"fp{n}", f"r{n}".encode(), 0, False, f"http://a/{n}")
    held = frontier.pop("u", run)
    lost = frontier.pop("u", run)  # its reply never reached the node
    assert held is not None and lost is not None
    assert frontier.sweep("u", run, {held.pop_id}) == 1
    assert frontier.pending("u", run) == (2, 1)
    again = frontier.pop("u", run)
    assert again is not None and again.fp == lost.fp  # first in line
    assert frontier.sweep("u", run, {held.pop_id, again.pop_id}) == 0
