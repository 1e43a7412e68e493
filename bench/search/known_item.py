"""Known-item search (issue 15): does the article a reader means come first?

    .venv/bin/python bench/search/known_item.py /tmp/search-100k/index.db --queries 200

A reader remembers two words of a headline. Queries are made from the headlines that occur in
exactly one article of the archive (``build.py --holdout N`` makes N such articles, one per
held-out corpus item; the other generated articles repeat corpus titles, and any article with
the same headline would be as right an answer as another). Two words of such a headline make
a query when: both are tokens of ``archiver.thai.segment`` of 3+ characters, letters and
marks only (no numbers), and not PyThaiNLP Thai stop words (a reader remembers ``ธุรกิจ``,
not ``และ``; ``--keep-stopwords`` keeps them); each is in at least ``--min-df`` articles (as
a word, per the word index); both are in the texts of at least ``--min-texts`` other
articles; and no other article's title holds both (as substrings). One pair per headline,
drawn with a fixed seed. The target is the article with that headline.

Two rankers, side by side, on the same queries in one run:

- ``archiver``: ``archiver.search.search`` (what ``archiver search`` runs), top 10;
- ``trigram``: a two-column FTS5 table (title, text) with the ``trigram`` tokenizer, each
  word a phrase, ``ORDER BY bm25(t, 5, 1)``, top 10: what anyone can make in ten minutes. It
  lives in ``trigram.db`` beside the index (built from ``articles`` on the first run:
  ``--build-only`` builds it and stops).

Reported: hit@1, hit@3, hit@10 and MRR (1/rank within the top 10, else 0), per ranker, with
the latency of each ranker's queries. Prints a Markdown table and one JSON line;
``--misses`` lists the queries whose target is not first.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pythainlp.corpus import thai_stopwords  # noqa: E402

from archiver.index.store import Index  # noqa: E402
from archiver.search.results import search  # noqa: E402
from archiver.thai.words import segment  # noqa: E402

TOP = 10
_DIGITS = re.compile(r"[0-9๐-๙]")


@dataclass
class Case:
    query: str
    target: int  # articles.id
    title: str
    ranks: dict[str, int | None] = field(default_factory=dict)
    ms: dict[str, float] = field(default_factory=dict)


def _is_word(token: str) -> bool:
    return len(token) >= 3 and all(unicodedata.category(c)[0] in "LM" for c in token)


def _literal(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _count(conn: sqlite3.Connection, expr: str, cap: int) -> int:
    sql = "SELECT count(*) FROM (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? LIMIT ?)"
    return conn.execute(sql, (expr, cap)).fetchone()[0]


def make_cases(
    conn: sqlite3.Connection,
    queries: int,
    min_df: int,
    min_texts: int,
    seed: int,
    stopwords: frozenset[str] = frozenset(),
) -> tuple[list[Case], dict[str, int]]:
    """The known-item queries of an index, and counts of what was looked at."""
    rows = conn.execute("SELECT id, coalesce(title, '') FROM articles").fetchall()
    by_title: dict[str, list[int]] = defaultdict(list)
    for rowid, title in rows:
        by_title[title].append(rowid)
    # Titles lower-cased, without their digits: the query words (lower case, as segment()
    # gives them) hold none, so whether a title holds them depends on this form only
    # (build.py varies the numbers of repeated titles).
    masked: Counter[str] = Counter()
    for title, ids in by_title.items():
        masked[_DIGITS.sub("0", title.lower())] += len(ids)
    # A headline another article repeats, even with other numbers, has no query of its own.
    once = sorted(
        (ids[0], t)
        for t, ids in by_title.items()
        if len(ids) == 1 and t and masked[_DIGITS.sub("0", t.lower())] == 1
    )
    rng = random.Random(seed)
    rng.shuffle(once)
    df: dict[str, int] = {}

    def common(word: str) -> bool:
        if word not in df:
            df[word] = _count(conn, _literal(word), min_df)
        return df[word] >= min_df

    def titles_holding(a: str, b: str) -> int:
        return sum(n for t, n in masked.items() if a in t and b in t)

    cases: list[Case] = []
    seen = {"unique_titles": len(once), "tried": 0}
    for rowid, title in once:
        if len(cases) >= queries:
            break
        seen["tried"] += 1
        words = [
            w
            for w in dict.fromkeys(segment(title))
            if _is_word(w) and w not in stopwords and common(w)
        ]
        pairs = [(a, b) for i, a in enumerate(words) for b in words[i + 1 :]]
        rng.shuffle(pairs)
        for a, b in pairs:
            if a in b or b in a or titles_holding(a, b) != 1:
                continue
            texts = conn.execute(
                "SELECT count(*) FROM (SELECT rowid FROM articles_fts WHERE articles_fts "
                "MATCH ? AND rowid != ? LIMIT ?)",
                (f"{{text}} : ({_literal(a)} AND {_literal(b)})", rowid, min_texts),
            ).fetchone()[0]
            if texts >= min_texts:
                cases.append(Case(f"{a} {b}", rowid, title))
                break
    return cases, seen


# -- the trigram table -------------------------------------------------------------------------
def trigram_db(index_db: Path) -> Path:
    return index_db.with_name("trigram.db")


def build_trigram(index_db: Path) -> dict[str, float]:
    """``trigram.db``: FTS5 (title, text), trigram tokenizer, contentless (bm25 needs no
    content), rowid = ``articles.id``."""
    path = trigram_db(index_db)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(title, text, tokenize='trigram', content='')")
    conn.execute("ATTACH ? AS src", (f"{index_db.resolve().as_uri()}?mode=ro",))
    with conn:
        conn.execute(
            "INSERT INTO t (rowid, title, text) SELECT id, coalesce(title, ''), text "
            "FROM src.articles ORDER BY id"
        )
    conn.execute("DETACH src")
    with conn:
        conn.execute("INSERT INTO t (t) VALUES ('optimize')")
    conn.close()
    return {
        "trigram_build_s": round(time.perf_counter() - t0, 1),
        "trigram_db_mb": round(path.stat().st_size / 1e6, 1),
    }


def trigram_top(conn: sqlite3.Connection, query: str) -> list[int]:
    expr = " AND ".join(_literal(w) for w in query.split())
    sql = "SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t, 5.0, 1.0) LIMIT ?"
    return [r[0] for r in conn.execute(sql, (expr, TOP))]


def archiver_top(conn: sqlite3.Connection, query: str) -> list[int]:
    _, hits = search(conn, query, limit=TOP)
    urls = [h.url for h in hits]
    marks = ",".join("?" * len(urls))
    ids = dict(conn.execute(f"SELECT url, id FROM articles WHERE url IN ({marks})", urls))
    return [ids[u] for u in urls]


# -- measuring ---------------------------------------------------------------------------------
def rank_of(target: int, top: list[int]) -> int | None:
    return top.index(target) + 1 if target in top else None


def summary(cases: list[Case], ranker: str) -> dict[str, float]:
    ranks = [c.ranks[ranker] for c in cases]
    n = len(ranks) or 1
    times = sorted(c.ms[ranker] for c in cases)
    return {
        "hit@1": round(sum(r == 1 for r in ranks) / n, 3),
        "hit@3": round(sum(r is not None and r <= 3 for r in ranks) / n, 3),
        "hit@10": round(sum(r is not None for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
        "p50_ms": round(statistics.median(times), 1) if times else 0.0,
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1) if times else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db", type=Path, help="index.db (of build.py --holdout N)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--min-df", type=int, default=30, help="articles holding each word")
    ap.add_argument("--min-texts", type=int, default=5, help="other texts holding both")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--keep-stopwords", action="store_true", help="query words may be stop words")
    ap.add_argument("--rankers", default="archiver,trigram")
    ap.add_argument("--build-only", action="store_true", help="build trigram.db and stop")
    ap.add_argument("--misses", action="store_true", help="list queries not ranked first")
    args = ap.parse_args()
    rankers = args.rankers.split(",")
    built: dict[str, float] = {}
    if "trigram" in rankers and not trigram_db(args.db).exists() or args.build_only:
        built = build_trigram(args.db)
        print(json.dumps(built), file=sys.stderr, flush=True)
        if args.build_only:
            return
    Index(args.db).close()  # brings the search tables to this version's schema
    conn = sqlite3.connect(f"{args.db.resolve().as_uri()}?mode=ro", uri=True)
    t0 = time.perf_counter()
    stopwords = frozenset() if args.keep_stopwords else frozenset(thai_stopwords())
    cases, seen = make_cases(conn, args.queries, args.min_df, args.min_texts, args.seed, stopwords)
    made_s = time.perf_counter() - t0
    tops = {"archiver": lambda s: archiver_top(conn, s)}
    if "trigram" in rankers:  # --rankers archiver needs no trigram.db
        tri = sqlite3.connect(f"{trigram_db(args.db).resolve().as_uri()}?mode=ro", uri=True)
        tops["trigram"] = lambda s: trigram_top(tri, s)
    for case in cases:
        for ranker in rankers:
            t = time.perf_counter()
            top = tops[ranker](case.query)
            case.ms[ranker] = (time.perf_counter() - t) * 1000
            case.ranks[ranker] = rank_of(case.target, top)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    results = {r: summary(cases, r) for r in rankers}
    print(
        f"{articles:,} articles, {len(cases)} queries (from {seen['tried']} of "
        f"{seen['unique_titles']:,} headlines that occur once; made in {made_s:.1f} s)\n"
    )
    print("| ranker | hit@1 | hit@3 | hit@10 | MRR | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for ranker, s in results.items():
        print(
            f"| {ranker} | {s['hit@1']:.3f} | {s['hit@3']:.3f} | {s['hit@10']:.3f} | "
            f"{s['mrr']:.3f} | {s['p50_ms']} | {s['p95_ms']} |"
        )
    if args.misses:
        for case in cases:
            if any(case.ranks[r] != 1 for r in rankers):
                ranks = " ".join(f"{r}={case.ranks[r]}" for r in rankers)
                print(f"# {ranks} | {case.query} | {case.title}")
    print(json.dumps({"articles": articles, "queries": len(cases), **built, **results}))


if __name__ == "__main__":
    main()
