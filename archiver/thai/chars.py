"""Thai characters: digits as ASCII, whether a text is Thai, mojibake of Thai UTF-8."""

from __future__ import annotations

import re


def normalize_digits(s: str) -> str:
    """Thai digits ๐-๙ to ASCII 0-9. One character for one, so string offsets are kept.
    (Ten ``str.replace`` passes in C beat ``str.translate`` on long text.)"""
    for n, digit in enumerate("๐๑๒๓๔๕๖๗๘๙"):
        if digit in s:
            s = s.replace(digit, str(n))
    return s


THAI_LETTER = re.compile(r"[\u0e01-\u0e2e\u0e30-\u0e3a\u0e40-\u0e4e]")
#: UTF-8 Thai (E0 B8 xx / E0 B9 xx) read as cp1252/latin-1 gives "à¸x", read as cp874 "เธx".
#: One "เธ" is a real word (เธอ) and "เน" starts real words, so only runs of them count.
#: (Two patterns, each spelled out without a repeated group: about 60x faster than one.)
_MOJIBAKE_LATIN = re.compile("à[\u00b8\u00b9].à[\u00b8\u00b9].", re.DOTALL)
_MOJIBAKE_CP874 = re.compile("เ[ธน].เ[ธน].เ[ธน].", re.DOTALL)


def has_thai(s: str) -> bool:
    """True when ``s`` holds at least one Thai letter (consonant, vowel or tone mark)."""
    return THAI_LETTER.search(s) is not None


def looks_like_mojibake(s: str) -> bool:
    """True when ``s`` looks decoded with the wrong codec.

    Signs: runs of ``à¸``/``à¹`` (UTF-8 Thai read as cp1252 or latin-1), runs of ``เธ``/``เน``
    (UTF-8 Thai read as cp874), or U+FFFD replacement characters (cp874 read as UTF-8).
    """
    return "\ufffd" in s or mojibake_runs(s)


def mojibake_runs(s: str) -> bool:
    return ("à" in s and _MOJIBAKE_LATIN.search(s) is not None) or (
        _MOJIBAKE_CP874.search(s) is not None
    )


#: Zero-width characters: invisible, yet they split a word for every index and search.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
#: What may need normalising: a zero-width character, nikhahit (U+0E4D: ``ํา`` looks like sara
#: am ``ำ``), two sara e for sara ae, a mark written twice, a tone mark before a vowel above or
#: below, a following vowel before a tone mark. Most texts have none: one regex scan, no more.
_UNNORMAL = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u0e4d]|\u0e40\u0e40|([\u0e30-\u0e3a\u0e45\u0e47-\u0e4e])\\1"
    "|[\u0e48-\u0e4c][\u0e31\u0e34-\u0e3a]|[\u0e30\u0e32\u0e33\u0e45][\u0e48-\u0e4b]"
)


def normalize_thai(s: str) -> str:
    """Thai as it looks, in one spelling: the same word is the same string however it was typed
    or stored. Zero-width characters removed; nikhahit + sara aa made sara am (``จํานวน`` ->
    ``จำนวน``, common in text copied from PDFs of government documents); marks in the standard
    order and not doubled (PyThaiNLP's ``remove_repeat_vowels``, which reorders first).

    Applied to what extraction keeps and to what a user searches for. Costs one regex scan when
    there is nothing to do (PyThaiNLP's ``normalize`` costs about 1 ms a KB on every text).
    PyThaiNLP's rules rewrite runs of Thai characters only, so only the runs holding something
    to normalise are handed to it: on the crawl benchmark's 47 KB pages the whole text cost
    5.6 ms an article (28 of the crawl's 140 CPU-s for 5,000 articles)."""
    if _UNNORMAL.search(s) is None:
        return s
    from pythainlp.util import remove_repeat_vowels  # 35 ms to import: only when needed

    s = _ZERO_WIDTH.sub("", s)
    pieces, done = [], 0
    for found in _UNNORMAL.finditer(s):
        if found.start() < done:  # inside the run just normalised
            continue
        start, end = _thai_run(s, found.start(), found.end())
        pieces += [s[done:start], remove_repeat_vowels(s[start:end])]
        done = end
    pieces.append(s[done:])
    return "".join(pieces)


def _thai_run(s: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the run of Thai-block characters (U+0E00-U+0E7F) around ``s[start:end]``."""
    while start > 0 and "\u0e00" <= s[start - 1] <= "\u0e7f":
        start -= 1
    while end < len(s) and "\u0e00" <= s[end] <= "\u0e7f":
        end += 1
    return start, end
