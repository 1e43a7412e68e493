"""What `reindex` gets back from a damaged archive: one loopback crawl, damaged per case.

    .venv/bin/python bench/damage.py                      # this checkout
    .venv/bin/python bench/damage.py --code /tmp/old      # another checkout's archiver, same cases

Crawls the three fixture sites (tests/fixture_sites.py) once, then for each case copies the
archive, damages its largest WARC file (tests/damage.py: one flipped byte in a record of each
kind, a cut, an overwritten range, garbage appended, a stray non-WARC file) and runs
`archiver reindex` and `archiver export` of the checkout given by ``--code``. Prints one line a
case: reindex's exit code, whether it printed a traceback, records read, articles exported of
those whose record is intact, and media rows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.demo.server import SiteServer  # noqa: E402
from tests import damage, fixture_sites  # noqa: E402
from tests.conftest import LOOPBACK  # noqa: E402

SITES = ("joomla", "wordpress", "legacy")


def cli(code: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "archiver", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=code, timeout=600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose archiver runs")
    code = parser.parse_args().code.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "intact"
        servers = [SiteServer(getattr(fixture_sites, f"{s}_routes")()).start() for s in SITES]
        try:
            urls = []
            for server, site in zip(servers, SITES, strict=True):
                urls += ["--url", server.base_url + fixture_sites.LISTINGS[site]]
            crawl = cli(ROOT, "crawl", *urls, *LOOPBACK, "--archive", str(source))
            assert crawl.returncode == 0, crawl.stderr
        finally:
            for server in servers:
                server.stop()
        recs = damage.records(source)
        path = max((source / "warc").glob("*.warc.gz"), key=lambda p: p.stat().st_size)
        mine = [r for r in recs if r.path == path]
        articles = [r for r in mine if r.type == "response" and r.role == "article"]
        images = [r for r in mine if r.type == "response" and r.role == "image"]

        def of(type_: str, role: str, n: int) -> damage.Rec:
            found = [r for r in mine if r.type == type_ and r.role == role]
            return found[min(n, len(found) - 1)]

        cases = {
            "flip article response": (of("response", "article", 2).middle,),
            "flip image response": (images[len(images) // 3].middle,),
            "flip request": (of("request", "article", 2).middle,),
            "flip metadata": (of("metadata", "article", 2).middle,),
            "flip warcinfo": (mine[0].middle,),
        }
        total = cli(code, "export", "--archive", str(source)).stdout.count("\n")
        print(f"{path.name}: {len(mine)} records, {len(articles)} article responses")
        print(f"intact archive: {len(recs)} records, {total} articles exported")
        print("case                       exit traceback records articles media")
        plans = [*cases.items(), ("cut mid-record", ()), ("overwrite 3000 B", ()),
                 ("garbage appended", ()), ("stray x.warc.gz", ())]  # fmt: skip
        for name, (*where,) in plans:
            archive = Path(tmp) / "case"
            shutil.rmtree(archive, ignore_errors=True)
            damage.copy_archive(source, archive)
            target = archive / "warc" / path.name
            if where:
                damage.flip(target, where[0])
            elif name.startswith("cut"):
                damage.truncate(target, articles[-2].middle)
            elif name.startswith("overwrite"):
                damage.overwrite(target, articles[4].offset + 5, b"\0" * 3000)
            elif name.startswith("garbage"):
                damage.append(target, os.urandom(5000))
            else:
                (archive / "warc" / "x.warc.gz").write_bytes(b"not a WARC\n" * 200)
            reindex = cli(code, "reindex", "--archive", str(archive))
            exported = cli(code, "export", "--archive", str(archive)).stdout
            count = sum(1 for line in exported.splitlines() if line.strip() and json.loads(line))
            out = reindex.stdout
            records = re.search(r"\((\d+) records\)", out)
            media = re.search(r"(\d+) media", out)
            print(
                f"{name:<26} {reindex.returncode:>4} {str('Traceback' in reindex.stderr):>9} "
                f"{records[1] if records else '-':>7} {count:>8} {media[1] if media else '-':>5}"
            )


if __name__ == "__main__":
    main()
