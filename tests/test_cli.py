"""The command line as users and cron call it: bad input gets one line and an exit code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.cli.main import cli
from tests.conftest import ROOT, Crawled, load_json_lines, run_cli

SEED = Path(__file__).parent / "data" / "pages"


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_search_without_an_archive_is_one_line_error(tmp_path: Path) -> None:
    result = run_cli("search", "คุณธรรม", archive=tmp_path / "none")
    assert result.returncode != 0
    assert "no index" in _one_line_error(result)


@pytest.mark.parametrize("query", ["", "   ", '"', "OR"])
def test_empty_search_query_exits_2(crawled: Crawled, query: str) -> None:
    result = run_cli("search", query, archive=crawled.archive)
    assert result.returncode == 2
    assert "empty query" in _one_line_error(result)


@pytest.mark.parametrize("query", ['คุณธรรม"', "NEAR(", "*", "a:b", "x" * 10_000])
def test_odd_search_queries_never_trace_back(crawled: Crawled, query: str) -> None:
    result = run_cli("search", query, "--json", archive=crawled.archive)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 2)
    if result.returncode == 0:
        assert isinstance(json.loads(result.stdout), list)


def test_search_terminal_output_shows_date_in_both_eras(crawled: Crawled) -> None:
    result = run_cli("search", "คุณธรรม", "--limit", "1", archive=crawled.archive)
    assert result.returncode == 0
    assert re.search(r"\d{4}-\d\d-\d\d \(\d+ \S+ 25\d\d\)", result.stdout)
    assert "**คุณธรรม**" in result.stdout


def test_crawl_unknown_site_exits_2(tmp_path: Path) -> None:
    result = run_cli("crawl", "no-such-agency", archive=tmp_path)
    assert result.returncode == 2
    assert "unknown site" in _one_line_error(result)


@pytest.mark.parametrize(
    "args",
    [
        ["--url", "ftp://example/x"],
        ["--url", "not a url"],
        ["--url", "http://127.0.0.1:9/", "-s", "NOEQUALS"],
    ],
)
def test_crawl_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run_cli("crawl", *args, archive=tmp_path)
    assert result.returncode == 2
    _one_line_error(result)


def test_crawl_of_unreachable_host_fails_with_a_report_not_a_traceback(tmp_path: Path) -> None:
    """Port 9 (discard) on loopback refuses connections: nothing can be fetched."""
    result = run_cli(
        "crawl",
        "--url",
        "http://127.0.0.1:9/news/",
        "-s",
        "RETRY_TIMES=0",
        archive=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "FAILED" in result.stdout
    assert (tmp_path / "index.db").exists()  # the run itself is recorded


def test_extract_many_files_in_one_call(tmp_path: Path) -> None:
    pages = sorted(SEED.glob("*.html"))[:3]
    result = run_cli("extract", *map(str, pages), "--json")
    rows = load_json_lines(result.stdout)
    assert [r["file"] for r in rows] == [
        str(p) for p in pages if any(r["file"] == str(p) for r in rows)
    ]
    assert rows and all(
        {"file", "title", "published", "author", "photographer", "text", "images", "attachments"}
        <= set(r)
        for r in rows
    )


def test_extract_of_missing_file_is_one_line_and_non_zero(tmp_path: Path) -> None:
    result = run_cli("extract", str(tmp_path / "missing.html"))
    assert result.returncode == 1
    assert "missing.html" in _one_line_error(result)


def test_extract_reads_stdin(tmp_path: Path) -> None:
    page = (
        "<html><head><title>ข่าว</title></head><body><article><h1>หัวข้อข่าวทดสอบ</h1>"
        + "<p>"
        + "ผู้ว่าราชการจังหวัดลงพื้นที่ตรวจเยี่ยมประชาชน " * 20
        + "</p>"
        "</article></body></html>"
    )
    result = run_cli("extract", "-", stdin=page.encode())
    assert result.returncode == 0, result.stderr
    assert "ผู้ว่าราชการจังหวัด" in result.stdout


def test_sites_lists_the_registry_as_json(tmp_path: Path) -> None:
    result = run_cli("sites", "--json", archive=tmp_path)
    rows = json.loads(result.stdout)
    assert "moralcenter" in {r["slug"] for r in rows}
    assert all(
        {"slug", "name_th", "name_en", "listings", "last_crawl", "articles"} <= set(r) for r in rows
    )


def test_scrapy_list_shows_every_registered_slug() -> None:
    from archiver.registry import AGENCIES

    scrapy = Path(sys.executable).with_name("scrapy")
    result = subprocess.run(
        [str(scrapy), "list"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {"news", *(s.slug for s in AGENCIES)}


def test_every_verb_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for verb in cli.commands:
        assert f"archiver {verb}" in readme, verb


@pytest.mark.parametrize(
    "args",
    [["search", "x", "--since", "bogus"], ["nope"], ["search"], ["crawl", "--max-articles", "0"]],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(*args, archive=tmp_path)
    assert result.returncode == 2
    assert "try --help" in _one_line_error(result)


def test_since_takes_a_buddhist_era_year(crawled: Crawled) -> None:
    be = run_cli(
        "search", "จังหวัด", "--since", "2565", "--json", "--limit", "100", archive=crawled.archive
    )
    ce = run_cli(
        "search",
        "จังหวัด",
        "--since",
        "2022-01-01",
        "--json",
        "--limit",
        "100",
        archive=crawled.archive,
    )
    assert be.returncode == 0 and json.loads(be.stdout) == json.loads(ce.stdout)
    assert all(hit["published"] >= "2022-01-01" for hit in json.loads(be.stdout))


def test_search_sort_by_date_and_site_in_the_query(crawled: Crawled) -> None:
    result = run_cli(
        "search", "จังหวัด", "--sort", "date", "--json", "--limit", "100", archive=crawled.archive
    )
    assert result.returncode == 0
    dates = [h["published"] for h in json.loads(result.stdout) if h["published"]]
    assert dates and dates == sorted(dates, reverse=True)
    sites = {h["site"] for h in json.loads(result.stdout)}
    for site in sites:
        only = run_cli(
            "search", f"จังหวัด site:{site}", "--json", "--limit", "100", archive=crawled.archive
        )
        assert only.returncode == 0
        assert {h["site"] for h in json.loads(only.stdout)} == {site}


def test_search_offset_pages_do_not_overlap(crawled: Crawled) -> None:
    first = run_cli("search", "จังหวัด", "--json", "--limit", "1", archive=crawled.archive)
    second = run_cli(
        "search", "จังหวัด", "--json", "--limit", "1", "--offset", "1", archive=crawled.archive
    )
    assert first.returncode == second.returncode == 0
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a and (not b or a[0]["url"] != b[0]["url"])


def test_search_takes_words_and_minus_words_unquoted(crawled: Crawled) -> None:
    """``archiver search จังหวัด -คุณธรรม`` as people type it: no quotes, no ``--``."""
    quoted = run_cli("search", "จังหวัด -คุณธรรม", "--json", "--limit", "100", archive=crawled.archive)
    loose = run_cli(
        "search", "จังหวัด", "-คุณธรรม", "--json", "--limit", "100", archive=crawled.archive
    )
    assert quoted.returncode == loose.returncode == 0, loose.stderr
    assert json.loads(loose.stdout) == json.loads(quoted.stdout)
    everything = run_cli("search", "จังหวัด", "--json", "--limit", "100", archive=crawled.archive)
    assert len(json.loads(everything.stdout)) > len(json.loads(loose.stdout))


def test_search_of_an_unknown_site_is_one_line_and_exit_2(crawled: Crawled) -> None:
    for args in (["จังหวัด", "--site", "no-such-site"], ["จังหวัด site:no-such-site"]):
        result = run_cli("search", *args, archive=crawled.archive)
        assert result.returncode == 2
        assert (
            result.stderr.strip().count("\n") == 0
            and "unknown site 'no-such-site'" in result.stderr
        )


def test_serve_without_an_index_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "0", archive=tmp_path / "nothing-here")
    assert result.returncode == 1
    assert result.stderr.strip() and result.stderr.strip().count("\n") == 0
