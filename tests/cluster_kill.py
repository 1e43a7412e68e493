"""One node-kill run of cluster mode, for tests/test_cluster.py and bench/cluster_crash_loop.py.

Real parts only: a redis-server (``tests.redis_server``), fixture sites on their own loopback
addresses (127.0.0.2, .3, .4: Scrapy's politeness slot is the host name), the index writer and
three ``archiver crawl --cluster URL --node nX`` subprocesses over one archive directory (the
shared file system of the README's cluster section). Node n1 is SIGKILLed once its site has
served a random number of requests, plus a random 0-200 ms (a count alone lands in step with
its reactor and misses the window between a record and its note), then restarted under its
name, as systemd would; whoever's lease comes first takes n1's unit over. Every wait is
bounded; processes are ended by PID.
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
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import redis
from warcio.archiveiterator import ArchiveIterator

from archiver.cluster.frontier import frontier_keys
from archiver.demo.server import SiteServer
from archiver.registry import slug_for_url
from tests.fault_site import FaultSite
from tests.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
PER_HOST = 2
TTL = 1.5  # lease seconds: a killed node's unit is free 1.5 s after its last renewal


def archiver(*args: str) -> list[str]:
    return [sys.executable, "-m", "archiver", *args]


def node_command(urls: list[str], archive: Path, cluster: str, node: str, *extra: str) -> list[str]:
    command = ["crawl", "--archive", str(archive), "--cluster", cluster, "--node", node, "-q"]
    for url in urls:
        command += ["--url", url]
    return archiver(
        *command,
        *("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"),
        *("-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={PER_HOST}"),
        *("-s", f"ARCHIVER_CLUSTER_LEASE_TTL={TTL}", "-s", "ARCHIVER_CLUSTER_UNITS=1"),
        *("-s", "ARCHIVER_WORKERS=0"),
        *extra,
    )


@dataclass
class Outcome:
    """What one run left, and what went wrong (``problems``: empty when everything held)."""

    victim: str = "n1"  # what was killed: node n1, or redis-server
    killed_after: int = 0  # requests n1's site had served at the kill
    kill_delay_ms: int = 0
    victim_unit: str = ""
    refetched: int = 0  # URLs a site served more than once
    responses: int = 0
    revisits: int = 0
    duplicates: list[str] = field(default_factory=list)  # URLs with two full responses
    lost: list[str] = field(default_factory=list)  # expected URLs with no response
    not_indexed: list[str] = field(default_factory=list)
    max_in_flight: int = 0  # the most article requests one site served at once
    exit_codes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    second_run_responses: int | None = None
    takeovers: int = 0  # units a node took over from a holder that had left them active
    requeued: int = 0  # in-flight requests put back by the takeovers
    recovered: int = 0  # WARC files whose un-noted last capture a takeover noted
    summaries: list[dict[str, object]] = field(default_factory=list)  # each node's report part
    outputs: dict[str, str] = field(default_factory=dict)  # what each node printed

    def line(self) -> str:
        return (
            f"{self.victim} killed after {self.killed_after} requests + {self.kill_delay_ms} ms "
            f"(n1's unit {self.victim_unit}); refetched {self.refetched}, responses "
            f"{self.responses}, revisits {self.revisits}, duplicates {len(self.duplicates)}, "
            f"lost {len(self.lost)}, not indexed {len(self.not_indexed)}, "
            f"max per host {self.max_in_flight}; takeovers {self.takeovers} "
            f"({self.requeued} put back, {self.recovered} tails noted)"
        )


def _wait(process: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()  # by its PID
        process.wait()
        return -9


def kill_run(
    tmp: Path,
    seed: int,
    articles: int = 20,
    sites: int = 3,
    second_run: bool = False,
    victim: str = "n1",
) -> Outcome:
    """One run: crawl ``sites`` fixture sites with 3 nodes and an index writer, kill n1 once,
    restart it; then check the archive, the index and Redis. ``victim="redis"``: kill the
    redis-server instead (at the same kind of moment) and start it again on its directory
    and port; the nodes and the writer must carry on through it."""
    rng = random.Random(seed)
    out = Outcome(victim=victim)
    archive = tmp / "archive"
    faults = [
        FaultSite(articles=articles, per_page=5, faults=False, article_delay=0.03)
        for _ in range(sites)
    ]
    with ExitStack() as stack:
        server = RedisServer(tmp / "redis").start()
        stack.callback(server.stop)
        client = redis.Redis.from_url(server.url)
        stack.callback(client.close)
        servers = [
            stack.enter_context(SiteServer(site.routes(), host=f"127.0.0.{2 + n}"))
            for n, site in enumerate(faults)
        ]
        urls = [s.base_url + "/news/" for s in servers]
        # the slug of each listing is its unit's name (one site per host)
        by_unit = {slug_for_url(url): site for url, site in zip(urls, faults, strict=True)}
        writer = subprocess.Popen(
            archiver("index-writer", "--cluster", server.url, "--archive", str(archive)),
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(lambda: writer.poll() is None and writer.kill())
        nodes: dict[str, subprocess.Popen[bytes]] = {}

        def start(name: str, *extra: str) -> None:
            nodes[name] = subprocess.Popen(
                node_command(urls, archive, server.url, name, *extra),
                cwd=ROOT,
                env=ENV,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )

        for name in ("n1", "n2", "n3"):
            start(name)
        stack.callback(lambda: [p.kill() for p in nodes.values() if p.poll() is None])
        # the unit n1 holds, then a random number of its requests, then 0-200 ms
        deadline = time.monotonic() + 60
        while not out.victim_unit and time.monotonic() < deadline:
            for unit in by_unit:
                holder = client.get(f"holder:{unit}")
                if holder and holder.startswith(b"n1/") and client.get(f"lease:{unit}"):
                    out.victim_unit = unit
            time.sleep(0.01)
        if not out.victim_unit:
            out.problems.append("n1 never took a unit")
            return out
        victim_site = by_unit[out.victim_unit]
        total = articles * 2 + (articles + 4) // 5
        out.killed_after = rng.randint(2, int(total * 0.8))
        while sum(victim_site.hits.values()) < out.killed_after and time.monotonic() < deadline:
            if nodes["n1"].poll() is not None:
                break
            time.sleep(0.002)
        out.kill_delay_ms = rng.randint(0, 200)
        time.sleep(out.kill_delay_ms / 1000)
        if victim == "redis":
            server.kill()  # SIGKILL: what the append-only file holds survives
            time.sleep(0.3)
            server.start()
        else:
            nodes["n1"].send_signal(signal.SIGKILL)
            nodes["n1"].wait()
            start("n1")  # restarted under its name, as systemd would
        for name, process in nodes.items():
            out.exit_codes[name] = _wait(process, 120)
            out.outputs[name] = (process.stdout.read() if process.stdout else b"").decode()
            if out.exit_codes[name] != 0:
                err = out.outputs[name][-600:]
                out.problems.append(f"{name} exited {out.exit_codes[name]}: {err.strip()}")
        writer.send_signal(signal.SIGTERM)
        _wait(writer, 60)
        drained = subprocess.run(
            archiver("index-writer", "--cluster", server.url, "--archive", str(archive), "--once"),
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if drained.returncode:
            out.problems.append(f"index-writer --once: {drained.stderr.strip()}")
        _check(out, archive, servers, faults, articles, client)
        if second_run and not out.problems:
            out.second_run_responses = _second_run(archive, urls, server.url, out)
    return out


def _check(
    out: Outcome,
    archive: Path,
    servers: list[SiteServer],
    faults: list[FaultSite],
    articles: int,
    client: redis.Redis,
) -> None:
    check = subprocess.run(
        archiver("check", "--archive", str(archive)),
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check.returncode != 0:
        out.problems.append(f"archiver check: {check.stdout.strip()} {check.stderr.strip()}")
    responses, revisits = _records(archive)
    out.responses, out.revisits = sum(responses.values()), sum(revisits.values())
    expected: list[str] = []
    articles_expected: list[str] = []
    for server in servers:
        pages = (articles + 4) // 5
        expected.append(server.base_url + "/news/")
        expected += [f"{server.base_url}/news/?page={p}" for p in range(1, pages)]
        articles_expected += [f"{server.base_url}/news/{n}.html" for n in range(articles)]
        expected += [f"{server.base_url}/images/{n}.jpg" for n in range(articles)]
    expected += articles_expected
    out.duplicates = sorted(u for u, n in responses.items() if n > 1)
    out.lost = sorted(u for u in expected if responses.get(u, 0) == 0)
    out.refetched = sum(1 for site in faults for n in site.hits.values() if n > 1)
    out.max_in_flight = max(site.max_in_flight for site in faults)
    conn = sqlite3.connect(archive / "index.db")
    try:
        indexed = Counter(u for (u,) in conn.execute("SELECT url FROM articles"))
        versions = Counter(u for (u,) in conn.execute("SELECT url FROM article_versions"))
        for (raw,) in conn.execute("SELECT report FROM crawls"):
            summary = json.loads(raw).get("cluster") or {}
            out.summaries.append(summary)
            out.takeovers += summary.get("takeovers", 0)
            out.requeued += summary.get("requeued", 0)
            out.recovered += summary.get("recovered", 0)
    finally:
        conn.close()
    out.not_indexed = sorted(u for u in articles_expected if indexed.get(u) != 1)
    twice = sorted(u for u, n in versions.items() if n > 1)
    if out.duplicates:
        out.problems.append(f"stored twice: {out.duplicates[:5]}")
    if out.lost:
        out.problems.append(f"never archived: {out.lost[:5]}")
    if out.not_indexed:
        out.problems.append(f"not indexed once: {out.not_indexed[:5]}")
    if twice:
        out.problems.append(f"indexed as two versions: {twice[:5]}")
    if out.max_in_flight > PER_HOST:
        out.problems.append(f"{out.max_in_flight} requests at once on one host (> {PER_HOST})")
    left = frontier_keys(client) + sorted(k.decode() for k in client.scan_iter("lease:*"))
    if left:
        out.problems.append(f"frontier not empty: {left[:5]}")
    if client.xlen("items"):
        out.problems.append(f"{client.xlen('items')} stream entries not applied")


def _records(archive: Path) -> tuple[Counter[str], Counter[str]]:
    responses: Counter[str] = Counter()
    revisits: Counter[str] = Counter()
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for record in ArchiveIterator(stream):
                url = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type == "response" and not url.endswith("/robots.txt"):
                    responses[url] += 1
                elif record.rec_type == "revisit":
                    revisits[url] += 1
    return responses, revisits


def _second_run(archive: Path, urls: list[str], cluster: str, out: Outcome) -> int:
    """The unchanged sites crawled again by the three nodes: the new full responses."""
    before = sum(_records(archive)[0].values())
    nodes = [
        subprocess.Popen(
            node_command(urls, archive, cluster, name, "-s", "ARCHIVER_CLUSTER_MIN_INTERVAL=0"),
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for name in ("n1", "n2", "n3")
    ]
    for n, process in enumerate(nodes):
        if (code := _wait(process, 120)) != 0:
            err = (process.stdout.read() if process.stdout else b"").decode()[-600:]
            out.problems.append(f"second run n{n + 1} exited {code}: {err.strip()}")
    return sum(_records(archive)[0].values()) - before
