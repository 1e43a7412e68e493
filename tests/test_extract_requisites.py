"""What a page loads: every source of its images (``archiver.extract.media``) and its
requisites (``archiver.extract.requisites``)."""

from __future__ import annotations

from lxml import html as lhtml

from archiver.extract.article import extract_article
from archiver.extract.media import img_sources, srcset_urls
from archiver.extract.requisites import (
    css_references,
    is_default_icon,
    is_stylesheet,
    page_requisites,
)

BASE = "https://www.example.go.th/news/2024/01/a/"


def test_srcset_candidates_with_and_without_descriptors_and_commas_in_urls() -> None:
    assert srcset_urls("a.jpg 1024w, b.jpg 300w,c.jpg 768w") == ["a.jpg", "b.jpg", "c.jpg"]
    assert srcset_urls(" a.jpg, b.jpg 2x ") == ["a.jpg", "b.jpg"]
    assert srcset_urls("/img/x,y.jpg 1x, /img/z.jpg 2x") == ["/img/x,y.jpg", "/img/z.jpg"]
    assert srcset_urls("") == [] and srcset_urls(" , ") == []


def test_every_source_of_an_img_and_its_picture() -> None:
    doc = lhtml.fromstring(
        '<div><picture><source type="image/webp" srcset="a.webp 1024w, a-300.webp 300w">'
        '<source data-srcset="lazy.avif"><img src="a.jpg" data-src="a-lazy.jpg" '
        'srcset="a.jpg 1024w, a-768.jpg 768w" data-srcset="a-d.jpg 2x"></picture>'
        '<img src="data:image/gif;base64,R0lGOD=="></div>'
    )
    first, second = doc.iter("img")
    assert set(img_sources(first)) == {
        "a.jpg", "a-lazy.jpg", "a-768.jpg", "a-d.jpg", "a.webp", "a-300.webp", "lazy.avif",
    }  # fmt: skip
    assert img_sources(second) == []


def test_an_article_lists_one_url_per_picture_and_archives_the_other_sources() -> None:
    html = (
        "<html><body><article><h1>ข่าวทดสอบการดึงรูปภาพทุกขนาด</h1>"
        + "<p>" + "ผู้ว่าราชการจังหวัดลงพื้นที่ตรวจเยี่ยมประชาชนในพื้นที่ " * 12 + "</p>"
        + '<img width="1024" height="683" src="/up/p-1024x683.jpg" '
        'srcset="/up/p-1024x683.jpg 1024w, /up/p-300x200.jpg 300w, /up/p.jpg 1600w">'
        "</article></body></html>"
    )  # fmt: skip
    article = extract_article(html, BASE)
    assert article is not None
    assert article.images == ["https://www.example.go.th/up/p.jpg"]  # the largest, as before
    assert set(article.image_sources) == {
        "https://www.example.go.th/up/p-1024x683.jpg",
        "https://www.example.go.th/up/p-300x200.jpg",
    }
    assert {*article.images, *article.image_sources} <= set(article.requisites)  # the page's


def test_page_requisites_in_order_stylesheets_first() -> None:
    doc = lhtml.fromstring(
        "<html><head><base href='https://cdn.example.go.th/site/'>"
        '<link rel="icon" href="favicon.png"><link rel="stylesheet" href="a.css?v=1#x">'
        '<link rel="preload" as="font" href="f.woff2"><link rel="preload" as="fetch" href="x">'
        '<link rel="alternate" href="feed.xml"><link rel="canonical" href="/p">'
        '<style>body{background:url("bg.png")}</style><script src="app.js"></script>'
        "<script>var inline = 1;</script></head>"
        '<body background="body.gif"><div style="background-image: url(\'div.jpg\')">'
        '<img src="logo.png" srcset="logo@2x.png 2x"><a href="page.html">x</a>'
        '<img src="data:image/png;base64,AA=="><script src="javascript:void(0)"></script>'
        "</div></body></html>"
    )
    got = page_requisites(doc, BASE)
    cdn = "https://cdn.example.go.th/site/"
    assert got[0] == cdn + "a.css?v=1"
    assert set(got) == {
        cdn + u
        for u in ("a.css?v=1", "favicon.png", "f.woff2", "bg.png", "app.js", "body.gif",
                  "div.jpg", "logo.png", "logo@2x.png")
    }  # fmt: skip


def test_a_page_that_names_no_icon_loads_its_sites_favicon_ico() -> None:
    """A browser asks for ``/favicon.ico`` of the page's own site (not of its ``<base>``)
    when the page names no icon; an ``apple-touch-icon`` alone does not stop it."""
    bare = lhtml.fromstring(
        "<html><head><base href='https://cdn.example.go.th/site/'>"
        '<link rel="apple-touch-icon" href="touch.png"></head><body>x</body></html>'
    )
    assert page_requisites(bare, BASE) == [
        "https://cdn.example.go.th/site/touch.png",
        "https://www.example.go.th/favicon.ico",
    ]
    for declared in ('rel="icon"', 'rel="shortcut icon"', 'rel="SHORTCUT ICON"'):
        doc = lhtml.fromstring(f'<html><head><link {declared} href="/i.png"></head></html>')
        assert page_requisites(doc, BASE) == ["https://www.example.go.th/i.png"], declared
    assert is_default_icon("https://www.example.go.th/favicon.ico")
    assert not is_default_icon("https://www.example.go.th/favicon.ico?v=2")
    assert not is_default_icon("https://www.example.go.th/theme/favicon.ico")


def test_css_references_imports_fonts_images_not_comments_nor_data() -> None:
    css = (
        "@import url(\"blocks.css\"); @import 'print.css' print;\n"
        "@font-face { src: url(../fonts/s.woff2) format('woff2'), url( 's.woff' ); }\n"
        "/* .old { background: url(gone.png) } */\n"
        ".x { background: URL(img/x.png) no-repeat; } .y { background: url(data:image/gif;base64,R0) }"
    )
    got = css_references(css, "https://www.example.go.th/theme/css/style.css?ver=1")
    root = "https://www.example.go.th/theme/"
    assert got == [
        root + "css/print.css",
        root + "css/blocks.css",
        root + "fonts/s.woff2",
        root + "css/s.woff",
        root + "css/img/x.png",
    ]
    assert css_references("body { color: red }", root) == []


def test_is_stylesheet() -> None:
    assert is_stylesheet("https://a/x", "text/css; charset=utf-8")
    assert is_stylesheet("https://a/x.css?ver=1", "")
    assert not is_stylesheet("https://a/x.css", "text/html")
    assert not is_stylesheet("https://a/x.js", "application/javascript")
