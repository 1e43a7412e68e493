"""Decoding Thai pages: windows-874/TIS-620 aliases, a page's declared charset, detection.

Why our own code (FACTS.md): a wrong HTTP charset wins in Scrapy, and trafilatura decodes
TIS-620 with a codec that drops 0x80-0x9F.
"""

from __future__ import annotations

import codecs
import logging
import re

from archiver.thai.chars import THAI_LETTER, has_thai, looks_like_mojibake, mojibake_runs

logger = logging.getLogger(__name__)

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
    thai = len(THAI_LETTER.findall(text))
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
        and not mojibake_runs(thai)
    ):
        logger.debug("lossy decoding as %s", _THAI_CODEC)
        return thai, _THAI_CODEC
    logger.debug("lossy decoding as utf-8")
    return utf8, "utf-8"


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header (``text/html; charset="TIS-620"``
    -> ``TIS-620``), or None: what ``decode_html`` takes as the declared charset."""
    ctype = (content_type or "").lower()
    if "charset=" not in ctype:
        return None
    return ctype.split("charset=", 1)[1].split(";")[0].strip(" \"'") or None
