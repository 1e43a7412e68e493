"""bm25 for queries holding a phrase of several words, without FTS5's whole-index scan.

Thai compounds typed as one word (``สถานการณ์การแพร่ระบาด``) are phrases of several segmented
words. FTS5's ``bm25()`` finds each phrase's document frequency (its IDF) by running the phrase
over the whole index before it scores the first row, checking the positions of every
occurrence of each of its words (``การ`` is in every article): 10 ms at 100,000 articles,
about 90 ms at 590,000, growing with the archive. For such queries the same formula (FTS5's:
k1 1.2, b 0.75, column weights summed before saturation, length over all columns) is computed
here for the candidate rows only:

- term frequencies: occurrences of the term as typed in the title and in the first
  ``TEXT_PREFIX`` bytes of the text, counted in the UTF-8 bytes without decoding them (scaled
  up by the text's length beyond them: a cabinet summary of 400 KB costs what a short article
  does), with digits in either script and Latin case folded (ASCII letters in the text).
  Unlike FTS5 this also counts the term inside a longer word; a matching row always counts
  at least once;
- lengths in tokens: those FTS5 stores itself (``articles_fts_docsize``, and the averages
  record of ``articles_fts_data``), so the length normalisation is ``bm25()``'s;
- IDF: not needed for a single phrase (it scales every score alike, the order is the same);
  for several terms, estimated from where the ``DF_SAMPLE``-th newest match lies in rowid
  order (exact below ``DF_SAMPLE`` matches): a cost that does not grow with the archive.

The same goes for single words in more than ``COMMON_ROWS`` articles together (FTS5 counts
their doclist row by row: 22 ms for a word in every article of a million). Rarer single words
keep FTS5's ``bm25()``, whose term counts are exact words.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from archiver.search import query as q
from archiver.thai.words import segment

K1, B = 1.2, 0.75
#: Matches read to estimate a term's document frequency (exact below this).
DF_SAMPLE = 1000
#: Terms in more rows than this (together) are ranked here too: FTS5 counts them row by row.
COMMON_ROWS = 200_000


@dataclass
class Phrase:
    """One term of the query as FTS5 scores it: its MATCH expression and its written forms."""

    match: str
    forms: list[str]  # digits in both scripts; lower case when ``folded``
    folded: bool  # has Latin letters: counted in lower(title) / lower(text)
    encoded: list[bytes] = field(init=False)  # the forms in UTF-8, as the text is stored

    def __post_init__(self) -> None:
        self.encoded = [f.encode() for f in self.forms]


def phrases(query: q.Query) -> list[list[Phrase]]:
    """Per positive term, its phrases (each OR alternative its own, as FTS5 scores them)."""
    groups = []
    for term in query.positive():
        group = []
        for t in [term, *term.alternatives]:
            folded = t.text.lower() != t.text.upper()  # crude, enough: Thai has no case
            text = t.text.lower() if folded else t.text
            group.append(
                Phrase(q.word_match(q.Query([q.Term(t.text)])), q.digit_variants(text), folded)
            )
        groups.append(group)
    return groups


def needed(conn: sqlite3.Connection, query: q.Query, stats: Corpus, filtered: bool = False) -> bool:
    """Whether FTS5's IDF scan would be costly for ``query``: a term is a phrase of several
    words, or its terms are in more than ``COMMON_ROWS`` rows together (``รัฐบาล`` in every
    article of a million: 22 ms for ``bm25()``'s count alone), or, in an archive of more rows
    than that, it is ``filtered`` (``bm25()`` counts the rows of each site, year or month
    token of the filter too)."""
    texts = [t.text for term in query.positive() for t in [term, *term.alternatives]]
    if any(len(segment(text)) > 1 for text in texts):
        return True
    if stats.rows <= COMMON_ROWS:
        return False
    if filtered:
        return True
    return sum(stats.doc_frequency(conn, p.match) for g in phrases(query) for p in g) > COMMON_ROWS


def varints(blob: bytes) -> list[int]:
    """SQLite's varints (big-endian groups of 7 bits, a 9th byte of 8), as FTS5 stores sizes."""
    out, i = [], 0
    while i < len(blob):
        value = 0
        for k in range(9):
            c = blob[i]
            i += 1
            if k == 8:
                value = (value << 8) | c
                break
            value = (value << 7) | (c & 0x7F)
            if not c & 0x80:
                break
        out.append(value)
    return out


@dataclass
class Corpus:
    """What ranking needs of the whole index, read once per query."""

    rows: int
    avg_len: float
    max_id: int
    _df: dict[str, float] = field(default_factory=dict)

    def doc_frequency(self, conn: sqlite3.Connection, expr: str) -> float:
        """Rows matching ``expr`` (``doc_frequency``), each expression looked up once."""
        if expr not in self._df:
            self._df[expr] = doc_frequency(conn, expr, self)
        return self._df[expr]


def corpus(conn: sqlite3.Connection) -> Corpus:
    """Rows and mean length in tokens (FTS5's averages record: rows, then tokens per column)."""
    row = conn.execute("SELECT block FROM articles_fts_data WHERE id = 1").fetchone()
    values = varints(row[0]) if row else []
    rows = values[0] if values else 0
    avg = sum(values[1:]) / rows if rows else 1.0
    max_id = conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 0
    return Corpus(rows, avg or 1.0, max_id)


def doc_frequency(conn: sqlite3.Connection, expr: str, stats: Corpus) -> float:
    """Rows matching ``expr``: counted below ``DF_SAMPLE``, else estimated from the rowid of the
    ``DF_SAMPLE``-th newest match (a term's matches spread over the archive's history)."""
    row = conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC "
        "LIMIT 1 OFFSET ?",
        (expr, DF_SAMPLE - 1),
    ).fetchone()
    if row is None:
        sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
        return float(conn.execute(sql, (expr,)).fetchone()[0])
    span = max(1, stats.max_id - row[0] + 1)
    return min(float(stats.rows), DF_SAMPLE * stats.max_id / span)


def idf(rows: int, df: float) -> float:
    """FTS5's IDF: ``log((N - n + 0.5) / (n + 0.5))``, floored at 1e-6 for very common terms."""
    value = math.log((rows - df + 0.5) / (df + 0.5)) if rows > df else 0.0
    return value if value > 0 else 1e-6


#: Bytes of an article's text read to count a term; a longer text's count is scaled up.
TEXT_PREFIX = 32768


def text_prefix(conn: sqlite3.Connection, rowid: int) -> tuple[bytes, float]:
    """The first ``TEXT_PREFIX`` bytes of an article's text as stored (UTF-8), read through
    SQLite's incremental blob I/O so that a 400 KB text costs what a 30 KB one does, and the
    factor from their length to the whole text's."""
    with conn.blobopen("articles", "text", rowid, readonly=True) as blob:
        size = len(blob)
        data = blob.read(TEXT_PREFIX)
    return data, size / max(1, len(data))


def text_around(
    conn: sqlite3.Connection, rowid: int, needles: list[str], margin: int
) -> tuple[str, bool, bool] | None:
    """``piece_around`` in an article's whole text (read as stored): for a 300 KB cabinet
    summary 0.04-0.16 ms, where decoding the whole text to find the match cost 0.5-3.2 ms."""
    with conn.blobopen("articles", "text", rowid, readonly=True) as blob:
        data = blob.read()
    return piece_around(data, needles, margin)


def piece_around(data: bytes, needles: list[str], margin: int) -> tuple[str, bool, bool] | None:
    """The piece of the UTF-8 text ``data`` within ``margin`` characters of the first of
    ``needles`` (plain: ``query.plain``), and whether text comes before and after it; None
    when none occurs. Found in the bytes, and only the piece decoded (a snippet's 20 hits
    decoded whole cost about 0.5 ms of a search)."""
    found = [data.find(n.encode()) for n in needles]
    first = min((f for f in found if f >= 0), default=-1)
    if first < 0:
        return None
    span = 4 * margin  # UTF-8: at most 4 bytes a character
    lo, hi = max(0, first - span), min(len(data), first + span)
    while 0 < lo and data[lo] & 0xC0 == 0x80:  # not inside a character
        lo -= 1
    while hi < len(data) and data[hi] & 0xC0 == 0x80:
        hi += 1
    return data[lo:hi].decode("utf-8", "ignore"), lo > 0, hi < len(data)


def _count(text: str, phrase: Phrase) -> int:
    return sum(text.count(form) for form in phrase.forms)


def _count_bytes(data: bytes, phrase: Phrase) -> int:
    """Occurrences in UTF-8 bytes, not decoded (a Thai character is 3 bytes; no form starts
    inside another character's bytes, as UTF-8 lead bytes never look like continuations)."""
    return sum(data.count(form) for form in phrase.encoded)


@dataclass
class Rating:
    """What ranking knows of one candidate row."""

    in_title: int  # terms of the query its title holds (as written: words or substrings)
    score: float  # bm25, higher is better
    matches: bool | None  # every term found in the title or the text read; None: unsure


def scores(
    conn: sqlite3.Connection,
    query: q.Query,
    ids: Sequence[int],
    weights: tuple[float, float],
    stats: Corpus | None = None,
) -> dict[int, float]:
    """bm25 (higher is better) of the rows ``ids``, all of them matches of ``query``."""
    return {i: r.score for i, r in rate(conn, query, ids, weights, stats).items()}


def rate(
    conn: sqlite3.Connection,
    query: q.Query,
    ids: Sequence[int],
    weights: tuple[float, float],
    stats: Corpus | None = None,
) -> dict[int, Rating]:
    """bm25 of the rows ``ids``, how many of the query's terms each title holds, and whether
    each row holds every term: a term found in neither the title nor the text is missing for
    sure only when the whole text was read and the term is one word as typed (the word index
    also matches a phrase across a space), else ``matches`` is None (ask the index)."""
    if not ids:
        return {}
    stats = stats or corpus(conn)
    groups = phrases(query)
    terms = [t for g in groups for t in g]
    idfs = (
        [1.0]
        if len(terms) == 1
        else [idf(stats.rows, stats.doc_frequency(conn, t.match)) for t in terms]
    )
    one_word: dict[int, bool] = {}  # computed when a term is not found (segmenting costs)
    marks = ",".join("?" * len(ids))
    sql = (
        "SELECT a.id, coalesce(a.title, ''), d.sz FROM articles a "
        f"LEFT JOIN articles_fts_docsize d ON d.id = a.id WHERE a.id IN ({marks})"
    )
    out = {}
    for rowid, title, size in conn.execute(sql, list(ids)).fetchall():
        length = sum(varints(size or b""))
        norm = K1 * (1 - B + B * length / stats.avg_len)
        text, scale = text_prefix(conn, rowid)
        lowered = (title.lower(), text.lower()) if any(t.folded for t in terms) else None
        score, n, in_title = 0.0, 0, 0
        matches: bool | None = True
        for k, group in enumerate(groups):
            found, titled = [], False
            for term in group:
                head, body = lowered if (term.folded and lowered) else (title, text)
                tf_title = _count(head, term)
                titled = titled or tf_title > 0
                found.append(weights[0] * tf_title + weights[1] * _count_bytes(body, term) * scale)
            in_title += titled
            if not any(found):  # matched words the text does not show as written: count once
                found[0] = weights[1]
                if k not in one_word:
                    one_word[k] = all(segment(t.forms[0]) == [t.forms[0]] for t in group)
                sure = one_word[k] and scale <= 1.0
                matches = False if sure or matches is False else None
            for w in found:
                score += idfs[n] * (w * (K1 + 1)) / (w + norm)
                n += 1
        out[rowid] = Rating(in_title, score, matches)
    return out
