"""Node, media and soft-error rules for Thai agency article pages, kept as data.

Each constant says where its rules come from (the seed page, DESIGN.md "What real agency pages
look like", or the markup of the CMS that emits them), so that a rule can be checked against
its source and a new site fixed by adding a line here rather than code. Title and date rules are in
``archiver.extract.meta_rules``, line and byline rules in ``archiver.extract.lines``.
"""

from __future__ import annotations

import re

#: Never text and never needed once the page's JSON-LD is read: removed from the whole page.
SCRIPT_TAGS: tuple[str, ...] = ("script", "style", "template")
#: Never text: removed from the content root (or a whole page left to trafilatura).
#: ``noscript`` holds fallback copies of lazy-loaded images (WordPress lazy-load plugins).
DROP_TAGS: tuple[str, ...] = (
    *SCRIPT_TAGS,
    "iframe",
    "object",
    "embed",
    "noscript",
)

#: CSS selectors of page furniture, grouped by what emits them. They run inside a content root
#: only (a CMS article element, a legacy table cell): on a whole page trafilatura finds its own
#: boilerplate, and taking a page's ``<header>`` away changes what it chooses (WCXB dev: a
#: breadcrumb header above the ``<h1>`` cut one article from 3,336 characters to 146), while
#: the line rules below still clean what it keeps. Measured on WCXB dev, the rules on whole
#: pages changed mean F1 by 0.0003 for about a fifth more CPU.
DROP_CSS: tuple[str, ...] = (
    # font-size widget ("A- A A+"), seed page and Joomla/WordPress accessibility plugins
    "div.font-size",
    ".font-size",
    "#fontsize",
    ".fontsize",
    ".font-resize",
    ".font-resizer",
    ".resizer",
    "#font-size",
    ".text-resize",
    ".wpa-font-resize",
    # Joomla system messages: the seed's "เกิดข้อผิดพลาด" + [SIGPLUS_EXCEPTION_SOURCE] box
    "#system-message-container",
    "#system-message",
    ".alert",
    "joomla-alert",
    # gallery plugins' own error boxes (sigplus, Phoca Gallery, Simple Image Gallery)
    ".sigplus-error",
    ".sigplus-exception",
    ".sigplus-message",
    ".phocagallery-error",
    ".sig-error",
    ".gallery-error",
    # print / email / PDF icon rows (Joomla 3 ``ul.actions``, ``.icons``; Joomla 1.5 tables)
    ".icons",
    ".print-icon",
    ".email-icon",
    ".pdf-icon",
    "ul.actions",
    ".article-tools",
    ".buttonheading",
    # Joomla article info block: hits, dates and author are read as metadata before this
    "dl.article-info",
    ".article-info",
    "dd.hits",
    ".hits",
    ".article-hits",
    # PRD-style in-house article info row: date and view count (metadata read before this)
    ".news-info",
    # WordPress post meta and view counters (metadata read before this)
    ".entry-meta",
    ".post-meta",
    ".post-views",
    ".view-count",
    ".entry-footer",
    # share buttons (Jetpack, AddToAny, ShareThis, Heateor, Facebook/LINE widgets)
    ".sharedaddy",
    ".share",
    ".social-share",
    ".addtoany_share_save_container",
    ".a2a_kit",
    ".share-buttons",
    ".sharethis-inline-share-buttons",
    ".heateor_sss_sharing_container",
    ".fb-share-button",
    ".fb-like",
    ".fb-comments",
    ".line-it-button",
    ".social-icons",
    # related posts (Jetpack, YARPP, Contextual Related Posts, Joomla related items module)
    ".related-posts",
    ".jp-relatedposts",
    ".yarpp-related",
    ".crp_related",
    ".relateditems",
    ".related-items",
    ".related",
    # PDPA / cookie-consent banners (Cookie Notice, CookieYes, Thai PDPA plugins)
    "#cookie-notice",
    ".cookie-notice",
    ".cookie-consent",
    "#cookie-law-info-bar",
    ".cookie-banner",
    "#pdpa",
    ".pdpa",
    "[class*=pdpa]",
    "[id*=pdpa]",
    "[class*=cookie]",
    "[id*=cookie]",
    # breadcrumbs
    ".breadcrumb",
    ".breadcrumbs",
    "#breadcrumbs",
    "[itemtype*=BreadcrumbList]",
    # pagination and pagers (Joomla ``ul.pager``/``.pagenav``, WordPress ``.nav-links``)
    ".pagination",
    ".pager",
    ".pagenav",
    ".pagenavcounter",
    ".page-numbers",
    ".nav-links",
    ".post-navigation",
    # page structure that is never the article (legacy PHP sites: marquees, counters)
    "nav",
    "header",
    "footer",
    "aside",
    "marquee",
    "form[role=search]",
    ".sidebar",
    "#sidebar",
    ".back-to-top",
    "#back-top",
    # visitor counters on legacy and Joomla sites (vvisit_counter, statcounter, histats)
    "[class*=counter]",
    "[id*=counter]",
    "[class*=visitor]",
    "[id*=visitor]",
    "#histats",
    ".statcounter",
)

#: A node a rule names is dropped only if it holds at most this share of the scope's text: on
#: real pages an unclosed ``<nav>`` or ``<header>`` swallows the whole article (WCXB dev: 12
#: articles and 6 other pages gained over 0.1 F1 from this guard, none lost), and a "widget"
#: that big is not one the rule was written for.
JUNK_MAX_SHARE = 0.3

#: XPath rules for what CSS cannot say: text content and follow-on siblings. Relative
#: (``.//``): they run inside the content root, or the whole page when there is none.
#: Any small box whose only text is font buttons "A- A A+" (Thai templates also write
#: "ก- ก ก+"), e.g. a Bootstrap ``.btn-group`` with no telling class; seed page.
FONT_WIDGET_CHARS = "Aก+-−× "
FONT_WIDGET_TAGS = frozenset({"div", "ul", "p", "span", "td"})

DROP_XPATH: tuple[str, ...] = (
    # "ข่าวที่เกี่ยวข้อง" (related news) headings and the list right after them (WordPress)
    ".//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::strong or self::b]"
    "[starts-with(normalize-space(.), 'ข่าวที่เกี่ยวข้อง')]/following-sibling::*[1]"
    "[self::ul or self::ol or self::div]",
    ".//*[self::h2 or self::h3 or self::h4 or self::h5 or self::h6 or self::strong or self::b]"
    "[starts-with(normalize-space(.), 'ข่าวที่เกี่ยวข้อง')]",
    # "back" links and buttons on legacy pages (ย้อนกลับ, กลับหน้าหลัก, history.back())
    ".//a[contains(normalize-space(.), 'ย้อนกลับ') or normalize-space(.)='กลับหน้าหลัก']",
    ".//a[starts-with(@href, 'javascript:history')]",
    ".//input[contains(@value, 'ย้อนกลับ')] | .//button[contains(normalize-space(.), 'ย้อนกลับ')]",
)

#: Content roots, most specific CMS markup first; legacy tables are handled in code.
CONTENT_ROOT_CSS: tuple[str, ...] = (
    "div.item-page",  # Joomla 3/4 com_content article view
    "[itemprop=articleBody]",  # schema.org markup (Joomla, some themes)
    "div.entry-content",  # WordPress
    "div.td-post-content",
    "div.post-content",
    "div.single-content",  # WordPress themes
    "div.detail-news",
    "div.news-detail",
    "div.content-detail",  # PRD-style in-house CMSs
)
# Not ``<article>``: any HTML5 theme writes it for teasers, cards and comments too, and on real
# pages the largest one was a related-post card or a comment as often as the post (WCXB dev:
# article pages 0.857 mean F1 with it as a root, 0.933 for trafilatura's own choice).
#: A content root holds at least this much text, or the next rule is tried.
MIN_ROOT_CHARS = 200
#: A CMS root holding less than this share of the page's paragraph text is checked against
#: trafilatura on the whole page, which wins when it finds ``ROOT_OUTGROWN`` times the text.
#: WCXB dev: wrong roots (teaser cards, a hero block) held 1.5-4% of the paragraphs; right
#: roots on pages with long comment threads 9-13%, and there the whole page gave the same text.
ROOT_MIN_SHARE = 0.25
ROOT_OUTGROWN = 2.0
#: trafilatura's recall-mode text is kept as it is when it holds this share of the page's
#: paragraph text, else compared with its default mode's, which it beats with ``RECALL_GAIN``
#: times the text (WCXB dev: bounds 0.3-2 and 1.5-5, gains 1.2-1.5 measured; these were best).
RECALL_MIN_SHARE = 0.5
RECALL_MAX_SHARE = 3.0
RECALL_GAIN = 1.2

#: Attachment file types fetched with their article; query strings allowed.
ATTACHMENT_RE = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|zip|rar)(?:$|[?#&])", re.IGNORECASE)

#: Image URLs that are furniture or trackers, not news photos.
IMAGE_SKIP_RE = re.compile(
    r"(?:^data:|icon|logo|emoji|smiley|spacer|blank\.gif|pixel|1x1|transparent\.|loading\."
    r"|spinner|ajax-loader|avatar|gravatar|/templates/|/media/system/|facebook\.com/tr"
    r"|google-analytics|googletagmanager|doubleclick|/stats?\b|counter"
    # file-type and bullet icons of legacy pages (pdf.gif beside a download link, new.gif)
    r"|(?:^|/)(?:pdf|docx?|xlsx?|pptx?|zip|rar|word|excel|download|new|arrow|bullet|dot)"
    r"\d*\.(?:gif|png)$)",
    re.IGNORECASE,
)
#: The article's featured (cover) image, which themes put outside the content root
#: (WordPress header image, block themes' featured-image block, PRD-style cover).
FEATURED_IMAGE_CSS: tuple[str, ...] = (
    "img.wp-post-image",
    "figure.wp-block-post-featured-image img",
    ".single-featured-image-header img",
    ".post-thumbnail img",
    ".news-cover img",
)

#: ``<img>`` attributes holding the real image of a lazy-loaded picture, best first.
IMAGE_LAZY_ATTRS: tuple[str, ...] = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-full-src",
    "src",
)

#: Fewer characters than this after cleaning: not an article (a listing, a stub, an error).
MIN_TEXT_CHARS = 200

#: Soft errors served with HTTP 200 (DESIGN.md): matched against the title and first heading.
SOFT_ERROR_TITLE_RE = re.compile(
    r"ไม่พบหน้า|ไม่พบข้อมูลที่ต้องการ|เกิดข้อผิดพลาด|page\s+not\s+found|not\s+found"
    r"|^\s*(?:error\s*:?\s*)?40[34]\b|\b404\s*[-:|]|^\s*error\b|หน้านี้ไม่มีอยู่",
    re.IGNORECASE,
)
#: ... and against the start of the page text (a short page only).
SOFT_ERROR_TEXT_RE = re.compile(
    r"ไม่พบหน้าที่ต้องการ|ไม่พบหน้าที่คุณ|ไม่พบหน้าเว็บ|page\s+not\s+found"
    r"|the\s+requested\s+page|404\s+not\s+found|error\s+404",
    re.IGNORECASE,
)
#: ``<body>`` classes by which Joomla says a page is a listing, an archive, a search or an error
#: page: never an article, whatever text it shows. ``view-*`` is Joomla's own naming.
JOOMLA_LIST_CLASSES = frozenset(
    "view-category view-categories view-featured view-archive view-tag view-search".split()
)
#: The same for WordPress, whose class names are common words other systems use too (HubSpot
#: and NPR article pages carry ``blog``; WCXB dev: 8 real articles). They count only on a page
#: WordPress made (``WORDPRESS_RE``) that no singular class marks as one post or page.
WORDPRESS_LIST_CLASSES = frozenset(
    "error404 archive category tag search search-results blog date author".split()
)
#: WordPress's classes of a single post, page or attachment (``postid-12``, ``page-id-7`` too).
WORDPRESS_SINGULAR_RE = re.compile(
    r"^(?:single|singular|wp-singular|page|attachment|postid-\d+|page-id-\d+)$"
)
#: What only a WordPress page holds: its generator tag, its asset paths, its ``wp-`` body classes.
WORDPRESS_RE = re.compile(r"WordPress|/wp-content/|/wp-includes/")

#: Footer text (address, copyright, web designer credit): a legacy table cell saying this is the
#: page footer, never the article, however much Thai it holds (legacy soft errors).
FOOTER_TEXT_RE = re.compile(
    r"copyright|©|สงวนลิขสิทธิ์|all\s+rights\s+reserved|ออกแบบและพัฒนา(?:เว็บไซต์)?โดย",
    re.IGNORECASE,
)
#: Share of a page's Thai letters inside ``<td>`` from which the page is a legacy table layout.
TABLE_LAYOUT_SHARE = 0.6
#: A cell with more Thai letters than this is an article even with a copyright line in it.
FOOTER_MAX_THAI = 500

#: How much text a soft-error page may have; longer pages are articles that mention errors.
SOFT_ERROR_MAX_CHARS = 1500
