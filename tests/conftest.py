"""Shared fixtures: the three fixture agency sites on 127.0.0.1 and one crawl of all three.

The crawl runs the real CLI in a subprocess (Scrapy's reactor cannot restart inside one
process), once per test session, and the end-to-end tests read what it left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.demo.server import SiteServer
from tests import fixture_sites

ROOT = Path(__file__).resolve().parent.parent
SITES = ("joomla", "wordpress", "legacy")
#: Politeness relaxed for our own loopback servers, through settings as a user would.
LOOPBACK = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
]


def run_cli(
    *args: str,
    archive: Path | None = None,
    timeout: float = 180,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m archiver ARGS`` in a subprocess, as a user or cron would run it (``env``:
    variables added to its environment)."""
    command = [sys.executable, "-m", "archiver", *args]
    if archive is not None:
        command += ["--archive", str(archive)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        command,
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
        input=stdin.decode() if stdin is not None else None,
        text=True,
    )


@dataclass
class Crawled:
    archive: Path
    result: subprocess.CompletedProcess[str]
    servers: dict[str, SiteServer]
    routes: dict[str, dict]

    def url(self, site: str, key: str) -> str:
        from archiver.urls import canonical_url

        return canonical_url(self.servers[site].base_url + key)

    def index_rows(self, sql: str, *params: object) -> list[tuple]:
        import sqlite3

        conn = sqlite3.connect(self.archive / "index.db")
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@pytest.fixture(scope="session")
def fixture_servers() -> Iterator[tuple[dict[str, SiteServer], dict[str, dict]]]:
    routes = {
        "joomla": fixture_sites.joomla_routes(),
        "wordpress": fixture_sites.wordpress_routes(),
        "legacy": fixture_sites.legacy_routes(),
    }
    servers = {name: SiteServer(routes[name]).start() for name in SITES}
    yield servers, routes
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def crawled(tmp_path_factory: pytest.TempPathFactory, fixture_servers) -> Crawled:
    servers, routes = fixture_servers
    archive = tmp_path_factory.mktemp("archive")
    urls = []
    for name in SITES:
        urls += ["--url", servers[name].base_url + fixture_sites.LISTINGS[name]]
    result = run_cli("crawl", *urls, *LOOPBACK, archive=archive)
    return Crawled(archive, result, servers, routes)


def load_json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def comparable_export(export_text: str) -> list[dict]:
    """Export rows without what differs between two crawls of the same pages: when they were
    fetched and where their record is (which node's file, which offset), by URL."""
    rows = load_json_lines(export_text)
    for row in rows:
        row.pop("fetched_at")
        row["warc"] = bool(row["warc"]["filename"]) and row["warc"]["length"] > 0
    return sorted(rows, key=lambda row: str(row["url"]))
