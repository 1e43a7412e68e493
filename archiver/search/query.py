"""Search queries: what a user types -> FTS5 MATCH expressions; and snippets of the hits.

Thai is written without spaces, so every term is segmented the same way as the indexed text
and sent as an FTS5 phrase (FACTS.md: unquoted ``เครือ ข่าย`` would be an AND matching
``เครือญาติ ... ข่าย``). A second expression over the raw words serves the trigram (substring)
index, which finds words the segmenter did not cut out (``อยุธยา`` in ``พระนครศรีอยุธยา``).
Nothing a user types reaches SQLite unquoted: every token becomes an FTS5 string literal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from archiver.errors import QueryError
from archiver.thai.chars import normalize_digits, normalize_thai
from archiver.thai.words import segment

MAX_QUERY_CHARS = 1000
_TOKEN = re.compile(r'-?"[^"]*"|\S+')
#: FTS5 syntax a user may type (``NEAR(``, brackets, ``*``, ``^``): never sent, just dropped.
#: U+E000 opens the index's facet tokens (``search.FACET_MARK``): dropped too.
_FTS_SYNTAX = re.compile(r"\bNEAR\(|[(){}\[\]*^+\ue000]")
#: Leading Thai vowels are written before the consonant they follow in speech: never cut after.
_LEADING_VOWELS = "เแโใไ"


@dataclass
class Term:
    """One thing the user asked for: a word or a quoted phrase, maybe negated."""

    text: str
    negated: bool = False
    alternatives: list[Term] = field(default_factory=list)  # other sides of OR


@dataclass
class Query:
    terms: list[Term]
    site: str | None = None  # from ``site:SLUG``

    def positive(self) -> list[Term]:
        return [t for t in self.terms if not t.negated]

    def words(self) -> list[str]:
        """Every positive word and phrase, for highlighting."""
        out: list[str] = []
        for term in self.positive():
            out.extend(t.text for t in [term, *term.alternatives])
        return out


#: Operators as people type them, in capitals (lower-case ``and``/``or``/``not`` are words):
#: ``AND`` is what two words mean anyway, ``NOT x`` is ``-x``, ``a OR b`` either.
AND, OR, NOT = "AND", "OR", "NOT"


def parse(text: str) -> Query:
    """Split a query into terms: ``"phrase"``, ``a OR b``, ``-word`` / ``NOT word``, ``a AND b``;
    stray operators dropped."""
    text = normalize_thai(unicodedata.normalize("NFC", text or "")).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    if text.count('"') % 2:
        text = text.replace('"', " ")
    text = _FTS_SYNTAX.sub(" ", text)
    terms: list[Term] = []
    site = None
    pending_or = pending_not = False
    for raw in _TOKEN.findall(text):
        if raw == OR:
            pending_or = bool(terms)
            continue
        if raw == AND:
            continue
        if raw == NOT:
            pending_not = True
            continue
        if raw.startswith("site:") and len(raw) > 5:
            site = raw[5:]
            continue
        negated = pending_not or (raw.startswith("-") and len(raw) > 1)
        pending_not = False
        word = raw[1:] if raw.startswith("-") and len(raw) > 1 else raw
        word = _trim(word.strip('"').strip())
        if not segment(word):
            continue  # only operators or punctuation: nothing to look for
        term = Term(word, negated)
        if pending_or and not negated and not terms[-1].negated:
            terms[-1].alternatives.append(term)
        else:
            terms.append(term)
        pending_or = False
    query = Query(terms, site)
    if not query.positive():
        raise QueryError("empty query: give at least one word to look for")
    return query


def _trim(word: str) -> str:
    """Without the operators and punctuation around it (``NEAR(คุณธรรม*`` -> ``คุณธรรม``);
    inner ones stay (``COVID-19``, ``"a b"``)."""
    start, end = 0, len(word)
    while start < end and not _word_char(word[start]):
        start += 1
    while end > start and not _word_char(word[end - 1]):
        end -= 1
    trimmed = word[start:end]
    if ":" in trimmed and ":" not in word[:1]:  # column-filter-like prefix (title:คุณธรรม)
        trimmed = _trim(trimmed.split(":", 1)[1]) or trimmed
    return trimmed


def _word_char(c: str) -> bool:
    category = unicodedata.category(c)
    return category[0] in "LNM" or category == "Co"


def _literal(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _segmented(text: str) -> str:
    """A term as one FTS5 phrase of its words (``""`` when it has no word characters)."""
    words = segment(text)
    return _literal(" ".join(words)) if words else ""


def _group(term: Term) -> str:
    parts = [p for p in (_segmented(t.text) for t in [term, *term.alternatives]) if p]
    return "(" + " OR ".join(parts) + ")"


def word_match(query: Query, column: str | None = None) -> str:
    """MATCH expression for the word-segmented FTS table: every positive term (each an OR of
    its alternatives) and none of the negated ones; ``column`` restricts the positive part."""
    expr = " AND ".join(_group(t) for t in query.positive())
    if column:
        expr = f"{{{column}}} : ({expr})"
    for neg in negated_words(query):
        expr = f"({expr}) NOT {neg}"
    return expr


def negated_words(query: Query) -> list[str]:
    """The negated terms as FTS5 phrases of their words."""
    return [w for w in (_segmented(t.text) for t in query.terms if t.negated) if w]


#: Shorter substrings have no trigram: only the word index can look for them.
MIN_SUBSTRING_CHARS = 3
_TO_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def digit_variants(text: str) -> list[str]:
    """``text`` with ASCII digits, and with Thai digits when it has any digit: the substring
    index keeps digits as written (a number written half in each script is not found)."""
    ascii_digits = normalize_digits(text)
    thai_digits = ascii_digits.translate(_TO_THAI_DIGITS)
    return [ascii_digits] if thai_digits == ascii_digits else [ascii_digits, thai_digits]


def _substrings(term: Term) -> list[str] | None:
    """Every form of a term and its OR alternatives, or None when one is too short."""
    texts = [t.text for t in [term, *term.alternatives]]
    if any(len(t) < MIN_SUBSTRING_CHARS for t in texts):
        return None
    return [v for t in texts for v in digit_variants(t)]


def substring_groups(query: Query) -> list[list[str]] | None:
    """Per positive term, the strings any of which must occur; None when a term cannot be
    looked for as a substring (then only the word index answers)."""
    groups = []
    for term in query.positive():
        forms = _substrings(term)
        if forms is None:
            return None
        groups.append(forms)
    return groups


def negated_substrings(query: Query) -> list[str]:
    """The forms of the negated terms that have 3 characters or more."""
    return [f for t in query.terms if t.negated for f in (_substrings(t) or [])]


def like(text: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern for ``text`` anywhere."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def trigram_match(groups: list[list[str]]) -> str:
    """MATCH expression for the trigram table (``detail=none``: no phrases): for each group
    any form whose trigrams all occur. It finds candidates; ``LIKE`` then checks them."""

    def form(text: str) -> str:
        grams = dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2))
        return "(" + " AND ".join(_literal(g) for g in grams) + ")"

    return " AND ".join("(" + " OR ".join(form(f) for f in group) + ")" for group in groups)


# -- snippets ------------------------------------------------------------------------------------
def _joins_previous(c: str) -> bool:
    """A combining mark, or SARA AM (a spacing mark in Unicode's grapheme clusters)."""
    return c == "\u0e33" or unicodedata.category(c).startswith("M")


def _safe_start(text: str, i: int) -> int:
    while 0 < i < len(text) and (_joins_previous(text[i]) or text[i - 1] in _LEADING_VOWELS):
        i -= 1
    return i


def _safe_end(text: str, i: int) -> int:
    while 0 < i < len(text) and (_joins_previous(text[i]) or text[i - 1] in _LEADING_VOWELS):
        i += 1
    return i


def _first_match(text: str, needles: list[str]) -> int:
    """Offset of the first needle (lower-case, ASCII digits) in ``text``, ignoring case and
    digit script; -1 when none occurs. Needles without case or digits (Thai words) are looked
    for in ``text`` as it is, without lower-casing a whole article."""
    lowered: str | None = None
    hits = []
    for needle in needles:
        if _as_written(needle):
            hits.append(text.find(needle))
            continue
        if lowered is None:
            lowered = normalize_digits(text.lower())
            if len(lowered) != len(text):  # a character lower-cased to two: offsets drift
                lowered = normalize_digits(text)
        hits.append(lowered.find(needle))
    return min((h for h in hits if h >= 0), default=-1)


def needles(words: list[str]) -> list[str]:
    """What snippets look for: the words lower-cased with ASCII digits, longest first."""
    return sorted({normalize_digits(w.lower()) for w in words if w}, key=len, reverse=True)


def plain(needles: list[str]) -> bool:
    """Whether ``needles`` are found as written (no case, no digits: Thai words), so that
    their UTF-8 bytes can be looked for in the stored text without decoding it."""
    return all(map(_as_written, needles))


@lru_cache(maxsize=1024)
def _as_written(needle: str) -> bool:
    """A needle without case or digits (asked three times per hit of a search: kept)."""
    return needle.upper() == needle and not any(c.isdigit() for c in needle)


def occurs(text: str, words: list[str]) -> bool:
    """Whether any of ``words`` occurs in ``text`` (case and digit script ignored)."""
    return _first_match(text, needles(words)) >= 0


#: Raw characters read on each side of the first match: collapsing whitespace only shrinks
#: text, so the window (``width`` wide, a third of it before the match) fits inside.
_MARGIN = 3
_SPACE_RUN = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S")


def snippet(
    text: str,
    words: list[str],
    width: int = 160,
    mark: tuple[str, str] = ("**", "**"),
    more: bool = False,
    earlier: bool = False,
) -> str:
    """A window of ``text`` around the first match with every match marked.

    The window never cuts a Thai character cluster (a consonant and its vowel and tone marks)
    apart, and prefers to start and end at a space. Only a piece of the article around the
    match is reworked (whitespace collapsed, matches marked): a 12 KB article costs about as
    much as a short one. ``more``: ``text`` is the start of a longer text (a trailing "…");
    ``earlier``: ``text`` is a piece from inside a longer text (a leading "…").
    """
    found = needles(words)
    first = max(0, _first_match(text, found))
    lo = _safe_start(text, max(0, first - _MARGIN * width))
    hi = _safe_end(text, first + _MARGIN * width)
    more_before = earlier or _NON_SPACE.search(text, 0, lo) is not None
    more_after = more or _NON_SPACE.search(text, hi) is not None
    flat = _SPACE_RUN.sub(" ", text[lo:hi])
    flat = flat if more_before else flat.lstrip()
    flat = flat if more_after else flat.rstrip()
    first = max(0, _first_match(flat, found))
    start = max(0, first - width // 3)
    space = flat.rfind(" ", max(0, start - 20), first)
    start = space + 1 if space >= 0 and start > 0 else _safe_start(flat, start)
    end = min(len(flat), start + width)
    space = flat.find(" ", end, end + 20)
    end = space if space >= 0 else _safe_end(flat, end)
    window = flat[start:end].strip() if more_before or more_after else flat[start:end]
    if found:
        pattern = re.compile("|".join(re.escape(n) for n in found), re.IGNORECASE)
        folded = normalize_digits(window)
        out, last = [], 0
        for m in pattern.finditer(folded):
            out += [window[last : m.start()], mark[0], window[m.start() : m.end()], mark[1]]
            last = m.end()
        window = "".join(out) + window[last:]
    before = start > 0 or more_before
    after = end < len(flat) or more_after
    return ("…" if before else "") + window + ("…" if after else "")
