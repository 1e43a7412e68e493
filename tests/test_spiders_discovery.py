"""Generic discovery of article links and pagination on listing pages of each CMS family."""

from __future__ import annotations

from parsel import Selector

from spiders.discovery import article_links, pagination_links

JOOMLA = """<html><body>
<nav><ul class="menu"><li><a href="/ศูนย์คุณธรรม/about.html">เกี่ยวกับเรา</a></li>
<li><a href="/ศูนย์คุณธรรม/news/pr-news.html">ข่าว</a></li></ul></nav>
<div class="blog"><div class="items-row">
 <h2 class="item-title"><a href="/ศูนย์คุณธรรม/news/pr-news/12-moral.html">ข่าวหนึ่ง</a></h2>
 <p class="readmore"><a href="/ศูนย์คุณธรรม/news/pr-news/12-moral.html">อ่านต่อ</a></p>
 <a href="/ศูนย์คุณธรรม/news/pr-news/12-moral.html?tmpl=component&amp;print=1">พิมพ์</a>
 <a href="/ศูนย์คุณธรรม/component/tags/tag/3-moral.html">คุณธรรม</a>
</div><div class="items-row">
 <h2 class="item-title"><a href="/ศูนย์คุณธรรม/news/pr-news/11-other.html?Itemid=135">ข่าวสอง</a></h2>
</div></div>
<div class="pagination"><ul>
 <li><a href="/ศูนย์คุณธรรม/news/pr-news.html?start=5">2</a></li>
 <li><a title="ถัดไป" href="/ศูนย์คุณธรรม/news/pr-news.html?start=5">ถัดไป</a></li>
 <li><a href="/ศูนย์คุณธรรม/news/pr-news.html?start=10">สุดท้าย</a></li></ul></div>
<footer><a href="/ศูนย์คุณธรรม/contact.html">ติดต่อ</a></footer></body></html>"""

WORDPRESS = """<html><body><header><a href="/">หน้าแรก</a></header><main>
<article><h2 class="entry-title"><a rel="bookmark" href="/news/2022/10/ข่าว-ดี/">ข่าวดี</a></h2>
<a href="/category/news/">ข่าว</a> <a href="/tag/covid/">covid</a></article>
<article><h2 class="entry-title"><a rel="bookmark" href="/news/2022/09/second/">สอง</a></h2></article>
</main><nav class="nav-links"><a class="next page-numbers" href="/news/page/2/">ถัดไป »</a></nav>
<aside><h3><a href="/news/2020/01/old-sidebar/">sidebar</a></h3></aside></body></html>"""

LEGACY = """<html><body><table><tr><td><marquee>ยินดีต้อนรับ</marquee></td></tr>
<tr><td><a href="news_detail.php?id=7">ประชุมประจำเดือน</a></td></tr>
<tr><td><a href="news_detail.php?id=8">มอบถุงยังชีพ</a></td></tr>
<tr><td><a href="news.php?page=2">หน้าถัดไป &gt;&gt;</a> <a href="download/a.xls">xls</a></td></tr>
</table></body></html>"""

BASE = "http://127.0.0.1:8000"


def test_joomla_listing_gives_articles_not_menus_tags_or_print_views() -> None:
    listing = BASE + "/ศูนย์คุณธรรม/news/pr-news.html"
    links = article_links(JOOMLA, listing, listing)
    assert [u.rsplit("/", 1)[1] for u in links] == ["12-moral.html", "11-other.html"]


def test_joomla_pagination_follows_start_pages() -> None:
    listing = BASE + "/ศูนย์คุณธรรม/news/pr-news.html"
    pages = pagination_links(JOOMLA, listing, listing)
    assert sorted(p.rsplit("=", 1)[1] for p in pages) == ["10", "5"]


def test_wordpress_listing_and_page_2() -> None:
    listing = BASE + "/news/"
    links = article_links(WORDPRESS, listing, listing)
    assert len(links) == 2 and all("/news/2022/" in u for u in links)
    assert pagination_links(WORDPRESS, listing, listing) == [BASE + "/news/page/2/"]


def test_legacy_listing_detail_links_and_next_text() -> None:
    listing = BASE + "/news.php"
    links = article_links(LEGACY, listing, listing)
    assert links == [BASE + "/news_detail.php?id=7", BASE + "/news_detail.php?id=8"]
    assert pagination_links(LEGACY, listing, listing) == [BASE + "/news.php?page=2"]


def test_links_to_other_hosts_are_not_articles() -> None:
    html = '<h2><a href="https://www.facebook.com/share?u=x">fb</a></h2>'
    assert article_links(html, BASE + "/news/", BASE + "/news/") == []


def test_one_parse_serves_both_kinds_of_links_unchanged() -> None:
    """The spider parses a listing once: finding articles must not drop the navigation
    regions (where the pagination is) from the page it then looks for more pages in."""
    listing = BASE + "/ศูนย์คุณธรรม/news/pr-news.html"
    page = Selector(text=JOOMLA)
    assert article_links(page, listing, listing) == article_links(JOOMLA, listing, listing)
    assert pagination_links(page, listing, listing) == pagination_links(JOOMLA, listing, listing)
    assert len(pagination_links(page, listing, listing)) == 2
