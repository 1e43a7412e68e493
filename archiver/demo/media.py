"""Small, valid, distinct media files made from nothing: PNG, JPEG, PDF, DOCX and XLS.

Every function is deterministic: the same arguments give the same bytes, different seeds give
different bytes (so payload digests differ, as real photos do).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape

__all__ = ["tiny_png", "tiny_jpeg", "tiny_pdf", "tiny_docx", "tiny_xls"]


def _colour(seed: int) -> tuple[int, int, int]:
    x = (seed * 2654435761 + 12345) & 0xFFFFFFFF
    return (x >> 16) & 0xFF, (x >> 8) & 0xFF, x & 0xFF


def tiny_png(seed: int, size: int = 8) -> bytes:
    """A ``size`` x ``size`` RGB PNG with a colour and a text chunk made from ``seed``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    r, g, b = _colour(seed)
    row = b"\x00" + bytes((r, g, b)) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00demo image %d" % seed)
        + chunk(b"IDAT", zlib.compress(row * size, 9))
        + chunk(b"IEND", b"")
    )


def _bits(value: int, length: int) -> str:
    """JPEG's magnitude bits for a DC difference of ``value`` in category ``length``."""
    if length == 0:
        return ""
    if value < 0:
        value += (1 << length) - 1
    return format(value, f"0{length}b")


def tiny_jpeg(seed: int) -> bytes:
    """An 8 x 8 grey baseline JPEG (one block, DC only) with a comment naming ``seed``."""
    grey = _colour(seed)[0]
    dc = 8 * (grey - 128)  # DCT of a flat 8x8 block, quantiser 1
    category = abs(dc).bit_length()

    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    dqt = b"\x00" + b"\x01" * 64
    sof = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"
    # one-symbol Huffman tables: code "0" (length 1) for the DC category and for EOB
    dht_dc = b"\x00" + b"\x01" + b"\x00" * 15 + bytes([category])
    dht_ac = b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00"
    sos = b"\x01\x01\x00\x00\x3f\x00"
    bitstring = "0" + _bits(dc, category) + "0"
    bitstring += "1" * (-len(bitstring) % 8)
    scan = bytearray()
    for i in range(0, len(bitstring), 8):
        byte = int(bitstring[i : i + 8], 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0x00)
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xFE, b"demo image %d" % seed)
        + segment(0xDB, dqt)
        + segment(0xC0, sof)
        + segment(0xC4, dht_dc)
        + segment(0xC4, dht_ac)
        + segment(0xDA, sos)
        + bytes(scan)
        + b"\xff\xd9"
    )


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF 1.4 showing ``text`` (non-ASCII kept in a document-info entry only)."""
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    shown = ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 12 Tf 72 720 Td ({shown}) Tj ET".encode("ascii")
    title = "FEFF" + text.encode("utf-16-be").hex().upper()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title <" + title.encode("ascii") + b"> /Producer (thai-news-archiver demo) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


_DOCX_FILES = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    ),
}


def tiny_docx(text: str) -> bytes:
    """A minimal Word (OOXML) document with one paragraph per line of ``text``."""
    paragraphs = "".join(
        f"<w:p><w:r><w:t>{escape(line)}</w:t></w:r></w:p>" for line in text.splitlines() or [""]
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{paragraphs}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in [*_DOCX_FILES.items(), ("word/document.xml", document)]:
            info = zipfile.ZipInfo(name, date_time=(2021, 11, 15, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def tiny_xls(rows: list[list[str]]) -> bytes:
    """An Excel 2003 XML spreadsheet (what many old agency sites serve as ``.xls``)."""
    body = "".join(
        "<Row>"
        + "".join(f'<Cell><Data ss:Type="String">{escape(cell)}</Data></Cell>' for cell in row)
        + "</Row>"
        for row in rows
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">'
        f'<Worksheet ss:Name="Sheet1"><Table>{body}</Table></Worksheet></Workbook>\n'
    )
    return xml.encode("utf-8")
