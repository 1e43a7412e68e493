"""archiver.thai: Buddhist-era dates, legacy Thai encodings, segmentation for the search index."""

from __future__ import annotations

import codecs
import datetime
import re

import pytest

from archiver.thai.chars import has_thai, looks_like_mojibake, normalize_digits
from archiver.thai.dates import find_date, parse_date
from archiver.thai.encoding import decode_html
from archiver.thai.words import index_text, segment, segmenter_id

D = datetime.date

# ------------------------------------------------------------------------------------- digits


def test_normalize_digits_turns_thai_digits_into_ascii_and_keeps_length():
    assert normalize_digits("๐๑๒๓๔๕๖๗๘๙ ปี ๒๕๖๔") == "0123456789 ปี 2564"


# -------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9 พฤศจิกายน 2564", D(2021, 11, 9)),
        ("วันอังคารที่ 9 พฤศจิกายน 2564", D(2021, 11, 9)),
        ("วันที่ 9 พฤศจิกายน 2564", D(2021, 11, 9)),
        ("ที่ 9 พฤศจิกายน 2564", D(2021, 11, 9)),
        ("9 พฤศจิกายน พ.ศ. 2564", D(2021, 11, 9)),
        ("9 พฤศจิกายน พ.ศ.2564", D(2021, 11, 9)),
        ("9 พ.ย. 64", D(2021, 11, 9)),
        ("9 พ.ย 64", D(2021, 11, 9)),
        ("9 พย. 2564", D(2021, 11, 9)),
        ("9 พย 2564", D(2021, 11, 9)),
        ("15 พ.ย. 64", D(2021, 11, 15)),
        ("15-11-64", D(2021, 11, 15)),
        ("15/11/2564", D(2021, 11, 15)),
        ("15.11.2564", D(2021, 11, 15)),
        ("๙ พฤศจิกายน ๒๕๖๔", D(2021, 11, 9)),
        ("๑๕-๑๑-๖๔", D(2021, 11, 15)),
        ("9 November 2021", D(2021, 11, 9)),
        ("9 Nov 2021", D(2021, 11, 9)),
        ("November 9, 2021", D(2021, 11, 9)),
        ("2021-11-09", D(2021, 11, 9)),
        ("2021-11-09T10:00:00+07:00", D(2021, 11, 9)),
        ("9 พ.ย. 2021", D(2021, 11, 9)),  # four digits below 2400: Gregorian
        ("9 ธันวาคม ค.ศ. 2021", D(2021, 12, 9)),
        ("  9 พ.ย. 64  ", D(2021, 11, 9)),
    ],
)
def test_parse_date_reads_thai_and_western_forms_as_gregorian(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 มกราคม 2565", D(2022, 1, 1)),
        ("1 ม.ค. 65", D(2022, 1, 1)),
        ("28 กุมภาพันธ์ 2565", D(2022, 2, 28)),
        ("28 ก.พ. 65", D(2022, 2, 28)),
        ("3 มีนาคม 2565", D(2022, 3, 3)),
        ("3 มี.ค. 65", D(2022, 3, 3)),
        ("4 เมษายน 2565", D(2022, 4, 4)),
        ("4 เม.ย. 65", D(2022, 4, 4)),
        ("5 พฤษภาคม 2565", D(2022, 5, 5)),
        ("5 พ.ค. 65", D(2022, 5, 5)),
        ("6 มิถุนายน 2565", D(2022, 6, 6)),
        ("6 มิ.ย. 65", D(2022, 6, 6)),
        ("7 กรกฎาคม 2565", D(2022, 7, 7)),
        ("7 ก.ค. 65", D(2022, 7, 7)),
        ("8 สิงหาคม 2565", D(2022, 8, 8)),
        ("8 ส.ค. 65", D(2022, 8, 8)),
        ("9 กันยายน 2565", D(2022, 9, 9)),
        ("9 ก.ย. 65", D(2022, 9, 9)),
        ("10 ตุลาคม 2565", D(2022, 10, 10)),
        ("10 ต.ค. 65", D(2022, 10, 10)),
        ("11 พฤศจิกายน 2565", D(2022, 11, 11)),
        ("11 พ.ย. 65", D(2022, 11, 11)),
        ("12 ธันวาคม 2565", D(2022, 12, 12)),
        ("12 ธ.ค. 65", D(2022, 12, 12)),
        ("12 ธค 65", D(2022, 12, 12)),
    ],
)
def test_parse_date_knows_every_thai_month_name_and_abbreviation(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15-10-64", D(2021, 10, 15)),
        ("15-11-64", D(2021, 11, 15)),
        ("15-12-64", D(2021, 12, 15)),
        ("01/10/2564", D(2021, 10, 1)),
        ("30.11.2564", D(2021, 11, 30)),
        ("31/12/2564", D(2021, 12, 31)),
    ],
)
def test_parse_date_keeps_numeric_months_10_to_12(raw, expected):
    """PyThaiNLP's thai_strptime reads these months as January (FACTS.md)."""
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "31 กุมภาพันธ์ 2564",
        "29 ก.พ. 64",  # 2021 is not a leap year
        "31-04-64",
        "15-13-64",
        "0 พ.ย. 64",
        "2021-02-30",
        "9 พ.ย. 2700",  # 2157 CE: absurd
        "9 November 1850",
        "15-11-21",  # two digits are BE: 2521 BE = 1978, out of range
        "",
        "ข่าวประชาสัมพันธ์",
        "9 พ.ย. 64 ข่าว",  # not the whole string
    ],
)
def test_parse_date_rejects_impossible_absurd_or_partial_dates(raw):
    assert parse_date(raw) is None


def test_parse_date_counts_29_february_of_a_be_leap_year():
    assert parse_date("29 ก.พ. 2563") == D(2020, 2, 29)


def test_find_date_returns_the_first_date_and_its_raw_substring():
    text = "ข่าวประชาสัมพันธ์ วันอังคารที่ 9 พฤศจิกายน 2564 เวลา 10.00 น. ประชุม 15-11-64"
    assert find_date(text) == (D(2021, 11, 9), "วันอังคารที่ 9 พฤศจิกายน 2564")


def test_find_date_skips_an_impossible_date_and_goes_on_to_the_next():
    text = "ปรับปรุงเมื่อ 31 กุมภาพันธ์ 2564 แล้ว ประกาศเมื่อ 15 พ.ย. 64 ที่ศาลากลาง"
    assert find_date(text) == (D(2021, 11, 15), "15 พ.ย. 64")


def test_find_date_skips_an_impossible_numeric_date():
    assert find_date("อ้างอิง 31-04-64 ข่าว 15/11/2564") == (D(2021, 11, 15), "15/11/2564")


def test_find_date_takes_the_earliest_date_whatever_its_form():
    text = "แก้ไข 2022-01-05 ประกาศ 15-11-64 ข่าว 9 พ.ย. 64"
    assert find_date(text) == (D(2022, 1, 5), "2022-01-05")
    assert find_date(text[9:]) == (D(2021, 11, 15), "15-11-64")


def test_find_date_returns_raw_thai_digits_as_written():
    assert find_date("เมื่อ ๙ พ.ย. ๖๔ นี้") == (D(2021, 11, 9), "๙ พ.ย. ๖๔")


def test_find_date_ignores_dotted_version_numbers():
    assert find_date("เวอร์ชัน 1.2.3.4 ออกเมื่อ 15.11.2564.") == (D(2021, 11, 15), "15.11.2564")


def test_find_date_returns_none_without_a_date():
    assert find_date("ไม่มีวันที่ในข้อความนี้ 123 456") is None


# ----------------------------------------------------------------------------------- encoding

THAI_HTML = (
    "<html><head><title>ข่าวประชาสัมพันธ์</title></head><body><p>วันอังคารที่ 9 พฤศจิกายน 2564 "
    "นายอำเภอเมืองพระนครศรีอยุธยา “ประชุม” – ข่าว</p></body></html>"
)


def _with_meta(html: str, meta: str) -> str:
    return html.replace("<head>", "<head>" + meta)


def test_decode_html_reads_windows_874_with_no_declaration():
    assert decode_html(THAI_HTML.encode("cp874")) == (THAI_HTML, "cp874")


def test_decode_html_overrides_a_wrong_utf8_header_on_windows_874_bytes():
    assert decode_html(THAI_HTML.encode("cp874"), "utf-8") == (THAI_HTML, "cp874")


@pytest.mark.parametrize(
    "meta",
    [
        '<meta http-equiv="Content-Type" content="text/html; charset=tis-620">',
        '<meta charset="windows-874">',
        "<meta charset=iso-8859-11>",
    ],
)
def test_decode_html_uses_a_meta_charset_and_maps_thai_labels_to_cp874(meta):
    html = _with_meta(THAI_HTML, meta)
    # curly quotes and the dash live in 0x80-0x9F: only cp874 (not tis_620) has them
    assert decode_html(html.encode("cp874")) == (html, "cp874")


def test_decode_html_overrides_a_wrong_latin1_header_on_utf8_bytes():
    assert decode_html(THAI_HTML.encode("utf-8"), "iso-8859-1") == (THAI_HTML, "utf-8")


def test_decode_html_overrides_a_wrong_tis620_meta_on_utf8_bytes():
    html = _with_meta(THAI_HTML, '<meta charset="tis-620">')
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_decode_html_rejects_a_cp874_decoding_of_utf8_that_is_strictly_valid():
    # every byte of these UTF-8 letters is defined in cp874, so only the mojibake check helps
    html = '<meta charset="tis-620"><p>สวยทราย สวยทราย</p>'
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_decode_html_follows_a_correct_header():
    assert decode_html(THAI_HTML.encode("utf-8"), "UTF-8") == (THAI_HTML, "utf-8")


def test_decode_html_lets_a_utf8_bom_win_over_a_wrong_header():
    assert decode_html(codecs.BOM_UTF8 + THAI_HTML.encode("utf-8"), "tis-620") == (
        THAI_HTML,
        "utf-8",
    )


def test_decode_html_reads_a_utf16_bom():
    body = codecs.BOM_UTF16_LE + THAI_HTML.encode("utf-16-le")
    assert decode_html(body) == (THAI_HTML, "utf-16-le")


def test_decode_html_keeps_a_real_latin1_page_as_declared():
    html = "<p>" + "Café élève à la fenêtre, déjà vu. " * 5 + "</p>"
    assert decode_html(html.encode("latin-1"), "iso-8859-1") == (html, "cp1252")


def test_decode_html_decodes_one_stray_byte_in_windows_874_without_losing_the_page():
    body = THAI_HTML.encode("cp874").replace(b"</p>", b"\xfc</p>")
    text, codec = decode_html(body, "utf-8")
    assert codec == "cp874"
    assert "นายอำเภอเมืองพระนครศรีอยุธยา" in text and text.count("\ufffd") == 1


@pytest.mark.parametrize(
    ("body", "declared"),
    [(b"", None), (b"\xff\xfe\x00\xdb", "bogus-charset"), (b"\x80\x81\xdb\xfc" * 10, "utf-8")],
)
def test_decode_html_never_raises(body, declared):
    text, codec = decode_html(body, declared)
    assert isinstance(text, str) and codecs.lookup(codec)


def test_looks_like_mojibake_spots_utf8_thai_read_as_cp1252_or_cp874():
    raw = "ข่าวประชาสัมพันธ์".encode()
    assert looks_like_mojibake(raw.decode("cp1252", errors="replace"))
    assert looks_like_mojibake(raw.decode("latin-1"))
    assert looks_like_mojibake(raw.decode("cp874", errors="replace"))
    assert looks_like_mojibake("ข่าว\ufffd")
    assert not looks_like_mojibake("เธอเน้นข่าวประชาสัมพันธ์ Café")


def test_has_thai_is_true_only_with_thai_letters():
    assert has_thai("abc ข่าว")
    assert not has_thai("abc 123 ๑๒๓ ฿")


# ------------------------------------------------------------------------------- segmentation


def test_segment_finds_a_word_inside_a_compound():
    assert "คุณธรรม" in segment("จังหวัดคุณธรรม")


def test_segment_splits_an_abbreviation_glued_to_a_name_on_its_dot():
    tokens = segment("จ.พระนครศรีอยุธยา")
    assert "พระนครศรีอยุธยา" in tokens
    assert not any("." in t for t in tokens)


def test_segment_drops_punctuation_around_numbers():
    assert segment("ปี 2565, ราคา (100)") == ["ปี", "2565", "ราคา", "100"]


def test_segment_normalizes_thai_digits():
    assert "2564" in segment("พ.ศ. ๒๕๖๔")


def test_segment_lower_cases_latin():
    assert segment("COVID-19 Hello") == ["covid", "19", "hello"]


def test_segment_gives_no_empty_or_whitespace_tokens():
    tokens = segment("  ข่าว \n\n\t ประชาสัมพันธ์ \u200b . , \r\n  กรม  ")
    assert tokens and all(t and t.strip() == t and not re.search(r"\s", t) for t in tokens)


def test_segment_does_not_join_words_across_lines():
    assert segment("ข่าว\nสาร") == ["ข่าว", "สาร"]


def test_segment_of_a_long_line_matches_segmenting_its_parts():
    words = ["จังหวัดคุณธรรม", "ประชาสัมพันธ์"] * 400
    assert segment(" ".join(words)) == segment("\n".join(words))


def test_segment_keeps_dictionary_words_in_a_long_run_without_spaces():
    assert set(segment("ประชาสัมพันธ์" * 300)) == {"ประชาสัมพันธ์"}


def test_index_text_is_the_segmenters_tokens_separated_by_spaces():
    # No punctuation or Latin here, so the plain split already equals the tokens (FTS5
    # drops punctuation and folds case itself: tests/test_search.py reads its tokens back).
    text = "จังหวัดคุณธรรมพระนครศรีอยุธยา ๒๕๖๔\nประชาสัมพันธ์"
    assert index_text(text).split() == segment(text)
    assert "๒" not in index_text(text)


def test_segmenter_id_names_nlpo3_and_the_word_list_versions():
    assert re.fullmatch(r"nlpo3 \S+ / pythainlp-words_th \S+", segmenter_id())


@pytest.mark.parametrize(
    ("value", "since", "until"),
    [
        ("64", "2021-01-01", "2021-12-31"),  # a B.E. short year, as Thai people write it
        ("๖๔", "2021-01-01", "2021-12-31"),
        ("2564", "2021-01-01", "2021-12-31"),
        ("2021", "2021-01-01", "2021-12-31"),
        ("2399", None, None),  # neither B.E. (from 2400) nor a year an archive can hold
        ("2564-11-09", "2021-11-09", "2021-11-09"),
        ("9 พ.ย. 64", "2021-11-09", "2021-11-09"),
        ("33", "1990-01-01", "1990-12-31"),
        ("32", None, None),
        ("0", None, None),
        ("99999", None, None),
        ("2021-02-31", None, None),
    ],
)
def test_a_date_bound_reads_years_by_the_same_buddhist_era_rules_as_pages(value, since, until):
    from archiver.thai.dates import parse_date_bound

    if since is None:
        with pytest.raises(ValueError, match="out of range|not a date"):
            parse_date_bound(value)
        return
    assert parse_date_bound(value).isoformat() == since
    assert parse_date_bound(value, end=True).isoformat() == until
    if len(value) == 2 and value.isdigit():  # the same year a page's "15-11-64" has
        assert parse_date(f"15-11-{value}").year == parse_date_bound(value).year


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("จํานวน", "จำนวน"),  # nikhahit + sara aa: sara am
        ("นํ้า", "น้ำ"),  # ... with the tone mark in between
        ("เก่่า", "เก่า"),  # a tone mark typed twice
        ("เเปลก", "แปลก"),  # two sara e: sara ae
        ("ค\u200bน\ufeff", "คน"),  # zero-width characters
        ("ปกติ ไม่มีอะไร COVID-19 ๒๕๖๔", "ปกติ ไม่มีอะไร COVID-19 ๒๕๖๔"),  # nothing to do
    ],
)
def test_normalize_thai_gives_one_spelling_and_keeps_the_rest(typed: str, normal: str) -> None:
    from archiver.thai.chars import normalize_thai

    assert normalize_thai(typed) == normal
    assert normalize_thai(normal) == normal


def test_a_word_normalises_the_same_alone_and_inside_any_text() -> None:
    """What a query gets is what the stored text gets: normalising one run of Thai characters
    does not depend on the rest of the text (it did: a mark pair anywhere in an article had
    PyThaiNLP rewrite every word of it, so a query typed as stored could miss)."""
    import random

    from archiver.thai.chars import normalize_thai

    marks = ["\u0e4d\u0e32", "\u0e40\u0e40", "\u0e48\u0e48", "\u0e35\u0e35", "\u200b", "\u0e45"]
    letters = [chr(c) for c in range(0x0E01, 0x0E5C)] + marks
    rng = random.Random(15)
    for _ in range(3000):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(1, 12)))
        around = ["".join(rng.choice(letters) for _ in range(rng.randint(0, 30))) for _ in "ab"]
        text = f"{around[0]} {word} - {around[1]}"
        alone = normalize_thai(word)
        assert normalize_thai(text) == (
            f"{normalize_thai(around[0])} {alone} - {normalize_thai(around[1])}"
        ), repr(text)
