"""What a crawl of the fixture sites leaves behind, normalised so that two runs can be diffed.

Serves the three fixture sites (tests/fixture_sites.py) on fixed loopback ports, crawls them
with the CLI into a fresh archive, and prints two sections:

- ``export``: every exported article, one JSON line, sorted by URL, without what says when it
  was fetched or where in a WARC file it landed (that depends on the order of fetches);
- ``records``: every WARC record as ``type  target-URI  content-type  payload-digest`` (for
  records whose payload is the server's bytes; others print ``-``), sorted, with the number of
  times it occurs.

Used to show that a change of code layout changes nothing a user keeps (issue 14)::

    python bench/snapshot.py > before.txt   # on the old commit
    python bench/snapshot.py > after.txt    # on the new one
    diff before.txt after.txt
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archiver.demo.server import SiteServer  # noqa: E402
from bench.loopback import ENV, RELAXED, archiver  # noqa: E402
from tests import fixture_sites  # noqa: E402

PORTS = {"joomla": 18431, "wordpress": 18432, "legacy": 18433}
#: Export fields that say when, not what: they differ on every run.
WHEN = {"crawled", "crawled_at", "fetched", "fetched_at", "archived_at", "warc_date"}
#: The time and sequence part of a WARC file name.
STAMP = re.compile(r"-\d{14}-\d{5}")
#: Records whose payload is what the server sent (the same bytes on every run).
SERVER_BYTES = {"response", "resource", "revisit"}


def main() -> int:
    routes = {
        "joomla": fixture_sites.joomla_routes(),
        "wordpress": fixture_sites.wordpress_routes(),
        "legacy": fixture_sites.legacy_routes(),
    }
    servers = {name: SiteServer(routes[name], port=PORTS[name]).start() for name in routes}
    try:
        if any(server.base_url.rsplit(":", 1)[1] != str(PORTS[n]) for n, server in servers.items()):
            print("snapshot: a fixed port is busy; the URLs would not compare", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "archive"
            urls: list[str] = []
            for name, server in servers.items():
                urls += ["--url", server.base_url + fixture_sites.LISTINGS[name]]
            crawl = ["crawl", *urls, *RELAXED, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
            subprocess.run(archiver(*crawl, "--archive", str(archive), "-q"), env=ENV, check=False)
            exported = subprocess.run(
                archiver("export", "--archive", str(archive)),
                env=ENV,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            print("# export")
            rows = [json.loads(line) for line in exported.splitlines() if line.strip()]
            for row in sorted(rows, key=lambda r: r.get("url", "")):
                kept = {k: v for k, v in row.items() if k not in WHEN}
                if isinstance(kept.get("warc"), dict):  # where it lies depends on fetch order
                    kept["warc"] = STAMP.sub("", kept["warc"].get("filename", ""))
                print(json.dumps(kept, ensure_ascii=False, sort_keys=True))
            print("# records")
            for line, count in sorted(Counter(records(archive)).items()):
                print(f"{count}x {line}")
    finally:
        for server in servers.values():
            server.stop()
    return 0


def records(archive: Path) -> list[str]:
    lines = []
    for path in sorted(archive.rglob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                headers = record.rec_headers
                kind = record.rec_type
                digest = headers.get_header("WARC-Payload-Digest") if kind in SERVER_BYTES else "-"
                lines.append(
                    "  ".join(
                        [
                            kind,
                            headers.get_header("WARC-Target-URI") or "-",
                            headers.get_header("Content-Type") or "-",
                            digest or "-",
                        ]
                    )
                )
    return lines


if __name__ == "__main__":
    sys.exit(main())
