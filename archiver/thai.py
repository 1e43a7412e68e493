"""Everything specific to Thai: digits, Buddhist-era dates, legacy encodings, word segmentation.

Other modules call this one and hold no Thai knowledge of their own, so a fix here (a month
spelling, a codec alias, a segmenter upgrade) reaches the crawler, the extractor and the index
at once.

Why our own code (FACTS.md): dateparser keeps the Buddhist year and reads ``64`` as 2064;
PyThaiNLP's ``thai_strptime`` reads numeric months 10-12 as January; a wrong HTTP charset wins
in Scrapy and trafilatura decodes TIS-620 with a codec that drops 0x80-0x9F; and SQLite's FTS5
cannot segment Thai, so the index stores pre-segmented text and queries are segmented the same way.
"""

from __future__ import annotations

import codecs
import datetime
import importlib.metadata
import logging
import os
import re
import threading
import unicodedata
from functools import lru_cache

logger = logging.getLogger(__name__)

__all__ = [
    "normalize_digits",
    "parse_date",
    "find_date",
    "decode_html",
    "segment",
    "index_text",
    "segmenter_id",
    "has_thai",
    "looks_like_mojibake",
]

# --------------------------------------------------------------------------------------- digits


def normalize_digits(s: str) -> str:
    """Thai digits ๐-๙ to ASCII 0-9. One character for one, so string offsets are kept.
    (Ten ``str.replace`` passes in C beat ``str.translate`` on long text.)"""
    for n, digit in enumerate("๐๑๒๓๔๕๖๗๘๙"):
        if digit in s:
            s = s.replace(digit, str(n))
    return s


# ------------------------------------------------------------------------------ helpers (text)

_THAI_LETTER = re.compile(r"[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]")
#: UTF-8 Thai (E0 B8 xx / E0 B9 xx) read as cp1252/latin-1 gives "à¸x", read as cp874 "เธx".
#: One "เธ" is a real word (เธอ) and "เน" starts real words, so only runs of them count.
#: (Two patterns, each spelled out without a repeated group: about 60x faster than one.)
_MOJIBAKE_LATIN = re.compile("à[\u00b8\u00b9].à[\u00b8\u00b9].", re.DOTALL)
_MOJIBAKE_CP874 = re.compile("เ[ธน].เ[ธน].เ[ธน].", re.DOTALL)


def has_thai(s: str) -> bool:
    """True when ``s`` holds at least one Thai letter (consonant, vowel or tone mark)."""
    return _THAI_LETTER.search(s) is not None


def looks_like_mojibake(s: str) -> bool:
    """True when ``s`` looks decoded with the wrong codec.

    Signs: runs of ``à¸``/``à¹`` (UTF-8 Thai read as cp1252 or latin-1), runs of ``เธ``/``เน``
    (UTF-8 Thai read as cp874), or U+FFFD replacement characters (cp874 read as UTF-8).
    """
    return "\ufffd" in s or _mojibake_runs(s)


def _mojibake_runs(s: str) -> bool:
    return ("à" in s and _MOJIBAKE_LATIN.search(s) is not None) or (
        _MOJIBAKE_CP874.search(s) is not None
    )


# ---------------------------------------------------------------------------------------- dates

_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("มกราคม", "มกรา", "ม.ค."),
    2: ("กุมภาพันธ์", "กุมภาพันธ", "กุมภา", "ก.พ."),
    3: ("มีนาคม", "มีนา", "มี.ค."),
    4: ("เมษายน", "เมษา", "เม.ย."),
    5: ("พฤษภาคม", "พฤษภา", "พ.ค."),
    6: ("มิถุนายน", "มิถุนา", "มิ.ย."),
    7: ("กรกฎาคม", "กรกฏาคม", "กรกฎา", "ก.ค."),
    8: ("สิงหาคม", "สิงหา", "ส.ค."),
    9: ("กันยายน", "กันยา", "ก.ย."),
    10: ("ตุลาคม", "ตุลา", "ต.ค."),
    11: ("พฤศจิกายน", "พฤศจิกา", "พ.ย."),
    12: ("ธันวาคม", "ธันวา", "ธ.ค."),
}
_EN_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def _month_key(name: str) -> str:
    """Lookup key of a month as written: dots and spaces removed, lower-cased."""
    return re.sub(r"[.\s]", "", name).lower()


_MONTH_BY_KEY: dict[str, int] = {}
_month_patterns: list[str] = []
for _num, _names in _MONTHS.items():
    for _name in _names:
        _MONTH_BY_KEY[_month_key(_name)] = _num
        if "." in _name:  # abbreviation: every dot optional ("พ.ย.", "พ.ย", "พย.", "พย")
            _parts = [p for p in _name.split(".") if p]
            _month_patterns.append(r"\.?\s?".join(map(re.escape, _parts)) + r"\.?")
        else:
            _month_patterns.append(re.escape(_name))
for _num, _name in enumerate(_EN_MONTHS, 1):
    _MONTH_BY_KEY[_name] = _num
    _MONTH_BY_KEY[_name[:3]] = _num
    if _name == "september":
        _MONTH_BY_KEY["sept"] = 9
# Longest first, so "มีนาคม" wins over "มีนา" and full names over abbreviations.
_TH_MONTH = "|".join(sorted(_month_patterns, key=len, reverse=True))
_EN_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)

_WEEKDAY = "จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์|อาทิตย์"
#: "วันอังคารที่", "วันอังคาร", "วันที่", or a lone "ที่" (not the tail of a word like สถานที่).
_TH_PREFIX = rf"(?:วัน(?:{_WEEKDAY})?\s*ที่\s*|วัน(?:{_WEEKDAY})\s*,?\s*|(?<!\S)ที่\s*)?"
_ERA = r"(?P<era>พ\.?\s?ศ\.?|ค\.?\s?ศ\.?)"
_EN_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*)?"

_DATE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # 9 พฤศจิกายน 2564 / วันอังคารที่ 9 พ.ย. 64 / 9 พย. พ.ศ. 2564
        rf"{_TH_PREFIX}(?<!\d)(?P<day>\d{{1,2}})\s*(?P<month>{_TH_MONTH})\s*(?:ปี\s*)?"
        rf"(?:{_ERA}\s*)?(?P<year>\d{{4}}|\d{{2}})(?!\d)",
        # 2021-11-09, 2021-11-09T10:00:00+07:00, 2564/11/09 (year first: ISO order)
        r"(?<![\d.])(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
        r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?![\d:]))?(?![\d])",
        # 15-11-64, 15/11/2564, 15.11.2564: day-month-year, Thai order
        r"(?<![\d./-])(?P<day>\d{1,2})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)"
        r"(?P<year>\d{4}|\d{2})(?![\d]|[-/.]\d)",
        # 9 November 2021, Tuesday, 9 Nov. 2021
        rf"\b{_EN_WEEKDAY}(?<!\d)(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_EN_MONTH})"
        r",?\s*(?P<year>\d{4})(?!\d)",
        # November 9, 2021
        rf"\b{_EN_WEEKDAY}(?P<month>{_EN_MONTH})\s*(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
        r"(?P<year>\d{4})(?!\d)",
    )
)

#: Dates read only from a string that is nothing else: year first with an English month
#: ("2023 Jan 7", the citation style of PubMed Central's ``citation_publication_date``). In
#: running text a year and a month name followed by a number is as often a count or a list.
_WHOLE_DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    *_DATE_PATTERNS,
    re.compile(rf"(?P<year>\d{{4}})\s+(?P<month>{_EN_MONTH})\s+(?P<day>\d{{1,2}})", re.IGNORECASE),
)

#: Dates outside these Gregorian years are misreadings (a phone number, a wrong era).
MIN_YEAR, MAX_YEAR = 1990, 2100
#: Four-digit years from here on are Buddhist era (2400 BE = 1857 CE, 2100 CE = 2643 BE).
BE_THRESHOLD = 2400
BE_OFFSET = 543


def _to_gregorian(year_text: str, era: str | None) -> int:
    """Gregorian year from a written year: two digits are BE (64 -> 2564), four digits are BE
    from 2400 on; an explicit ค.ศ. marks a Gregorian year (two digits then mean 20xx)."""
    year = int(year_text)
    gregorian_era = era is not None and _month_key(era) == "คศ"
    if len(year_text) == 2:
        return 2000 + year if gregorian_era else 2500 + year - BE_OFFSET
    if year >= BE_THRESHOLD and not gregorian_era:
        return year - BE_OFFSET
    return year


def _date_from_match(m: re.Match[str]) -> datetime.date | None:
    """The date a pattern match denotes, or None when impossible or out of range."""
    groups = m.groupdict()
    month_text = groups["month"]
    month = int(month_text) if month_text.isdigit() else _MONTH_BY_KEY.get(_month_key(month_text))
    if month is None:
        return None
    year = _to_gregorian(groups["year"], groups.get("era"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return datetime.date(year, month, int(groups["day"]))
    except ValueError:  # 31 กุมภาพันธ์, 31-04-64, month 13
        return None


def parse_date(s: str) -> datetime.date | None:
    """The date when the whole of ``s`` (surrounding whitespace aside) is one date, else None.

    Buddhist-era years are converted to Gregorian; impossible dates give None.
    """
    text = normalize_digits(s).strip()
    for pattern in _WHOLE_DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            return _date_from_match(m)
    return None


def parse_date_bound(value: str, end: bool = False) -> datetime.date:
    """A date as a user gives one (``--since``/``--until``): a whole date (``2021-11-09``,
    ``2564-11-09``, ``9 พ.ย. 64``, ...) or a year alone, read as in Thai writing: four digits are
    Gregorian, or Buddhist era from ``BE_THRESHOLD`` on (2564 -> 2021); two digits are a B.E.
    short year (64 -> 2564 -> 2021). A year alone is its first day (its last with ``end``).

    Raises ``ValueError`` with a one-line reason for anything else, and for a year outside
    ``MIN_YEAR``-``MAX_YEAR`` (no date in an archive is outside them).
    """
    text = normalize_digits(value).strip()
    if text.isdigit():
        year = _to_gregorian(text, None) if len(text) in (2, 4) else 0  # 0, 99999: no year
        _check_year(value, year)
        return datetime.date(year, 12, 31) if end else datetime.date(year, 1, 1)
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            _check_year(value, _to_gregorian(m.group("year"), m.groupdict().get("era")))
            date = _date_from_match(m)
            if date is not None:
                return date
            break
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD, or a year: 2021, 2564, 64)")


def _check_year(value: str, year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(
            f"{value!r} is out of range: years {MIN_YEAR}-{MAX_YEAR}, B.E. "
            f"{MIN_YEAR + BE_OFFSET}-{MAX_YEAR + BE_OFFSET} (or two digits, 64: B.E. 2564)"
        )


def find_date(text: str) -> tuple[datetime.date, str] | None:
    """The first valid date anywhere in ``text`` and the raw substring it was read from.

    Candidates are tried in order of position (the longest first where several start at the
    same place); impossible dates are skipped, so ``31 ก.พ. 64 ... 9 พ.ย. 64`` gives 9 November.
    """
    normalized = normalize_digits(text)  # same length: offsets are valid in ``text``
    candidates: list[re.Match[str]] = []
    for pattern in _DATE_PATTERNS:
        candidates.extend(pattern.finditer(normalized))
    candidates.sort(key=lambda m: (m.start(), -m.end()))
    for m in candidates:
        date = _date_from_match(m)
        if date is not None:
            return date, text[m.start() : m.end()].strip()
        logger.debug("skipped impossible date %r", m.group(0))
    return None


# ------------------------------------------------------------------------------------- encoding

_THAI_CODEC = "cp874"
#: cp874 (windows-874) is a superset of TIS-620 and ISO-8859-11: 0x80-0x9F add € … ‘ ’ “ ” • – —.
_THAI_ALIASES = {
    "tis620",
    "iso885911",
    "windows874",
    "xwindows874",
    "cp874",
    "ms874",
    "dos874",
    "ibm874",
    "thai",
    "tis6200",
    "tis6202533",
}
#: Browsers read latin-1 and ASCII labels as windows-1252 (WHATWG Encoding), and so do we.
_LATIN1_ALIASES = {
    "iso88591",
    "latin1",
    "l1",
    "usascii",
    "ascii",
    "cp819",
    "ibm819",
    "iso8859-1",
    "windows1252",
    "xcp1252",
    "cp1252",
}
_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
META_SCAN_BYTES = 4096
#: A body with at least this many bytes in 0xA1-0xFB yet no Thai after decoding is suspect.
MIN_SUSPECT_HIGH_BYTES = 16
_HIGH_BYTES = re.compile(rb"[\xa1-\xfb]")
_THAI_CONSONANT = re.compile(r"[\u0e01-\u0e2e]")


def _codec_name(label: str | None) -> str | None:
    """Python codec name for a charset label, Thai and latin-1 aliases mapped; None if unknown."""
    if not label:
        return None
    key = re.sub(r"[^a-z0-9]", "", label.strip().strip("\"'").lower())
    if key in _THAI_ALIASES:
        return _THAI_CODEC
    if key in _LATIN1_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        logger.debug("unknown charset label %r", label)
        return None


def _meta_charset(body: bytes) -> str | None:
    """The charset a ``<meta>`` tag declares in the first ``META_SCAN_BYTES`` bytes."""
    m = _META_CHARSET.search(body[:META_SCAN_BYTES])
    return m.group(1).decode("ascii", "replace") if m else None


def _plausible_thai(text: str) -> bool:
    """Whether a cp874 decoding reads as Thai rather than re-labelled Western bytes.

    Latin-1 accented letters (0xE0-0xFF) land on Thai vowels, tone marks and digits in cp874,
    while real Thai text is about half consonants.
    """
    thai = len(_THAI_LETTER.findall(text))
    return thai > 0 and len(_THAI_CONSONANT.findall(text)) >= 0.3 * thai


def _acceptable(text: str, body: bytes, codec: str) -> bool:
    """Whether a strict decoding of ``body`` with ``codec`` can be trusted."""
    if looks_like_mojibake(text):
        return False
    if codec == _THAI_CODEC:
        return not _HIGH_BYTES.search(body) or _plausible_thai(text)
    if codec != "utf-8" and not has_thai(text):
        # A strict UTF-8 decoding of non-ASCII bytes is almost never wrong; single-byte codecs
        # decode anything, so many Thai-range bytes and no Thai letters means the label lies.
        return len(_HIGH_BYTES.findall(body)) < MIN_SUSPECT_HIGH_BYTES
    return True


def decode_html(body: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode an HTML page: ``(text, codec name)``. Never raises.

    Order: a BOM wins; then the HTTP charset (``declared``) and the ``<meta>`` charset, each
    verified (strict decoding, no mojibake, Thai letters where the bytes say Thai); then UTF-8
    strictly; then cp874, because Thai legacy sites often declare nothing or the wrong thing
    (FACTS.md: Scrapy lets a wrong header win). If no candidate is trusted, the first one that
    decoded strictly without mojibake; failing all, a lossy decoding: UTF-8 with
    ``errors='replace'``, or cp874 when that loses fewer bytes and reads as Thai (one stray
    undefined byte must not turn a whole windows-874 page into U+FFFD).
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body.decode(codec, errors="replace")
            name = (
                "utf-8"
                if codec == "utf-8-sig"
                else ("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be")
            )
            return text, name

    candidates: list[str] = []
    for label in (declared, _meta_charset(body)):
        found = _codec_name(label)
        if found and found not in candidates:
            candidates.append(found)
    for codec in ("utf-8", _THAI_CODEC):
        if codec not in candidates:
            candidates.append(codec)

    first_strict: tuple[str, str] | None = None
    for codec in candidates:
        try:
            text = body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
        if _acceptable(text, body, codec):
            if first_strict is not None:
                logger.debug("charset %r rejected, decoded as %s", first_strict[1], codec)
            return text, codec
        if first_strict is None and not looks_like_mojibake(text):
            first_strict = (text, codec)
    if first_strict is not None:
        logger.debug("no trusted charset; using %s", first_strict[1])
        return first_strict

    utf8 = body.decode("utf-8", errors="replace")
    thai = body.decode(_THAI_CODEC, errors="replace")
    if (
        thai.count("\ufffd") < utf8.count("\ufffd")
        and _plausible_thai(thai)
        and not _mojibake_runs(thai)
    ):
        logger.debug("lossy decoding as %s", _THAI_CODEC)
        return thai, _THAI_CODEC
    logger.debug("lossy decoding as utf-8")
    return utf8, "utf-8"


# --------------------------------------------------------------------------------- segmentation

_DICT_NAME = "archiver-words_th"
_dict_lock = threading.Lock()
_dict_loaded = False
#: Longer lines are cut at whitespace into pieces about this long before segmenting.
MAX_SEGMENT_CHARS = 2000
#: A piece still longer than this (no whitespace to cut at) is segmented in nlpo3's safe mode.
SAFE_SEGMENT_CHARS = 20000


def _words_path() -> str:
    """The word list shipped with PyThaiNLP (the dictionary of its newmm segmenter)."""
    import pythainlp

    return os.path.join(os.path.dirname(pythainlp.__file__), "corpus", "words_th.txt")


def _ensure_dict() -> None:
    """Load the word list into nlpo3 once per process, on first use (it takes a moment)."""
    global _dict_loaded
    if _dict_loaded:
        return
    with _dict_lock:
        if _dict_loaded:
            return
        import nlpo3

        message, ok = nlpo3.load_dict(_words_path(), _DICT_NAME)
        if not ok:
            raise RuntimeError(f"nlpo3 could not load the Thai word list: {message}")
        logger.debug("%s", message)
        _dict_loaded = True


@lru_cache(maxsize=4096)
def _is_word_char(c: str) -> bool:
    """Whether FTS5 ``unicode61 categories 'L* N* Co M*'`` keeps ``c`` inside a token."""
    category = unicodedata.category(c)
    return category[0] in "LNM" or category == "Co"


def _split_punct(token: str) -> list[str]:
    """Runs of word characters in ``token`` (``จ.พระนครศรีอยุธยา`` -> ``จ``, ``พระนครศรีอยุธยา``)."""
    parts: list[str] = []
    start = None
    for i, c in enumerate(token):
        if _is_word_char(c):
            if start is None:
                start = i
        elif start is not None:
            parts.append(token[start:i])
            start = None
    if start is not None:
        parts.append(token[start:])
    return parts


def _pieces(line: str) -> list[str]:
    """``line`` cut at whitespace into pieces of about ``MAX_SEGMENT_CHARS`` (a long line costs
    the segmenter more than its length)."""
    if len(line) <= MAX_SEGMENT_CHARS:
        return [line]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for word in line.split():
        if size + len(word) > MAX_SEGMENT_CHARS and current:
            pieces.append(" ".join(current))
            current, size = [], 0
        current.append(word)
        size += len(word) + 1
    if current:
        pieces.append(" ".join(current))
    return pieces


def segment(text: str) -> list[str]:
    """Word tokens of ``text`` for the search index and for queries (both must agree).

    nlpo3 (newmm) with PyThaiNLP's word list, line by line; tokens split on punctuation and
    whitespace, Thai digits made ASCII, Latin lower-cased; no empty tokens.
    """
    import nlpo3

    _ensure_dict()
    tokens: list[str] = []
    for line in normalize_digits(text).splitlines():
        for piece in _pieces(line.strip()):
            if not piece:
                continue
            # nlpo3's safe mode cuts at fixed windows, mid-word: only for a freak run with no
            # whitespace at all, where newmm's search could otherwise take very long.
            safe = len(piece) > SAFE_SEGMENT_CHARS
            for raw in nlpo3.segment(piece, _DICT_NAME, safe=safe):
                if raw.isspace():
                    continue
                tokens.extend(part.lower() for part in _split_punct(raw))
    return tokens


def index_text(text: str) -> str:
    """What the FTS5 word column is given for ``text``: nlpo3's tokens separated by spaces.

    FTS5's tokenizer (``search.WORD_TOKENIZER``: unicode61, categories ``L* N* Co M*``) then
    cuts it into exactly the tokens of ``segment`` (``tests/test_search.py`` reads them back
    from the index to hold them equal): it drops the punctuation and whitespace tokens and
    splits the tokens that hold punctuation, in C. Indexing spends most of its time here;
    doing that per token in Python cost as much again as nlpo3 itself.
    """
    import nlpo3

    _ensure_dict()
    pieces = []
    for line in normalize_digits(text).splitlines():
        for piece in _pieces(line.strip()):
            if piece:
                safe = len(piece) > SAFE_SEGMENT_CHARS
                pieces.append(" ".join(nlpo3.segment(piece, _DICT_NAME, safe=safe)))
    return " ".join(pieces)


@lru_cache(maxsize=1)
def segmenter_id() -> str:
    """Names the segmenter and dictionary versions; the index records it, and a change means
    the stored segmentation no longer matches how queries are segmented (reindex)."""
    return (
        f"nlpo3 {importlib.metadata.version('nlpo3')} / "
        f"pythainlp-words_th {importlib.metadata.version('pythainlp')}"
    )
