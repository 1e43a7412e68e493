"""Page workers (archiver.jobs.workers): the same result as in the crawl's own process, survival
of a dead worker, and processes that do not outlive their crawl."""

from __future__ import annotations

import concurrent.futures as cf
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from archiver.jobs.workers import NOT_AN_ARTICLE, PageWorkers, process_article
from tests.conftest import ROOT
from tests.gold import load

CASES = load()


def _jobs() -> list[tuple]:
    return [
        (
            c["body"],
            "text/html",
            c.get("url", f"http://127.0.0.1/{c['name']}.html"),
            "s",
            "t",
            None,
            10**7,
        )
        for c in CASES[:12]
    ]


def test_workers_give_exactly_what_the_crawl_process_gives() -> None:
    here = [process_article(*job) for job in _jobs()]
    with PageWorkers(2) as workers:
        there = [
            f.result(timeout=60) for f in [workers.submit(process_article, *j) for j in _jobs()]
        ]
    assert [p.skipped for p in there] == [p.skipped for p in here]
    assert [p.item for p in there] == [p.item for p in here]
    items = [p.item for p in there if p.item is not None]
    assert items and all(i.prepared is not None and i.prepared.text_words for i in items)
    assert [i.prepared for i in items] == [p.item.prepared for p in here if p.item is not None]


def test_a_page_that_is_no_article_says_why() -> None:
    done = process_article(
        b"<html><body></body></html>", "text/html", "http://x/", "s", "", None, 10**7
    )
    assert done.item is None and done.skipped in (NOT_AN_ARTICLE, "empty page")
    done = process_article(b"\x89PNG", "image/png", "http://x/a.png", "s", "", None, 10**7)
    assert done.item is None and done.skipped == "not HTML (image/png)"


def test_a_dead_worker_fails_its_page_and_the_next_page_gets_a_new_pool() -> None:
    with PageWorkers(1) as workers:
        with pytest.raises(cf.process.BrokenProcessPool):
            workers.submit(os._exit, 3).result(timeout=60)
        done = workers.submit(process_article, *_jobs()[0]).result(timeout=60)
    assert done.item is not None or done.skipped


def test_no_workers_means_the_calling_process() -> None:
    workers = PageWorkers(0)
    assert workers.submit(os.getpid).result() == os.getpid()
    with pytest.raises(ZeroDivisionError):
        workers.submit(divmod, 1, 0).result()


def test_workers_exit_when_their_parent_is_killed() -> None:
    script = (
        "import os, sys, time\n"
        "from archiver.jobs.workers import PageWorkers\n"
        "if __name__ == '__main__':\n"
        "    w = PageWorkers(2)\n"
        "    pids = {w.submit(os.getpid).result() for _ in range(20)}\n"
        "    print(' '.join(map(str, pids)), flush=True)\n"
        "    time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert pids and os.getpid() not in pids
    parent.kill()
    parent.wait(timeout=10)
    alive = pids
    for _ in range(100):
        alive = [p for p in pids if os.path.exists(f"/proc/{p}") and not _zombie(p)]
        if not alive:
            break
        time.sleep(0.1)
    assert alive == []


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def test_pages_left_unsegmented_are_segmented_by_the_index_writer(tmp_path) -> None:
    """With one page worker the index writer segments (``workers_segment``): the word table
    must end up holding exactly the tokens the workers would have given it."""
    from archiver.index.store import Index
    from archiver.jobs.workers import workers_segment
    from archiver.warc.records import RecordLocation

    assert not workers_segment(1) and not workers_segment(0) and workers_segment(2)
    tokens = {}
    for segment in (True, False):
        items = []
        for n, job in enumerate(_jobs()):
            done = process_article(*job[:5], RecordLocation("a.warc.gz", n, 1), job[6], segment)
            if done.item is not None:
                assert (done.item.prepared is not None) is segment
                items.append(done.item)
        path = tmp_path / f"{segment}.db"
        with Index(path) as index:
            index.upsert_articles(items)
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(articles_fts, 'instance')")
            tokens[segment] = sorted(conn.execute("SELECT term, doc, col, offset FROM v"))
    assert len(tokens[True]) > 1000
    assert tokens[False] == tokens[True]
