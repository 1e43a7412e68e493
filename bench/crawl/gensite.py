"""Generate a static Joomla-style agency site for the crawl benchmark (issue 6).

    .venv/bin/python bench/crawl/gensite.py --out /tmp/bench-crawl-site --articles 5000

Writes ``<out>/site/`` (the document root nginx serves) and ``<out>/manifest.json``:

- ``/news/pr-news.html``: the category blog, 20 articles a page, newest first, with Joomla's
  ``ul.pagination`` (``?start=20``, ``?start=40``, ... ``ถัดไป``, ``สุดท้าย``). The page for
  ``?start=N`` is the file ``/news/pr-news/start-N.html``; nginx maps the query string onto it
  (``bench/crawl/nginx.py``), so the crawlers see Joomla's real URLs.
- ``/news/pr-news/<id>-bench-<n>.html``: articles of 30-60 KB of HTML (the Joomla 3 chrome of
  ``archiver.demo.site`` around phrases of ``tests/data/prose.json`` recombined into new
  paragraphs until the page reaches its drawn size), with the previous / next pager.
- ``/images/News-PR-<year>/<yymmdd>/<CODE>_L0_00<i>.jpg``: two images an article, 50-200 KB each,
  a JFIF header followed by random bytes (incompressible, as photos are; distinct per image).
- the template's requisites, loaded by every page (``THEME``): Protostar's stylesheet (120 KB,
  with an ``@font-face`` font and two ``url(...)`` images), jQuery and the template's script,
  the favicon; ``wget --page-requisites`` fetches them as the archiver does, once each.

Everything is drawn from one seeded ``random.Random``: the same ``--articles`` and ``--seed`` give
the same bytes, and every file gets the same fixed mtime (so nginx's ETag and Last-Modified are
stable across regenerations). An existing output with the same parameters is reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archiver.demo.site import (  # noqa: E402
    JoomlaArticle,
    joomla_article_html,
    joomla_listing_html,
    simple_page,
)

SECTION = "/news/pr-news"
LISTING = SECTION + ".html"
PER_PAGE = 20
SITE_NAME = "สำนักงานทดสอบการเก็บถาวร (หน่วยงานตัวอย่าง)"
MTIME = 1_700_000_000  # 2023-11-14: every file, so ETag / Last-Modified never change
FORMAT = 2  # bump when the layout changes, so old outputs are regenerated
#: The template's files every page loads (path -> size in bytes), as on a Joomla 3 site.
THEME_CSS = "/templates/protostar/css/template.css"
THEME = {
    THEME_CSS: 120_000,
    "/media/jui/js/jquery.min.js": 95_000,
    "/templates/protostar/js/template.js": 1_500,
    "/media/jui/fonts/IcoMoon.woff": 24_000,
    "/templates/protostar/images/bg-body.png": 4_000,
    "/templates/protostar/images/logo.png": 12_000,
}
HEAD = (
    f'<link href="{THEME_CSS}?v=3.10" rel="stylesheet">\n'
    '<script src="/media/jui/js/jquery.min.js?v=3.10"></script>\n'
    '<script src="/templates/protostar/js/template.js?v=3.10"></script>\n'
)
ROBOTS = b"User-agent: *\nDisallow: /administrator/\nDisallow: /component/\n"


def listing_file(start: int) -> str:
    """The file (relative to the root) that answers ``/news/pr-news.html?start=<start>``."""
    return LISTING if start == 0 else f"{SECTION}/start-{start}.html"


def fake_jpeg(rng: random.Random, size: int, label: str) -> bytes:
    """``size`` bytes: SOI, a JFIF APP0, a COM naming the image, random bytes, EOI."""
    comment = label.encode()
    head = (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", 16)
        + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xfe"
        + struct.pack(">H", len(comment) + 2)
        + comment
    )
    return head + rng.randbytes(max(0, size - len(head) - 2)) + b"\xff\xd9"


def theme_file(rng: random.Random, path: str, size: int) -> bytes:
    """A theme file of ``size`` bytes: the stylesheet's references first, then filler."""
    if path == THEME_CSS:
        head = (
            b"/* Protostar */\n"
            b'@font-face { font-family: "IcoMoon";'
            b' src: url("../../../media/jui/fonts/IcoMoon.woff") format("woff"); }\n'
            b"body.site { background: #f4f6f7 url(../images/bg-body.png) repeat-x; }\n"
            b".brand { background-image: url('../images/logo.png'); }\n"
        )
        rule = b".c%d { margin: %dpx; }\n"
        body = bytearray(head)
        while len(body) < size:
            body += rule % (len(body), rng.randrange(100))
        return bytes(body[:size])
    if path.endswith(".js"):
        return (b"/*! bench */ var x=" + b"1" * size)[:size]
    return bytes(rng.getrandbits(8) for _ in range(size))


def requested(path: str) -> str:
    """How the pages ask for a theme file (``path?query`` as in the WARC checks)."""
    return f"{path}?v=3.10" if f'{path}?v=3.10"' in HEAD else path


def with_theme(body: bytes) -> bytes:
    return body.replace(b"</head>", HEAD.encode() + b"</head>", 1)


def make_articles(count: int, rng: random.Random) -> tuple[list[JoomlaArticle], list[str]]:
    """``count`` articles, newest first, each with a paragraph budget; and the phrase pool."""
    prose = json.loads((ROOT / "tests" / "data" / "prose.json").read_text("utf-8"))
    items = prose["joomla"] + prose["wordpress"] + prose["legacy"]
    phrases = [w for item in items for p in item["paragraphs"] for w in p.split()]
    newest = dt.date(2024, 9, 30)
    articles = []
    for n in range(count):
        item = items[n % len(items)]
        published = newest - dt.timedelta(days=n * 1826 // max(count, 1))
        stamp = published.strftime("%y%m%d")
        code = f"{0x5EED0000 + n:08X}-A8A3-42A7-9473-4CE92A36ED2C"
        folder = f"/images/News-PR-{published.year + 543}/{stamp}"
        images = [
            (f"{folder}/{code}_L0_00{i}.jpg", f"{code.replace('-', ' ')} L0 00{i}") for i in (1, 2)
        ]
        articles.append(
            JoomlaArticle(
                id=20000 + count - n,
                slug=f"bench-{n}",
                title=f"{item['title']} (ข่าวที่ {n + 1})",
                published=published.isoformat(),
                paragraphs=[],  # filled by fill_paragraphs, to the drawn page size
                author="กลุ่มงานประชาสัมพันธ์",
                photographer="กลุ่มงานประชาสัมพันธ์" if n % 3 == 0 else None,
                images=images,
                hits=rng.randrange(50, 5000),
            )
        )
    return articles, phrases


def fill_paragraphs(article: JoomlaArticle, rng: random.Random, phrases: list[str]) -> None:
    """Paragraphs of 8-30 recombined phrases until the body holds 25-55 KB of UTF-8 (the chrome
    and the article furniture bring the page to 30-60 KB)."""
    target = rng.randrange(25_000, 55_000)
    size = 0
    paragraphs = []
    while size < target:
        paragraph = " ".join(rng.choices(phrases, k=rng.randrange(8, 31)))
        paragraphs.append(paragraph)
        size += len(paragraph.encode()) + 8  # <p></p>\n
    article.paragraphs = paragraphs


def write(root: Path, key: str, body: bytes) -> int:
    path = root / key.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    os.utime(path, (MTIME, MTIME))
    return len(body)


def generate(out: Path, count: int, seed: int) -> dict:
    """Write the site into ``out`` (reused when its manifest matches); return the manifest."""
    params = {"format": FORMAT, "articles": count, "seed": seed}
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params and (out / "site").is_dir():
            return manifest
    started = time.perf_counter()
    root = out / "site"
    if root.exists():
        shutil.rmtree(root)
    manifest_path.unlink(missing_ok=True)
    rng = random.Random(seed)
    articles, phrases = make_articles(count, rng)
    common = {"prefix": "", "site_name": SITE_NAME, "section": SECTION}
    sizes = {"html": 0, "listing": 0, "image": 0, "other": 0}
    sizes["other"] += write(root, "/robots.txt", ROBOTS)
    for key, title, text in [
        ("/index.html", "หน้าแรก", "ยินดีต้อนรับ"),
        ("/about.html", "เกี่ยวกับเรา", "หน่วยงานตัวอย่างสำหรับการทดสอบ"),
        ("/contact.html", "ติดต่อเรา", "โทรศัพท์ 0 2000 0000"),
    ]:
        sizes["other"] += write(root, key, simple_page("", SITE_NAME, title, text))
    sizes["other"] += write(
        root, "/templates/protostar/favicon.ico", b"\x00\x00\x01\x00" + bytes(60)
    )
    theme_rng = random.Random(seed + 1)  # apart: the articles are those of FORMAT 1
    for path, size in THEME.items():
        sizes["other"] += write(root, path, theme_file(theme_rng, path, size))
    for article in articles:
        fill_paragraphs(article, rng, phrases)
    listings = []
    for start in range(0, count, PER_PAGE):
        body = joomla_listing_html(
            articles[start : start + PER_PAGE],
            start=start,
            per_page=PER_PAGE,
            total=count,
            **common,
        )
        sizes["listing"] += write(root, listing_file(start), with_theme(body))
        listings.append(LISTING + (f"?start={start}" if start else ""))
    article_paths, image_paths = [], []
    for n, article in enumerate(articles):
        newer = articles[n - 1].path(SECTION) if n else None
        older = articles[n + 1].path(SECTION) if n + 1 < count else None
        body = with_theme(joomla_article_html(article, prev_next=(newer, older), **common))
        sizes["html"] += write(root, article.path(SECTION), body)
        article_paths.append(article.path(SECTION))
        for src, alt in article.images:
            sizes["image"] += write(root, src, fake_jpeg(rng, rng.randrange(50_000, 200_001), alt))
            image_paths.append(src)
    manifest = {
        "params": params,
        "listing": LISTING,
        "listings": listings,
        "articles": article_paths,
        "images": image_paths,
        "requisites": ["/templates/protostar/favicon.ico", *map(requested, THEME)],
        "urls": len(listings) + len(article_paths) + len(image_paths) + 1 + len(THEME),
        "bytes": sizes,
        "generated_seconds": round(time.perf_counter() - started, 1),
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def describe(manifest: dict) -> str:
    sizes = manifest["bytes"]
    articles = len(manifest["articles"])
    return (
        f"{articles} articles, {len(manifest['listings'])} listing pages, "
        f"{len(manifest['images'])} images: {manifest['urls']} URLs, "
        f"{sum(sizes.values()) / 1e9:.2f} GB (articles {sizes['html'] / 1e6:.0f} MB, "
        f"{sizes['html'] / max(articles, 1) / 1e3:.1f} KB each; "
        f"images {sizes['image'] / 1e6:.0f} MB; listings {sizes['listing'] / 1e6:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-crawl-site"))
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    manifest = generate(args.out, args.articles, args.seed)
    print(f"{args.out}: {describe(manifest)}; generated in {manifest['generated_seconds']} s")


if __name__ == "__main__":
    main()
