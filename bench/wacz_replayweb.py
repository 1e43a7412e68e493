"""Open a WACZ in ReplayWeb.page, in headless Chromium, as a person would: its pages list, a
full-text search, and the replay of one page (issue 16: "opens with its pages list").

    apt-get install chromium
    mkdir -p /tmp/rwp && cd /tmp/rwp && npm pack replaywebpage@2.5.3 \
        && tar xzf replaywebpage-*.tgz && npm install --no-audit --no-fund puppeteer-core
    .venv/bin/archiver export --wacz /tmp/fixture.wacz      # (a crawled archive)
    .venv/bin/python bench/wacz_replayweb.py /tmp/fixture.wacz --tools /tmp/rwp --query สายสีแดง

It serves ReplayWeb.page's ``index.html``, ``ui.js`` and ``sw.js`` and the WACZ from a
loopback HTTP server that answers range requests (ReplayWeb.page then reads the package's
index and records by ranges, as from any web server), and prints one JSON line: the pages
ReplayWeb.page lists, the hits of ``--query`` in its full-text search, the title of the
replayed first page, and how many range requests the WACZ got; screenshots go beside the WACZ.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SCRIPT = r"""
import puppeteer from "puppeteer-core";
const [base, wacz, query, url, ts, shots] = process.argv.slice(2);
const browser = await puppeteer.launch({executablePath: "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu"]});
const page = await browser.newPage();
await page.setViewport({width: 1400, height: 1000});
const app = `${base}/index.html?source=${encodeURIComponent(base + "/" + wacz)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const entries = () => page.evaluate(() => {
  const found = [];
  const walk = (root) => { for (const el of root.querySelectorAll("*")) {
    if (el.tagName === "WR-PAGE-ENTRY") found.push(el.shadowRoot?.textContent || "");
    if (el.shadowRoot) walk(el.shadowRoot); } };
  walk(document); return found; });
const listed = async (hash) => {
  await page.goto(`${app}#${hash}`, {waitUntil: "networkidle0", timeout: 60000});
  let found = [];
  for (let i = 0; i < 30 && !found.length; i++) { await sleep(1000); found = await entries(); }
  return found.length;
};
const result = {pages: await listed("view=pages")};
await page.screenshot({path: `${shots}-pages.png`});
result.hits = await listed(`view=pages&query=${encodeURIComponent(query)}`);
await page.goto(`${app}#view=replay&url=${encodeURIComponent(url)}&ts=${ts}`,
  {waitUntil: "networkidle0", timeout: 60000});
result.title = "";
for (let i = 0; i < 30 && !result.title; i++) {
  await sleep(1000);
  for (const frame of page.frames()) {
    if (frame.url().includes("/w/")) {
      try { result.title = await frame.evaluate(() => document.title); } catch (e) {}
    }
  }
}
await page.screenshot({path: `${shots}-replay.png`});
console.log(JSON.stringify(result));
await browser.close();
"""


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files, with single ``Range: bytes=a-b`` requests answered 206."""

    ranges = 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def send_head(self) -> Any:
        path = self.translate_path(self.path)
        found = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range") or "")
        if not found or not os.path.isfile(path):
            self._left = None
            return super().send_head()
        size = os.path.getsize(path)
        first, last = found.groups()
        start = int(first) if first else size - int(last)
        end = min(int(last) if first and last else size - 1, size - 1)
        stream = open(path, "rb")  # noqa: SIM115 - closed by the handler
        stream.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        type(self).ranges += 1
        self._left: int | None = end - start + 1
        return stream

    def copyfile(self, source: Any, outputfile: Any) -> None:
        if self._left is None:
            super().copyfile(source, outputfile)
            return
        while self._left > 0 and (chunk := source.read(min(1 << 16, self._left))):
            outputfile.write(chunk)
            self._left -= len(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wacz", type=Path)
    parser.add_argument("--tools", type=Path, required=True, help="npm pack + puppeteer-core")
    parser.add_argument("--query", default="ข่าว", help="a word of an article's text")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wacz) as package:
        first = json.loads(package.read("pages/pages.jsonl").decode().splitlines()[1])
    ts = "".join(c for c in first["ts"] if c.isdigit())
    with tempfile.TemporaryDirectory() as site:
        for name in ("index.html", "ui.js", "sw.js"):
            shutil.copy(args.tools / "package" / name, site)
        os.symlink(args.wacz.resolve(), Path(site) / "package.wacz")
        script = args.tools / "open_wacz.mjs"  # beside node_modules/puppeteer-core
        script.write_text(SCRIPT)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RangeHandler, directory=site))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}"
            shots = str(args.wacz.with_suffix(""))
            command = ["node", str(script), base, "package.wacz", args.query, first["url"], ts]
            done = subprocess.run(
                [*command, shots], capture_output=True, text=True, timeout=300, cwd=args.tools
            )
        finally:
            server.shutdown()
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(expected_title=first["title"], range_requests=RangeHandler.ranges)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
