"""Which text encoding a CSV is written in, from a bounded sample of its bytes.

The order: a BOM decides (UTF-8, UTF-16, UTF-32); else UTF-8 if the bytes decode as UTF-8;
else charset-normalizer's guess (cp1251, Shift-JIS, GB18030, UTF-16 without a BOM, ...); else
Latin-1, which decodes any byte, so the NUL check and the parser judge what the bytes are.
charset-normalizer only ever sees ``limits.SNIFF_BYTES`` of the file, however large it is.

Where charset-normalizer says the text is in the Latin script, cp1252 reads it. Its scores cannot
tell Western from Central European code pages on a CSV's few accented letters: of 150 small random
cp1252 tables per language (1-30 rows of numbers and words), its best guess misread all 150
Portuguese, 141 Swedish, 128 Italian, 109 French and 77 Spanish ones, mostly as cp1250 ('São' as
'Săo'). Western Windows exports are by far the commonest legacy CSVs; Polish or Czech cp1250
files read as cp1252, as they did before charset-normalizer, unless a byte cp1252 lacks shows otherwise.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import IO

import numpy as np

from bridge.io import limits

# Longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
BOMS = [(codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
# What spreadsheets and databases export: Windows code pages, the CJK standards, KOI8, UTF-16/32. Left out: DOS,
# old Mac, EBCDIC, Big5-HKSCS, cp1258 and other rare pages, which on a short sample 'explain' Western text better
# than cp1252 does (cp775 for German, Big5-HKSCS for 'grün', cp1258 for Italian).
CANDIDATES = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "cp1250", "cp1251", "cp1252", "cp1253",
              "cp1254", "cp1255", "cp1256", "cp1257", "cp874", "cp932", "euc_jp", "gb18030", "big5", "cp949", "koi8_r", "koi8_u"]
WESTERN = "cp1252"
# Unicode ranges (charset-normalizer's names) of text in the Latin script, with its punctuation and line breaks.
LATIN_SCRIPT = {"Basic Latin", "Latin-1 Supplement", "Latin Extended-A", "Latin Extended-B", "Latin Extended Additional",
                "General Punctuation", "Currency Symbols", "Letterlike Symbols", "Spacing Modifier Letters", "Control character"}
LATE_SCAN_BLOCK = 2**20  # bytes decoded at a time when looking for where a file stops being its first bytes' encoding


def detect_encoding(head: bytes, complete: bool) -> str:
    """A BOM's encoding; else UTF-8 if it decodes; else charset-normalizer's guess; else Latin-1 (every byte is a character).

    UTF-8 text holding a NUL is asked about too: UTF-16 without a BOM whose characters are all below U+0080
    (ASCII, Cyrillic, Greek) is valid UTF-8 byte for byte, its NULs the high bytes of each unit. Where no guess
    reads the head as lines of text, valid UTF-8 stays UTF-8 and the NUL check reports where its NUL is.
    """
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    as_utf8 = _decoded(head, "utf-8", complete)
    if as_utf8 is not None and "\0" not in as_utf8:
        return "utf-8"
    guess = guess_encoding(text_sample(head, complete))
    if guess and _reads_as_lines(_decoded(head, guess, complete)):
        return guess
    return "utf-8" if as_utf8 is not None else "latin-1"


def guess_encoding(sample: bytes) -> str | None:
    """charset-normalizer's guess for these bytes as a Python codec name (cp1252 for Latin script), or None for no text."""
    from charset_normalizer import from_bytes  # imported here: only files that are not UTF-8 pay for it

    best = from_bytes(sample, cp_isolation=CANDIDATES).best()
    if best is None:
        return None
    if not best.encoding.startswith("utf") and set(best.alphabets) <= LATIN_SCRIPT and _decoded(sample, WESTERN, True) is not None:
        return WESTERN
    # A few accented letters can pair up as valid multi-byte characters ('grün' is one Big5 pair): where cp1252,
    # asked alone, reads the sample with no more mess and as much sense, it wins. Shift-JIS read as cp1252 is a mess.
    western = from_bytes(sample, cp_isolation=[WESTERN]).best()
    if western is not None and western.chaos <= best.chaos and western.coherence >= best.coherence:
        return WESTERN
    return codecs.lookup(best.encoding).name  # 'utf_16_le' -> 'utf-16-le', as NulGuard and the notes spell it


def text_sample(head: bytes, complete: bool) -> bytes:
    """At most ``limits.SNIFF_BYTES`` of the head, ending where no character is cut in two.

    charset-normalizer drops any multi-byte encoding that fails to decode the whole sample, so a Shift-JIS
    sample cut inside its last character would not be read as Shift-JIS. Line ends, commas, semicolons and
    tabs are below 0x40, never the second byte of a Shift-JIS, GBK or Big5 character: the sample ends after one.
    """
    if complete and len(head) <= limits.SNIFF_BYTES:
        return head
    sample = head[: limits.SNIFF_BYTES]
    if b"\0" in sample:  # UTF-16 or -32 without a BOM: end after a line-feed unit (LE 0A 00, BE 00 0A) at an even offset
        units = np.frombuffer(sample[: len(sample) // 2 * 2], "<u2")
        ends = np.flatnonzero((units == 0x000A) | (units == 0x0A00))
        end = 2 * int(ends[-1]) + 2 if len(ends) else len(sample) // 4 * 4
        return sample[: end + 2] if end % 4 and sample[end : end + 2] == b"\0\0" else sample[:end]  # UTF-32 LE: 0A 00 00 00
    end = max(sample.rfind(byte) for byte in b"\n\r,;\t")
    return sample[: end + 1] if end >= 0 else sample


def _decoded(data: bytes, encoding: str, complete: bool) -> str | None:
    """The bytes as text, a character cut at the end left out unless ``complete``; None if they are not ``encoding``."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(data, final=complete)
    except UnicodeDecodeError:
        return None


def _reads_as_lines(text: str | None) -> bool:
    """Whether a guess decoded the head to lines of text: a line break and no NUL, as any table of rows has.

    charset-normalizer names an encoding for nearly any bytes; a few bytes of binary with NULs pass for UTF-16
    without a BOM. Refused here, they are read as Latin-1 and their NUL bytes are reported as binary data.
    """
    return text is not None and ("\n" in text or "\r" in text) and "\0" not in text


def guess_where_decoding_fails(open_file: Callable[[], IO[bytes]], encoding: str) -> str | None:
    """charset-normalizer's guess from the rows where ``encoding`` first fails, if it reads the file's start alike.

    For a file whose first bytes are ASCII and whose later rows are cp1251 or cp1252: the file is streamed
    through a decoder in blocks (bounded memory) and a sample from the start of the failing line is guessed.
    None when nothing fails, nothing is guessed, or the guess would read the first bytes differently.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    with open_file() as handle:
        first = text_sample(handle.read(limits.SNIFF_BYTES), complete=False)
        handle.seek(0)
        while True:
            block = handle.read(LATE_SCAN_BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                data = exc.object  # what the decoder saw: its pending bytes and this block
                line = data.rfind(b"\n", 0, exc.start) + 1 or exc.start  # from the failing byte when its line began earlier
                sample = data[line : line + limits.SNIFF_BYTES]
                sample += handle.read(limits.SNIFF_BYTES - len(sample))
                break
            if not block:
                return None
    guess = guess_encoding(text_sample(sample, complete=False))
    if encoding == "utf-8-sig":  # the BOM is not text: compare what follows it
        first, encoding = first.removeprefix(codecs.BOM_UTF8), "utf-8"
    if guess is None or guess == encoding:
        return None
    try:
        same_start = first.decode(encoding) == first.decode(guess)
    except UnicodeDecodeError:
        return None
    return guess if same_start else None
