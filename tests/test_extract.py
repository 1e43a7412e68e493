"""Extraction as "with / without": the Thai body present, every piece of furniture absent.

The pages in ``tests/data/pages/`` are small hand-written copies of what Thai agency sites
serve: the Joomla 3 seed page (``/work/shared/seeds/000_20b722d73c2f1269.txt`` is its naive
extraction), a WordPress post, a legacy PHP table page stored in windows-874, a soft 404 served
with 200, an empty page and binary garbage.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
import trafilatura

from archiver.extract import lines
from archiver.extract.article import Article, extract_article

PAGES = Path(__file__).parent / "data" / "pages"
JOOMLA_URL = (
    "https://www.moralcenter.or.th/index.php/news-pr/1234-moral-province-ayutthaya?utm_source=fb"
)
WP_URL = "https://www.doae.go.th/2023/03/14/rice-survey/"
LEGACY_URL = "http://www.nakhonratchasima.doae.go.th/news_detail.php?id=123"

#: Ordinary Thai prose that no cleaning rule may touch (seed sentences and near misses).
PROSE = [
    "เมื่อวันอังคารที่ 9 พฤศจิกายน 2564 ผู้แทนศูนย์คุณธรรม (องค์การมหาชน) นำโดย นายยงจิรายุ อุปเสน",
    "ทั้งนี้ ในเดือนธันวาคม 2564 จะมีการประชุมร่วมกันทั้ง 9 เครือข่ายทางสังคมของจังหวัดพระนครศรีอยุธยา",
    "ภาพรวมเศรษฐกิจไทยปี 2566 ขยายตัวร้อยละ 2.5 ตามการฟื้นตัวของการท่องเที่ยว",
    "ข่าวดีสำหรับเกษตรกร ธ.ก.ส. ขยายเวลาชำระหนี้ออกไปอีก 1 ปี",
    "ที่ประชุมยอมรับข้อเสนอของเครือข่ายทางสังคม และจะนำไปปรับใช้ในปีงบประมาณ พ.ศ. 2565",
    "ถัดไปเป็นการบรรยายพิเศษโดยรองผู้ว่าราชการจังหวัด เรื่องการขับเคลื่อนจังหวัดคุณธรรม",
    "นักเรียนอ่านหนังสือ 2 ชั่วโมงทุกวัน ตามโครงการส่งเสริมการอ่าน",
    "ผู้เข้าร่วมงานกว่า 300 คน ได้รับเกียรติบัตรจากจังหวัด",
    "ภาพ: บรรยากาศการประชุมคณะทำงานขับเคลื่อนสังคมคุณธรรม ณ ห้องประชุมศาลากลางจังหวัด"
    "พระนครศรีอยุธยา ซึ่งมีผู้แทนหน่วยงานภาครัฐ ภาคเอกชน ภาคประชาสังคม และสื่อมวลชนเข้าร่วมกว่า"
    " 120 คน เพื่อหารือแนวทางการขับเคลื่อนร่วมกันในปี 2565",
]


def page(name: str) -> str:
    """A test page as the spider hands it over: already decoded."""
    raw = (PAGES / name).read_bytes()
    return raw.decode("cp874" if "cp874" in name else "utf-8")


def assert_with_without(text: str, present: list[str], absent: list[str]) -> None:
    missing = [s for s in present if s not in text]
    leaked = [s for s in absent if s in text]
    assert not missing and not leaked, f"missing {missing}, leaked {leaked}\n---\n{text}"


@pytest.fixture(scope="module")
def seed() -> Article:
    article = extract_article(page("joomla_seed.html"), JOOMLA_URL)
    assert article is not None
    return article


# -- Joomla 3: the seed page ----------------------------------------------------------------------
SEED_BODY = [
    "เมื่อวันอังคารที่ 9 พฤศจิกายน 2564 ผู้แทนศูนย์คุณธรรม (องค์การมหาชน) นำโดย นายยงจิรายุ อุปเสน",
    "เข้าพบนางจุรีพร ขันตี วัฒนธรรมจังหวัดพระนครศรีอยุธยา และคณะ",
    "บุคคล/หน่วยงานต้นแบบด้านคุณธรรมในจังหวัด, การประชาสัมพันธ์ และการติดตามประเมินผล",
    "พร้อมกันนี้ ได้เข้าร่วมประชุมคณะทำงานขับเคลื่อนสังคมคุณธรรมจังหวัดพระนครศรีอยุธยา",
    "เป็นการขับเคลื่อนกิจกรรมด้วยการสอดแทรก",
    "ในบทบาทภารกิจ หน้าที่ของตัวเอง",
    "การขยายสมาชิกเครือข่าย และการเชื่อมโยงเครือข่าย",
    "ทั้งนี้ ในเดือนธันวาคม 2564 จะมีการประชุมร่วมกันทั้ง 9 เครือข่ายทางสังคม",
    "ต่อที่ประชุมให้ร่วมกันดำเนินงานต่อไป",
]
SEED_JUNK = [
    "A-",
    "A+",
    "×",
    "เกิดข้อผิดพลาด",
    "SIGPLUS",
    "Image source is expected",
    "F5CE88A3",
    "L0 001",
    "{gallery}",
    "{/gallery}",
    "/News-PR-2564",
    "เขียนข่าว",
    "ถ่ายภาพ",
    "เข้าชม",
    "123",
    "พิมพ์",
    "อีเมล",
    "หน้าหลัก",
    "ก่อนหน้า",
    "ถัดไป",
    "รายละเอียด",
    "อาคารไทยพาณิชย์",
    "ผู้เข้าชม",
]


def test_seed_text_with_without(seed: Article) -> None:
    assert_with_without(seed.text, SEED_BODY, SEED_JUNK)


def test_seed_paragraphs_in_order(seed: Article) -> None:
    positions = [seed.text.index(s) for s in SEED_BODY]
    assert positions == sorted(positions)
    assert seed.text.startswith("เมื่อวันอังคารที่ 9 พฤศจิกายน 2564")
    assert seed.text.endswith("ต่อที่ประชุมให้ร่วมกันดำเนินงานต่อไป")


def test_seed_metadata(seed: Article) -> None:
    assert seed.url == JOOMLA_URL
    assert seed.title == "ศูนย์คุณธรรมหารือแนวทางการขับเคลื่อนจังหวัดคุณธรรม จังหวัดพระนครศรีอยุธยา"
    assert not seed.text.startswith("ศูนย์คุณธรรมหารือ")  # the title is not repeated
    assert seed.published == dt.date(2021, 11, 9)
    assert seed.published_raw is not None and "9 พฤศจิกายน 2564" in seed.published_raw
    assert seed.author == "กลุ่มงานสมัชชาคุณธรรมและความร่วมมือนานาชาติ"
    assert seed.photographer == "สำนักงานวัฒนธรรมจังหวัดพระนครศรีอยุธยา"
    assert seed.lang == "th"


def test_top_bar_date_is_not_the_published_date() -> None:
    """Templates print today's date outside the article; the article's own date wins."""
    html = page("joomla_seed.html").replace(
        '<header class="header">',
        '<div class="date">วันพุธที่ 1 มกราคม 2568</div><header class="header">',
    )
    article = extract_article(html, JOOMLA_URL)
    assert article is not None and article.published == dt.date(2021, 11, 9)


def test_seed_media_absolute_against_base_href(seed: Article) -> None:
    assert seed.images == [
        "https://www.moralcenter.or.th/images/News-PR-2564/15-11-64/"
        "F5CE88A3-A8A3-42A7-9473-4CE92A36ED2C_L0_001.jpg"
    ]
    assert seed.attachments == []


def test_seed_without_trafilatura(monkeypatch: pytest.MonkeyPatch) -> None:
    """When trafilatura gives nothing, the content root's own text is cleaned the same way."""
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    article = extract_article(page("joomla_seed.html"), JOOMLA_URL)
    assert article is not None
    assert_with_without(article.text, SEED_BODY, SEED_JUNK)
    assert article.author == "กลุ่มงานสมัชชาคุณธรรมและความร่วมมือนานาชาติ"
    assert article.photographer == "สำนักงานวัฒนธรรมจังหวัดพระนครศรีอยุธยา"


def test_bylines_found_in_root_when_trafilatura_drops_them(monkeypatch: pytest.MonkeyPatch) -> None:
    real = trafilatura.extract

    def without_bylines(*args: object, **kwargs: object) -> str | None:
        text = real(*args, **kwargs)
        return "\n".join(line for line in (text or "").split("\n") if " : " not in line)

    monkeypatch.setattr(trafilatura, "extract", without_bylines)
    article = extract_article(page("joomla_seed.html"), JOOMLA_URL)
    assert article is not None
    assert article.author == "กลุ่มงานสมัชชาคุณธรรมและความร่วมมือนานาชาติ"
    assert article.photographer == "สำนักงานวัฒนธรรมจังหวัดพระนครศรีอยุธยา"


# -- WordPress ------------------------------------------------------------------------------------
def test_wordpress_article() -> None:
    article = extract_article(page("wordpress_doae.html"), WP_URL)
    assert article is not None
    assert_with_without(
        article.text,
        [
            "นายระพีภัทร์ จันทรศรีวงศ์ อธิบดีกรมส่งเสริมการเกษตร เปิดเผยว่า",
            "เจ้าหน้าที่ลงพื้นที่สำรวจแปลงนาในจังหวัดสุพรรณบุรี",  # caption text kept
            "ต้องแจ้งการปลูกต่อเจ้าหน้าที่ภายใน 15 วันหลังปลูก",
            "ดาวน์โหลดแบบฟอร์มการแจ้งปลูกได้จากเอกสารแนบท้ายข่าวนี้",
        ],
        [
            "[caption",
            "[/caption]",
            "attachment_5822",
            "แชร์",
            "Facebook",
            "LINE",
            "ข่าวที่เกี่ยวข้อง",
            "ใช้ปุ๋ยอย่างถูกวิธี",
            "เตรียมรับมือภัยแล้ง",
            "คุกกี้",
            "ยอมรับ",
            "นโยบายความเป็นส่วนตัว",
            "อ่าน 1,024",
            "pr-admin",
            "โพสต์เมื่อ",
            "ข่าวล่าสุด",
            "วันพุธที่ 1 มกราคม 2568",
            "หมวดหมู่",
            "ข่าวก่อนหน้า",
            "ข่าว/ภาพ",
            "ถนนพหลโยธิน",
            "🌾",
        ],
    )
    assert article.title == "กรมส่งเสริมการเกษตรเร่งสำรวจพื้นที่ปลูกข้าวนาปรัง ปี 2566"
    assert article.published == dt.date(2023, 3, 14)
    assert article.published_raw == "2023-03-14T09:30:00+07:00"
    assert article.author == "กลุ่มประชาสัมพันธ์ กรมส่งเสริมการเกษตร"
    assert article.photographer == "กลุ่มประชาสัมพันธ์ กรมส่งเสริมการเกษตร"


def test_wordpress_media() -> None:
    article = extract_article(page("wordpress_doae.html"), WP_URL)
    assert article is not None
    assert article.images == [
        "https://www.doae.go.th/wp-content/uploads/2023/03/rice-survey.jpg",  # largest srcset
        "https://www.doae.go.th/wp-content/uploads/2023/03/rice-meeting.jpg",  # data-src
    ]  # no emoji, no tracking pixel, no logo, no data: placeholder
    assert article.attachments == [
        "https://www.doae.go.th/wp-content/uploads/2023/03/แบบฟอร์มแจ้งปลูก.docx?ver=2",
        "https://www.doae.go.th/wp-content/uploads/2023/03/Announcement.PDF",
    ]


# -- legacy PHP, windows-874 ----------------------------------------------------------------------
def test_legacy_table_page() -> None:
    article = extract_article(page("legacy_table_cp874.html"), LEGACY_URL)
    assert article is not None
    assert_with_without(
        article.text,
        [
            "นายสมชาย ใจดี เกษตรจังหวัดนครราชสีมา เป็นประธานเปิดงานวันถ่ายทอดเทคโนโลยี",
            "ภายในงานมีการจัดสถานีเรียนรู้ด้านการปรับปรุงบำรุงดิน",
            "ลดต้นทุนและเพิ่มผลผลิต",
        ],
        [
            "ยินดีต้อนรับ",
            "จำนวนผู้เข้าชม",
            "อ่าน 245 ครั้ง",
            "ย้อนกลับ",
            "IMG_4521",
            "ประวัติหน่วยงาน",
            "ติดต่อเรา",
            "Copyright",
            "ภาพ/ข่าว",
            "ฝ่ายบริหารทั่วไป",
        ],
    )
    assert article.title == "เกษตรจังหวัดนครราชสีมาจัดงานวันถ่ายทอดเทคโนโลยีเพื่อเริ่มต้นฤดูกาลผลิตใหม่"
    assert article.published == dt.date(2020, 12, 3)
    assert article.author == "ฝ่ายบริหารทั่วไป สำนักงานเกษตรจังหวัดนครราชสีมา"
    assert article.photographer == "ฝ่ายบริหารทั่วไป สำนักงานเกษตรจังหวัดนครราชสีมา"
    assert article.images == [
        "http://www.nakhonratchasima.doae.go.th/upload/news/2563/IMG_4521.JPG"
    ]
    assert article.attachments == [
        "http://www.nakhonratchasima.doae.go.th/upload/news/2563/กำหนดการ.PDF",
        "http://www.nakhonratchasima.doae.go.th/download.php?file=ใบสมัคร.doc&id=88",
    ]


def test_legacy_menu_of_links_is_not_the_article() -> None:
    """A menu cell with more Thai text than the article, but all of it links."""
    menu = "".join(
        f"<tr><td><a href='n{i}.php'>ข่าวประชาสัมพันธ์ของสำนักงานเรื่องที่ {i}</a></td></tr>"
        for i in range(60)
    )
    html = page("legacy_table_cp874.html").replace(
        '<tr><td><a href="index.php">', menu + '<tr><td><a href="index.php">'
    )
    article = extract_article(html, LEGACY_URL)
    assert article is not None
    assert "นายสมชาย ใจดี" in article.text and "เรื่องที่ 5" not in article.text


def test_legacy_bold_title_at_top_of_cell() -> None:
    cell = (
        "<b>ประกาศรับสมัครเกษตรกรเข้าร่วมโครงการแปลงใหญ่</b><br>"
        + "สำนักงานเกษตรอำเภอเปิดรับสมัครเกษตรกรเข้าร่วมโครงการแปลงใหญ่ ปี 2566 " * 5
    )
    html = (
        f"<html><head><title>สำนักงานเกษตรอำเภอ</title></head><body><table><tr>"
        f"<td><a href='/'>หน้าแรก</a></td><td>{cell}</td></tr></table></body></html>"
    )
    article = extract_article(html, "http://example.go.th/news_detail.php?id=1")
    assert article is not None
    assert article.title == "ประกาศรับสมัครเกษตรกรเข้าร่วมโครงการแปลงใหญ่"
    assert not article.text.startswith("ประกาศรับสมัคร")


# -- not articles ---------------------------------------------------------------------------------
def test_soft_404_served_with_200(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="archiver.extract"):
        assert extract_article(page("soft_404.html"), "https://www.prd.go.th/x/9999") is None
    assert "soft error" in caplog.text


def test_soft_error_said_in_text_only(caplog: pytest.LogCaptureFixture) -> None:
    """A generic title, the CMS article markup, and the message in the body."""
    body = "<p>ขออภัย ไม่พบหน้าที่ต้องการ</p><p>" + "หน้าที่ท่านเรียกอาจถูกย้ายหรือลบ " * 10
    html = (
        f"<html><head><title>กรมประชาสัมพันธ์</title></head><body>"
        f"<div class='item-page'>{body}</p></div></body></html>"
    )
    with caplog.at_level(logging.DEBUG, logger="archiver.extract"):
        assert extract_article(html, "https://www.prd.go.th/x/9999") is None
    assert "soft error page (text" in caplog.text


@pytest.mark.parametrize(
    "title",
    [
        "ไม่พบหน้าที่ต้องการ",
        "404 - Category not found",
        "Error: 404",
        "Page not found | กรม",
    ],
)
def test_soft_error_titles(title: str) -> None:
    body = "<p>" + "เนื้อหาทั่วไปของเว็บไซต์หน่วยงานราชการ " * 20 + "</p>"
    html = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    assert extract_article(html, "https://example.go.th/x") is None


def test_short_page_is_not_an_article(caplog: pytest.LogCaptureFixture) -> None:
    html = "<html><body><div class='item-page'><p>ประกาศรับสมัครงาน</p></div></body></html>"
    with caplog.at_level(logging.DEBUG, logger="archiver.extract"):
        assert extract_article(html, "https://example.go.th/x") is None
    assert "characters of text" in caplog.text


def test_empty_page() -> None:
    assert extract_article(page("empty.html"), "https://example.go.th/") is None
    assert extract_article("", "https://example.go.th/") is None
    assert extract_article("  \n\t ", "https://example.go.th/") is None


def test_binary_garbage() -> None:
    raw = (PAGES / "garbage.bin").read_bytes()
    assert extract_article(raw.decode("latin-1"), "https://example.go.th/a.jpg") is None
    assert extract_article(raw.decode("utf-8", "replace"), "https://example.go.th/a.jpg") is None
    assert extract_article(raw, "https://example.go.th/a.jpg") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "html",
    [
        "<",
        "<<<>>>",
        "</html>",
        "\x00" * 20,
        "<html><body><td><td><tr></table>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>สวัสดี</p></body></html>",
        "<div>" * 5000 + "ข้อความภาษาไทย " * 50,
        "<table><tr><td>" * 500,
        "<!-- unterminated comment <p>" + "ข่าว" * 100,
    ],
)
def test_bad_html_never_raises(html: str) -> None:
    result = extract_article(html, "https://example.go.th/x")
    assert result is None or isinstance(result, Article)


# -- the rules in extract/lines.py--------------------------------------------------------------------
@pytest.mark.parametrize("rule", lines.LINE_PATTERNS, ids=lambda r: r.name)
def test_line_pattern_removes_its_example(rule: lines.LinePattern) -> None:
    text = "\n".join([PROSE[0], rule.example, PROSE[1]])
    cleaned = lines.clean_lines(text)
    assert rule.example not in cleaned
    assert PROSE[0] in cleaned and PROSE[1] in cleaned
    if rule.inline:  # a shortcode inside a sentence goes, the sentence stays
        cleaned = lines.clean_lines(f"ก่อนหน้านี้ {rule.example} หลังจากนั้น")
        assert rule.example not in cleaned
        assert "ก่อนหน้านี้" in cleaned and "หลังจากนั้น" in cleaned


@pytest.mark.parametrize("line", PROSE)
def test_line_patterns_leave_prose_untouched(line: str) -> None:
    assert lines.clean_lines(line) == line
    assert lines.split_bylines(line) == (line, {})


@pytest.mark.parametrize(
    ("junk", "kept"),
    [
        ('[caption id="a" width="800"]<img> ภาพบรรยากาศงาน[/caption]', "ภาพบรรยากาศงาน"),
        ("{loadposition share}ข่าวประจำวัน", "ข่าวประจำวัน"),
    ],
)
def test_shortcode_markers_go_text_stays(junk: str, kept: str) -> None:
    cleaned = lines.clean_lines(junk)
    assert kept in cleaned and "[" not in cleaned and "{" not in cleaned


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("เขียนข่าว : กลุ่มงานสมัชชาคุณธรรม", {"author": "กลุ่มงานสมัชชาคุณธรรม"}),
        ("ถ่ายภาพ : สำนักงานวัฒนธรรมจังหวัด", {"photographer": "สำนักงานวัฒนธรรมจังหวัด"}),
        ("ข่าว: นายสมชาย", {"author": "นายสมชาย"}),
        ("ภาพ：นางสาวสมหญิง", {"photographer": "นางสาวสมหญิง"}),
        ("ข่าว/ภาพ : กลุ่มประชาสัมพันธ์", {"author": "กลุ่มประชาสัมพันธ์", "photographer": "กลุ่มประชาสัมพันธ์"}),
        ("ภาพ / ข่าว : ฝ่ายบริหาร", {"author": "ฝ่ายบริหาร", "photographer": "ฝ่ายบริหาร"}),
        ("เรียบเรียง : กองบรรณาธิการ", {"author": "กองบรรณาธิการ"}),
        ("ที่มา : สำนักข่าวกรมประชาสัมพันธ์", {"author": "สำนักข่าวกรมประชาสัมพันธ์"}),
        ("ข่าว : นายเอ ภาพ : นายบี", {"author": "นายเอ", "photographer": "นายบี"}),
    ],
)
def test_bylines_move_to_metadata(line: str, fields: dict[str, str]) -> None:
    text, meta = lines.split_bylines("\n".join([PROSE[0], line, PROSE[1]]))
    assert meta == fields
    assert text == "\n".join([PROSE[0], PROSE[1]])


def test_writer_wins_over_source() -> None:
    _, meta = lines.split_bylines("ที่มา : สำนักข่าว\nเขียนข่าว : นายเอ")
    assert meta == {"author": "นายเอ"}


def test_long_line_is_not_a_byline() -> None:
    line = "ข่าว : " + "รายละเอียดของข่าวที่ยาวมาก " * 10
    assert len(line) >= lines.MAX_BYLINE_CHARS
    assert lines.split_bylines(line) == (line, {})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.go.th/news/1234-news-18-07-68", "2025-07-18"),
        ("https://www.example.go.th/2021/11/09/moral-province/", "2021-11-09"),
        ("https://www.example.go.th/news/ข่าว-15-11-2564.html", "2021-11-15"),
        ("https://www.example.go.th/news/2021/11/moral-province/", None),
        ("https://www.example.go.th/news/31-02-64-report.html", None),
    ],
)
def test_publication_date_from_url_alias(url: str, expected: str | None) -> None:
    from archiver.extract.published import published_in_url

    date, _raw = published_in_url(url)
    assert (date.isoformat() if date else None) == expected
