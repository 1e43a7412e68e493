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
from collections.abc import Callable
from dataclasses import dataclass, field

from archiver.errors import QueryError
from archiver.thai import segment

MAX_QUERY_CHARS = 1000
_TOKEN = re.compile(r'-?"[^"]*"|\S+')
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

    def positive(self) -> list[Term]:
        return [t for t in self.terms if not t.negated]

    def words(self) -> list[str]:
        """Every positive word and phrase, for highlighting."""
        out: list[str] = []
        for term in self.positive():
            out.extend(t.text for t in [term, *term.alternatives])
        return out


def parse(text: str) -> Query:
    """Split a query into terms: ``"phrase"``, ``a OR b``, ``-word``; stray operators dropped."""
    text = unicodedata.normalize("NFC", text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    if text.count('"') % 2:
        text = text.replace('"', " ")
    terms: list[Term] = []
    pending_or = False
    for raw in _TOKEN.findall(text):
        if raw == "OR":
            pending_or = bool(terms)
            continue
        negated = raw.startswith("-") and len(raw) > 1
        word = raw[1:] if negated else raw
        word = word.strip('"').strip()
        if not segment(word):
            continue  # only operators or punctuation: nothing to look for
        term = Term(word, negated)
        if pending_or and not negated and not terms[-1].negated:
            terms[-1].alternatives.append(term)
        else:
            terms.append(term)
        pending_or = False
    query = Query(terms)
    if not query.positive():
        raise QueryError("empty query: give at least one word to look for")
    return query


def _literal(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _group(term: Term, render: Callable[[str], str]) -> str:
    parts = [render(t.text) for t in [term, *term.alternatives]]
    parts = [p for p in parts if p]
    return "(" + " OR ".join(parts) + ")" if parts else ""


def _segmented(text: str) -> str:
    return _literal(" ".join(segment(text)))


def _substring(text: str) -> str:
    return _literal(text) if len(text) >= 3 else ""


def _combine(query: Query, render: Callable[[str], str]) -> str | None:
    positives = [_group(t, render) for t in query.positive()]
    if not all(positives):
        return None  # a term this index cannot look for
    expr = " AND ".join(positives)
    for term in query.terms:
        if term.negated:
            neg = render(term.text)
            if neg:
                expr = f"({expr}) NOT {neg}"
    return expr


def segmented_match(query: Query) -> str:
    """MATCH expression for the word-segmented FTS table."""
    expr = _combine(query, _segmented)
    assert expr is not None  # every kept term has at least one segment
    return expr


def substring_match(query: Query) -> str | None:
    """MATCH expression for the trigram table, or None when a term is under 3 characters."""
    return _combine(query, _substring)


# -- snippets ------------------------------------------------------------------------------------
def _safe_start(text: str, i: int) -> int:
    while 0 < i < len(text) and (
        unicodedata.category(text[i]).startswith("M") or text[i - 1] in _LEADING_VOWELS
    ):
        i -= 1
    return i


def _safe_end(text: str, i: int) -> int:
    while 0 < i < len(text) and (
        unicodedata.category(text[i]).startswith("M") or text[i - 1] in _LEADING_VOWELS
    ):
        i += 1
    return i


def snippet(
    text: str, words: list[str], width: int = 160, mark: tuple[str, str] = ("**", "**")
) -> str:
    """A window of ``text`` around the first match with every match marked.

    The window never cuts a Thai character cluster (a consonant and its vowel and tone marks)
    apart, and prefers to start and end at a space.
    """
    flat = re.sub(r"\s+", " ", text).strip()
    lowered = flat.lower()
    needles = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    hits = [lowered.find(n) for n in needles]
    first = min((h for h in hits if h >= 0), default=0)
    start = max(0, first - width // 3)
    space = flat.rfind(" ", max(0, start - 20), first)
    start = space + 1 if space >= 0 and start > 0 else _safe_start(flat, start)
    end = min(len(flat), start + width)
    space = flat.find(" ", end, end + 20)
    end = space if space >= 0 else _safe_end(flat, end)
    window = flat[start:end]
    if needles:
        pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
        window = pattern.sub(lambda m: mark[0] + m.group(0) + mark[1], window)
    return ("…" if start > 0 else "") + window + ("…" if end < len(flat) else "")
