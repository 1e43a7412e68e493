"""The Datasette search box in a real headless browser (Debian's ``chromium``).

Crawls the bundled demo site into a fresh archive (``archiver demo``), starts ``archiver serve``
on 127.0.0.1, and has headless Chromium open the ``articles`` table, submit a search through the
table's search box URL (``?_search=``, which the plugin redirects), and dump the DOM it renders.
It checks that the page lists the same hits, in the same order, as ``archiver search --json``,
that snippets are marked, and that the first hit's archived copy opens. Prints one JSON line.

    apt-get install -y chromium            # Debian's package (or set CHROMIUM=/path/to/chrome)
    .venv/bin/pip install -e '.[web]'
    .venv/bin/python bench/web/chromium.py

Exit 0 when every check holds, 1 otherwise (what failed is in the JSON line).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.loopback import ENV, archiver  # noqa: E402

QUERY = "การ"  # in every article of the demo site: the order of 5 hits is checked


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium() -> str:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    sys.exit("no chromium found: apt-get install -y chromium (or set CHROMIUM=...)")


def dump_dom(browser: str, url: str) -> tuple[str, float]:
    started = time.perf_counter()
    result = subprocess.run(
        [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout, time.perf_counter() - started


def main() -> int:
    browser = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive"
        subprocess.run(archiver("demo", "--archive", str(archive)), env=ENV, check=True,
                       capture_output=True, cwd=tmp)  # fmt: skip
        cli = subprocess.run(
            archiver("search", QUERY, "--json", "--archive", str(archive)),
            env=ENV, check=True, capture_output=True, text=True,
        )  # fmt: skip
        expected = [hit["url"] for hit in json.loads(cli.stdout)]
        port = free_port()
        server = subprocess.Popen(
            archiver("serve", "--archive", str(archive), "--port", str(port)),
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(100):  # bounded: up to 10 s for the server to listen
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            base = f"http://127.0.0.1:{port}"
            table, _ = dump_dom(browser, f"{base}/index/articles")
            dom, seconds = dump_dom(browser, f"{base}/index/articles?_search={quote(QUERY)}")
            shown = [unescape(u) for u in re.findall(r'data-url="([^"]+)"', dom)]
            link = re.search(r'class="archiver-title" href="([^"]+)"', dom)
            archived, _ = dump_dom(browser, base + unescape(link.group(1))) if link else ("", 0)
        finally:
            server.terminate()
            server.wait(timeout=10)
    checks = {
        "search_box_on_the_table": 'name="_search"' in table,
        "same_hits_same_order": bool(expected) and shown == expected,
        "snippets_marked": "<mark>" in dom,
        "archived_copy_opens": bool(archived) and QUERY in archived,
    }
    found = {"query": QUERY, "cli_hits": len(expected), "browser_hits": len(shown)}
    print(json.dumps({**found, "search_page_s": round(seconds, 2), **checks}, ensure_ascii=False))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
