"""Build a benchmark archive index of N articles from the thaigov corpus, through the crawl's
indexing code (``Index.upsert_stream``, i.e. ``upsert_articles`` batches with segmentation in
worker processes).

    .venv/bin/python bench/search/build.py --count 100000 --out /tmp/search-100k

Each article recombines the paragraphs of a corpus item with paragraphs of other items and
perturbs its numbers (Thai and Arabic digits alike) and adds a generated person name, so no two
articles are the same. Prints one JSON line with the build figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archiver.extract.items import ArticleItem  # noqa: E402
from archiver.index.store import Index  # noqa: E402

CORPUS = "thaigov-news-2021-2022.jsonl.gz"
SITES = ("thaigov", "moralcenter", "labour", "dmh", "pr-bkk", "opm", "mfa", "doae")
SITE_WEIGHTS = (40, 5, 15, 10, 10, 10, 5, 5)
#: Syllables of generated names (names the dictionary does not know).
SYLLABLES = "กิต ติ ศักดิ์ สม ชาย ปิ ยะ วัฒ น์ อร ทัย พร รัตน์ ธนา กร สุ ดา วรร ณา ภู มิ ณัฐ".split()
DIGITS_TH = "๐๑๒๓๔๕๖๗๘๙"
_NUMBER = re.compile(r"[0-9]+|[๐-๙]+")


def load(corpus_dir: Path) -> list[dict]:
    with gzip.open(corpus_dir / CORPUS, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _perturb_numbers(text: str, rng: random.Random) -> str:
    def swap(m: re.Match[str]) -> str:
        thai = m.group(0)[0] in DIGITS_TH
        out = "".join(str(rng.randrange(10)) for _ in m.group(0))
        return out.translate(str.maketrans("0123456789", DIGITS_TH)) if thai else out

    return _NUMBER.sub(swap, text)


def name(rng: random.Random) -> str:
    first = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    last = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
    return f"นาย{first} {last}"


def held_out(docs: list[dict], count: int, holdout: int, seed: int = 4) -> dict[int, dict]:
    """``holdout`` corpus items (of those whose title is unique in the corpus) that each give the
    title of exactly one generated article, at random positions: {position: item}. The
    known-item benchmark's targets (``known_item.py``); the other articles take the titles of
    the other items."""
    if not holdout:
        return {}
    titles = Counter(d["title"] for d in docs)
    rng = random.Random(seed + 1)
    eligible = [d for d in docs if titles[d["title"]] == 1]
    return dict(zip(rng.sample(range(count), holdout), rng.sample(eligible, holdout), strict=True))


def articles(
    docs: list[dict], count: int, holdout: int = 0, seed: int = 4
) -> Iterator[ArticleItem]:
    rng = random.Random(seed)
    pool = [p for d in docs for p in d["text"].split("\n")[3:] if len(p) > 80]
    start = dt.date(2019, 1, 1).toordinal()
    held = held_out(docs, count, holdout, seed)
    kept = {id(d) for d in held.values()}
    others = [d for d in docs if id(d) not in kept]
    for n in range(count):
        base = others[rng.randrange(len(others))]
        base = held.get(n, base)
        lines = base["text"].split("\n")
        head, body = lines[:3], lines[3:]
        body = [p if rng.random() < 0.5 else rng.choice(pool) for p in body]
        if body:
            body[0] = f"{name(rng)} {body[0]}"
        text = _perturb_numbers("\n".join(head + body), rng)
        yield ArticleItem(
            url=f"https://bench.example/{n}",
            site=rng.choices(SITES, SITE_WEIGHTS)[0],
            title=_perturb_numbers(base["title"], rng),
            published=dt.date.fromordinal(start + rng.randrange(7 * 365)).isoformat(),
            published_raw=None,
            author=None,
            photographer=None,
            text=text,
            fetched_at="2026-01-01T00:00:00+00:00",
        )


def as_is(docs: list[dict]) -> Iterator[ArticleItem]:
    """The corpus items themselves, unchanged (``--as-is``: a small archive of real articles,
    in corpus order, with their own dates)."""
    for n, doc in enumerate(docs):
        yield ArticleItem(
            url=doc.get("source_url") or f"https://bench.example/real/{n}",
            site="thaigov",
            title=doc["title"],
            published=doc.get("date"),
            published_raw=None,
            author=None,
            photographer=None,
            text=doc["text"],
            fetched_at="2026-01-01T00:00:00+00:00",
        )


def table_sizes(db: Path) -> dict[str, int]:
    import sqlite3

    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    conn.close()
    return dict(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--out", type=Path, required=True, help="folder for index.db (emptied)")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument(
        "--holdout",
        type=int,
        default=0,
        help="corpus items whose title goes to one article only (known_item.py's targets)",
    )
    ap.add_argument("--as-is", action="store_true", help="the corpus items unchanged (no --count)")
    args = ap.parse_args()
    docs = load(args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "index.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    text_bytes = 0
    t0, c0 = time.perf_counter(), time.process_time()
    with Index(db, workers=args.workers) as index:

        def counted() -> Iterator[ArticleItem]:
            nonlocal text_bytes
            items = as_is(docs) if args.as_is else articles(docs, args.count, args.holdout)
            for item in items:
                text_bytes += len((item.title or "").encode()) + len(item.text.encode())
                yield item

        done = 0
        for status in index.upsert_stream(counted(), batch=args.batch):
            assert status == "new" or args.as_is, status
            done += 1
            if done % 50_000 == 0:
                rate = done / (time.perf_counter() - t0)
                print(f"# {done} articles, {rate:.0f}/s", file=sys.stderr, flush=True)
        index.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wall = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + children.ru_utime + children.ru_stime
    sizes = table_sizes(db)
    fts = sum(v for k, v in sizes.items() if k.startswith("articles_fts"))
    tri = sum(v for k, v in sizes.items() if k.startswith("articles_tri"))
    print(
        json.dumps(
            {
                "articles": done,
                "workers": args.workers,
                "holdout": args.holdout,
                "wall_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "articles_per_s": round(done / wall),
                "text_mb": round(text_bytes / 1e6, 1),
                "word_index_mb": round(fts / 1e6, 1),
                "trigram_index_mb": round(tri / 1e6, 1),
                "index_x_text": round((fts + tri) / text_bytes, 3),
                "db_mb": round(db.stat().st_size / 1e6, 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
