"""The ``archiver`` command line: one small function per verb (DESIGN.md is the contract).

The only module that prints. Expected failures arrive as ``ArchiverError`` and leave as one
line on stderr with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archiver import __version__
from archiver.archive import Archive
from archiver.cli.options import (
    DATE_HELP,
    OneLineErrors,
    archive_option,
    bound,
    date_options,
    friendly,
    with_options,
)
from archiver.errors import ArchiverError


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
def cli() -> None:
    """Archive Thai government agency news: crawl to WARC, extract clean text, search.

    Example: archiver demo
    """


@cli.command()
@archive_option
@click.option("--json", "as_json", is_flag=True, help="JSON array instead of a table.")
@friendly
def sites(archive: Path, as_json: bool) -> None:
    """List the registered agencies with their last crawl and article count.

    Example: archiver sites --json
    """
    from archiver.cli.output import site_rows

    rows = site_rows(archive)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['slug']:<14} {row['name_th']}  ({row['name_en']})")
        for url in row["listings"]:
            click.echo(f"{'':<14} {url}")
        click.echo(
            f"{'':<14} last crawl: {row['last_crawl'] or 'never'}, articles: {row['articles']}"
        )


@cli.command()
@archive_option
@click.argument("slugs", nargs=-1)
@click.option("--url", "urls", multiple=True, help="Any agency news listing URL (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Every registered agency.")
@click.option("--max-articles", type=click.IntRange(min=1), help="At most N articles a site.")
@click.option(
    "--since",
    callback=bound,
    help=f"Index only articles published since this date: {DATE_HELP}.",
)
@click.option("--full", is_flag=True, help="Fetch articles again even if already archived.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="A Scrapy setting.")
@click.option(
    "--cluster",
    metavar="URL",
    envvar="ARCHIVER_CLUSTER",
    help="Cluster mode: the Redis server the crawl nodes share (redis://HOST:PORT/DB; or the "
    "environment variable ARCHIVER_CLUSTER, which keeps a password out of the process list).",
)
@click.option("--node", metavar="NAME", help="This crawl node's name in cluster mode.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems (for cron).")
@click.option("-v", "--verbose", is_flag=True, help="Scrapy's log on stderr.")
@friendly
def crawl(
    archive: Path,
    slugs: tuple[str, ...],
    urls: tuple[str, ...],
    everything: bool,
    max_articles: int | None,
    since: str | None,
    full: bool,
    settings: tuple[str, ...],
    cluster: str | None,
    node: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Crawl agencies (by slug, --all, or any listing --url) into the archive.

    Every -s setting is checked before anything is fetched. --since takes a date or a year,
    Buddhist era too: 2564-11-09, 2021, 2564, or 64 (B.E. 2564, that is 2021).

    \b
    Exit codes: 0 the run did its work; 1 a site could not be crawled (nothing fetched,
    or its listing answered 4xx/5xx) or a write failed (the report says "disk full");
    2 bad arguments or settings (a bad --cluster URL, no --node, a node name in use);
    75 another run holds the archive; 69 the --cluster Redis does not answer;
    130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM (systemctl stop).

    With --cluster URL --node NAME, many nodes share the sites of the run (README,
    "Cluster mode"): every node runs the same command line with its own --node.

    Example: archiver crawl --url https://www.example.go.th/news/ --max-articles 50
    """
    from archiver.cli.output import format_report, progress_printer
    from archiver.crawl import configure, run

    targets = run.resolve_targets(list(slugs), list(urls), everything)
    overrides = configure.parse_settings(list(settings))
    show_progress = not quiet and sys.stderr.isatty()
    report = run.run(
        archive,
        targets,
        max_articles=max_articles,
        since=since,
        full=full,
        overrides=overrides,
        log_level="INFO" if verbose else "ERROR",
        progress=progress_printer() if show_progress else None,
        cluster=cluster,
        node=node,
    )
    if show_progress:
        click.echo("", err=True)  # end the progress line
    problems = report["errors"] or any(s["listing_errors"] for s in report["sites"].values())
    problems = problems or (report.get("cluster") or {}).get("dead_letters")
    if not quiet or report["status"] != "ok" or problems:
        click.echo(format_report(report, archive))
    if report["exit_code"]:
        sys.exit(report["exit_code"])


@cli.command(context_settings={"ignore_unknown_options": True})
@archive_option
@click.argument("words", nargs=-1, required=True)
@with_options(date_options)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option(
    "--sort",
    type=click.Choice(["rank", "date"]),
    default="rank",
    show_default=True,
    help="Best match first, or newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="JSON array of hits.")
@friendly
def search(
    archive: Path,
    words: tuple[str, ...],
    since: str | None,
    until: str | None,
    site: str | None,
    limit: int,
    offset: int,
    sort: str,
    as_json: bool,
) -> None:
    """Full-text search; Thai needs no spaces. All words must match; "phrase", a OR b, -word
    (or NOT word), AND and site:SLUG work; --since/--until take dates or years, Buddhist era too
    (2564).

    Example: archiver search คุณธรรม -โควิด site:moralcenter --since 2564
    """
    query = " ".join(words)
    from archiver.cli.output import format_hits
    from archiver.index.store import open_existing
    from archiver.search.results import search as search_articles

    color = sys.stdout.isatty() and not as_json
    mark = ("\x1b[1;33m", "\x1b[0m") if color else ("**", "**")
    with open_existing(archive) as index:
        total, hits = search_articles(
            index.conn,
            query,
            site=site,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            mark=mark,
            sort=sort,
        )
    if as_json:
        click.echo(json.dumps([h.__dict__ for h in hits], ensure_ascii=False, indent=2))
    else:
        click.echo(format_hits(total, hits, offset))


@cli.command()
@archive_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@friendly
def serve(archive: Path, port: int) -> None:
    """Open the archive's index in Datasette on 127.0.0.1, with the articles table's search box
    running the same search as `archiver search` (needs: pip install '.[web]').

    Example: archiver serve --port 8001   then open http://127.0.0.1:8001/index/articles
    """
    from archiver.index.store import open_existing

    try:
        import uvicorn
        from datasette.app import Datasette
    except ImportError:
        raise click.UsageError(
            "archiver serve needs Datasette: pip install 'thai-news-archiver[web]'"
        ) from None
    with open_existing(archive) as index:  # a missing or damaged index: one line, exit 1
        path = index.path
    app = Datasette([str(path)], settings={"default_page_size": 20})
    click.echo(f"serving {path} on http://127.0.0.1:{port}/index/articles (Ctrl-C stops)", err=True)
    uvicorn.run(app.app(), host="127.0.0.1", port=port, log_level="warning")


@cli.command()
@archive_option
@click.argument("url")
@click.option("--text", "what", flag_value="text", help="The extracted article text.")
@click.option("--html", "what", flag_value="html", help="The archived page, decoded.")
@click.option("--headers", "what", flag_value="headers", help="The archived HTTP headers.")
@click.option("--versions", "what", flag_value="versions", help="Every version, one a line.")
@friendly
def show(archive: Path, url: str, what: str | None) -> None:
    """Show the archived copy of a URL, read back from its WARC record.

    Example: archiver show https://www.example.go.th/news/1.html --text
    """
    from archiver.cli.output import show_record

    click.echo(show_record(archive, url, what))


@cli.command()
@archive_option
@with_options(date_options)
@click.option("--wacz", metavar="FILE", help="Write a WACZ package (WARCs, index, pages) to FILE.")
@friendly
def export(
    archive: Path, since: str | None, until: str | None, site: str | None, wacz: str | None
) -> None:
    """Articles as JSON Lines on stdout, or a WACZ package of the WARC files (--wacz).

    Examples: archiver export --site moralcenter > moralcenter.jsonl;
    archiver export --site moralcenter --wacz moralcenter.wacz
    """
    from archiver.cli.output import export_row
    from archiver.index.store import open_existing

    if wacz is not None:
        from archiver.cli.wacz import export_wacz, summary

        if since or until:
            raise click.UsageError("--wacz packages whole WARC files: no --since/--until")
        done = export_wacz(archive, wacz, site)
        for skipped in done.skipped:
            click.echo(f"damaged: {skipped}", err=True)
        click.echo(summary(wacz, done))
        sys.exit(1 if done.skipped else 0)

    with open_existing(archive) as index:
        for row in index.iter_articles(site, since, until):
            click.echo(json.dumps(export_row(row), ensure_ascii=False))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--url", help="The URL the pages came from (resolves relative links).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per file.")
@friendly
def extract(files: tuple[str, ...], url: str | None, as_json: bool) -> None:
    """Extract clean text and metadata from saved HTML pages (- reads stdin).

    Example: archiver extract saved/*.html --json
    """
    from archiver.cli.output import extract_files

    failures = 0
    for line, ok in extract_files(files, url, as_json):
        if line:
            click.echo(line, err=not ok)
        failures += not ok
    if failures:
        sys.exit(1)


@cli.command()
@archive_option
@friendly
def reindex(archive: Path) -> None:
    """Rebuild index.db from the WARC files alone (after an extraction or segmenter change).

    Damaged ranges of the WARCs are skipped, each reported on one line; exit 1 if any.

    Example: archiver reindex --archive /srv/archive
    """
    from archiver.jobs.reindex import reindex as replay

    if not Archive(archive).warc.is_dir():
        raise ArchiverError(f"no WARC files under {archive}/warc")
    report = replay(archive)
    for skipped in report.damaged:
        click.echo(f"damaged: {skipped}", err=True)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(report.articles.items())) or "0"
    damaged = ""
    if report.damaged:
        lost = sum(s.length for s in report.damaged)
        damaged = f"; {len(report.damaged)} damaged ranges skipped ({lost} bytes)"
    click.echo(
        f"reindexed {report.files} WARC files ({report.records} records): "
        f"articles {counts}; {report.media} media; {report.skipped} pages not articles; "
        f"{report.runs} run reports kept{damaged}"
    )
    if report.damaged:
        sys.exit(1)


@cli.command()
@archive_option
@friendly
def check(archive: Path) -> None:
    """Verify every WARC file (gzip members, records, digests) and every index row.

    Example: archiver check || echo "archive damaged"
    """
    from archiver.jobs.check import check as verify

    files, problems = verify(archive)
    for problem in problems:
        click.echo(problem, err=True)
    click.echo(f"checked {files} WARC files: {len(problems) or 'no'} problems")
    if problems:
        sys.exit(1)


@cli.command("index-writer")
@archive_option
@click.option(
    "--cluster",
    "url",
    required=True,
    metavar="URL",
    envvar="ARCHIVER_CLUSTER",
    help="The cluster's Redis: redis://HOST:PORT/DB (or the environment variable "
    "ARCHIVER_CLUSTER, which keeps a password out of the process list).",
)
@click.option("--once", is_flag=True, help="Apply what is in the stream, then exit (cron, tests).")
@click.option(
    "--consumer",
    default="writer",
    show_default=True,
    help="Name in the Redis consumer group (keep it across restarts).",
)
@click.option("--batch", type=click.IntRange(1, 10000), default=200, show_default=True)
@friendly
def index_writer(archive: Path, url: str, once: bool, consumer: str, batch: int) -> None:
    """Apply the cluster's item stream to this archive's index.db, each entry exactly once.

    Runs until SIGTERM or SIGINT (it finishes the batch in hand, then exits 0); --once exits
    when nothing is left. A Redis lost mid-run is waited for, with a line on stderr.

    \b
    Exit codes: 0 stopped or drained; 2 a malformed --cluster URL; 69 Redis does not answer
    at start (nothing written); 75 another index writer holds this archive.

    Example: archiver index-writer --cluster redis://10.0.0.5:6379/0 --archive /srv/archive
    """
    import signal

    from archiver.archive import ArchiveLock
    from archiver.cluster.writer import IndexWriter

    def say(line: str) -> None:
        click.echo(f"archiver index-writer: {line}", err=True)

    writer = IndexWriter(url, Archive(archive).index, consumer=consumer, batch=batch, say=say)
    writer.connect()  # a bad URL (exit 2) or a silent Redis (exit 69): nothing written yet
    stopped_by: list[int] = []

    def stop(signum: int, frame: object) -> None:
        stopped_by.append(signum)
        writer.stop.set()

    try:
        with ArchiveLock(archive, "index-writer", Archive(archive).writer_lock_file):
            writer.open_index()
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            stats = writer.run(drain=once)
    finally:
        writer.close()
    counts = ", ".join(f"{n} {status}" for status, n in sorted(stats.statuses.items()))
    how = f"stopped by {signal.Signals(stopped_by[0]).name}" if stopped_by else "drained"
    click.echo(
        f"{how}: applied {stats.applied} entries in {stats.batches} batches"
        f" (articles: {counts or 'none'}); {stats.skipped} applied before, skipped;"
        f" {stats.dead} unreadable; last id {stats.last_id or 'none'}"
    )


@cli.command()
@archive_option
@friendly
def demo(archive: Path) -> None:
    """Serve the bundled sample agency site on 127.0.0.1, crawl it, search it.

    Example: archiver demo --archive /tmp/demo-archive
    """
    from archiver.cli.demo import run_demo

    for line in run_demo(archive):
        click.echo(line)


def main() -> None:  # pragma: no cover - python -m archiver
    cli(prog_name="archiver")
