"""Extraction quality and speed: ``archiver.extract.extract_article`` against plain trafilatura.

    .venv/bin/python bench/extraction/run.py [--scrapinghub DIR] [--gold DIR] [--wcxb DIR]
        [--sets scrapinghub,gold,wcxb] [--repeat N] [--jobs N] [--json] [--per-page]

Three sets:

* the scrapinghub article-extraction benchmark (181 mostly English news pages), scored with that
  benchmark's own metric (a copy of its ``evaluate.py`` logic, see ``shingle_counts``);
* the project's gold set of Thai agency pages (``tests/gold``), scored with the same metric on
  Thai word tokens (``archiver.thai.segment``) plus exact-match checks of the metadata;
* WCXB dev (1,497 pages of seven page types, mostly English), scored with that benchmark's
  bag-of-words F1 per page (see ``bag_scores``) plus exact-match checks of the metadata, in
  ``--jobs`` worker processes because it takes minutes.

All extractors get the same decoded ``str`` (``archiver.pages.page_text``). Only the extraction
call is timed (``time.process_time``), each extractor ``--repeat`` times after one warm-up call;
the median total is reported. See README.md next to this file for what every number means.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import importlib.util
import json
import logging
import multiprocessing
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

sys.dont_write_bytecode = True  # leave no __pycache__ in tests/gold (not ours to write to)
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from archiver.extract.article import extract_article  # noqa: E402
from archiver.extract.pages import NotAPage, page_text  # noqa: E402

DEFAULT_SCRAPINGHUB = ROOT.parent / "shared" / "corpus" / "scrapinghub-article-extraction-benchmark"
DEFAULT_GOLD = ROOT / "tests" / "gold"
DEFAULT_WCXB = ROOT.parent / "shared" / "corpus" / "wcxb-dev"
SETS = ("scrapinghub", "gold", "wcxb")
#: The largest page the crawl extracts (``ARCHIVER_MAX_PAGE_BYTES`` in archiver/settings.py).
GOLD_MAX_BYTES = 5_000_000
#: A trafilatura result shorter than this counts as "rejected" (archiver's own MIN_TEXT_CHARS).
TRAFILATURA_REJECT_CHARS = 200

ARCH = "archiver"
TRAF = "trafilatura"

# -- the metric: tests/gold/metrics.py (shared with the test gate) -------------------------------
from tests.gold.metrics import (  # noqa: E402
    bag_scores,
    bag_tokens,
    meta_value,
    precision,
    prf,
    recall,
    shingle_counts,
    thai_tokens,
    word_tokens,
)

# -- the extractors ------------------------------------------------------------------------------


def run_archiver(html: str, url: str) -> Any:
    return extract_article(html, url)


def run_trafilatura(html: str, url: str) -> Any:
    return trafilatura.extract(html, url=url)


def run_trafilatura_meta(html: str, url: str) -> Any:
    return trafilatura.bare_extraction(html, url=url, with_metadata=True)


def timed(
    fns: Sequence[Callable[[str, str], Any]], pages: Sequence[tuple[str, str]], repeat: int
) -> list[tuple[list[Any], float]]:
    """For each extractor: the results of its first pass over ``pages`` and the median CPU
    seconds of ``repeat`` passes, counting the extraction calls only. Passes of the extractors
    alternate (a, b, a, b, ...) so that a slow spell of the shared machine hits all of them."""
    for fn in fns:  # warm-up: imports, lazy tables, caches filled on first use
        if pages:
            fn(*pages[0])
    totals: list[list[float]] = [[] for _ in fns]
    first: list[list[Any]] = [[] for _ in fns]
    for i in range(max(1, repeat)):
        for j, fn in enumerate(fns):
            total = 0.0
            for html, url in pages:
                t0 = time.process_time()
                out = fn(html, url)
                total += time.process_time() - t0
                if i == 0:
                    first[j].append(out)
            totals[j].append(total)
    return [(first[j], statistics.median(totals[j])) for j in range(len(fns))]


def speed(cpu: float, n: int) -> dict[str, float | None]:
    return {
        "cpu_s": cpu,
        "pages_per_s": n / cpu if cpu > 0 else None,
        "ms_per_page": 1000 * cpu / n if n else None,
    }


# -- set 1: scrapinghub ---------------------------------------------------------------------------


def load_scrapinghub(directory: Path) -> list[dict[str, Any]]:
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        body = gzip.decompress((directory / "html" / f"{key}.html.gz").read_bytes())
        pages.append(
            {
                "id": key,
                "url": truth[key]["url"],
                "truth": truth[key].get("articleBody", ""),
                "html": page_text(body, "", 10**8),
            }
        )
    return pages


def bench_scrapinghub(directory: Path, repeat: int) -> dict[str, Any]:
    pages = load_scrapinghub(directory)
    inputs = [(p["html"], p["url"]) for p in pages]
    (arch_out, arch_cpu), (traf_out, traf_cpu) = timed(
        [run_archiver, run_trafilatura], inputs, repeat
    )
    arch_text = [a.text if a is not None else "" for a in arch_out]
    traf_text = [t or "" for t in traf_out]
    result: dict[str, Any] = {"pages": len(pages)}
    for name, texts, cpu in ((ARCH, arch_text, arch_cpu), (TRAF, traf_text, traf_cpu)):
        counts = [
            shingle_counts(word_tokens(p["truth"]), word_tokens(t))
            for p, t in zip(pages, texts, strict=True)
        ]
        result[name] = {
            **prf(counts),
            "empty": sum(1 for t in texts if not word_tokens(t)),
            **speed(cpu, len(pages)),
        }
    result["ratio"] = arch_cpu / traf_cpu if traf_cpu else None
    result["per_page"] = [
        {
            "id": p["id"],
            ARCH: _page_pr(shingle_counts(word_tokens(p["truth"]), word_tokens(a))),
            TRAF: _page_pr(shingle_counts(word_tokens(p["truth"]), word_tokens(t))),
        }
        for p, a, t in zip(pages, arch_text, traf_text, strict=True)
    ]
    return result


def _page_pr(c: tuple[float, ...]) -> dict[str, float | None]:
    return {
        "precision": precision(*c) if c[0] + c[1] > 0 else None,
        "recall": recall(*c) if c[0] + c[2] > 0 else None,
    }


# -- set 2: the project's gold set ----------------------------------------------------------------


def load_gold(directory: Path) -> list[dict[str, Any]]:
    """``load()`` of the gold package in ``directory`` (``tests.gold`` for the default)."""
    directory = directory.resolve()
    if directory == DEFAULT_GOLD.resolve():
        module = importlib.import_module("tests.gold")
    else:  # a stand-in elsewhere: import it as its own package
        spec = importlib.util.spec_from_file_location(
            "_bench_gold", directory / "__init__.py", submodule_search_locations=[str(directory)]
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"no gold package in {directory}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["_bench_gold"] = module
        spec.loader.exec_module(module)
    return list(module.load())


def _exact(rows: list[tuple[Any, Any]]) -> dict[str, Any]:
    """Exact-match rate over rows with a non-null expectation, and wrong non-null values
    where the expectation is null."""
    expected = [(want, got) for want, got in rows if want is not None]
    spurious = sum(1 for want, got in rows if want is None and got is not None)
    hits = sum(1 for want, got in expected if got == want)
    return {
        "exact": hits / len(expected) if expected else None,
        "n": len(expected),
        "hits": hits,
        "spurious": spurious,
    }


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _urls(urls: Sequence[str] | None) -> list[str]:
    """URLs compared after percent-decoding (the gold set stores Thai paths percent-encoded)."""
    return [unquote(u) for u in urls or []]


def _leaks(text: str | None, needles: Sequence[str]) -> int:
    return sum(1 for s in needles if text and s in text) if needles else 0


def bench_gold(directory: Path, repeat: int) -> dict[str, Any]:
    gold = load_gold(directory)
    for g in gold:
        try:
            g["html"] = page_text(g["body"], g.get("content_type") or "", GOLD_MAX_BYTES)
        except NotAPage as e:  # the crawl would skip it before extraction: a rejection
            g["html"] = None
            g["not_a_page"] = str(e)
    live = [g for g in gold if g["html"] is not None]
    inputs = [(g["html"], g["url"]) for g in live]
    (arch_live, arch_cpu), (traf_live, traf_cpu), (meta_live, meta_cpu) = timed(
        [run_archiver, run_trafilatura, run_trafilatura_meta], inputs, repeat
    )
    by_id = {id(g): i for i, g in enumerate(live)}

    def pick(results: list[Any], g: dict[str, Any]) -> Any:
        i = by_id.get(id(g))
        return None if i is None else results[i]

    articles = [g for g in gold if g.get("article")]
    soft = [g for g in gold if not g.get("article")]
    out: dict[str, Any] = {
        "pages": len(gold),
        "articles": len(articles),
        "soft_errors": len(soft),
        "not_a_page": sum(1 for g in gold if g["html"] is None),
        "per_page": [],
    }

    # archiver
    arch = {id(g): pick(arch_live, g) for g in gold}
    counts, fields = [], {k: [] for k in ("title", "published", "author", "photographer")}
    media = {"images": [], "attachments": []}
    leaks = 0
    for g in articles:
        a = arch[id(g)]
        text = a.text if a is not None else ""
        counts.append(shingle_counts(thai_tokens(g.get("text")), thai_tokens(text)))
        got = {
            "title": _clean(a.title) if a else None,
            "published": a.published.isoformat() if a and a.published else None,
            "author": _clean(a.author) if a else None,
            "photographer": _clean(a.photographer) if a else None,
        }
        for k in fields:
            fields[k].append((_clean(g.get(k)), got[k]))
        for k in media:
            media[k].append(_urls(getattr(a, k) if a else []) == _urls(g.get(k)))
        n_leaks = _leaks(text, g.get("must_not_contain") or [])
        leaks += n_leaks
        out["per_page"].append(
            {
                "name": g.get("name"),
                "design": g.get("design"),
                "extractor": ARCH,
                **_page_pr(counts[-1]),
                **{f"{k}_ok": got[k] == fields[k][-1][0] for k in fields},
                "images_ok": media["images"][-1],
                "attachments_ok": media["attachments"][-1],
                "leaks": n_leaks,
            }
        )
    rejected = sum(1 for g in soft if arch[id(g)] is None)
    out[ARCH] = {
        **prf(counts),
        "empty": sum(1 for g in articles if arch[id(g)] is None),
        **{k: _exact(v) for k, v in fields.items()},
        **{k: _rate(v) for k, v in media.items()},
        "soft_rejected": _rate([arch[id(g)] is None for g in soft]),
        "soft_rejected_hits": rejected,
        "leaks": leaks,
        **speed(arch_cpu, len(live)),
    }

    # plain trafilatura: text from extract(), metadata from bare_extraction(with_metadata=True)
    traf = {id(g): pick(traf_live, g) for g in gold}
    meta = {id(g): pick(meta_live, g) for g in gold}
    counts, fields = [], {k: [] for k in ("title", "published", "author")}
    leaks = 0
    for g in articles:
        text = traf[id(g)] or ""
        m = meta[id(g)]
        counts.append(shingle_counts(thai_tokens(g.get("text")), thai_tokens(text)))
        got = {
            "title": _clean(getattr(m, "title", None)),
            "published": _clean(getattr(m, "date", None)),
            "author": _clean(getattr(m, "author", None)),
        }
        for k in fields:
            fields[k].append((_clean(g.get(k)), got[k]))
        n_leaks = _leaks(text, g.get("must_not_contain") or [])
        leaks += n_leaks
        out["per_page"].append(
            {
                "name": g.get("name"),
                "design": g.get("design"),
                "extractor": TRAF,
                **_page_pr(counts[-1]),
                **{f"{k}_ok": got[k] == fields[k][-1][0] for k in fields},
                "leaks": n_leaks,
            }
        )
    traf_rejected = [
        traf[id(g)] is None or len(traf[id(g)]) < TRAFILATURA_REJECT_CHARS for g in soft
    ]
    out[TRAF] = {
        **prf(counts),
        "empty": sum(1 for g in articles if not traf[id(g)]),
        **{k: _exact(v) for k, v in fields.items()},
        "soft_rejected": _rate(traf_rejected),
        "soft_rejected_hits": sum(traf_rejected),
        "leaks": leaks,
        **speed(traf_cpu, len(live)),
        "meta": speed(meta_cpu, len(live)),
    }
    out["ratio"] = arch_cpu / traf_cpu if traf_cpu else None
    out["ratio_meta"] = arch_cpu / meta_cpu if meta_cpu else None
    out["must_not_contain"] = sum(len(g.get("must_not_contain") or []) for g in articles)
    return out


def _rate(flags: list[bool]) -> dict[str, Any]:
    return {
        "exact": sum(flags) / len(flags) if flags else None,
        "n": len(flags),
        "hits": sum(flags),
    }


# -- set 3: WCXB dev ------------------------------------------------------------------------------

#: WCXB's page types in the order of its own reports; a type not listed here follows them.
WCXB_TYPES = ("article", "service", "product", "collection", "forum", "listing", "documentation")
#: The metadata fields scored on WCXB (keys of its ``ground_truth``).
WCXB_META = ("title", "author", "publish_date")
#: Pages per task of the worker pool: many small tasks, so that the workers finish together.
WCXB_CHUNK = 20
#: The CPU of ``bare_extraction(with_metadata=True)``, kept apart from the ratio.
META = "trafilatura_meta"


def wcxb_ids(directory: Path) -> list[str]:
    return sorted(f.name.removesuffix(".json") for f in (directory / "ground-truth").glob("*.json"))


def load_wcxb_page(directory: Path, page_id: str) -> dict[str, Any]:
    """One page with its ground truth; ``html`` is None when ``page_text`` refuses the page
    (both extractors then count as giving nothing). Decoded as the scrapinghub set is."""
    doc = json.loads((directory / "ground-truth" / f"{page_id}.json").read_text(encoding="utf-8"))
    gt = doc.get("ground_truth") or {}
    body = gzip.decompress((directory / "html" / f"{page_id}.html.gz").read_bytes())
    try:
        html: str | None = page_text(body, "", 10**8)
    except NotAPage:
        html = None
    kind = ((doc.get("_internal") or {}).get("page_type") or {}).get("primary") or "unknown"
    return {
        "id": page_id,
        "url": doc.get("url") or "",  # one file has no url
        "type": kind,
        "truth": gt.get("main_content"),  # None in two files: the benchmark's defect
        **{k: gt.get(k) for k in WCXB_META},
        "html": html,
    }


def _wcxb_init(directory: str, warm_id: str) -> None:
    """Worker set-up, untimed: quiet logs, the segmenter's dictionary, and one call of each
    extractor on the first page (imports, lazy tables, caches filled on first use), as
    ``timed`` warms up the other sets."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    thai_tokens("ทดสอบ")
    page = load_wcxb_page(Path(directory), warm_id)
    if page["html"] is not None:
        for fn in (run_archiver, run_trafilatura, run_trafilatura_meta):
            fn(page["html"], page["url"])


def _wcxb_chunk(task: tuple[str, list[str], bool]) -> list[dict[str, Any]]:
    """Extract (and, on the first pass, score) one chunk of pages in a worker.

    Each call is timed alone with ``time.process_time`` (this worker's CPU); per page the
    archiver runs first, then ``trafilatura.extract``, then ``bare_extraction``, so that a slow
    spell of the shared machine hits all three alike."""
    directory, ids, score = task
    rows = []
    for page_id in ids:
        page = load_wcxb_page(Path(directory), page_id)
        cpu = {ARCH: 0.0, TRAF: 0.0, META: 0.0}
        arch = traf = meta = None
        if page["html"] is not None:
            html, url = page["html"], page["url"]
            t0 = time.process_time()
            arch = run_archiver(html, url)
            t1 = time.process_time()
            traf = run_trafilatura(html, url)
            t2 = time.process_time()
            meta = run_trafilatura_meta(html, url)
            t3 = time.process_time()
            cpu = {ARCH: t1 - t0, TRAF: t2 - t1, META: t3 - t2}
        row: dict[str, Any] = {"id": page_id, "extracted": page["html"] is not None, "cpu": cpu}
        if score:
            row.update(_wcxb_score(page, arch, traf, meta))
        rows.append(row)
    return rows


def _wcxb_score(page: dict[str, Any], arch: Any, traf: Any, meta: Any) -> dict[str, Any]:
    """The page's scores and metadata, small enough to send back from a worker."""
    truth = bag_tokens(page["truth"])
    got = {
        ARCH: {
            "title": arch.title if arch else None,
            "author": arch.author if arch else None,
            "publish_date": arch.published.isoformat() if arch and arch.published else None,
        },
        TRAF: {
            "title": getattr(meta, "title", None),
            "author": getattr(meta, "author", None),
            "publish_date": getattr(meta, "date", None),
        },
    }
    row: dict[str, Any] = {
        "type": page["type"],
        "truth_null": page["truth"] is None,
        "truth_chars": len(page["truth"] or ""),
        "meta_truth": {k: page[k] for k in WCXB_META},
    }
    for ext, text in ((ARCH, arch.text if arch is not None else None), (TRAF, traf)):
        row[ext] = {
            **bag_scores(truth, bag_tokens(text)),
            "chars": len(text or ""),
            "empty": not (text or "").strip(),
            "meta": got[ext],
        }
    return row


def _mean(values: Iterable[float | None]) -> float | None:
    xs = [x for x in values if x is not None]
    return statistics.fmean(xs) if xs else None


def _wcxb_group(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Plain means of the per-page scores (every page weighs the same, as in WCXB)."""
    out: dict[str, Any] = {"pages": len(rows)}
    for ext in (ARCH, TRAF):
        out[ext] = {
            "f1": _mean(r[ext]["f1"] for r in rows),
            "precision": _mean(r[ext]["precision"] for r in rows),
            "recall": _mean(r[ext]["recall"] for r in rows),
            "empty": sum(1 for r in rows if r[ext]["empty"]),
        }
    return out


def _wcxb_meta(rows: Sequence[dict[str, Any]], ext: str) -> dict[str, Any]:
    """Exact matches over pages with a (non-blank) truth; spurious = a value where the truth
    has none. Dates compare as ``YYYY-MM-DD`` (the first 10 characters of each side)."""
    out = {}
    for key in WCXB_META:
        pairs = [(meta_value(r["meta_truth"][key]), meta_value(r[ext]["meta"][key])) for r in rows]
        if key == "publish_date":
            pairs = [(w and w[:10], g and g[:10]) for w, g in pairs]
        out[key] = _exact(pairs)
    return out


def bench_wcxb(directory: Path, repeat: int, jobs: int) -> dict[str, Any]:
    """WCXB dev over a pool of ``jobs`` workers: one pass over all pages per repeat, the median
    total CPU per extractor (summed over the workers' timed calls). Only the first pass is
    scored; the outputs of later passes are the same."""
    ids = wcxb_ids(directory)
    chunks = [ids[i : i + WCXB_CHUNK] for i in range(0, len(ids), WCXB_CHUNK)]
    passes = max(1, repeat)
    totals: dict[str, list[float]] = {ARCH: [], TRAF: [], META: []}
    rows: list[dict[str, Any]] = []
    wall = time.perf_counter()
    with multiprocessing.Pool(
        max(1, jobs), initializer=_wcxb_init, initargs=(str(directory), ids[0])
    ) as pool:
        for i in range(passes):
            tasks = [(str(directory), c, i == 0) for c in chunks]
            done = [row for part in pool.imap(_wcxb_chunk, tasks) for row in part]
            for ext, total in totals.items():
                total.append(sum(r["cpu"][ext] for r in done))
            if i == 0:
                rows = done
            print(f"wcxb: pass {i + 1}/{passes} done", file=sys.stderr, flush=True)
    wall = time.perf_counter() - wall

    kinds = {r["type"] for r in rows}
    types = [t for t in WCXB_TYPES if t in kinds] + sorted(kinds - set(WCXB_TYPES))
    live = sum(1 for r in rows if r["extracted"])
    cpu = {ext: statistics.median(v) for ext, v in totals.items()}
    return {
        "pages": len(rows),
        "null_truths": [r["id"] for r in rows if r["truth_null"]],
        "not_a_page": len(rows) - live,
        "passes": passes,
        "jobs": max(1, jobs),
        "wall_s": wall,
        "types": {t: _wcxb_group([r for r in rows if r["type"] == t]) for t in types},
        "all": _wcxb_group(rows),
        "all_without_null": _wcxb_group([r for r in rows if not r["truth_null"]]),
        "metadata": {ext: _wcxb_meta(rows, ext) for ext in (ARCH, TRAF)},
        "cpu": {
            ARCH: speed(cpu[ARCH], live),
            TRAF: speed(cpu[TRAF], live),
            META: speed(cpu[META], live),
            "ratio": cpu[ARCH] / cpu[TRAF] if cpu[TRAF] else None,
            "passes_cpu_s": totals,
        },
        "per_page": [
            {
                "id": r["id"],
                "type": r["type"],
                "truth_null": r["truth_null"],
                "truth_chars": r["truth_chars"],
                **{
                    ext: {k: r[ext][k] for k in ("f1", "precision", "recall", "chars")}
                    for ext in (ARCH, TRAF)
                },
            }
            for r in rows
        ],
    }


# -- the table ------------------------------------------------------------------------------------

NA = "—"


def _f(x: Any, fmt: str = "{:.3f}") -> str:
    return NA if x is None else fmt.format(x)


def _pct(d: dict[str, Any] | None, spurious: bool = False, digits: int = 0) -> str:
    if not d or d.get("n") is None:
        return NA
    if d["exact"] is None:
        s = "n/a (0 expected)"
    else:
        s = f"{100 * d['exact']:.{digits}f}% ({d['hits']}/{d['n']})"
    if spurious:
        s += f", {d['spurious']} spurious"
    return s


def table(results: dict[str, Any]) -> str:
    sh, gd = results.get("scrapinghub"), results.get("gold")
    cols = []
    if sh:
        cols += [("scrapinghub", ARCH), ("scrapinghub", TRAF)]
    if gd:
        cols += [("gold", ARCH), ("gold", TRAF)]

    def cell(set_name: str, ext: str, key: str) -> str:
        r = results[set_name]
        e = r[ext]
        if key == "pages":
            if set_name == "gold":
                s = f"{r['pages']} ({r['articles']} articles, {r['soft_errors']} not"
                if r["not_a_page"]:
                    s += f"; {r['not_a_page']} refused by page_text, never extracted"
                return s + ")"
            return str(r["pages"])
        if key in ("precision", "recall", "f1"):
            return _f(e[key])
        if key == "empty":
            return str(e["empty"])
        if set_name != "gold" and key not in ("cpu_s", "pages_per_s", "ms_per_page", "ratio"):
            return NA
        if key in ("title", "published", "author", "photographer"):
            return _pct(e.get(key), spurious=True) if key in e else NA
        if key in ("images", "attachments"):
            return _pct(e.get(key)) if key in e else NA
        if key == "soft_rejected":
            return _pct(e["soft_rejected"])
        if key == "leaks":
            return f"{e['leaks']} of {r['must_not_contain']}"
        if key == "cpu_s":
            return _f(e["cpu_s"], "{:.2f}")
        if key == "pages_per_s":
            return _f(e["pages_per_s"], "{:.0f}")
        if key == "ms_per_page":
            return _f(e["ms_per_page"], "{:.1f}")
        if key == "meta_ms":
            return _f(e["meta"]["ms_per_page"], "{:.1f}") if "meta" in e else NA
        if key == "ratio":
            if ext != ARCH:
                return NA
            s = _f(r["ratio"], "{:.2f}x")
            if r.get("ratio_meta") is not None:
                s += f" ({r['ratio_meta']:.2f}x vs with metadata)"
            return s
        return NA

    rows = [
        ("pages", "pages"),
        ("text precision (4-word shingles)", "precision"),
        ("text recall", "recall"),
        ("text F1", "f1"),
        ("empty predictions (article pages)", "empty"),
        ("title exact", "title"),
        ("date exact", "published"),
        ("author exact", "author"),
        ("photographer exact", "photographer"),
        ("images exact list", "images"),
        ("attachments exact list", "attachments"),
        ("soft errors rejected", "soft_rejected"),
        ("junk leaks (must_not_contain found)", "leaks"),
        ("CPU s (median of repeats)", "cpu_s"),
        ("pages/s", "pages_per_s"),
        ("ms/page", "ms_per_page"),
        ("ms/page, trafilatura bare_extraction with metadata", "meta_ms"),
        ("CPU ratio archiver/trafilatura", "ratio"),
    ]
    head = "| | " + " | ".join(f"{s}: {e}" for s, e in cols) + " |"
    sep = "|---|" + "---|" * len(cols)
    lines = [head, sep]
    for label, key in rows:
        lines.append(f"| {label} | " + " | ".join(cell(s, e, key) for s, e in cols) + " |")
    return "\n".join(lines)


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 's'}"


def wcxb_table(r: dict[str, Any]) -> str:
    """The WCXB section: text scores per page type, metadata, CPU."""

    def pr(e: dict[str, Any]) -> str:
        return f"{_f(e['precision'])} / {_f(e['recall'])}"

    def row(label: str, g: dict[str, Any]) -> str:
        a, t = g[ARCH], g[TRAF]
        cells = [label, str(g["pages"]), _f(a["f1"]), _f(t["f1"]), pr(a), pr(t)]
        cells += [str(a["empty"]), str(t["empty"])]
        return "| " + " | ".join(cells) + " |"

    nulls = len(r["null_truths"])
    lines = [
        f"### WCXB dev ({r['pages']:,} pages)",
        "",
        "| page type | pages | archiver F1 | trafilatura F1 | archiver P / R"
        " | trafilatura P / R | archiver no output | trafilatura no output |",
        "|---|---|---|---|---|---|---|---|",
        *(row(t, g) for t, g in r["types"].items()),
        row(f"**all ({r['pages']:,})**", r["all"]),
        row(
            f"**all ({r['all_without_null']['pages']:,}, without the {nulls} null truths)**",
            r["all_without_null"],
        ),
        "",
        "| metadata (exact) | archiver | trafilatura (bare_extraction) |",
        "|---|---|---|",
    ]
    labels = {"title": "title", "author": "author", "publish_date": "date (YYYY-MM-DD)"}
    for key, label in labels.items():
        cells = [_pct(r["metadata"][e][key], spurious=True, digits=1) for e in (ARCH, TRAF)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    c = r["cpu"]
    live = r["pages"] - r["not_a_page"]
    lines += [
        "",
        f"* CPU over {live:,} extracted pages (median of {_n(r['passes'], 'pass', 'passes')},"
        f" {_n(r['jobs'], 'worker')}, {r['wall_s']:.0f} s wall):"
        f" archiver {c[ARCH]['cpu_s']:.2f} s ({_f(c[ARCH]['ms_per_page'], '{:.1f}')} ms/page),"
        f" trafilatura.extract {c[TRAF]['cpu_s']:.2f} s"
        f" ({_f(c[TRAF]['ms_per_page'], '{:.1f}')} ms/page)",
        f"* CPU ratio archiver/trafilatura.extract: {_f(c['ratio'], '{:.2f}x')} (target: at most"
        " 1.0x)",
        f"* trafilatura bare_extraction(with_metadata=True), for its metadata only:"
        f" {_f(c[META]['ms_per_page'], '{:.1f}')} ms/page (not in the ratio)",
    ]
    if r["not_a_page"]:
        lines.append(f"* {r['not_a_page']} pages refused by page_text: no output from either")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scrapinghub", type=Path, default=DEFAULT_SCRAPINGHUB)
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--wcxb", type=Path, default=DEFAULT_WCXB)
    parser.add_argument(
        "--sets", default=",".join(SETS), help=f"comma list of {','.join(SETS)} (default: all)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--jobs", type=int, default=2, help="worker processes for the WCXB set (default 2)"
    )
    parser.add_argument("--json", action="store_true", help="write the results as JSON instead")
    parser.add_argument("--per-page", action="store_true", help="keep per-page scores in --json")
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if not sets or any(s not in SETS for s in sets):
        parser.error(f"--sets: a comma list of {', '.join(SETS)}, not {args.sets!r}")

    logging.disable(logging.CRITICAL)  # trafilatura and the archiver log per page
    warnings.simplefilter("ignore")
    thai_tokens("ทดสอบ")  # load the segmenter's dictionary before anything is timed

    results: dict[str, Any] = {"repeat": args.repeat, "trafilatura": trafilatura.__version__}
    notes = []
    if "scrapinghub" in sets:
        if (args.scrapinghub / "ground-truth.json").exists():
            results["scrapinghub"] = bench_scrapinghub(args.scrapinghub, args.repeat)
        else:
            notes.append(f"scrapinghub set not found in {args.scrapinghub}: skipped")
    if "gold" in sets:
        if (args.gold / "__init__.py").exists():
            results["gold"] = bench_gold(args.gold, args.repeat)
        else:
            notes.append(f"gold set not found in {args.gold}: skipped")
    if "wcxb" in sets:
        if (args.wcxb / "ground-truth").is_dir() and (args.wcxb / "html").is_dir():
            results["wcxb"] = bench_wcxb(args.wcxb, args.repeat, args.jobs)
        else:
            notes.append(f"WCXB set not found in {args.wcxb}: skipped")
    results["notes"] = notes
    if not args.per_page:
        for key in SETS:
            if key in results:
                results[key].pop("per_page", None)
    if args.json:
        json.dump(results, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        tables = []
        if "scrapinghub" in results or "gold" in results:
            tables.append(table(results))
        if "wcxb" in results:
            tables.append(wcxb_table(results["wcxb"]))
        if tables:
            print("\n\n".join(tables))
        for n in notes:
            print(f"\n{n}")
        print(f"\ntrafilatura {trafilatura.__version__}, median of {args.repeat} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
