"""Three Thai agency news sites for crawl and extraction tests, served by ``SiteServer``.

- ``joomla_routes()``: Joomla 3 (UTF-8), under the Thai path ``/ศูนย์คุณธรรม/``, 12 articles.
- ``wordpress_routes()``: WordPress classic theme, every HTML response gzip-compressed, 8 articles.
- ``legacy_routes()``: home-made PHP with table layout, windows-874 bytes, no charset header, 6 articles.

``EXPECTED[site]`` says what extraction must find in each article, ``JUNK`` what it must never keep.
Prose is real Thai government news (``tests/data/prose.json``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import quote

from archiver.demo.media import tiny_docx, tiny_jpeg, tiny_pdf, tiny_png, tiny_xls
from archiver.demo.server import Page, Route
from archiver.demo.site import (
    JoomlaArticle,
    joomla_article_html,
    joomla_listing_html,
    simple_page,
    thai_date,
)
from archiver.thai.chars import normalize_thai

PROSE = json.loads((Path(__file__).parent / "data" / "prose.json").read_text("utf-8"))

LISTINGS = {"joomla": "/ศูนย์คุณธรรม/news/pr-news.html", "wordpress": "/news/", "legacy": "/news.php"}
JUNK = [
    "A- A A+",
    "SIGPLUS",
    "เกิดข้อผิดพลาด",
    "{gallery}",
    "{/gallery}",
    "L0 001",
    "L0 002",
    "4CE92A36ED2C",
    "เข้าชม",
    "เขียนข่าว",
    "ถ่ายภาพ",
    "ข่าว :",
    "ภาพ :",
    "ข่าวที่เกี่ยวข้อง",
    "คุกกี้",
    "แชร์",
    "อ่านต่อ",
    "ก่อนหน้า",
    "หน้าถัดไป",
    "สงวนลิขสิทธิ์",
    "ผู้ดูแลระบบ",
    "ขอต้อนรับสู่เว็บไซต์",
    "นโยบายความเป็นส่วนตัว",
    "เผยแพร่เมื่อ",
]
EXPECTED: dict[str, list[dict]] = {"joomla": [], "wordpress": [], "legacy": []}
NON_ARTICLES: dict[str, list[str]] = {"joomla": [], "wordpress": [], "legacy": []}
# linked from the sites but disallowed by their robots.txt: a polite crawler never requests them
ROBOTS_DISALLOWED: dict[str, list[str]] = {"joomla": [], "wordpress": [], "legacy": []}
# (duplicate URL linked from the site, canonical article route key)
DUPLICATES: dict[str, list[tuple[str, str]]] = {"joomla": [], "wordpress": [], "legacy": []}

THAI_MONTHS_SHORT = "ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค.".split()
JPEG, PNG = [("Content-Type", "image/jpeg")], [("Content-Type", "image/png")]
UTF8_HTML = [("Content-Type", "text/html; charset=utf-8")]
ROBOTS_TYPE = [("Content-Type", "text/plain")]


_RECORDING = True

#: Each site's theme, the requisites every page of it loads (path -> Page): stylesheets and
#: what they load (fonts, background images, an @import), scripts, the favicon. Filled when a
#: site's routes are built; the crawl fetches each once per run (``ARCHIVER_REQUISITES``).
THEME: dict[str, dict[str, Page]] = {"joomla": {}, "wordpress": {}, "legacy": {}}
CSS = [("Content-Type", "text/css")]
JS = [("Content-Type", "application/javascript")]
WOFF2 = [("Content-Type", "font/woff2")]
ICO = [("Content-Type", "image/vnd.microsoft.icon")]
SVG = [("Content-Type", "image/svg+xml")]
WEBP = [("Content-Type", "image/webp")]


def _theme(site: str, pages: dict[str, Page]) -> dict[str, Page]:
    if _RECORDING:
        THEME[site].update(pages)
    return pages


def _font(name: str) -> bytes:
    return b"wOF2" + hashlib.sha1(name.encode()).digest() * 8


def _slug(title: str, length: int) -> str:
    """A Joomla/WordPress style unicode alias: Thai kept, spaces and punctuation to ``-``."""
    return re.sub(r"[\s\"“”'.,:;!?()/%&#+–-]+", "-", title)[:length].strip("-")


def _note(table: dict, site: str, value) -> None:
    """Record an expectation, only while the module fills its tables at import time."""
    if _RECORDING:
        table[site].append(value)


def _must_contain(paragraphs: list[str]) -> list[str]:
    """Distinctive phrases: the longest space-free run of the first, middle and last paragraph."""
    picks: list[str] = []
    first = sorted({0, len(paragraphs) // 2, len(paragraphs) - 1})
    for index in first + [i for i in range(len(paragraphs)) if i not in first]:
        runs = sorted(re.split(r"\s+", paragraphs[index]), key=len, reverse=True)
        for run in runs[:2]:
            run = run[:30]
            if len(run) >= 8 and run not in picks and len(picks) < 3:
                picks.append(run)
    return picks


def _expect(
    site: str,
    path: str,
    item: dict,
    published_raw: str,
    author,
    photographer,
    images: list[str],
    attachments: list[str],
) -> None:
    # The pages hold the agencies' own spelling (real prose has ``กําหนด``, nikhahit + sara
    # aa); extraction keeps one Thai spelling of each word (``normalize_thai``).
    one = normalize_thai
    _note(
        EXPECTED,
        site,
        {
            "path": path,
            "title": one(item["title"]),
            "published": item["date"],
            "published_raw": published_raw,
            "author": one(author) if author else author,
            "photographer": one(photographer) if photographer else photographer,
            "must_contain": [one(phrase) for phrase in _must_contain(item["paragraphs"])],
            "images": images,
            "attachments": attachments,
        },
    )


# --------------------------------------------------------------------------------------------
# Joomla 3
# --------------------------------------------------------------------------------------------
J_PREFIX = "/ศูนย์คุณธรรม"
J_SECTION = f"{J_PREFIX}/news/pr-news"
J_NAME = "ศูนย์คุณธรรม (องค์การมหาชน)"
J_TAG = f"{J_PREFIX}/component/tags/tag/12-คุณธรรม.html"
J_PER_PAGE = 5
J_AUTHORS = [
    ("กลุ่มงานประชาสัมพันธ์", "กลุ่มงานประชาสัมพันธ์"),
    ("สำนักส่งเสริมและขับเคลื่อนเครือข่ายทางสังคม", None),
    ("กลุ่มงานสื่อสารองค์กร", "นายสมชาย ใจดี"),
    (None, None),
]


def _joomla_articles() -> list[JoomlaArticle]:
    items = [PROSE["seed"], *PROSE["joomla"]]
    articles = []
    for n, item in enumerate(items):
        number = 1001 + n
        year, month, day = item["date"].split("-")
        folder = f"/News-PR-{int(year) + 543}/{day}-{month}-{int(year) + 543 - 2500}"
        if n == 0:
            codes = ["F5CE88A3-A8A3-42A7-9473-4CE92A36ED2C"]
            author = "กลุ่มงานสมัชชาคุณธรรมและความร่วมมือนานาชาติ"
            photographer = "สำนักงานวัฒนธรรมจังหวัดพระนครศรีอยุธยา"
        else:
            codes = [f"{number:04X}{k:04X}-A8A3-42A7-9473-4CE92A36ED2C" for k in range(n % 3 + 1)]
            author, photographer = J_AUTHORS[n % 4]
        images = []
        for k, code in enumerate(codes, start=1):
            if k == 2:  # a Thai folder name and a PNG
                src = f"{J_PREFIX}/images/ข่าวประชาสัมพันธ์/{year}/{code}_L0_00{k}.png"
            else:
                src = f"{J_PREFIX}/images{folder}/{code}_L0_00{k}.jpg"
            images.append((src, f"{code.replace('-', ' ')} L0 00{k}"))
        slug = (
            "moral-province-ayutthaya-2565"
            if n == 0
            else (_slug(item["title"], 40) if n % 3 == 1 else f"news-{number}")
        )
        articles.append(
            JoomlaArticle(
                id=number,
                slug=slug,
                title=item["title"],
                published=item["date"],
                paragraphs=item["paragraphs"],
                author=author,
                photographer=photographer,
                images=images,
                gallery=folder if n % 2 == 0 else None,
                hits=123 + 37 * n,
            )
        )
    articles[3].attachments = [
        (f"{J_PREFIX}/images/เอกสาร/ประกาศ-{articles[3].id}.pdf", "ดาวน์โหลดเอกสาร")
    ]
    return sorted(articles, key=lambda a: (a.published, a.id), reverse=True)


def _joomla_soft404() -> JoomlaArticle:
    return JoomlaArticle(
        id=999,
        slug="ประกาศผลการคัดเลือกองค์กรคุณธรรมต้นแบบ",
        published="2021-01-05",
        title="ประกาศผลการคัดเลือกองค์กรคุณธรรมต้นแบบ ประจำปี 2564",
        paragraphs=["ศูนย์คุณธรรมประกาศผลการคัดเลือกองค์กรคุณธรรมต้นแบบ รายละเอียดตามเอกสารแนบ"],
    )


def _with_aside(body: bytes, latest: list[JoomlaArticle]) -> bytes:
    """Add a 'latest news' module whose links carry an ``Itemid`` (duplicate URLs)."""
    links = "".join(
        f'<li><a href="{escape(a.path(J_SECTION))}?Itemid=135">{escape(a.title)}</a></li>'
        for a in latest
    )
    module = f'<div class="well"><h3 class="page-header">ข่าวล่าสุด</h3><ul class="latestnews">{links}</ul></div>'
    tags = f'<div class="well"><h3 class="page-header">แท็ก</h3><a href="{escape(J_TAG)}">คุณธรรม</a></div>'
    categories = (
        f'<div class="well"><h3 class="page-header">หมวดหมู่</h3><ul><li><a href="{escape(J_PREFIX)}/news.html">ข่าวสาร</a></li>'
        f'<li><a href="{escape(J_PREFIX)}/news/activities.html">ภาพกิจกรรม</a></li></ul></div>'
    )
    return body.replace(
        b'<div id="aside" class="span3">',
        ('<div id="aside" class="span3">' + module + tags + categories).encode(),
        1,
    )


J_TEMPLATE = f"{J_PREFIX}/templates/protostar"
J_HEAD = (
    f'<link href="{quote(J_TEMPLATE)}/css/template.css?v=3.10" rel="stylesheet">\n'
    f'<script src="{quote(J_PREFIX)}/media/jui/js/jquery.min.js?v=3.10"></script>\n'
    f'<script src="{quote(J_TEMPLATE)}/js/template.js?v=3.10"></script>\n'
)


def _joomla_theme() -> dict[str, Page]:
    css = (
        "/* Protostar */\n"
        '@font-face { font-family: "IcoMoon"; src: url("../../../media/jui/fonts/IcoMoon.woff") '
        'format("woff"); }\n'
        "body.site { background: #f4f6f7 url(../images/bg-body.png) repeat-x; }\n"
        ".brand { background-image: url('../images/logo.png'); }\n"
    )
    return _theme(
        "joomla",
        {
            f"{J_TEMPLATE}/favicon.ico": Page(tiny_png(90), headers=ICO),
            f"{J_TEMPLATE}/css/template.css?v=3.10": Page(css.encode(), headers=CSS),
            f"{J_PREFIX}/media/jui/js/jquery.min.js?v=3.10": Page(
                b"/*! jQuery v1.12.4 */ window.jQuery = {};", headers=JS
            ),
            f"{J_TEMPLATE}/js/template.js?v=3.10": Page(b"jQuery.noop();", headers=JS),
            f"{J_PREFIX}/media/jui/fonts/IcoMoon.woff": Page(_font("IcoMoon"), headers=WOFF2),
            f"{J_TEMPLATE}/images/bg-body.png": Page(tiny_png(91), headers=PNG),
            f"{J_TEMPLATE}/images/logo.png": Page(tiny_png(92), headers=PNG),
        },
    )


def _with_head(body: bytes, head: str) -> bytes:
    return body.replace(b"</head>", head.encode() + b"</head>", 1)


def joomla_routes() -> dict[str, Page]:
    articles = _joomla_articles()
    soft = _joomla_soft404()
    listed = [*articles, soft]
    routes: dict[str, Page] = {
        **_joomla_theme(),
        "/robots.txt": Page(
            (
                "User-agent: *\n"
                f"Disallow: {quote(J_PREFIX)}/administrator/\n"
                f"Disallow: {quote(J_PREFIX)}/component/mailto/\n"
                f"Disallow: {quote(J_PREFIX)}/cache/\n"
            ).encode(),
            headers=ROBOTS_TYPE,
        ),
    }
    pages = {
        f"{J_PREFIX}/": ("หน้าแรก", "ยินดีต้อนรับ ศูนย์คุณธรรม (องค์การมหาชน)"),
        f"{J_PREFIX}/about.html": ("เกี่ยวกับเรา", "ประวัติความเป็นมา วิสัยทัศน์ พันธกิจ"),
        f"{J_PREFIX}/contact.html": ("ติดต่อเรา", "โทรศัพท์ 0 2644 9900 โทรสาร 0 2644 9914"),
        f"{J_PREFIX}/news.html": ("ข่าวสาร", "ข่าวประชาสัมพันธ์ ภาพกิจกรรม"),
        f"{J_PREFIX}/news/activities.html": ("ภาพกิจกรรม", "ยังไม่มีบทความในหมวดหมู่นี้"),
        J_TAG: ("แท็ก: คุณธรรม", "บทความที่ติดแท็กนี้"),
    }
    for key, (title, text) in pages.items():
        routes[key] = Page(
            _with_aside(simple_page(J_PREFIX, J_NAME, title, text), articles[:3]), headers=UTF8_HTML
        )
        _note(NON_ARTICLES, "joomla", key)
    for key in (f"{J_PREFIX}/administrator/",):
        routes[key] = Page(simple_page(J_PREFIX, J_NAME, "ผู้ดูแลระบบ", "เข้าสู่ระบบ"), headers=UTF8_HTML)
        _note(ROBOTS_DISALLOWED, "joomla", key)
    for start in range(0, len(listed), J_PER_PAGE):
        key = LISTINGS["joomla"] if start == 0 else f"{LISTINGS['joomla']}?start={start}"
        body = joomla_listing_html(
            listed[start : start + J_PER_PAGE],
            prefix=J_PREFIX,
            site_name=J_NAME,
            section=J_SECTION,
            start=start,
            per_page=J_PER_PAGE,
            total=len(listed),
        )
        routes[key] = Page(_with_head(_with_aside(body, articles[:3]), J_HEAD), headers=UTF8_HTML)
    for n, a in enumerate(articles):
        path = a.path(J_SECTION)
        newer = articles[n - 1].path(J_SECTION) if n else None
        older = articles[n + 1].path(J_SECTION) if n + 1 < len(articles) else None
        tags = (
            f'<ul class="tags inline"><li><a href="{escape(J_TAG)}" class="label label-info">คุณธรรม</a></li></ul>'
            if n % 2
            else ""
        )
        body = joomla_article_html(
            a,
            prefix=J_PREFIX,
            site_name=J_NAME,
            section=J_SECTION,
            prev_next=(newer, older),
            extra_body=tags,
        )
        routes[path] = Page(_with_head(_with_aside(body, articles[:3]), J_HEAD), headers=UTF8_HTML)
        printed = f"{path}?tmpl=component&print=1"
        routes[printed] = Page(
            joomla_article_html(
                a, prefix=J_PREFIX, site_name=J_NAME, section=J_SECTION, print_view=True
            ),
            headers=UTF8_HTML,
        )
        _note(NON_ARTICLES, "joomla", printed)
        mailto = f"{J_PREFIX}/component/mailto/?tmpl=component&link={a.id:04x}c0ffee"
        routes[mailto] = Page(b"<html><body><form>mailto</form></body></html>", headers=UTF8_HTML)
        _note(ROBOTS_DISALLOWED, "joomla", mailto)
        for k, (src, _alt) in enumerate(a.images):
            png = src.endswith(".png")
            routes[src] = Page(
                tiny_png(a.id * 10 + k) if png else tiny_jpeg(a.id * 10 + k),
                headers=PNG if png else JPEG,
            )
        for key, _label in a.attachments:
            routes[key] = Page(
                tiny_pdf(f"Announcement {a.id}"), headers=[("Content-Type", "application/pdf")]
            )
        item = next(i for i in [PROSE["seed"], *PROSE["joomla"]] if i["title"] == a.title)
        _expect(
            "joomla",
            path,
            item,
            thai_date(a.published),
            a.author,
            a.photographer,
            [src for src, _ in a.images],
            [key for key, _ in a.attachments],
        )
    for a in articles[:3]:
        _note(DUPLICATES, "joomla", (f"{a.path(J_SECTION)}?Itemid=135", a.path(J_SECTION)))
    soft_key = soft.path(J_SECTION)
    routes[soft_key] = Page(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>ไม่พบหน้าที่ต้องการ</title></head>'
        "<body><h1>ไม่พบหน้าที่ต้องการ</h1><p>404 - ไม่พบบทความ</p></body></html>".encode(),
        headers=UTF8_HTML,
    )
    _note(NON_ARTICLES, "joomla", soft_key)
    return routes


# --------------------------------------------------------------------------------------------
# WordPress (gzip)
# --------------------------------------------------------------------------------------------
WP_NAME = "กรมส่งเสริมการปกครองตัวอย่าง"
WP_HTML = [
    ("Content-Type", "text/html; charset=UTF-8"),
    ("Content-Encoding", "gzip"),
    ("Vary", "Accept-Encoding"),
]
WP_CATEGORY, WP_TAG = "/category/news/", "/tag/ธรรมาภิบาล/"
WP_BYLINES = [
    ("กลุ่มประชาสัมพันธ์", "กลุ่มประชาสัมพันธ์"),
    ("ฝ่ายสื่อสารองค์กร", None),
    ("นางสาวมาลี รักงาน", "นายวิชัย กล้องดี"),
]


def _gz(html: str) -> Page:
    return Page(gzip.compress(html.encode("utf-8"), mtime=0), headers=list(WP_HTML))


def _wp_href(key: str) -> str:
    return quote(key, safe="/").lower() if any(ord(c) > 127 for c in key) else key


def _wp_chrome(title: str, main: str, body_class: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="th" prefix="og: https://ogp.me/ns#">
<head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} &#8211; {WP_NAME}</title>
<meta name="generator" content="WordPress 6.4.2">
<link rel="stylesheet" id="wp-block-library-css" href="/wp-includes/css/dist/block-library/style.min.css?ver=6.4.2" media="all">
<link rel="stylesheet" id="twentyseventeen-style-css" href="/wp-content/themes/twentyseventeen/style.css?ver=6.4.2" media="all">
<link rel="preload" href="/wp-content/themes/twentyseventeen/assets/fonts/sarabun-bold.woff2" as="font" type="font/woff2" crossorigin>
<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<link rel="icon" href="/wp-content/uploads/2021/01/cropped-logo-32x32.png" sizes="32x32">
<link rel="icon" href="/wp-content/uploads/2021/01/cropped-logo-192x192.png" sizes="192x192">
<link rel="apple-touch-icon" href="/wp-content/uploads/2021/01/cropped-logo-180x180.png">
</head>
<body class="{body_class}">
<div id="page" class="site" style="background-image: url('/wp-content/uploads/2021/01/page-bg.jpg')"><a class="skip-link screen-reader-text" href="#content">ข้ามไปยังเนื้อหา</a>
<header id="masthead" class="site-header"><div class="site-branding"><a href="/" class="custom-logo-link"><img width="250" height="80" src="/wp-content/uploads/2021/01/logo.png" class="custom-logo" alt="" srcset="/wp-content/uploads/2021/01/logo.png 250w, /wp-content/uploads/2021/01/logo@2x.png 500w" sizes="250px"></a><p class="site-title"><a href="/" rel="home">{WP_NAME}</a></p></div>
<nav id="site-navigation" class="main-navigation"><ul id="top-menu" class="menu">
<li><a href="/">หน้าแรก</a></li><li><a href="/news/">ข่าวประชาสัมพันธ์</a></li><li><a href="/about/">เกี่ยวกับหน่วยงาน</a></li><li><a href="/contact/">ติดต่อ</a></li></ul></nav></header>
<div id="content" class="site-content"><div class="wrap"><div id="primary" class="content-area"><main id="main" class="site-main">
{main}
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_search"><form role="search" method="get" action="/"><input type="search" name="s" placeholder="ค้นหา &hellip;"></form></section>
<section class="widget widget_categories"><h2 class="widget-title">หมวดหมู่</h2><ul><li class="cat-item"><a href="{WP_CATEGORY}">ข่าวประชาสัมพันธ์</a></li></ul></section></aside>
</div></div>
<footer id="colophon" class="site-footer"><div class="site-info">สงวนลิขสิทธิ์ &copy; 2565 {WP_NAME} | <a href="/privacy-policy/">นโยบายความเป็นส่วนตัว</a> | <a href="/wp-admin/">ผู้ดูแลระบบ</a></div></footer>
</div>
<div id="cookie-law-info-bar" class="pdpa-consent" role="dialog"><span>เว็บไซต์นี้มีการใช้งานคุกกี้ เพื่อเพิ่มประสิทธิภาพและประสบการณ์ที่ดีในการใช้งานเว็บไซต์ของท่าน ท่านสามารถอ่านรายละเอียดเพิ่มเติมได้ที่ <a href="/privacy-policy/">นโยบายความเป็นส่วนตัว</a></span> <a role="button" id="cookie_action_close_header" class="cli_action_button">ยอมรับ</a></div>
<script src="/wp-includes/js/wp-embed.min.js?ver=6.4.2"></script>
</body></html>
"""


WP_THEME = "/wp-content/themes/twentyseventeen"


def _wordpress_theme() -> dict[str, Page]:
    style = (
        "/*\nTheme Name: Twenty Seventeen\n*/\n"
        '@import url("assets/css/blocks.css");\n'
        "@font-face { font-family: 'Sarabun'; font-weight: 400;\n"
        "  src: url(assets/fonts/sarabun.woff2) format('woff2'); }\n"
        "@font-face { font-family: 'Sarabun'; font-weight: 700;\n"
        '  src: url("assets/fonts/sarabun-bold.woff2") format("woff2"); }\n'
        ".site-header { background: url( 'assets/images/header.jpg' ) no-repeat; }\n"
        "/* .old { background: url(assets/images/gone.jpg); } */\n"
        ".icon-data { background: url(data:image/gif;base64,R0lGODlhAQABAAAAACw=); }\n"
    )
    blocks = ".wp-block-quote { background: url(../images/quote.svg); }\n"
    library = ".wp-block-file__button { background: url(../images/download.png); }\n"
    pages = {
        f"{WP_THEME}/style.css?ver=6.4.2": Page(style.encode(), headers=CSS),
        f"{WP_THEME}/assets/css/blocks.css": Page(blocks.encode(), headers=CSS),
        "/wp-includes/css/dist/block-library/style.min.css?ver=6.4.2": Page(
            library.encode(), headers=CSS
        ),
        "/wp-includes/css/dist/images/download.png": Page(tiny_png(80), headers=PNG),
        f"{WP_THEME}/assets/fonts/sarabun.woff2": Page(_font("sarabun"), headers=WOFF2),
        f"{WP_THEME}/assets/fonts/sarabun-bold.woff2": Page(_font("sarabun-bold"), headers=WOFF2),
        f"{WP_THEME}/assets/images/header.jpg": Page(tiny_jpeg(81), headers=JPEG),
        f"{WP_THEME}/assets/images/quote.svg": Page(
            b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>', headers=SVG
        ),
        "/wp-includes/js/jquery/jquery.min.js?ver=3.7.1": Page(
            b"/*! jQuery v3.7.1 */ window.jQuery = {};", headers=JS
        ),
        "/wp-includes/js/wp-embed.min.js?ver=6.4.2": Page(b"/*! wp-embed */", headers=JS),
        "/wp-content/uploads/2021/01/page-bg.jpg": Page(tiny_jpeg(82), headers=JPEG),
        "/wp-content/uploads/2021/01/logo.png": Page(tiny_png(83), headers=PNG),
        "/wp-content/uploads/2021/01/logo@2x.png": Page(tiny_png(84, 16), headers=PNG),
    }
    for size in ("32x32", "192x192", "180x180"):
        pages[f"/wp-content/uploads/2021/01/cropped-logo-{size}.png"] = Page(
            tiny_png(85 + len(size)), headers=PNG
        )
    return _theme("wordpress", pages)


def _wp_posts() -> list[dict]:
    posts = []
    for n, item in enumerate(sorted(PROSE["wordpress"], key=lambda i: i["date"], reverse=True)):
        year, month, _day = item["date"].split("-")
        slug = f"news-{2000 + n}" if n % 2 else _slug(item["title"], 30)
        upload = f"/wp-content/uploads/{year}/{month}/pr-{2000 + n}"
        author, photographer = WP_BYLINES[n % 3] if n != 5 else (None, None)
        posts.append(
            {
                "id": 2000 + n,
                "item": item,
                "path": f"/news/{year}/{month}/{slug}/",
                "images": [f"{upload}-{k}-1024x683.jpg" for k in range(1, n % 2 + 2)],
                "upload": upload,
                "author": author,
                "photographer": photographer,
                "attachments": [f"/wp-content/uploads/{year}/{month}/เอกสารแนบ-{2000 + n}.docx"]
                if n == 2
                else [],
            }
        )
    return posts


def _wp_article(post: dict, posts: list[dict]) -> str:
    item = post["item"]
    figures = [
        f'<figure class="wp-block-image size-large"><img loading="lazy" decoding="async" width="1024" height="683" src="{src}" alt="" '
        f'class="wp-image-{post["id"]}" srcset="{src} 1024w, {src.replace("1024x683", "300x200")} 300w, '
        f'{src.replace("1024x683", "768x512")} 768w" sizes="(max-width: 1024px) 100vw, 1024px" /></figure>'
        for src in post["images"]
    ]
    if len(post["images"]) > 1:  # a <picture> with WebP sources (an image plugin's markup)
        src = post["images"][1]
        webp = src.replace(".jpg", ".webp")
        figures[1] = (
            f'<figure class="wp-block-image size-large"><picture><source type="image/webp" '
            f'srcset="{webp} 1024w, {webp.replace("1024x683", "768x512")} 768w" sizes="100vw">'
            f'<img loading="lazy" width="1024" height="683" src="{src}" alt="" class="wp-image-{post["id"]}" '
            f'srcset="{src} 1024w, {src.replace("1024x683", "300x200")} 300w, '
            f'{src.replace("1024x683", "768x512")} 768w" sizes="100vw"></picture></figure>'
        )
    paragraphs = [f"<p>{escape(p)}</p>" for p in item["paragraphs"]]
    content = figures[:1] + paragraphs + figures[1:]
    for key in post["attachments"]:
        content.append(
            f'<div class="wp-block-file"><a href="{_wp_href(key)}">เอกสารแนบ: {escape(key.rsplit("/", 1)[1])}</a>'
            f'<a href="{_wp_href(key)}" class="wp-block-file__button wp-element-button" download>ดาวน์โหลด</a></div>'
        )
    lines = []
    if post["author"]:
        lines.append(f"ข่าว : {escape(post['author'])}")
    if post["photographer"]:
        lines.append(f"ภาพ : {escape(post['photographer'])}")
    if lines:
        content.append(f"<p>{'<br />'.join(lines)}</p>")
    related = [p for p in posts if p is not post][:3]
    related_html = "".join(
        f'<li><a href="{_wp_href(p["path"])}">{escape(p["item"]["title"])}</a></li>'
        for p in related
    )
    url = f"https://example.go.th{_wp_href(post['path'])}"
    return f"""<article id="post-{post["id"]}" class="post-{post["id"]} post type-post status-publish format-standard has-post-thumbnail hentry category-news">
<header class="entry-header"><div class="entry-meta"><span class="posted-on"><span class="screen-reader-text">เผยแพร่เมื่อ</span> <a href="{_wp_href(post["path"])}" rel="bookmark"><time class="entry-date published" datetime="{item["date"]}T10:15:00+07:00">{thai_date(item["date"])}</time></a></span></div>
<h1 class="entry-title">{escape(item["title"])}</h1></header>
<div class="entry-content">
{chr(10).join(content)}
</div>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">แชร์:</h3><ul>
<li class="share-facebook"><a href="https://www.facebook.com/sharer/sharer.php?u={url}" target="_blank">Facebook</a></li>
<li class="share-line"><a href="https://social-plugins.line.me/lineit/share?url={url}" target="_blank">LINE</a></li>
<li class="share-x"><a href="https://twitter.com/intent/tweet?url={url}" target="_blank">X</a></li></ul></div>
<footer class="entry-footer"><span class="cat-links">หมวดหมู่ <a href="{WP_CATEGORY}" rel="category tag">ข่าวประชาสัมพันธ์</a></span>
<span class="tags-links">ป้ายกำกับ <a href="{_wp_href(WP_TAG)}" rel="tag">ธรรมาภิบาล</a></span></footer>
</article>
<div class="related-posts"><h3 class="related-title">ข่าวที่เกี่ยวข้อง</h3><ul>{related_html}</ul></div>"""


def _wp_listing(posts: list[dict], page: int, pages: int) -> str:
    entries = []
    for post in posts:
        item = post["item"]
        entries.append(f"""<article id="post-{post["id"]}" class="post-{post["id"]} post type-post status-publish hentry category-news">
<header class="entry-header"><div class="entry-meta"><time class="entry-date published" datetime="{item["date"]}T10:15:00+07:00">{thai_date(item["date"])}</time></div>
<h2 class="entry-title"><a href="{_wp_href(post["path"])}" rel="bookmark">{escape(item["title"])}</a></h2></header>
<div class="post-thumbnail"><a href="{_wp_href(post["path"])}"><img src="{post["images"][0].replace("1024x683", "300x200")}" alt=""></a></div>
<div class="entry-summary"><p>{escape(item["paragraphs"][0][:180])} [&hellip;]</p></div></article>""")

    def href(n: int) -> str:
        return "/news/" if n == 1 else f"/news/page/{n}/"

    nav = []
    if page > 1:
        nav.append(f'<a class="prev page-numbers" href="{href(page - 1)}">&laquo; ก่อนหน้า</a>')
    for n in range(1, pages + 1):
        nav.append(
            f'<span aria-current="page" class="page-numbers current">{n}</span>'
            if n == page
            else f'<a class="page-numbers" href="{href(n)}">{n}</a>'
        )
    if page < pages:
        nav.append(f'<a class="next page-numbers" href="{href(page + 1)}">ถัดไป &raquo;</a>')
    return (
        '<header class="page-header"><h1 class="page-title">ข่าวประชาสัมพันธ์</h1></header>\n'
        + "\n".join(entries)
        + f'\n<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">{"".join(nav)}</div></nav>'
    )


def wordpress_routes() -> dict[str, Page]:
    posts = _wp_posts()
    routes: dict[str, Page] = {
        "/robots.txt": Page(
            b"User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n",
            headers=ROBOTS_TYPE,
        ),
        "/wp-admin/": _gz("<html><body>wp-admin</body></html>"),
        **_wordpress_theme(),
    }
    _note(ROBOTS_DISALLOWED, "wordpress", "/wp-admin/")
    per_page, pages = 3, 3
    for page in range(1, pages + 1):
        key = "/news/" if page == 1 else f"/news/page/{page}/"
        main = _wp_listing(posts[(page - 1) * per_page : page * per_page], page, pages)
        routes[key] = _gz(_wp_chrome("ข่าวประชาสัมพันธ์", main, "blog hfeed"))
    others = {
        "/": ("หน้าแรก", "<p>ยินดีต้อนรับ</p>"),
        "/about/": ("เกี่ยวกับหน่วยงาน", "<p>ประวัติหน่วยงาน วิสัยทัศน์ และพันธกิจ</p>"),
        "/contact/": ("ติดต่อ", "<p>โทร 0 2241 9000</p>"),
        "/privacy-policy/": ("นโยบายความเป็นส่วนตัว", "<p>การเก็บรวบรวมข้อมูลส่วนบุคคล</p>"),
        WP_CATEGORY: ("หมวดหมู่: ข่าวประชาสัมพันธ์", _wp_listing(posts[:2], 1, 1)),
        WP_TAG: ("ป้ายกำกับ: ธรรมาภิบาล", _wp_listing(posts[2:4], 1, 1)),
    }
    for key, (title, main) in others.items():
        routes[key] = _gz(_wp_chrome(title, main, "archive"))
        _note(NON_ARTICLES, "wordpress", key)
    for post in posts:
        routes[post["path"]] = _gz(
            _wp_chrome(
                post["item"]["title"], _wp_article(post, posts), "post-template-default single"
            )
        )
        for k, src in enumerate(post["images"]):
            for size in ("1024x683", "300x200", "768x512"):
                routes[src.replace("1024x683", size)] = Page(
                    tiny_jpeg(post["id"] * 10 + k + len(size)), headers=JPEG
                )
                if k == 1:
                    routes[src.replace("1024x683", size).replace(".jpg", ".webp")] = Page(
                        tiny_png(post["id"] * 10 + k + len(size)), headers=WEBP
                    )
        for key in post["attachments"]:
            routes[key] = Page(
                tiny_docx(post["item"]["title"]),
                headers=[
                    (
                        "Content-Type",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    )
                ],
            )
        item = post["item"]
        _expect(
            "wordpress",
            post["path"],
            item,
            thai_date(item["date"]),
            post["author"],
            post["photographer"],
            list(post["images"]),
            list(post["attachments"]),
        )
    return routes


# --------------------------------------------------------------------------------------------
# Legacy PHP (windows-874, no charset in the HTTP header)
# --------------------------------------------------------------------------------------------
L_NAME = "สำนักงานเทศบาลตำบลตัวอย่าง"
L_HTML = [
    ("Content-Type", "text/html"),
    ("Server", "Apache/2.2.3 (CentOS)"),
    ("X-Powered-By", "PHP/5.2.17"),
]
L_META = '<meta http-equiv="Content-Type" content="text/html; charset=windows-874">'


def _cp874(html: str) -> Page:
    return Page(html.encode("cp874"), headers=list(L_HTML))


def _legacy_date(iso: str, style: int) -> str:
    year, month, day = (int(x) for x in iso.split("-"))
    be = (year + 543) % 100
    return (
        f"{day} {THAI_MONTHS_SHORT[month - 1]} {be:02d}"
        if style == 0
        else f"{day:02d}-{month:02d}-{be:02d}"
    )


def _legacy_chrome(title: str, content: str, meta: bool) -> str:
    return f"""<html>
<head>
{L_META if meta else ""}
<title>{escape(title)} :: {L_NAME}</title>
<link href="style.css" rel="stylesheet" type="text/css">
</head>
<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0">
<table width="780" border="0" align="center" cellpadding="0" cellspacing="0">
<tr><td colspan="2" bgcolor="#003399"><font color="#FFFFFF" size="4"><b>{L_NAME}</b></font></td></tr>
<tr><td colspan="2"><marquee scrollamount="3">ขอต้อนรับสู่เว็บไซต์ {L_NAME} บริการด้วยใจ โปร่งใส ตรวจสอบได้</marquee></td></tr>
<tr><td width="160" valign="top" bgcolor="#EEEEEE">
<a href="index.php">หน้าหลัก</a><br><a href="about.php">ประวัติหน่วยงาน</a><br><a href="news.php">ข่าวประชาสัมพันธ์</a><br><a href="contact.php">ติดต่อเรา</a><br>
<br>สถิติผู้เข้าชม<br><font face="Courier">0123456</font> คน
</td>
<td width="620" valign="top">
{content}
</td></tr>
<tr><td colspan="2" align="center"><font size="1">สงวนลิขสิทธิ์ 2550 {L_NAME} | <a href="admin/login.php">ผู้ดูแลระบบ</a></font></td></tr>
</table>
</body>
</html>
"""


def legacy_routes() -> dict[str, Page]:
    items = sorted(PROSE["legacy"], key=lambda i: i["date"], reverse=True)
    routes: dict[str, Page] = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /admin/\n", headers=ROBOTS_TYPE),
        "/admin/login.php": _cp874(_legacy_chrome("เข้าสู่ระบบ", "<form>รหัสผ่าน</form>", True)),
        "/images/bullet.png": Page(tiny_png(7), headers=PNG),
        **_theme(
            "legacy",
            {
                "/style.css": Page(
                    b"body { font-family: Tahoma; }\ntd.head { background: url(images/head.gif); }\n",
                    headers=CSS,
                ),
                "/images/head.gif": Page(
                    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", headers=[("Content-Type", "image/gif")]
                ),
                # named by no page: what a browser asks for when a page names no icon
                "/favicon.ico": Page(tiny_png(12), headers=ICO),
            },
        ),
    }
    _note(ROBOTS_DISALLOWED, "legacy", "/admin/login.php")
    for key, title in {
        "/index.php": "หน้าหลัก",
        "/about.php": "ประวัติหน่วยงาน",
        "/contact.php": "ติดต่อเรา",
    }.items():
        routes[key] = _cp874(
            _legacy_chrome(title, f"<b>{title}</b><br>{L_NAME}", meta=key != "/contact.php")
        )
        _note(NON_ARTICLES, "legacy", key)
    per_page = 4
    for page in (1, 2):
        rows = []
        for n, item in enumerate(
            items[(page - 1) * per_page : page * per_page], start=(page - 1) * per_page
        ):
            rows.append(
                f'<tr><td width="20"><img src="images/bullet.png" width="8" height="8"></td>'
                f'<td><a href="news_detail.php?id={n + 1}">{escape(item["title"])}</a> '
                f'<font size="1" color="#999999">({_legacy_date(item["date"], 0)})</font></td></tr>'
            )
        nav = (
            '<a href="news.php?page=2">หน้าถัดไป &gt;&gt;</a>'
            if page == 1
            else '<a href="news.php?page=1">&lt;&lt; หน้าแรก</a>'
        )
        content = (
            f'<table width="100%" border="0" cellpadding="3"><tr><td colspan="2" bgcolor="#CCCCFF"><b>ข่าวประชาสัมพันธ์</b></td></tr>'
            f'{"".join(rows)}<tr><td colspan="2" align="right">หน้า [<a href="news.php">1</a>] [<a href="news.php?page=2">2</a>] {nav}</td></tr></table>'
        )
        routes["/news.php" if page == 1 else "/news.php?page=2"] = _cp874(
            _legacy_chrome("ข่าวประชาสัมพันธ์", content, meta=page == 1)
        )
    for n, item in enumerate(items):
        news_id = n + 1
        images = [f"/news_pic/{news_id}_{k}.jpg" for k in range(1, n % 2 + 2)]
        attachments = [f"/download/report_{news_id}.xls"] if n == 3 else []
        raw = _legacy_date(item["date"], n % 2)
        author = photographer = None
        byline = ""
        if n % 3 == 0:
            author = photographer = "งานประชาสัมพันธ์"
            byline = "<br>ข่าว/ภาพ : งานประชาสัมพันธ์"
        elif n % 3 == 1:
            author = "กองวิชาการและแผนงาน"
            byline = "<br>ข่าว : กองวิชาการและแผนงาน"
        text = "<br><br>\n".join(f"&nbsp;&nbsp;&nbsp;&nbsp;{escape(p)}" for p in item["paragraphs"])
        pics = "".join(
            f'<img src="{src.lstrip("/")}" width="400" border="0"><br>' for src in images
        )
        files = "".join(
            f'<br>ไฟล์แนบ : <a href="{key.lstrip("/")}">ดาวน์โหลดไฟล์ Excel</a>' for key in attachments
        )
        content = (
            f'<table width="100%" border="0" cellpadding="4" cellspacing="0">'
            f'<tr><td bgcolor="#CCCCFF"><b>{escape(item["title"])}</b></td></tr>'
            f'<tr><td><font size="2" color="#666666">วันที่ {raw}</font></td></tr>'
            f'<tr><td>{text}{byline}</td></tr><tr><td align="center">{pics}</td></tr>'
            f'<tr><td>{files}<br><a href="news.php">&lt;&lt; กลับหน้ารวมข่าว</a></td></tr></table>'
        )
        key = f"/news_detail.php?id={news_id}"
        routes[key] = _cp874(_legacy_chrome(item["title"], content, meta=n % 2 == 0))
        for k, src in enumerate(images):
            routes[src] = Page(tiny_jpeg(3000 + news_id * 10 + k), headers=JPEG)
        for a in attachments:
            routes[a] = Page(
                tiny_xls([["ลำดับ", "รายการ"], ["1", item["title"]]]),
                headers=[("Content-Type", "application/vnd.ms-excel")],
            )
        _expect("legacy", key, item, raw, author, photographer, images, attachments)
    return routes


def all_routes() -> dict[str, dict[str, Page]]:
    return {"joomla": joomla_routes(), "wordpress": wordpress_routes(), "legacy": legacy_routes()}


def _fill() -> None:
    """Build every site once so EXPECTED / NON_ARTICLES / ... are filled at import time."""
    global _RECORDING
    all_routes()
    _RECORDING = False
    prose = " ".join(
        i["title"] + " " + " ".join(i["paragraphs"])
        for i in [PROSE["seed"], *PROSE["joomla"], *PROSE["wordpress"], *PROSE["legacy"]]
    )
    clash = [j for j in JUNK if j in prose]
    assert not clash, f"JUNK strings found in article prose: {clash}"


_fill()


def with_validators(routes: dict[str, Page]) -> dict[str, Route]:
    """``routes`` answering conditional GETs as most agency servers do: each 200 carries an
    ``ETag`` (of its body), and a request whose ``If-None-Match`` names it gets a ``304``."""

    def conditional(route: Route) -> Route:
        def answer(handler: BaseHTTPRequestHandler) -> Page:
            page = route(handler) if callable(route) else route
            if page.status != 200:
                return page
            etag = '"' + hashlib.sha1(page.body).hexdigest()[:16] + '"'
            if handler.headers.get("If-None-Match") == etag:
                return Page(b"", status=304, headers=[("ETag", etag)])
            return Page(page.body, page.status, [*page.headers, ("ETag", etag)])

        return answer

    return {key: conditional(route) for key, route in routes.items()}
