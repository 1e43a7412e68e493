"""Extraction quality and speed: ``archiver.extract.extract_article`` against plain trafilatura.

    .venv/bin/python bench/extraction/run.py [--scrapinghub DIR] [--gold DIR] [--repeat N] [--json]

Two sets:

* the scrapinghub article-extraction benchmark (181 mostly English news pages), scored with that
  benchmark's own metric (a copy of its ``evaluate.py`` logic, see ``shingle_counts``);
* the project's gold set of Thai agency pages (``tests/gold``), scored with the same metric on
  Thai word tokens (``archiver.thai.segment``) plus exact-match checks of the metadata.

Both extractors get the same decoded ``str`` (``archiver.pages.page_text``). Only the extraction
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
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

sys.dont_write_bytecode = True  # leave no __pycache__ in tests/gold (not ours to write to)
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from archiver.extract import extract_article  # noqa: E402
from archiver.pages import NotAPage, page_text  # noqa: E402

DEFAULT_SCRAPINGHUB = ROOT.parent / "shared" / "corpus" / "scrapinghub-article-extraction-benchmark"
DEFAULT_GOLD = ROOT / "tests" / "gold"
#: The largest page the crawl extracts (``ARCHIVER_MAX_PAGE_BYTES`` in archiver/settings.py).
GOLD_MAX_BYTES = 5_000_000
#: A trafilatura result shorter than this counts as "rejected" (archiver's own MIN_TEXT_CHARS).
TRAFILATURA_REJECT_CHARS = 200

ARCH = "archiver"
TRAF = "trafilatura"

# -- the metric: tests/gold/metrics.py (shared with the test gate) -------------------------------
from tests.gold.metrics import (  # noqa: E402
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


# -- the table ------------------------------------------------------------------------------------

NA = "—"


def _f(x: Any, fmt: str = "{:.3f}") -> str:
    return NA if x is None else fmt.format(x)


def _pct(d: dict[str, Any] | None, spurious: bool = False) -> str:
    if not d or d.get("n") is None:
        return NA
    if d["exact"] is None:
        s = "n/a (0 expected)"
    else:
        s = f"{100 * d['exact']:.0f}% ({d['hits']}/{d['n']})"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scrapinghub", type=Path, default=DEFAULT_SCRAPINGHUB)
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="write the results as JSON instead")
    parser.add_argument("--per-page", action="store_true", help="keep per-page scores in --json")
    args = parser.parse_args(argv)

    logging.disable(logging.CRITICAL)  # trafilatura and the archiver log per page
    warnings.simplefilter("ignore")
    thai_tokens("ทดสอบ")  # load the segmenter's dictionary before anything is timed

    results: dict[str, Any] = {"repeat": args.repeat, "trafilatura": trafilatura.__version__}
    notes = []
    if (args.scrapinghub / "ground-truth.json").exists():
        results["scrapinghub"] = bench_scrapinghub(args.scrapinghub, args.repeat)
    else:
        notes.append(f"scrapinghub set not found in {args.scrapinghub}: skipped")
    if (args.gold / "__init__.py").exists():
        results["gold"] = bench_gold(args.gold, args.repeat)
    else:
        notes.append(f"gold set not found in {args.gold}: skipped")
    results["notes"] = notes
    if not args.per_page:
        for key in ("scrapinghub", "gold"):
            if key in results:
                results[key].pop("per_page", None)
    if args.json:
        json.dump(results, sys.stdout, indent=2, ensure_ascii=False, default=str)
        print()
    else:
        if "scrapinghub" in results or "gold" in results:
            print(table(results))
        for n in notes:
            print(f"\n{n}")
        print(f"\ntrafilatura {trafilatura.__version__}, median of {args.repeat} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
