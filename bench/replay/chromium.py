"""Replayed pages in a real browser (issue 16): do the images and the layout come back?

Crawls the three fixture agency sites (``tests/fixture_sites.py``: Joomla, WordPress with
``srcset``, a windows-874 legacy site) and the demo site, served on 127.0.0.1, into a fresh
archive, then again with ``--full`` (two of the sites answer conditional GETs: that crawl is
made of revisits of both kinds). It indexes the WARC files into a pywb collection
(``wb-manager``), starts ``wayback`` on 127.0.0.1, and has headless Chromium open every
archived article and listing page through pywb's normal replay URL (``/COLL/TIMESTAMP/URL``:
the framed, rewritten replay a reader gets, not ``id_``) at the capture's own timestamp. For
each page it lists, over the DevTools protocol, every request the page made and, in the
replayed document, every ``<img>`` that did not load (``complete`` and ``naturalWidth == 0``,
or never complete). Prints one JSON line: per crawl and per kind of page, pages, images,
images failed, requisites (stylesheets, scripts, fonts, icons, stylesheet images) and
requisites failed, and the failures themselves; exit 1 when anything failed.

    apt-get install -y chromium         # Debian's package (or set CHROMIUM=/path/to/chrome)
    python3 -m venv .venv-replay && .venv-replay/bin/pip install -r tests/replay-tools.txt
    .venv/bin/python bench/replay/chromium.py [--keep DIR]

Loopback only: the browser resolves no other host (a request that pywb did not rewrite to
itself fails, and is reported as ``not rewritten``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from archiver.demo.server import SiteServer  # noqa: E402
from archiver.demo.site import DEMO_LISTING, demo_routes  # noqa: E402
from bench.loopback import ENV, RELAXED, archiver  # noqa: E402
from bench.replay.devtools import Browser, Loaded, chromium  # noqa: E402
from tests import fixture_sites, warc_tools  # noqa: E402

COLLECTION = "bench"
#: Run in the replayed page: the ``<img>`` elements of each frame that holds an archived
#: document (pywb's ``mp_`` frame), with whether each loaded.
PROBE = r"""
JSON.stringify((() => {
  const found = [];
  const walk = (w) => {
    let doc;
    try { doc = w.document; } catch (e) { return; }
    if (/\/\d+mp_\//.test(w.location.pathname)) {
      for (const img of doc.images) {
        found.push({src: img.currentSrc || img.src, complete: img.complete,
                    width: img.naturalWidth});
      }
    }
    for (let i = 0; i < w.frames.length; i++) walk(w.frames[i]);
  };
  walk(window);
  return found;
})())
"""
ROLES = ("article", "listing")


def crawl(archive: Path) -> tuple[list[Path], list[Path], list[str]]:
    """The sites crawled twice into ``archive``: (first crawl's WARCs, recrawl's, problems)."""
    routes: dict[str, Any] = fixture_sites.all_routes()
    for name in ("joomla", "legacy"):
        routes[name] = fixture_sites.with_validators(routes[name])
    routes["demo"] = demo_routes()
    listings = {**fixture_sites.LISTINGS, "demo": DEMO_LISTING}
    servers = {name: SiteServer(pages).start() for name, pages in routes.items()}
    problems = []
    try:
        urls = []
        for name, server in servers.items():
            urls += ["--url", server.base_url + listings[name]]
        command = ["crawl", *urls, "--archive", str(archive), *RELAXED]
        command += ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        files: list[list[Path]] = []
        seen: set[Path] = set()
        for extra in ([], ["--full"]):
            done = subprocess.run(
                archiver(*command, *extra), env=ENV, capture_output=True, text=True, timeout=600
            )
            if done.returncode != 0:
                problems.append(f"crawl {extra} exit {done.returncode}: {done.stdout[-500:]}")
            now = set((archive / "warc").glob("*.warc.gz"))
            files.append(sorted(now - seen))
            seen = now
            time.sleep(1.1)  # the recrawl's captures get other timestamps (pywb's: seconds)
    finally:
        for server in servers.values():
            server.stop()
    return files[0], files[1], problems


def pages(files: list[Path]) -> list[warc_tools.Capture]:
    """The article and listing pages of ``files`` that a reader may open: 200s and revisits."""
    found = [c for path in files for c in warc_tools.captures(path)]
    return [c for c in found if c.role in ROLES and (c.status == 200 or c.rec_type == "revisit")]


def verdict(loaded: Loaded, base: str) -> dict[str, Any]:
    """What failed on one replayed page: the archived document (pywb's ``mp_`` frame), its
    ``<img>`` elements (the DOM says which loaded), and its requisites (every other request
    for an archived URL: stylesheets, scripts, fonts, icons, images that are no ``<img>``)."""
    archived = f"{base}/{COLLECTION}/"
    framed = re.compile(re.escape(archived) + r"\d+/")  # the frame pywb wraps a page in
    images = loaded.probe and json.loads(loaded.probe) or []
    broken = [i["src"] for i in images if not i["complete"] or i["width"] == 0]
    sources = {i["src"] for i in images}
    documents, requisites, failed = [], 0, []
    for request in loaded.requests:
        bad = request.error or (request.status >= 400 and f"HTTP {request.status}")
        if not request.url.startswith(base):
            if not request.url.startswith(("data:", "blob:", "about:")):
                failed.append(f"not rewritten: {request.url} ({bad or 'asked'})")
        elif not request.url.startswith(archived):
            if bad:  # pywb's own scripts and styles
                failed.append(f"pywb {request.url}: {bad}")
        elif framed.match(request.url):
            continue  # the frame, and the browser's own /favicon.ico (the frame's icon)
        elif request.kind == "Document":
            documents.append(request)
        elif request.kind == "Image" and request.url in sources:
            continue  # an <img>: the DOM says whether it loaded
        else:  # stylesheets, scripts, fonts, icons, stylesheet images
            requisites += 1
            if bad:
                failed.append(f"{request.kind} {request.url}: {bad}")
    page_failed = not documents or any(d.status != 200 for d in documents)
    return {
        "page_failed": page_failed or loaded.timed_out,
        "images": len(images),
        "images_failed": broken,
        "requisites": requisites,
        "requisites_failed": failed,
    }


def replay(browser: Browser, wayback: warc_tools.Wayback, found: list[warc_tools.Capture]):
    """Each page of ``found`` opened in ``browser`` through ``wayback``: totals by role, and
    the failures (one line each)."""
    base = f"http://127.0.0.1:{wayback.port}"
    totals = {role: Counter() for role in ROLES}
    failures: list[str] = []
    for capture in found:
        url = f"{base}/{COLLECTION}/{capture.timestamp}/{capture.url}"
        loaded = browser.open(url, PROBE, watch=f"{base}/{COLLECTION}/")
        seen = verdict(loaded, base)
        total = totals[capture.role]
        total["pages"] += 1
        total["pages_failed"] += seen["page_failed"]
        total["images"] += seen["images"]
        total["images_failed"] += len(seen["images_failed"])
        total["requisites"] += seen["requisites"]
        total["requisites_failed"] += len(seen["requisites_failed"])
        total["seconds"] += loaded.seconds
        where = f"{capture.role} {capture.url} @{capture.timestamp}"
        if seen["page_failed"]:
            failures.append(f"{where}: the page did not replay (timed out: {loaded.timed_out})")
        failures += [f"{where}: image {url}" for url in dict.fromkeys(seen["images_failed"])]
        failures += [f"{where}: {what}" for what in seen["requisites_failed"]]
    out = {}
    for role, total in totals.items():
        seconds = total.pop("seconds", 0)
        out[role] = {**total, "seconds_per_page": round(seconds / max(1, total["pages"]), 2)}
    return out, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="crawl into DIR and keep it (must not exist)")
    args = parser.parse_args()
    if args.keep and args.keep.exists():
        sys.exit(f"--keep {args.keep}: already exists")
    chromium()  # a missing browser is one line, before anything is crawled
    tools = Path(os.environ.get("ARCHIVER_TOOLS_BIN") or warc_tools.ROOT / ".venv-replay" / "bin")
    missing = [name for name in ("wb-manager", "wayback") if not (tools / name).is_file()]
    if missing:
        sys.exit(f"{tools}: no {' or '.join(missing)}: install them with {warc_tools.INSTALL}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        first, recrawl, problems = crawl(root / "archive")
        result: dict[str, Any] = {}
        failures = list(problems)
        with (
            warc_tools.wayback(root / "pywb", COLLECTION, first + recrawl) as wayback,
            Browser(root / "profile") as browser,
        ):
            for name, files in (("first", first), ("recrawl", recrawl)):
                result[name], failed = replay(browser, wayback, pages(files))
                failures += [f"{name}: {line}" for line in failed]
            version = browser.send("Browser.getVersion").get("product", "")
    ok = not failures and all(
        t["pages"] and not (t["pages_failed"] or t["images_failed"] or t["requisites_failed"])
        for crawl_totals in result.values()
        for t in crawl_totals.values()
    )
    line = {"browser": version, **result, "failures": failures[:50], "ok": ok}
    print(json.dumps(line, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
