"""What a file really is, from its first bytes, so a misnamed file gets a message that names it.

Files are judged by content, never by extension: PNG bytes named ``.csv`` or a zip named ``.png``
are recognised here and the user is told what they gave and what to give instead.
"""

from __future__ import annotations

# (magic prefix, what it is, what to do instead)
_IMAGE_HINT = "to compare images, give a folder (or a .zip of one) with one subfolder per class"
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _IMAGE_HINT),
    (b"\xff\xd8\xff", "a JPEG image", _IMAGE_HINT),
    (b"GIF87a", "a GIF image", _IMAGE_HINT),
    (b"GIF89a", "a GIF image", _IMAGE_HINT),
    (b"II*\x00", "a TIFF image", "convert it to PNG or JPEG"),
    (b"MM\x00*", "a TIFF image", "convert it to PNG or JPEG"),
    (b"%!PS", "a PostScript (EPS) file", "export it as PNG or JPEG"),
    (b"\xc5\xd0\xd3\xc6", "an EPS file", "export it as PNG or JPEG"),
    (b"%PDF", "a PDF document", "export the table as CSV"),
    (b"PK\x03\x04", "a zip archive", "give the CSV inside it, or a zip of image folders as the dataset itself"),
    (b"PK\x05\x06", "an empty zip archive", "give a CSV or a zip of image folders"),
    (b"\x1f\x8b", "gzip-compressed data", "decompress it (gunzip) and give the CSV"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and give the CSV, or zip the image folders"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it and give the CSV, or zip the image folders"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls)", "save the sheet as CSV"),
    (b"PAR1", "a Parquet file", "export the table as CSV"),
    (b"SQLite format 3\x00", "an SQLite database", "export the table as CSV"),
    (b"\x7fELF", "a program (ELF)", "give a CSV file"),
]


def identify(head: bytes) -> tuple[str, str] | None:
    """(what the bytes are, what to do instead) for a known non-CSV format, else None."""
    for magic, kind, hint in _MAGIC:
        if head.startswith(magic):
            return kind, hint
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image", _IMAGE_HINT
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\x00\x00\x00\x00" and head[14] in (12, 40, 52, 56, 64, 108, 124):
        return "a BMP image", _IMAGE_HINT  # 'BM' alone could start a CSV header; the reserved zeros and header size cannot
    return None
