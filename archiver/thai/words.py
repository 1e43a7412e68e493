"""Thai word segmentation for the search index (nlpo3 with PyThaiNLP's word list).

SQLite's FTS5 cannot segment Thai, so the index stores pre-segmented text and queries are
segmented the same way.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
import unicodedata
from functools import lru_cache

from archiver.thai.chars import normalize_digits

logger = logging.getLogger(__name__)

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
