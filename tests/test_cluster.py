"""Crawl nodes (issue 17): ``archiver crawl --cluster URL --node NAME`` on a real redis-server,
fixture sites on their own loopback addresses, real subprocesses killed by PID.

The node-kill test is ``tests.cluster_kill.kill_run`` (bench/cluster_crash_loop.py repeats it):
three nodes and the index writer; n1 SIGKILLed at a random moment and restarted; then the
archive checks, every page has exactly one full response record, every article is indexed
once, the stream is applied, the frontier is empty, no host saw more than 2 requests at once,
and a second run of the unchanged sites writes no new response record.
"""

from __future__ import annotations

import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.cluster.frontier import frontier_keys
from archiver.demo.server import SiteServer
from archiver.registry import slug_for_url
from archiver.warc.records import Fetch, node_of
from archiver.warc.writer import WarcFileWriter
from tests.cluster_kill import ENV, ROOT, kill_run, node_command
from tests.conftest import comparable_export, run_cli
from tests.fault_site import LAST_MODIFIED, FaultSite
from tests.redis_server import RedisServer, free_port


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(shared_redis: RedisServer) -> RedisServer:
    """The module's redis-server, emptied: no test sees another's frontier, captures or
    stream entries."""
    import redis

    with redis.Redis.from_url(shared_redis.url) as client:
        client.flushall()
    return shared_redis


def crawl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "archiver", "crawl", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--cluster", "http://127.0.0.1:6379/0", "--node", "n1"], 2, "not a Redis URL"),
        (["--cluster", "redis://127.0.0.1:6379/zero", "--node", "n1"], 2, "must be a number"),
        (["--cluster", "redis://127.0.0.1:6379/0"], 2, "--cluster needs --node NAME"),
        (["--cluster", "redis://127.0.0.1:6379/0", "--node", "a b"], 2, "--node 'a b'"),
        (["--node", "n1"], 2, "--node needs --cluster URL"),
        (["--cluster", "redis://127.0.0.1:6379/0", "--node", "n1", "-s", "ARCHIVER_CLUSTER_NODE=x"],
         2, "--cluster URL --node NAME, not -s ARCHIVER_CLUSTER_NODE"),
    ],
)  # fmt: skip
def test_bad_cluster_arguments_are_one_line_and_write_nothing(
    tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    archive = tmp_path / "archive"
    result = crawl("--url", "http://127.0.0.2:9/news/", "--archive", str(archive), *args)
    assert result.returncode == code, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr
    assert "Traceback" not in result.stderr
    assert not archive.exists()


def test_a_redis_that_does_not_answer_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    url = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    result = crawl("--url", "http://127.0.0.2:9/news/", "--archive", str(archive),
                   "--cluster", url, "--node", "n1")  # fmt: skip
    assert result.returncode == 69
    assert result.stderr.strip().splitlines() == [
        f"archiver: Redis at {url} does not answer: " + result.stderr.split("answer: ")[1].strip()
    ]
    assert not archive.exists()


def test_one_node_crawls_and_a_second_live_node_with_its_name_is_refused(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """While n1 crawls, another process given the name n1 is refused (one line, exit 2) and
    writes nothing; n1 goes on and crawls the site: WARC files named after it, every page once."""
    # slow pages: n1 must outlive the twin's start-up and its watch of the name (about 4 s)
    site = FaultSite(articles=12, per_page=6, faults=False, article_delay=1.0)
    archive = tmp_path / "archive"
    with SiteServer(site.routes(), host="127.0.0.2") as server:
        url = server.base_url + "/news/"
        first = subprocess.Popen(
            node_command([url], archive, redis_server.url, "solo"),
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while sum(site.hits.values()) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            files_before = sorted(p.name for p in (archive / "warc").glob("*"))
            twin = subprocess.run(
                node_command([url], tmp_path / "other", redis_server.url, "solo"),
                cwd=ROOT,
                env=ENV,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert twin.returncode == 2, twin.stderr
            assert twin.stderr.strip() == (
                "archiver: --node solo: another running node has this name (give each node its own)"
            )
            assert not (tmp_path / "other").exists()
            out, err = first.communicate(timeout=120)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
    assert first.returncode == 0, err
    assert files_before  # n1 was writing while the twin was refused
    names = sorted(p.name for p in (archive / "warc").glob("*.warc.gz"))
    assert names and all("-solo-" in name for name in names)
    assert set(site.hits.values()) == {1}  # every page once
    assert len(site.hits) == 12 + 12 + 2  # articles, images, listing pages
    assert site.max_in_flight <= 2


def test_a_node_killed_at_a_random_moment_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path,
) -> None:
    seed = random.randrange(1_000_000)
    outcome = kill_run(tmp_path, seed, second_run=True)
    assert outcome.problems == [], f"seed {seed}: {outcome.line()}"
    assert outcome.exit_codes == {"n1": 0, "n2": 0, "n3": 0}
    assert outcome.duplicates == [] and outcome.lost == [] and outcome.not_indexed == []
    assert outcome.max_in_flight <= 2
    assert outcome.second_run_responses == 0, "a second run stored unchanged pages again"


def test_a_takeover_notes_the_dead_holders_last_record_and_dead_letters_its_killer_page(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """A run left active by dead holders: the last one ("gone") wrote article 0's record and was
    killed before noting it, and a page was in flight at each of two takeovers already (a page
    that kills nodes). The node taking the site over notes gone's record from its file (so
    article 0 comes back as a revisit, not a second copy), sends the killer page to the
    dead-letter list and names it in its report, crawls the rest and finishes the run."""
    import redis

    site = FaultSite(articles=4, per_page=5, faults=False)
    archive = tmp_path / "archive"
    client = redis.Redis.from_url(redis_server.url)
    with SiteServer(site.routes(), host="127.0.0.3") as server:
        url = server.base_url + "/news/"
        unit = slug_for_url(url)
        crash = server.base_url + "/news/crash.html"
        # gone's file: article 0 as the server sends it, never noted in Redis
        body = site.article_html(0)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        writer = WarcFileWriter(archive / "warc", unit, node="gone")
        writer.write_fetch(
            Fetch(
                url=server.base_url + "/news/0.html",
                method="GET",
                request_headers=[("Host", url.split("/")[2])],
                request_body=b"",
                protocol="HTTP/1.1",
                status=200,
                reason="OK",
                response_headers=[
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("ETag", etag),
                    ("Last-Modified", LAST_MODIFIED),
                ],
                body=body,
            ),
            {"role": "article", "site": unit},
        )
        writer.close()
        client.hset(f"unit:{unit}", mapping={"run": "r0", "state": "active", "seeded": "0"})
        client.set(f"holder:{unit}", "gone/0123")  # its lease has run out
        client.hset(f"r:{unit}:r0:inflight", "fp-crash", "gone/0123#7")
        client.hset(f"r:{unit}:r0:attempts", "fp-crash", 2)
        client.hset(f"r:{unit}:r0:url", "fp-crash", crash)
        result = subprocess.run(
            node_command([url], archive, redis_server.url, "n7"),
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"dead letter, in flight at 3 takeovers, not fetched again: {crash}" in result.stdout
    assert "1 taken over from a node that left them" in result.stdout
    assert "1 unnoted records noted" in result.stdout
    # the articles n7 handed to the stream (0 and its copy from gone's file included)
    assert "4 articles to the index writer; 4 media;" in result.stdout
    assert "/news/crash.html" not in site.hits
    assert site.hits["/news/3.html"] == 1  # the rest of the site was crawled
    responses = Counter()
    for path in (archive / "warc").glob("*.warc.gz"):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    responses[record.rec_headers.get_header("WARC-Target-URI")] += 1
    assert responses[server.base_url + "/news/0.html"] == 1  # gone's copy; n7's is a revisit
    assert frontier_keys(client) == [] and client.llen(f"dead:{unit}") == 0
    assert client.hget(f"unit:{unit}", "state") == b"done"
    client.close()


def test_redis_killed_mid_run_and_restarted_on_its_files_loses_nothing(tmp_path: Path) -> None:
    """redis-server SIGKILLed while three nodes crawl (AOF, fsync always) and started again on
    its directory: the nodes and the index writer retry with back-off and carry on; nothing
    is lost or stored twice, and the run finishes (a pop whose reply was lost is put back)."""
    seed = random.randrange(1_000_000)
    outcome = kill_run(tmp_path, seed, victim="redis")
    assert outcome.problems == [], f"seed {seed}: {outcome.line()}"
    assert outcome.exit_codes == {"n1": 0, "n2": 0, "n3": 0}


def test_two_nodes_export_what_one_machine_does(tmp_path: Path, redis_server: RedisServer) -> None:
    """The three fixture sites (Joomla, WordPress, legacy windows-874) on three loopback hosts,
    crawled on one machine, and by two crawl nodes (whichever takes which) with the index
    writer: the same export."""
    from tests import fixture_sites
    from tests.conftest import LOOPBACK, SITES, run_cli

    routes = fixture_sites.all_routes()
    with ExitStack() as stack:
        servers = [
            stack.enter_context(SiteServer(routes[name], host=f"127.0.0.{2 + n}"))
            for n, name in enumerate(SITES)
        ]
        urls = [
            s.base_url + fixture_sites.LISTINGS[name]
            for s, name in zip(servers, SITES, strict=True)
        ]
        plain = run_cli("crawl", *[a for u in urls for a in ("--url", u)], *LOOPBACK,
                        archive=tmp_path / "plain")  # fmt: skip
        assert plain.returncode == 0, plain.stdout + plain.stderr
        archive = tmp_path / "archive"
        writer = subprocess.Popen(
            [sys.executable, "-m", "archiver", "index-writer", "--cluster", redis_server.url,
             "--archive", str(archive)],
            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(lambda: writer.poll() is None and writer.kill())
        nodes = [
            subprocess.Popen(
                node_command(
                    urls,
                    archive,
                    redis_server.url,
                    name,
                    "-s",
                    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                ),
                cwd=ROOT,
                env=ENV,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            for name in ("a", "b")
        ]
        outputs = [node.communicate(timeout=180)[0] for node in nodes]
        assert [node.returncode for node in nodes] == [0, 0], outputs
        writer.send_signal(signal.SIGTERM)
        writer.wait(timeout=60)
    drained = run_cli("index-writer", "--cluster", redis_server.url, "--once", archive=archive)
    assert drained.returncode == 0, drained.stderr
    # which node crawls which site is a race (a node takes the next site as it finishes one)
    names = {p.name for p in (archive / "warc").glob("*.warc.gz")}
    assert names and all(node_of(n) in ("a", "b") for n in names)
    exported = run_cli("export", archive=archive)
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) >= 20
    assert comparable_export(exported.stdout) == comparable_export(
        run_cli("export", archive=tmp_path / "plain").stdout
    )
    assert run_cli("check", archive=archive).returncode == 0


def test_a_node_paused_past_its_lease_is_fenced_out_and_stops(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """n1 is frozen (SIGSTOP) longer than its lease while n2 waits for the site: n2 takes it
    over and finishes it. n1, thawed (SIGCONT), finds its token gone: it stops at once with
    one line saying so (exit 1) and queues, acks and notes nothing more; the archive holds
    every page once (a page n1 had in flight and n2 fetched again is a revisit)."""
    import redis

    site = FaultSite(articles=16, per_page=4, faults=False, article_delay=0.15)
    archive = tmp_path / "archive"
    client = redis.Redis.from_url(redis_server.url)
    writer = subprocess.Popen(
        [sys.executable, "-m", "archiver", "index-writer", "--cluster", redis_server.url,
         "--archive", str(archive)],
        cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    nodes: dict[str, subprocess.Popen[str]] = {}
    try:
        with SiteServer(site.routes(), host="127.0.0.5") as server:
            url = server.base_url + "/news/"
            unit = slug_for_url(url)

            def start(name: str) -> None:
                nodes[name] = subprocess.Popen(
                    node_command([url], archive, redis_server.url, name),
                    cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True,
                )  # fmt: skip

            def wait_for(what: Callable[[], bool], seconds: float = 60) -> None:
                deadline = time.monotonic() + seconds
                while not what():
                    assert time.monotonic() < deadline, "timed out"
                    time.sleep(0.02)

            start("n1")
            wait_for(lambda: (client.get(f"holder:{unit}") or b"").startswith(b"n1/"))
            wait_for(lambda: sum(site.hits.values()) >= 8)
            start("n2")
            wait_for(lambda: client.exists("node:n2") == 1)  # n2 is up, waiting for the site
            nodes["n1"].send_signal(signal.SIGSTOP)
            wait_for(lambda: (client.get(f"holder:{unit}") or b"").startswith(b"n2/"), 30)
            nodes["n1"].send_signal(signal.SIGCONT)
            out1, _ = nodes["n1"].communicate(timeout=120)
            out2, _ = nodes["n2"].communicate(timeout=120)
    finally:
        for process in nodes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        writer.send_signal(signal.SIGTERM)
        writer.wait(timeout=60)
    assert nodes["n1"].returncode == 1, out1
    assert "stopped: another node took this node's site over" in out1
    assert nodes["n2"].returncode == 0, out2
    drained = subprocess.run(
        [sys.executable, "-m", "archiver", "index-writer", "--cluster", redis_server.url,
         "--archive", str(archive), "--once"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert drained.returncode == 0, drained.stderr
    with sqlite3.connect(archive / "index.db") as conn:
        reports = [
            json.loads(raw)["cluster"] for (raw,) in conn.execute("SELECT report FROM crawls")
        ]
    assert sorted((r["node"], r["takeovers"], r["lost"]) for r in reports) == [
        ("n1", 0, [unit]),
        ("n2", 1, []),
    ]
    responses: Counter[str] = Counter()
    for path in (archive / "warc").glob("*.warc.gz"):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                uri = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "response" and not uri.endswith("robots.txt"):
                    responses[uri] += 1
    assert [u for u, n in responses.items() if n > 1] == []
    # every article, image and listing page, and the site's missing /favicon.ico, once
    assert len(responses) == 16 + 16 + 4 + 1
    check = subprocess.run(
        [sys.executable, "-m", "archiver", "check", "--archive", str(archive)],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
    assert frontier_keys(client) == []
    assert site.max_in_flight <= 2  # n1 thawed with requests out, n2 fetching: still 2
    client.close()


def test_a_password_in_the_cluster_url_works_and_is_never_shown(tmp_path: Path) -> None:
    """A Redis with ``requirepass``: the URL's password opens it for the node and the index
    writer; no message shows it (they go to the journal and cron mail); without a password or
    with a wrong one, one line saying which, exit 2, nothing written."""
    secret = "s3cret-Pa55"
    server = RedisServer(tmp_path / "redis", password=secret).start()
    try:
        site = FaultSite(articles=4, per_page=4, faults=False)
        archive = tmp_path / "archive"
        with SiteServer(site.routes(), host="127.0.0.2") as http:
            url = http.base_url + "/news/"
            command = node_command([url], archive, server.url, "n1")
            at = command.index("--cluster")
            del command[at : at + 2]  # the URL from the environment, as the README's units do
            node = subprocess.run(
                command, cwd=ROOT, env={**ENV, "ARCHIVER_CLUSTER": server.url},
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            bare = server.url.replace(f":{secret}@", "")
            wrong = server.url.replace(secret, "not-it")
            refused = {
                "none": crawl("--url", url, "--archive", str(tmp_path / "a2"),
                              "--cluster", bare, "--node", "n2"),
                "wrong": crawl("--url", url, "--archive", str(tmp_path / "a3"),
                               "--cluster", wrong, "--node", "n3"),
            }  # fmt: skip
        # the URL from the environment: not in the process list
        writer = run_cli(
            "index-writer", "--once", archive=archive, env={"ARCHIVER_CLUSTER": server.url}
        )
    finally:
        server.stop()
    assert node.returncode == 0, node.stderr
    assert writer.returncode == 0, writer.stderr
    for result in (node, writer, *refused.values()):
        assert secret not in result.stdout + result.stderr
        assert "not-it" not in result.stdout + result.stderr
    assert refused["none"].returncode == refused["wrong"].returncode == 2
    assert refused["none"].stderr.strip() == (
        f"archiver: Redis at {bare} asks for a password: give it in the URL "
        "(redis://:PASSWORD@HOST:PORT/DB)"
    )
    line = refused["wrong"].stderr.strip()
    assert len(line.splitlines()) == 1 and "refused the password" in line and ":***@" in line
    assert not (tmp_path / "a2").exists() and not (tmp_path / "a3").exists()
    with sqlite3.connect(archive / "index.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 4


def test_a_redis_gone_for_good_stops_the_node_in_one_line_and_the_next_run_completes(
    tmp_path: Path,
) -> None:
    """redis-server SIGKILLed mid-run and not started again: the node stops once its client's
    retries (about 20 s) are spent, with one line and exit 69, instead of waiting on every
    later call (a node hung for as long as Redis was away: 240 s down, 240 s hung). Nothing
    half-written; Redis started again on its AOF, the next run finishes the site, and the
    index writer indexes every article once."""
    server = RedisServer(tmp_path / "redis").start()
    site = FaultSite(articles=10, per_page=5, faults=False, article_delay=0.3)
    archive = tmp_path / "archive"
    try:
        with SiteServer(site.routes(), host="127.0.0.2") as http:
            command = node_command([http.base_url + "/news/"], archive, server.url, "n1")
            node = subprocess.Popen(
                command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            deadline = time.monotonic() + 30
            while sum(site.hits.values()) < 4 and time.monotonic() < deadline:  # bounded
                time.sleep(0.02)
            server.kill()
            killed = time.monotonic()
            try:
                out, err = node.communicate(timeout=120)
            finally:
                if node.poll() is None:  # a node that hangs must not outlive the test
                    node.kill()
                    node.wait()
            stopped_after = time.monotonic() - killed
            assert node.returncode == 69, (out, err)
            assert "Traceback" not in out + err
            assert "stopped: the cluster's Redis was lost" in out
            assert "ConnectionError" not in out  # not counted against the site
            assert stopped_after < 90, stopped_after  # the retries (~20 s), then a prompt stop
            for path in (archive / "warc").glob("*.warc.gz"):  # every record whole
                with open(path, "rb") as stream:
                    assert sum(1 for _ in ArchiveIterator(stream)) > 0
            server.start()  # on its append-only file
            time.sleep(2)  # the dead run's lease (1.5 s) runs out
            again = subprocess.run(
                command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=120
            )
            assert again.returncode == 0, again.stdout + again.stderr
        writer = run_cli("index-writer", "--cluster", server.url, "--once", archive=archive)
        assert writer.returncode == 0, writer.stderr
    finally:
        server.stop()
    checked = run_cli("check", archive=archive)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with sqlite3.connect(archive / "index.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 10
