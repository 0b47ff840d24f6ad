"""Demo documents: small, well-formed PDF and PNG files, the same bytes on every run."""

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from applications.constants import DocumentType
from applications.models import Document
from applications.services import document_store
from workgroups.models import Organization, User


def demo_pdf(text: str) -> bytes:
    """A small, well-formed one-page PDF showing `text` (ASCII)."""
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({safe}) Tj ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


def demo_png(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A small, well-formed single-colour PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def demo_document(*, actor: User, owner: Organization, doc_type: str) -> Document:
    """The company's document of this type (the same bytes every run: stored once)."""
    if doc_type == DocumentType.SITE_PLAN:
        name, content = f"{doc_type}.png", demo_png((40, 110, 180))
    else:
        name = f"{doc_type}.pdf"
        content = demo_pdf(f"Zhongshan utility portal demo - {owner.code} - {doc_type}")
    upload = SimpleUploadedFile(name, content)
    return document_store(actor=actor, owner=owner, doc_type=doc_type, upload=upload)
