"""Line rules: whole lines (or inline shortcodes) removed from the extracted text, and the
byline patterns that move ``เขียนข่าว : ...`` / ``ถ่ายภาพ : ...`` lines into metadata. The
small functions at the end apply them; they live here so that the rules and the only code that
reads them stay side by side.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple


class LinePattern(NamedTuple):
    """A junk-line rule: ``regex`` is matched against each stripped line (``fullmatch``), or
    substituted inside lines when ``inline`` (shortcodes); ``example`` is what it removes."""

    name: str
    regex: re.Pattern[str]
    example: str
    inline: bool = False
    replacement: str = ""


_FILE_CODE = (
    r"(?:[0-9A-F]{8}(?:[ _-][0-9A-F]{4}){3}[ _-][0-9A-F]{12}(?:[ _-]L\d+[ _-]\d+)?"  # iOS UUID
    r"|(?:IMG|DSC|DSCN|DSCF|DCIM|PIC|PXL|P)[ _-]?\d{3,}(?:[ _-]\d+)*"  # camera file names
    r"|[\w-]+\.(?:jpe?g|png|gif|webp|bmp|heic))"
)

#: Inline rules run first (a shortcode may share a line with text), then whole-line rules.
LINE_PATTERNS: tuple[LinePattern, ...] = (
    # unrendered Joomla/WordPress shortcodes (seed: {gallery}/News-PR-2564/15-11-64{/gallery})
    LinePattern(
        "gallery_shortcode",
        re.compile(r"\{gallery\}.*?\{/gallery\}", re.I),
        "{gallery}/News-PR-2564/15-11-64{/gallery}",
        inline=True,
    ),
    LinePattern(
        "joomla_plugin_tag",
        re.compile(
            r"\{(?:loadposition|loadmodule|phocagallery|phocadownload|youtube"
            r"|/youtube|pdf|rokbox|/rokbox|sigplus|/sigplus)[^{}]*\}",
            re.I,
        ),
        "{loadposition news-share}",
        inline=True,
    ),
    LinePattern(
        "caption_markers",
        re.compile(r"\[/?caption[^\]]*\]", re.I),
        '[caption id="attachment_12" align="aligncenter" width="800"]',
        inline=True,
    ),
    LinePattern(
        "wp_gallery_shortcode",
        re.compile(r"\[(?:gallery|embed|/embed|video|audio|playlist)\b[^\]]*\]", re.I),
        '[gallery ids="101,102,103"]',
        inline=True,
    ),
    # font-size widget (seed: "A- A A+" and the alert's close button "×")
    LinePattern("font_widget", re.compile(r"(?:[Aก][-+−]?\s*){1,4}"), "A- A A+"),
    LinePattern("close_button", re.compile(r"[×✕✖]"), "×"),
    # plugin exception lines (seed: [SIGPLUS_EXCEPTION_SOURCE] Image source is expected ...)
    LinePattern(
        "plugin_exception",
        re.compile(r"\[[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\].*"),
        "[SIGPLUS_EXCEPTION_SOURCE] Image source is expected to be a full URL",
    ),
    # the error box's heading alone on its line (seed)
    LinePattern(
        "error_heading", re.compile(r"(?:เกิดข้อผิดพลาด|Error|Warning|Notice)[!.:]?"), "เกิดข้อผิดพลาด"
    ),
    # photo file names shown as alt text or captions (seed: F5CE88A3 ... L0 001)
    LinePattern(
        "file_name_alt",
        re.compile(rf"(?:{_FILE_CODE}\s*)+", re.I),
        "F5CE88A3 A8A3 42A7 9473 4CE92A36ED2C L0 001",
    ),
    # hit counters (Joomla "เข้าชม: 123", legacy "อ่าน 123 ครั้ง")
    LinePattern(
        "hit_counter",
        re.compile(
            r"(?:จำนวน)?(?:ผู้)?(?:เข้าชม|เปิดอ่าน|อ่าน|Hits|Views?)\s*[:：]?\s*"
            r"[\d,]+\s*(?:ครั้ง|คน|times)?",
            re.I,
        ),
        "เข้าชม: 123",
    ),
    # share rows (WordPress: "แชร์: Facebook LINE X")
    LinePattern(
        "share_row",
        re.compile(
            r"(?:แชร์|แบ่งปัน|Share(?: this)?)\s*[:：]?(?:\s*(?:Facebook|LINE|Line"
            r"|X|Twitter|Tweet|Email|อีเมล|Print|พิมพ์|Messenger|Pinterest"
            r"|LinkedIn|คัดลอกลิงก์|Copy link|\d+)\s*[,|·/]?)*",
            re.I,
        ),
        "แชร์: Facebook LINE X",
    ),
    LinePattern(
        "icon_row",
        re.compile(
            r"(?:(?:พิมพ์|อีเมล|Print|Email|PDF|Facebook|LINE|Twitter|X)"
            r"\s*[,|·/]?\s*){2,}"
        ),
        "พิมพ์ อีเมล",
    ),
    # PDPA cookie banners (DESIGN.md: "เว็บไซต์นี้มีการใช้งานคุกกี้ ... ยอมรับ")
    LinePattern(
        "cookie_banner",
        re.compile(
            r".{0,200}(?:ใช้(?:งาน)?คุกกี้|cookies?\b).{0,300}"
            r"(?:ยอมรับ|นโยบาย|ความเป็นส่วนตัว|ตั้งค่า|accept|privacy).{0,200}",
            re.I,
        ),
        "เว็บไซต์นี้มีการใช้งานคุกกี้ เพื่อเพิ่มประสบการณ์การใช้งาน ยอมรับ",
    ),
    LinePattern(
        "cookie_button",
        re.compile(
            r"(?:ยอมรับ(?:ทั้งหมด|คุกกี้)?|ปฏิเสธ|ตั้งค่าคุกกี้|Accept(?: all)?"
            r"|Cookie settings)",
            re.I,
        ),
        "ยอมรับทั้งหมด",
    ),
    # navigation left in the text (legacy "ย้อนกลับ", pagers "หน้าถัดไป >>")
    LinePattern(
        "back_link",
        re.compile(
            r"(?:<<|«)?\s*(?:ย้อนกลับ|กลับหน้าหลัก|กลับด้านบน)"
            r"\s*(?:>>|»)?"
        ),
        "<< ย้อนกลับ",
    ),
    LinePattern(
        "pager",
        re.compile(
            r"(?:<<|«)?\s*(?:หน้าก่อน|ก่อนหน้า|หน้าถัดไป|ถัดไป|หน้าแรก"
            r"|สุดท้าย)\s*(?:>>|»)?"
        ),
        "หน้าถัดไป >>",
    ),
    # attachment lists left in the text (the files are archived as attachments): "- a.pdf (1.2 MB)"
    LinePattern(
        "attachment_file",
        re.compile(
            r"(?:[-•*]\s*)?\S.{0,150}?\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|zip|rar)"
            r"(?:\s*\(\s*[\d.,]+\s*(?:[KMG]i?B|bytes?)\s*\))?",
            re.I,
        ),
        "- แบบตอบรับ.docx (48 KB)",
    ),
    LinePattern(
        "attachments_heading",
        re.compile(r"(?:เอกสารแนบ|ไฟล์แนบ|ดาวน์โหลดเอกสาร|Attachments?|Downloads?)\s*[:：]?", re.I),
        "เอกสารแนบ",
    ),
    LinePattern(
        "related_heading",
        re.compile(r"(?:ข่าวที่เกี่ยวข้อง|Related(?: posts| articles| news)?)\s*[:：]?", re.I),
        "ข่าวที่เกี่ยวข้อง",
    ),
)

#: Byline labels and the metadata fields they fill (seed: "เขียนข่าว : ...", "ถ่ายภาพ : ...").
#: Longer labels first so that "ข่าว/ภาพ" is not read as "ข่าว".
BYLINE_ROLES: dict[str, tuple[str, ...]] = {
    "ข่าว/ภาพ": ("author", "photographer"),
    "ภาพ/ข่าว": ("author", "photographer"),
    "เขียนข่าว": ("author",),
    "เรียบเรียง": ("author",),
    "ถ่ายภาพ": ("photographer",),
    "ที่มา": ("source",),
    "ข่าว": ("author",),
    "ภาพ": ("photographer",),
}
#: Fields that fall back on another when empty: the source credits the author if no writer.
BYLINE_FALLBACK: dict[str, str] = {"author": "source"}
#: Only short lines are bylines; a long line starting "ภาพ:" is a caption or prose.
MAX_BYLINE_CHARS = 150

_LABEL = "|".join(re.escape(k).replace("/", r"\s*/\s*") for k in BYLINE_ROLES)
#: A label followed by ``:`` or the full-width ``：``, spaces optional.
BYLINE_RE = re.compile(rf"(?:^|\s)({_LABEL})\s*[:：]\s*")


def _byline_label(raw: str) -> str:
    return re.sub(r"\s+", "", raw)


@functools.lru_cache(maxsize=1)
def _junk_line() -> re.Pattern[str]:
    """The whole-line rules of ``LINE_PATTERNS`` as one alternation, each keeping its own
    flags: one ``fullmatch`` per line instead of one per rule (1.6x faster)."""
    flags = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
    parts = []
    for rule in LINE_PATTERNS:
        if not rule.inline:
            own = "".join(letter for flag, letter in flags if rule.regex.flags & flag)
            parts.append(f"(?{own}:{rule.regex.pattern})")
    return re.compile("|".join(parts))


def clean_lines(text: str) -> str:
    """Remove junk lines and inline shortcodes; ordinary prose lines are kept as they are."""
    for rule in LINE_PATTERNS:
        if rule.inline:
            text = rule.regex.sub(rule.replacement, text)
    junk = _junk_line()
    kept = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped and junk.fullmatch(stripped):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept)


def parse_byline(line: str) -> dict[str, str] | None:
    """The metadata in one byline line (``ข่าว : A ภาพ : B`` gives both), or None if the line
    is not a byline: it must start with a label and be shorter than ``MAX_BYLINE_CHARS``."""
    line = line.strip()
    if not line or len(line) >= MAX_BYLINE_CHARS:
        return None
    matches = list(BYLINE_RE.finditer(line))
    if not matches or matches[0].start() != 0:
        return None
    found: dict[str, str] = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end() : end].strip(" ,;/-")
        for field in BYLINE_ROLES[_byline_label(m.group(1))]:
            if value and field not in found:
                found[field] = value
    return found or None


def split_bylines(text: str) -> tuple[str, dict[str, str]]:
    """Pull byline lines out of ``text``: the text without them, and the fields they name
    (``author``, ``photographer``; ``source`` fills ``author`` when no writer is named)."""
    meta: dict[str, str] = {}
    kept = []
    for line in text.split("\n"):
        fields = parse_byline(line)
        if fields is None:
            kept.append(line)
            continue
        for key, value in fields.items():
            meta.setdefault(key, value)
    for field, fallback in BYLINE_FALLBACK.items():
        if field not in meta and fallback in meta:
            meta[field] = meta[fallback]
    meta.pop("source", None)
    return "\n".join(kept), meta
