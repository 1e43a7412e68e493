"""Copy the WCXB dev sample that tests/test_wcxb.py gates into tests/data/wcxb/.

    .venv/bin/python bench/extraction/wcxb_sample.py [--wcxb DIR] [--out DIR]

The tests may not read ../shared (a user's clone has none of it), so a fixed sample is copied
into the repository: 60 article pages and 10 of each other page type, drawn with a fixed seed
from the pages whose gzipped HTML is under 60 KB (to keep the clone small), never chosen by how
well anything extracts them. Each page keeps its gzipped HTML as WCXB ships it; the ground
truth keeps only the fields the gate reads. WCXB is CC-BY-4.0 (Murrough Foley, 2026): the
README written next to the copy carries the attribution. Run again only to change the sample,
and re-measure the floors in tests/test_wcxb.py when you do.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_WCXB = ROOT.parent / "shared" / "corpus" / "wcxb-dev"
DEFAULT_OUT = ROOT / "tests" / "data" / "wcxb"
PER_TYPE = {"article": 60}
OTHERS = 10
MAX_GZ_BYTES = 60_000
SEED = 20261204

README = """# WCXB dev sample (CC-BY-4.0)

{n} pages of the development split of WCXB, the Web Content eXtraction Benchmark
(Murrough Foley, 2026), licensed under the Creative Commons Attribution 4.0 International
License (https://creativecommons.org/licenses/by/4.0/). Copied unchanged: `<id>.html.gz` is
the page as WCXB ships it; `truth.json` keeps, per page id, the URL, the page type and the
ground truth's `main_content`, `title`, `author` and `publish_date` (other fields left out).

Drawn by `bench/extraction/wcxb_sample.py` (seed {seed}): 60 article pages and 10 of each other
type, from pages whose gzipped HTML is under {max_kb} KB. `tests/test_wcxb.py` gates the
extraction on it.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wcxb", type=Path, default=DEFAULT_WCXB)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    truth_dir = args.wcxb / "ground-truth"
    if not truth_dir.is_dir():
        print(f"no WCXB ground truth in {truth_dir}", file=sys.stderr)
        return 2
    by_type: dict[str, list[str]] = {}
    records: dict[str, dict] = {}
    for path in sorted(truth_dir.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        page = args.wcxb / "html" / f"{path.stem}.html.gz"
        truth = record["ground_truth"]
        if truth.get("main_content") is None or page.stat().st_size >= MAX_GZ_BYTES:
            continue
        kind = record["_internal"]["page_type"]["primary"]
        by_type.setdefault(kind, []).append(path.stem)
        records[path.stem] = {
            "url": record.get("url") or "",
            "type": kind,
            **{k: truth.get(k) for k in ("main_content", "title", "author", "publish_date")},
        }
    rng = random.Random(SEED)
    chosen = sorted(
        page_id
        for kind, ids in sorted(by_type.items())
        for page_id in rng.sample(ids, min(len(ids), PER_TYPE.get(kind, OTHERS)))
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.html.gz"):
        old.unlink()
    for page_id in chosen:
        shutil.copyfile(args.wcxb / "html" / f"{page_id}.html.gz", args.out / f"{page_id}.html.gz")
    (args.out / "truth.json").write_text(
        json.dumps({i: records[i] for i in chosen}, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    (args.out / "README.md").write_text(
        README.format(n=len(chosen), seed=SEED, max_kb=MAX_GZ_BYTES // 1000), encoding="utf-8"
    )
    print(f"{len(chosen)} pages into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
