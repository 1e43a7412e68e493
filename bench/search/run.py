"""Query latency and recall of ``archiver search`` on an index built by ``build.py``.

    .venv/bin/python bench/search/run.py /tmp/search-100k/index.db --rounds 5

Latency: every query of a kind, ``--rounds`` times, through ``archiver.search.search`` (what
``archiver search`` runs: ranking, total count, snippets), p50 / p95 / p99 per kind, and the
CPU time of this process per query (p50 / p95: what a query costs when others share the
machine). ``--fresh``: each query on a connection of its own, opened (untimed) just before it,
as ``archiver search`` runs it: SQLite's page cache starts empty, only the OS's is warm.
Recall: every query of ``RECALL_QUERIES`` against a brute-force scan. A query of 3+ characters
must find every article whose title or text contains it (lower-cased, Thai digits as ASCII); a
1-2 character word every article in which the segmenter cuts it out as a word (checked on a
sample of articles, ``--sample``). Precision: every article found contains the query as a
substring or as a sequence of words. Prints a Markdown table and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archiver.index import fulltext  # noqa: E402
from archiver.search import results  # noqa: E402
from archiver.search.query import parse  # noqa: E402
from archiver.thai.chars import normalize_digits  # noqa: E402
from archiver.thai.words import segment  # noqa: E402

LATENCY_QUERIES: dict[str, list[tuple[str, dict]]] = {
    "1-word": [
        (w, {})
        for w in (
            "รัฐบาล",
            "นายกรัฐมนตรี",
            "โควิด",
            "ประชาชน",
            "วัคซีน",
            "น้ำท่วม",
            "ท่องเที่ยว",
            "เศรษฐกิจ",
            "เกษตรกร",
            "คน",
            "ตาก",
            "COVID",
            "2564",
            "๒๕๖๔",
            "ทุเรียน",
            "ยาเสพติด",
        )
    ],
    "2-word": [
        (w, {})
        for w in (
            "นายกรัฐมนตรี ประชุม",
            "วัคซีน โควิด",
            "กระทรวง สาธารณสุข",
            "เศรษฐกิจ ไทย",
            "ส่งออก ทุเรียน",
            "ผู้ว่าราชการ น้ำท่วม",
            "คน ไทย",
            "ท่องเที่ยว ภูเก็ต",
        )
    ],
    "phrase": [
        (w, {})
        for w in (
            '"ประชุมคณะรัฐมนตรี"',
            '"สถานการณ์การแพร่ระบาด"',
            '"กระทรวงการต่างประเทศ"',
            '"ร้อยเอก ธรรมนัส"',
            '"วัคซีนป้องกันโรคโควิด"',
            '"เศรษฐกิจ ฐานราก"',
        )
    ],
    "substring": [
        (w, {})
        for w in (
            "อยุธยา",
            "ธยา",
            "ราชการ",
            "รัฐมนต",
            "ศักดิ์ชาย",
            "ภาคอีสา",
            "ประชาสัม",
            "ฉีดวัค",
        )
    ],
    "filtered": [
        ("โควิด", {"site": "labour"}),
        ("วัคซีน", {"since": "2024-01-01"}),
        ("นายกรัฐมนตรี", {"site": "doae", "since": "2022-01-01", "until": "2022-12-31"}),
        ("ทุเรียน", {"site": "mfa"}),
        ("อยุธยา", {"until": "2019-06-30"}),
        ("คน", {"site": "moralcenter", "since": "2025-01-01"}),
    ],
    "sort-date": [(w, {"sort": "date"}) for w in ("โควิด", "อยุธยา", "ทุเรียน", "คน ไทย")],
}

#: Single terms of 3+ characters (substring recall over every article) ...
RECALL_LONG = (
    "รัฐบาล นายกรัฐมนตรี โควิด ประชาชน วัคซีน น้ำท่วม ท่องเที่ยว เศรษฐกิจ เกษตรกร ทุเรียน "
    "ยาเสพติด อยุธยา ธยา ราชการ รัฐมนต ศักดิ์ชาย ภาคอีสา ประชาสัม ฉีดวัค covid 2564 ๒๕๖๔ "
    "สาธารณสุข ภูเก็ต ธรรมนัส คุณธรรม จังหวัด กระทรวง ข้าว ยาง ปาล์ม ชุมชน แรงงาน โรงเรียน "
    "นักเรียน ผู้สูงอายุ พลังงาน ไฟฟ้า ดิจิทัล ชายแดน ทหาร ตำรวจ ศาล ภาษี สินค้า ส่งออก "
    "ลงทุน ญี่ปุ่น จีน อาเซียน"
).split()
#: ... and 1-2 character words (word recall on a sample).
RECALL_SHORT = "คน ตาก ปี น้ำ ไฟ ยา ข่าว ผล ทุก งาน".split()


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def connect(db: Path) -> sqlite3.Connection:
    """A connection as ``archiver search`` has one (``Index``: the search schema's indexes
    and its page cache, ``fulltext.create``)."""
    conn = sqlite3.connect(db)
    fulltext.create(conn)
    return conn


def latency(
    conn: sqlite3.Connection, rounds: int, fresh: Path | None = None
) -> dict[str, dict[str, float]]:
    out = {}
    for kind, queries in LATENCY_QUERIES.items():
        times, cpu = [], []
        for _ in range(rounds):
            for text, options in queries:
                if fresh is not None:
                    conn.close()
                    conn = connect(fresh)
                t, c = time.perf_counter(), time.process_time()
                results.search(conn, text, limit=20, **options)
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
        out[kind] = {
            "n": len(times),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "p99": percentile(times, 99),
            "max": max(times),
            "cpu_p50": percentile(cpu, 50),
            "cpu_p95": percentile(cpu, 95),
        }
    return out


def _norm(s: str) -> str:
    return normalize_digits(s.lower())


def recall(conn: sqlite3.Connection, sample_every: int) -> dict[str, object]:
    long_q = [_norm(w) for w in RECALL_LONG]
    truth: dict[str, set[int]] = {w: set() for w in long_q}
    short_truth: dict[str, set[int]] = {w: set() for w in RECALL_SHORT}
    sampled: dict[int, str] = {}
    texts: dict[int, str] = {}
    for rowid, title, text in conn.execute("SELECT id, title, text FROM articles"):
        body = _norm(f"{title or ''}\n{text}")
        for w in long_q:
            if w in body:
                truth[w].add(rowid)
        if rowid % sample_every == 0:
            sampled[rowid] = body
            words = set(segment(f"{title or ''}\n{text}"))
            for w in RECALL_SHORT:
                if w in words:
                    short_truth[w].add(rowid)
    rows: list[dict[str, object]] = []
    for raw, w in zip(RECALL_LONG, long_q, strict=True):
        found = results.all_ids(conn, raw)
        extra = found - truth[w]
        wrong = _not_containing(conn, extra, raw, texts)
        rows.append(_row(raw, truth[w], found, wrong))
    for w in RECALL_SHORT:
        found = results.all_ids(conn, w)
        in_sample = found & set(sampled)
        # a hit holds the word as a word, or (3 code points, e.g. น้ำ) as a substring
        wrong = {i for i in in_sample if i not in short_truth[w] and _norm(w) not in sampled[i]}
        rows.append(_row(w, short_truth[w], in_sample, wrong))
    return {"queries": len(rows), "rows": rows}


def _not_containing(conn: sqlite3.Connection, ids: set[int], raw: str, texts: dict) -> set[int]:
    """Of hits that do not hold ``raw`` as a substring, those not holding it as words either."""
    wanted = " ".join(w for t in parse(raw).positive() for w in segment(t.text))
    wrong = set()
    for i in ids:
        title, text = conn.execute("SELECT title, text FROM articles WHERE id = ?", (i,)).fetchone()
        words = " ".join(segment((title or "") + "\n" + text))
        if f" {wanted} " not in f" {words} ":
            wrong.add(i)
    return wrong


def _row(query: str, truth: set[int], found: set[int], wrong: set[int]) -> dict[str, object]:
    return {
        "query": query,
        "truth": len(truth),
        "found": len(found & truth),
        "recall": 1.0 if not truth else round(len(found & truth) / len(truth), 4),
        "extra_hits": len(found - truth),
        "not_containing": len(wrong),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sample", type=int, default=20, help="segment every Nth article")
    ap.add_argument("--no-recall", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="a new connection for each query")
    args = ap.parse_args()
    conn = connect(args.db)
    articles = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    results.search(conn, "รัฐบาล")  # warm the page cache a little, load the dictionary
    lat = latency(conn, args.rounds, args.db if args.fresh else None)
    conn = connect(args.db)
    fresh = ", a fresh connection each query" if args.fresh else ""
    print(f"\n{articles} articles, {args.rounds} rounds{fresh}\n")
    print(
        "| query kind | n | p50 ms | p95 ms | p99 ms | max ms | CPU p50 ms | CPU p95 ms |\n"
        "|---|---|---|---|---|---|---|---|"
    )
    for kind, s in lat.items():
        print(
            f"| {kind} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} "
            f"| {s['max']:.1f} | {s['cpu_p50']:.1f} | {s['cpu_p95']:.1f} |"
        )
    result: dict[str, object] = {"articles": articles, "fresh": args.fresh, "latency_ms": lat}
    if not args.no_recall:
        rec = recall(conn, args.sample)
        rows = rec["rows"]
        assert isinstance(rows, list)
        worst = min(float(r["recall"]) for r in rows)
        wrong = sum(int(r["not_containing"]) for r in rows)
        print(f"\nrecall over {len(rows)} queries: min {worst}, hits not containing: {wrong}")
        for r in rows:
            if r["recall"] != 1.0 or r["not_containing"]:
                print(f"  {r}")
        result["recall"] = rec
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
