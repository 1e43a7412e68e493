"""Thai dates: month names, Buddhist-era years, dates in running text and on the command line.

Why our own code (FACTS.md): dateparser keeps the Buddhist year and reads ``64`` as 2064;
PyThaiNLP's ``thai_strptime`` reads numeric months 10-12 as January.
"""

from __future__ import annotations

import datetime
import logging
import re

from archiver.thai.chars import normalize_digits

logger = logging.getLogger(__name__)

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


def thai_date(day: datetime.date, short: bool = False) -> str:
    """``9 พฤศจิกายน 2564`` (``short``: ``9 พ.ย. 2564``): a date as Thai people write it, in the
    Buddhist era, with the month names that ``parse_date`` reads."""
    names = _MONTHS[day.month]
    return f"{day.day} {names[-1] if short else names[0]} {day.year + BE_OFFSET}"
