"""Crawl throughput benchmark (issue 6): wget, a bare Scrapy spider and ``archiver crawl`` side by
side on the same nginx-served agency site.

    .venv/bin/python bench/crawl/run.py --articles 5000 --repeat 3

Generates the site (``gensite.py``, reused when already there), starts nginx on 127.0.0.1
(``nginx.py``), then for each repeat runs (a) wget with a WARC, (b) the bare Scrapy spider,
(c) ``archiver crawl`` into a fresh archive and (c') ``archiver crawl`` again into the same archive
(the recrawl of the unchanged site). Each run is a child process timed from outside: wall seconds,
CPU seconds and peak RSS from ``os.wait4`` (the child and every descendant it reaped), requests
from nginx's access log. Prints a Markdown table of medians (min-max) and the ratios, or JSON with
``--json``; the raw runs are always written to ``<out>/results-<time>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from gensite import describe, generate  # noqa: E402
from nginx import Nginx  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
SCRAPY = str(ROOT / ".venv" / "bin" / "scrapy")
RELAXED = ["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]
BARE_SETTINGS = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS=16",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "CONCURRENT_ITEMS=8",
    "REMOTE_CONTROL_ENABLED=False",
    "TELNETCONSOLE_ENABLED=False",
    "ROBOTSTXT_OBEY=False",
    "LOG_LEVEL=ERROR",
]
TOOLS = {
    "wget": "(a) wget --recursive --page-requisites --warc-file",
    "scrapy": "(b) bare Scrapy spider (fetch only)",
    "archiver": "(c) archiver crawl (WARC + extraction + index)",
    "recrawl": "(c') archiver crawl again, site unchanged",
}


def machine_cpu() -> float:
    """CPU seconds every process on the machine has used since boot (``/proc/stat``)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_quiet(limit: float, timeout: float) -> float:
    """Wait until the machine's other load is under ``limit`` cores (sampled over 2 s); give up
    after ``timeout`` seconds. Returns the last sample."""
    deadline = time.monotonic() + timeout
    while True:
        before = machine_cpu()
        time.sleep(2)
        busy = (machine_cpu() - before) / 2
        if busy < limit or time.monotonic() > deadline:
            if busy >= limit:
                print(f"machine still busy ({busy:.2f} cores), running anyway", file=sys.stderr)
            return busy
        print(f"waiting for a quiet machine ({busy:.2f} cores busy)", file=sys.stderr)
        time.sleep(13)


def wget_command(url: str, work: Path) -> list[str]:
    return [
        "wget",
        "--recursive",
        "--level=inf",
        "--page-requisites",
        "--no-parent",
        f"--warc-file={work / 'wget'}",
        "--no-verbose",
        "-e",
        "robots=off",
        "--reject-regex",
        "tmpl=component",  # Joomla's print view: not generated, not fetched by (b) and (c)
        "--directory-prefix",
        str(work / "files"),
        url,
    ]


def scrapy_command(url: str) -> list[str]:
    command = [SCRAPY, "runspider", str(HERE / "bare_spider.py"), "-a", f"url={url}"]
    for setting in BARE_SETTINGS:
        command += ["-s", setting]
    return command


def archiver_command(url: str, archive: Path) -> list[str]:
    command = [PYTHON, "-m", "archiver", "crawl", "--url", url, "--archive", str(archive), "-q"]
    for setting in RELAXED:
        command += ["-s", setting]
    return command


def measure(command: list[str], cwd: Path, log: Path) -> dict:
    """Run ``command`` to the end; wall, CPU and peak RSS of it and its reaped descendants."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            _pid, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "returncode": child.returncode,
    }


def warc_responses(paths: list[Path]) -> dict[str, int]:
    """``path?query`` -> HTTP status of every response record in ``paths``."""
    from warcio.archiveiterator import ArchiveIterator

    found: dict[str, int] = {}
    for path in paths:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type != "response":
                    continue
                parts = urlsplit(record.rec_headers.get_header("WARC-Target-URI"))
                key = unquote(parts.path) + (f"?{parts.query}" if parts.query else "")
                found[key] = int(record.http_headers.get_statuscode())
    return found


def check_warc(paths: list[Path], manifest: dict) -> dict:
    found = warc_responses(paths)
    result = {"responses": len(found)}
    for kind in ("articles", "images", "listings", "requisites"):
        result[f"{kind}_in_warc"] = sum(found.get(key) == 200 for key in manifest.get(kind, []))
    return result


def check_index(archive: Path) -> dict:
    with sqlite3.connect(archive / "index.db") as db:
        articles = db.execute("select count(*) from articles where length(text) > 0").fetchone()[0]
        media = db.execute("select count(*) from media").fetchone()[0]
    return {"indexed": articles, "media_indexed": media}


def sizes(paths: list[Path]) -> float:
    return sum(p.stat().st_size for p in paths) / 1e6


def run_once(tool: str, url: str, work: Path, archive: Path, server: Nginx, manifest: dict) -> dict:
    position = server.log_position()
    machine, nginx_cpu = machine_cpu(), server.cpu_seconds()
    if tool == "wget":
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        result = measure(wget_command(url, work), work, work / "wget.log")
        warcs = sorted(work.glob("*.warc.gz"))
    elif tool == "scrapy":
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)  # no scrapy.cfg here: the project's settings stay out
        result = measure(scrapy_command(url), work, work / "scrapy.log")
        warcs = []
    else:
        if tool == "archiver":
            shutil.rmtree(archive, ignore_errors=True)
        log = archive.parent / f"{tool}.log"
        result = measure(archiver_command(url, archive), ROOT, log)
        warcs = sorted((archive / "warc").glob("*.warc.gz"))
    result["nginx_cpu"] = server.cpu_seconds() - nginx_cpu
    # CPU of everything else on the machine while this ran: the noise in the figures
    result["others_cpu"] = machine_cpu() - machine - result["cpu"] - result["nginx_cpu"]
    result["requests"] = server.requests_since(position)
    result["warc_mb"] = sizes(warcs)
    if tool in ("archiver", "recrawl"):
        result["index_mb"] = sizes(sorted(archive.glob("index.db*")))
        result.update(check_index(archive))
    if tool in ("wget", "archiver"):
        result.update(check_warc(warcs, manifest))
    if result["returncode"] != 0:
        own = tool in ("wget", "scrapy")
        log_file = work / f"{tool}.log" if own else archive.parent / f"{tool}.log"
        result["log_tail"] = log_file.read_text(errors="replace")[-2000:]
    result["articles_per_s"] = len(manifest["articles"]) / result["wall"]
    return result


def spread(values: list[float], digits: int = 1) -> str:
    if not values:
        return "-"
    median = statistics.median(values)
    if len(values) == 1:
        return f"{median:,.{digits}f}"
    return f"{median:,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def table(results: dict[str, list[dict]], manifest: dict) -> str:
    articles = len(manifest["articles"])
    lines = [
        "| run | wall s | articles/s | CPU s | peak RSS MB | requests | WARC MB | index MB "
        "| nginx CPU s | others' CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tool, runs in results.items():
        if not runs:
            continue
        lines.append(
            "| "
            + " | ".join(
                [
                    TOOLS[tool],
                    spread([r["wall"] for r in runs]),
                    spread([articles / r["wall"] for r in runs]),
                    spread([r["cpu"] for r in runs]),
                    spread([r["rss_mb"] for r in runs], 0),
                    spread([r["requests"]["requests"] for r in runs], 0),
                    spread([r["warc_mb"] for r in runs]) if tool != "scrapy" else "-",
                    spread([r["index_mb"] for r in runs]) if "index_mb" in runs[0] else "-",
                    spread([r["nginx_cpu"] for r in runs]),
                    spread([r["others_cpu"] for r in runs]),
                ]
            )
            + " |"
        )
    ratios = []
    c = results.get("archiver")
    for peer, label in (("wget", "(c)/(a)"), ("scrapy", "(c)/(b)")):
        if c and results.get(peer):
            wall = median(c, "wall") / median(results[peer], "wall")
            cpu = median(c, "cpu") / median(results[peer], "cpu")
            ratios.append(f"| {label} | {wall:.2f}x wall | {cpu:.2f}x CPU |")
    if c and results.get("recrawl"):
        wall = median(results["recrawl"], "wall") / median(c, "wall")
        cpu = median(results["recrawl"], "cpu") / median(c, "cpu")
        ratios.append(f"| (c')/(c) | {wall:.3f}x wall | {cpu:.3f}x CPU |")
        if results.get("wget"):
            wall = median(results["recrawl"], "wall") / median(results["wget"], "wall")
            ratios.append(f"| (c')/(a) | {wall:.3f}x wall | |")
    if ratios:
        lines += ["", "| ratio | median wall | median CPU |", "|---|---|---|", *ratios]
    checks = []
    for tool in ("wget", "archiver", "recrawl"):
        for run in results.get(tool, []):
            parts = [f"exit {run['returncode']}"]
            if "indexed" in run:
                parts.append(f"indexed {run['indexed']}/{articles}, media {run['media_indexed']}")
            if "articles_in_warc" in run:
                parts.append(
                    f"WARC: articles {run['articles_in_warc']}/{articles}, images "
                    f"{run['images_in_warc']}/{len(manifest['images'])}, listings "
                    f"{run['listings_in_warc']}/{len(manifest['listings'])}, requisites "
                    f"{run['requisites_in_warc']}/{len(manifest.get('requisites', []))}"
                )
            status = {k: v for k, v in run["requests"].items() if k not in ("requests", "bytes")}
            parts.append(f"HTTP {status}")
            checks.append(f"- {tool}: " + "; ".join(parts))
    return "\n".join(lines + ["", *checks])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-crawl-site"))
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tools", default="wget,scrapy,archiver,recrawl", help="comma-separated subset, in order"
    )
    parser.add_argument("--json", action="store_true", help="print the runs as JSON")
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=0.3,
        help="before each run, wait until other processes use fewer cores than this",
    )
    parser.add_argument("--quiet-timeout", type=float, default=1200, help="seconds, then run")
    args = parser.parse_args()
    tools = args.tools.split(",")
    for tool in tools:
        if tool not in TOOLS:
            parser.error(f"unknown tool {tool}")
    if "recrawl" in tools and "archiver" not in tools:
        parser.error("recrawl needs archiver")
    manifest = generate(args.out, args.articles, args.seed)
    print(describe(manifest), file=sys.stderr)
    results: dict[str, list[dict]] = {tool: [] for tool in tools}
    started = dt.datetime.now(dt.UTC)
    with (
        tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp,
        Nginx(args.out, args.out / "site") as server,
    ):
        url = server.base_url + manifest["listing"]
        archive = Path(tmp) / "archive"
        try:
            for n in range(args.repeat):
                for tool in tools:
                    wait_quiet(args.quiet_below, args.quiet_timeout)
                    result = run_once(tool, url, Path(tmp) / tool, archive, server, manifest)
                    results[tool].append(result)
                    print(
                        f"[{n + 1}/{args.repeat}] {tool:8} {result['wall']:7.1f} s wall "
                        f"{result['cpu']:7.1f} s CPU {result['rss_mb']:6.0f} MB "
                        f"{result['requests']['requests']} requests exit {result['returncode']}, "
                        f"others {result['others_cpu']:.1f} s CPU",
                        file=sys.stderr,
                    )
                    if result["returncode"] != 0:
                        print(result.get("log_tail", ""), file=sys.stderr)
        except KeyboardInterrupt:  # keep what was measured
            print("interrupted: the table holds the runs done so far", file=sys.stderr)
    record = {
        "started": started.isoformat(timespec="seconds"),
        "site": {k: v for k, v in manifest.items() if k not in ("articles", "images", "listings")},
        "command": sys.argv,
        "results": results,
    }
    stamp = started.strftime("%Y%m%dT%H%M%S")
    (args.out / f"results-{stamp}.json").write_text(json.dumps(record, indent=1))
    if args.json:
        print(json.dumps(record, indent=1))
    else:
        print(f"{describe(manifest)}\n\n{table(results, manifest)}")


if __name__ == "__main__":
    main()
