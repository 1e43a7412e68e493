"""The bundled sample agency site for ``archiver demo``: a small Joomla 3 style news section.

It carries what real agency pages carry around the article (see DESIGN.md): the font-size widget
``A- A A+``, the gallery plugin's error box (``เกิดข้อผิดพลาด`` + ``[SIGPLUS_EXCEPTION_SOURCE] ...``),
photo-file alt text, the unrendered ``{gallery}`` shortcode, a hit counter, print/email icons and the
``เขียนข่าว :`` / ``ถ่ายภาพ :`` byline lines. The page builders here are also used by the test
fixture sites (``tests/fixture_sites.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from archiver.demo.articles import ARTICLES
from archiver.demo.media import tiny_jpeg, tiny_pdf
from archiver.demo.server import Page
from archiver.thai.dates import thai_date as be_date

__all__ = [
    "DEMO_LISTING",
    "DEMO_QUERY",
    "JoomlaArticle",
    "demo_routes",
    "html_page",
    "joomla_article_html",
    "joomla_listing_html",
    "thai_date",
]

DEMO_LISTING = "/news/pr-news.html"
DEMO_QUERY = "คุณธรรม"
DEMO_PER_PAGE = 3

HTML_UTF8 = [("Content-Type", "text/html; charset=utf-8")]
SIGPLUS_ERROR = (
    "[SIGPLUS_EXCEPTION_SOURCE] Image source is expected to be a full URL or a path relative to "
    "the image base folder specified in the back-end but {folder} is neither a URL nor a relative "
    "path to an existing file or folder."
)


def thai_date(iso: str) -> str:
    """``2021-11-15`` -> ``15 พฤศจิกายน 2564`` (Buddhist era)."""
    return be_date(dt.date.fromisoformat(iso))


def html_page(body: bytes, headers: Sequence[tuple[str, str]] = HTML_UTF8) -> Page:
    return Page(body=body, headers=list(headers))


@dataclass
class JoomlaArticle:
    """One Joomla article: where it lives and what its page shows."""

    id: int
    slug: str
    title: str
    published: str  # YYYY-MM-DD
    paragraphs: list[str]
    author: str | None = None
    photographer: str | None = None
    images: list[tuple[str, str]] = field(default_factory=list)  # (route key, alt text)
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (route key, link text)
    gallery: str | None = None  # the folder named in the unrendered {gallery} shortcode
    hits: int = 100

    def path(self, section: str) -> str:
        """``section`` is the listing path without ``.html``, e.g. ``/news/pr-news``."""
        return f"{section}/{self.id}-{self.slug}.html"


def _href(key: str) -> str:
    return escape(key, quote=True)


def _chrome(prefix: str, site_name: str, title: str, content: str, head: str = "") -> bytes:
    """The template around a component: header, main menu, sidebar, footer."""
    menu = [
        (f"{prefix}/", "หน้าแรก"),
        (f"{prefix}/about.html", "เกี่ยวกับเรา"),
        (f"{prefix}/news/pr-news.html", "ข่าวประชาสัมพันธ์"),
        (f"{prefix}/contact.html", "ติดต่อเรา"),
    ]
    menu_html = "".join(f'<li><a href="{_href(k)}">{label}</a></li>' for k, label in menu)
    return f"""<!DOCTYPE html>
<html lang="th-th" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="Joomla! - Open Source Content Management">
<title>{escape(title)} - {escape(site_name)}</title>
<link href="{_href(prefix)}/templates/protostar/favicon.ico" rel="shortcut icon" type="image/vnd.microsoft.icon">
{head}
</head>
<body class="site com_content view-article">
<div class="body"><div class="container">
<header class="header" role="banner"><div class="header-inner clearfix">
<a class="brand pull-left" href="{_href(prefix)}/"><span class="site-title">{escape(site_name)}</span></a>
<div class="header-search pull-right"><div class="font-size-widget" id="fontsize">
<a href="#" class="smaller" title="ลดขนาดตัวอักษร">A-</a> <a href="#" class="reset" title="ขนาดปกติ">A</a> <a href="#" class="larger" title="เพิ่มขนาดตัวอักษร">A+</a>
</div></div></div></header>
<nav class="navigation" role="navigation"><ul class="nav menu nav-pills mod-list">{menu_html}</ul></nav>
<div class="row-fluid"><main id="content" role="main" class="span9">
{content}
</main>
<div id="aside" class="span3"><div class="well"><h3 class="page-header">ลิงก์หน่วยงาน</h3>
<ul><li><a href="https://www.m-culture.go.th/">กระทรวงวัฒนธรรม</a></li></ul></div></div>
</div></div></div>
<footer class="footer" role="contentinfo"><div class="container"><hr>
<p>{escape(site_name)} 69 อาคารวิช ชั้น 3 ถนนพหลโยธิน แขวงสามเสนใน เขตพญาไท กรุงเทพมหานคร 10400</p>
<p><a href="{_href(prefix)}/about.html">เกี่ยวกับเรา</a> | <a href="{_href(prefix)}/contact.html">ติดต่อเรา</a> | <a href="{_href(prefix)}/administrator/">ผู้ดูแลระบบ</a></p>
<p class="pull-right"><a href="#top" id="back-top">กลับด้านบน</a></p>
<p>&copy; 2564 {escape(site_name)} สงวนลิขสิทธิ์</p>
</div></footer>
</body>
</html>
""".encode()


def _system_message(gallery: str | None) -> str:
    if not gallery:
        return '<div id="system-message-container">\n\t</div>'
    message = escape(SIGPLUS_ERROR.format(folder=gallery))
    return f"""<div id="system-message-container">
<div id="system-message"><div class="alert alert-error"><a class="close" data-dismiss="alert">×</a>
<h4 class="alert-heading">เกิดข้อผิดพลาด</h4>
<div><div class="alert-message">{message}</div></div></div></div>
</div>"""


def _article_info(article: JoomlaArticle, link_category: str, hits: bool = True) -> str:
    hits_html = (
        f'<dd class="hits"><span class="icon-eye-open" aria-hidden="true"></span>'
        f'<meta itemprop="interactionCount" content="UserPageVisits:{article.hits}">'
        f"เข้าชม: {article.hits}</dd>"
        if hits
        else ""
    )
    return f"""<dl class="article-info muted">
<dt class="article-info-term">รายละเอียด</dt>
<dd class="category-name"><span class="icon-folder-open" aria-hidden="true"></span> หมวด: <a href="{_href(link_category)}" itemprop="genre">ข่าวประชาสัมพันธ์</a></dd>
<dd class="published"><span class="icon-calendar" aria-hidden="true"></span>
<time datetime="{article.published}T09:30:00+07:00" itemprop="datePublished">เผยแพร่เมื่อ: {thai_date(article.published)}</time></dd>
{hits_html}
</dl>"""


def joomla_article_html(
    article: JoomlaArticle,
    *,
    prefix: str,
    site_name: str,
    section: str,
    prev_next: tuple[str | None, str | None] = (None, None),
    extra_body: str = "",
    print_view: bool = False,
) -> bytes:
    """An article page (``div.item-page``) with all the junk a real Joomla 3 page carries."""
    path = article.path(section)
    print_href = f"{path}?tmpl=component&print=1"
    email_href = f"{prefix}/component/mailto/?tmpl=component&link={article.id:04x}c0ffee"
    images = [
        f'<p><img src="{_href(src)}" alt="{escape(alt)}" /></p>' for src, alt in article.images
    ]
    body = images[:1] + [f"<p>{escape(p)}</p>" for p in article.paragraphs] + images[1:]
    if article.attachments:
        links = " ".join(
            f'<a href="{_href(key)}" target="_blank">{escape(label)}</a>'
            for key, label in article.attachments
        )
        body.append(f"<p>{links}</p>")
    if article.author:
        body.append(f"<p>เขียนข่าว : {escape(article.author)}</p>")
    if article.photographer:
        body.append(f"<p>ถ่ายภาพ : {escape(article.photographer)}</p>")
    if article.gallery:
        body.append(f"<p>{{gallery}}{escape(article.gallery)}{{/gallery}}</p>")
    prev_href, next_href = prev_next
    pager = ""
    if (prev_href or next_href) and not print_view:
        prev_li = (
            f'<li class="previous"><a class="hasTooltip" href="{_href(prev_href)}" rel="prev">&lt; ก่อนหน้า</a></li>'
            if prev_href
            else ""
        )
        next_li = (
            f'<li class="next"><a class="hasTooltip" href="{_href(next_href)}" rel="next">ถัดไป &gt;</a></li>'
            if next_href
            else ""
        )
        pager = f'<ul class="pager pagenav">{prev_li}{next_li}</ul>'
    icons = (
        '<div id="pop-print" class="btn hidden-print"><a href="#" onclick="window.print();return false;">'
        '<span class="icon-print" aria-hidden="true"></span> พิมพ์</a></div>'
        if print_view
        else f"""<div class="icons"><div class="btn-group pull-right">
<a class="btn dropdown-toggle" data-toggle="dropdown" href="#"><span class="icon-cog"></span><span class="caret"></span></a>
<ul class="dropdown-menu">
<li class="print-icon"><a href="{_href(print_href)}" title="พิมพ์บทความ &lt;{escape(article.title)}&gt;" onclick="window.open(this.href,'win2','width=400,height=350');return false;" rel="nofollow"><span class="icon-print" aria-hidden="true"></span> พิมพ์</a></li>
<li class="email-icon"><a href="{_href(email_href)}" title="ส่งลิงก์ให้เพื่อนทางอีเมล" rel="nofollow"><span class="icon-envelope" aria-hidden="true"></span> อีเมล</a></li>
</ul></div></div>"""
    )
    content = f"""{_system_message(article.gallery)}
<div class="item-page" itemscope itemtype="https://schema.org/Article">
<meta itemprop="inLanguage" content="th-TH">
<div class="page-header"><h2 itemprop="headline">{escape(article.title)}</h2></div>
{icons}
{_article_info(article, section + ".html", hits=not print_view)}
<div itemprop="articleBody">
{chr(10).join(body)}
</div>
{extra_body}
{pager}
</div>"""
    if print_view:  # tmpl=component: the component alone, no template around it
        return (
            '<!DOCTYPE html>\n<html lang="th-th" dir="ltr"><head><meta charset="utf-8">'
            '<meta name="robots" content="noindex, nofollow">'
            f"<title>{escape(article.title)} - {escape(site_name)}</title></head>"
            f'<body class="contentpane modal">\n{content}\n</body></html>\n'
        ).encode()
    return _chrome(prefix, site_name, article.title, content)


def joomla_listing_html(
    articles: Sequence[JoomlaArticle],
    *,
    prefix: str,
    site_name: str,
    section: str,
    start: int,
    per_page: int,
    total: int,
    heading: str = "ข่าวประชาสัมพันธ์",
) -> bytes:
    """A category blog page (``div.blog``) showing ``articles``, with ``ul.pagination``."""
    rows = []
    for n, article in enumerate(articles):
        url = _href(article.path(section))
        image = ""
        if article.images:
            src, alt = article.images[0]
            image = f'<div class="pull-left item-image"><a href="{url}"><img src="{_href(src)}" alt="{escape(alt)}" itemprop="thumbnailUrl"></a></div>'
        intro = escape(article.paragraphs[0][:200]) + (
            "…" if len(article.paragraphs[0]) > 200 else ""
        )
        rows.append(f"""<div class="items-row cols-1 row-{n} row-fluid clearfix"><div class="span12">
<div class="item column-1" itemprop="blogPost" itemscope itemtype="https://schema.org/BlogPosting">
<div class="page-header"><h2 class="item-title" itemprop="name"><a href="{url}" itemprop="url">{escape(article.title)}</a></h2></div>
{_article_info(article, section + ".html")}
{image}
<p>{intro}</p>
<p class="readmore"><a class="btn" href="{url}" itemprop="url" aria-label="อ่านต่อ: {escape(article.title)}"><span class="icon-chevron-right" aria-hidden="true"></span> อ่านต่อ: {escape(article.title)}</a></p>
</div></div></div><span class="row-separator"></span>""")
    content = f"""<div id="system-message-container">
\t</div>
<div class="blog" itemscope itemtype="https://schema.org/Blog">
<div class="page-header"><h1>{escape(heading)}</h1></div>
{chr(10).join(rows)}
{_pagination(prefix, section, start, per_page, total)}
</div>"""
    return _chrome(prefix, site_name, heading, content)


def _pagination(prefix: str, section: str, start: int, per_page: int, total: int) -> str:
    pages = max(1, -(-total // per_page))
    current = start // per_page

    def link(page: int, label: str, encoded: bool = False) -> str:
        base = section + ".html"
        if encoded:  # some Joomla templates emit percent-encoded hrefs, others raw UTF-8
            base = quote(base, safe="/")
        href = base if page == 0 else f"{base}?start={page * per_page}"
        return f'<li><a href="{_href(href)}" class="pagenav" title="{label}">{label}</a></li>'

    def disabled(label: str) -> str:
        return f'<li class="disabled"><a>{label}</a></li>'

    items = [
        link(0, "เริ่มต้น") if current else disabled("เริ่มต้น"),
        link(current - 1, "ก่อนหน้า") if current else disabled("ก่อนหน้า"),
    ]
    for page in range(pages):
        if page == current:
            items.append(f'<li class="active"><a>{page + 1}</a></li>')
        else:
            items.append(link(page, str(page + 1), encoded=page % 2 == 1))
    last = pages - 1
    items.append(link(current + 1, "ถัดไป") if current < last else disabled("ถัดไป"))
    items.append(link(last, "สุดท้าย") if current < last else disabled("สุดท้าย"))
    return f"""<div class="pagination">
<p class="counter pull-right">หน้า {current + 1} จาก {pages}</p>
<ul class="pagination">{"".join(items)}</ul>
</div>"""


def simple_page(prefix: str, site_name: str, title: str, text: str) -> bytes:
    """A non-article page of the site (about, contact, ...)."""
    content = f'<div class="item-page"><div class="page-header"><h2>{escape(title)}</h2></div><p>{escape(text)}</p></div>'
    return _chrome(prefix, site_name, title, content)


def demo_articles() -> list[JoomlaArticle]:
    """The demo's five articles, newest first; the first is about คุณธรรม and has a PDF."""
    result = []
    for n, item in enumerate(ARTICLES):
        number = 301 - n
        stamp = str(item["date"])[2:].replace("-", "")
        folder = f"/images/News-PR-{int(str(item['date'])[:4]) + 543}/{stamp}"
        code = f"{number:08X}-A8A3-42A7-9473-4CE92A36ED2C"
        images = [
            (f"{folder}/{code}_L0_00{i}.jpg", f"{code.replace('-', ' ')} L0 00{i}") for i in (1, 2)
        ]
        article = JoomlaArticle(
            id=number,
            slug=f"news-{number}",
            title=str(item["title"]),
            published=str(item["date"]),
            paragraphs=list(item["paragraphs"]),  # type: ignore[call-overload]
            author="กลุ่มงานประชาสัมพันธ์",
            photographer="กลุ่มงานประชาสัมพันธ์" if n % 2 else None,
            images=images,
            gallery=folder.removeprefix("/images"),
            hits=123 + 17 * n,
        )
        result.append(article)
    first = result[0]
    first.author = "กลุ่มงานสมัชชาคุณธรรมและความร่วมมือนานาชาติ"
    first.photographer = "สำนักงานวัฒนธรรมจังหวัดพระนครศรีอยุธยา"
    first.attachments = [("/images/files/แผนขับเคลื่อนจังหวัดคุณธรรม-2565.pdf", "ดาวน์โหลดเอกสาร")]
    return sorted(result, key=lambda a: a.published, reverse=True)


def demo_routes() -> dict[str, Page]:
    """Every route of the demo site, keyed as :class:`~archiver.demo.server.SiteServer` wants."""
    site_name = "ศูนย์คุณธรรม (องค์การมหาชน) - เว็บไซต์ตัวอย่าง"
    section = DEMO_LISTING.removesuffix(".html")
    articles = demo_articles()
    routes: dict[str, Page] = {
        "/robots.txt": Page(
            b"User-agent: *\nDisallow: /administrator/\nDisallow: /component/mailto/\n",
            headers=[("Content-Type", "text/plain")],
        ),
        "/": html_page(simple_page("", site_name, "หน้าแรก", "ยินดีต้อนรับสู่เว็บไซต์ตัวอย่างของหน่วยงาน")),
        "/about.html": html_page(
            simple_page("", site_name, "เกี่ยวกับเรา", "ศูนย์คุณธรรมส่งเสริมสังคมคุณธรรม")
        ),
        "/contact.html": html_page(simple_page("", site_name, "ติดต่อเรา", "โทรศัพท์ 0 2644 9900")),
        "/administrator/": html_page(simple_page("", site_name, "ผู้ดูแลระบบ", "เข้าสู่ระบบ")),
    }
    for start in range(0, len(articles), DEMO_PER_PAGE):
        key = DEMO_LISTING if start == 0 else f"{DEMO_LISTING}?start={start}"
        routes[key] = html_page(
            joomla_listing_html(
                articles[start : start + DEMO_PER_PAGE],
                prefix="",
                site_name=site_name,
                section=section,
                start=start,
                per_page=DEMO_PER_PAGE,
                total=len(articles),
            )
        )
    for n, article in enumerate(articles):
        newer = articles[n - 1].path(section) if n else None
        older = articles[n + 1].path(section) if n + 1 < len(articles) else None
        common = dict(prefix="", site_name=site_name, section=section)
        routes[article.path(section)] = html_page(
            joomla_article_html(article, prev_next=(newer, older), **common)  # type: ignore[arg-type]
        )
        routes[f"{article.path(section)}?tmpl=component&print=1"] = html_page(
            joomla_article_html(article, print_view=True, **common)  # type: ignore[arg-type]
        )
        for i, (src, _alt) in enumerate(article.images):
            routes[src] = Page(
                tiny_jpeg(article.id * 10 + i), headers=[("Content-Type", "image/jpeg")]
            )
        for key, _label in article.attachments:
            routes[key] = Page(
                tiny_pdf(f"Demo attachment for article {article.id}"),
                headers=[("Content-Type", "application/pdf")],
            )
    return routes
