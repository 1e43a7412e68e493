"""The mechanisms that keep extraction right on pages of every CMS, one small page each.

Each page imitates, in a few lines, a failure seen on WCXB dev (tests/test_wcxb.py gates the
real pages themselves): an unclosed tag that swallowed the article, a teaser card reusing the
post-body class, a ``blog`` body class on a non-WordPress article, authors given only in
JSON-LD or HTML, CMS account names, a UTC timestamp.
"""

from __future__ import annotations

import datetime as dt
import json

from lxml import html as lhtml

from archiver.extract.article import extract_article
from archiver.extract.markup import Markup, author_elements, html_author
from archiver.extract.nodes import NamedSelectors, page_names

URL = "https://blog.example.com/posts/field-notes"
PARAGRAPHS = [
    f"Paragraph {n} of the field notes tells how the survey team measured river levels at "
    f"station {n}, what the readings showed over the season, and why the figures matter."
    for n in range(1, 13)
]
BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def _page(body: str, head: str = "", body_attrs: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>Field notes - Example</title>{head}</head>"
        f"<body {body_attrs}>{body}</body></html>"
    )


def _all_paragraphs_in(text: str) -> bool:
    return all(p in text for p in PARAGRAPHS)


def test_unclosed_header_inside_content_root_does_not_drop_the_article() -> None:
    """A ``<header>`` left open swallows the rest of the root: the layout rule must not fire."""
    html = _page(f'<div class="entry-content"><header><h2>Field notes</h2>{BODY}</div>')
    article = extract_article(html, URL)
    assert article is not None and _all_paragraphs_in(article.text)


def test_teaser_card_with_the_post_class_does_not_become_the_article() -> None:
    """The root of CMS markup holds a few percent of the page's paragraphs: the page wins."""
    card = (
        '<div class="post-content"><p>Another post: a short teaser of a few words about '
        "something else entirely, linking to the other post, with a read more link and a date "
        "shown under it for the reader, long enough to pass for a content root of its own.</p>"
        "</div>"
    )
    article = extract_article(_page(f"<main><h1>Field notes</h1>{BODY}</main>{card}"), URL)
    assert article is not None and _all_paragraphs_in(article.text)


def test_blog_body_class_refuses_only_a_wordpress_listing() -> None:
    """``blog`` is WordPress's posts-index class, but HubSpot and NPR put it on articles."""
    hubspot = _page(f"<h1>Field notes</h1>{BODY}", body_attrs='class="blog blog-post"')
    assert extract_article(hubspot, URL) is not None
    wordpress = _page(
        f"<h1>News</h1>{BODY}",
        head='<meta name="generator" content="WordPress 6.4">',
        body_attrs='class="blog hfeed"',
    )
    assert extract_article(wordpress, URL) is None
    single = _page(
        f"<h1>Field notes</h1>{BODY}",
        head='<meta name="generator" content="WordPress 6.4">',
        body_attrs='class="post-template-default single blog"',
    )
    assert extract_article(single, URL) is not None


def _jsonld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_author_from_json_ld_person_referenced_by_id() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "BlogPosting", "headline": "Field notes", "author": {"@id": "#/p/1"}},
            {"@type": "Person", "@id": "#/p/1", "name": "Jane Doe"},
        ],
    }
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}", head=_jsonld(graph)), URL)
    assert article is not None and article.author == "Jane Doe"


def test_cms_account_names_are_never_the_author() -> None:
    for name in ("Super User", "admin", "ผู้ดูแลระบบ"):
        head = f'<meta name="author" content="{name}">'
        article = extract_article(_page(f"<h1>Field notes</h1>{BODY}", head=head), URL)
        assert article is not None and article.author is None


def test_author_from_an_html_byline_outside_comments() -> None:
    byline = '<p class="byline">By Jane Doe</p>'
    comment = '<div class="comments"><span class="author">Troll</span></div>'
    doc = lhtml.document_fromstring(_page(f"{comment}<h1>Field notes</h1>{byline}{BODY}"))
    assert html_author(author_elements(doc, page_names(doc))) == "Jane Doe"


def test_utc_timestamp_gives_the_publishers_local_day() -> None:
    """06:15 in Bangkok is 23:15 the day before in UTC, which SEO plugins write."""
    head = '<meta property="article:published_time" content="2021-09-04T23:15:00+00:00">'
    body = f'<h1>Field notes</h1><time datetime="2021-09-05T06:15:00+07:00">5 Sep</time>{BODY}'
    article = extract_article(_page(body, head=head), URL)
    assert article is not None and article.published == dt.date(2021, 9, 5)


def test_stated_publication_date_wins_over_other_time_elements() -> None:
    head = '<meta property="article:published_time" content="2025-07-20T15:27:00+01:00">'
    related = '<time datetime="2025-09-17T18:26:47+01:00">Sep 17</time>'
    article = extract_article(_page(f"{related}<h1>Field notes</h1>{BODY}", head=head), URL)
    assert article is not None and article.published == dt.date(2025, 7, 20)


def test_date_beside_the_headline() -> None:
    header = "<div><h1>Field notes</h1><span>By Jane Doe | March 3, 2024</span></div>"
    article = extract_article(_page(f"{header}{BODY}"), URL)
    assert article is not None and article.published == dt.date(2024, 3, 3)


def test_broken_or_deep_json_ld_is_ignored() -> None:
    head = (
        _jsonld({"a": 1})[:-12]
        + "{not json</script>"
        + ('<script type="application/ld+json">' + "[" * 5000 + "]" * 5000 + "</script>")
    )
    doc = lhtml.document_fromstring(_page("<p>x</p>", head=head))
    assert Markup.read(doc).nodes == []


def test_named_selectors_run_only_when_the_page_names_their_class() -> None:
    selectors = NamedSelectors(["div.entry-content", "[itemprop=articleBody]"])
    doc = lhtml.document_fromstring(_page('<div class="entry-content"><p>x</p></div>'))
    found = [len(m) for m in selectors.matches(doc, page_names(doc))]
    assert found == [1, 0]
    assert [len(m) for m in selectors.matches(doc, frozenset())] == [0, 0]


def test_date_in_the_bylines_block() -> None:
    byline = '<div><p class="author-name">Luke Kim</p><small>December 17, 2025</small></div>'
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}{byline}"), URL)
    assert article is not None and article.published == dt.date(2025, 12, 17)


def test_date_in_script_state_that_is_not_json_ld() -> None:
    state = (
        '<script id="__NEXT_DATA__">{"post":{"publishedAt":"2025-10-20T13:08:55-07:00"}}</script>'
    )
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}{state}"), URL)
    assert article is not None and article.published == dt.date(2025, 10, 20)


def test_date_printed_as_a_line_of_its_own() -> None:
    """No markup names it, but a theme's date line is a date and nothing else."""
    dateline = '<div><div><p class="text-muted">Published on December 15, 2025</p></div></div>'
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}{dateline}"), URL)
    assert article is not None and article.published == dt.date(2025, 12, 15)


def test_date_of_a_time_element_in_an_aside() -> None:
    """A ``<time>`` in the page furniture still dates a page that nothing else dates."""
    aside = '<aside><time datetime="2025-09-25T00:00:00Z">09/25/2025</time></aside>'
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}{aside}"), URL)
    assert article is not None and article.published == dt.date(2025, 9, 25)


def test_last_modified_dates_a_page_that_states_no_publication() -> None:
    head = '<meta property="article:modified_time" content="2023-06-12T10:39:42+00:00">'
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}", head=head), URL)
    assert article is not None and article.published == dt.date(2023, 6, 12)


def test_iso_date_in_the_url_path() -> None:
    url = "https://blog.example.com/articles/2025-12-15+Field+notes"
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}"), url)
    assert article is not None and article.published == dt.date(2025, 12, 15)


def test_citation_date_year_first() -> None:
    """PubMed Central writes ``citation_publication_date`` as "2023 Jan 7"."""
    head = '<meta name="citation_publication_date" content="2023 Jan 7">'
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}", head=head), URL)
    assert article is not None and article.published == dt.date(2023, 1, 7)


def test_date_in_json_inside_an_html_attribute() -> None:
    props = (
        '<div data-props="{&quot;@type&quot;:&quot;Article&quot;,'
        '&quot;datePublished&quot;:&quot;2025-11-17T09:00:00-05:00&quot;}"></div>'
    )
    article = extract_article(_page(f"<h1>Field notes</h1>{BODY}{props}"), URL)
    assert article is not None and article.published == dt.date(2025, 11, 17)
