"""Legacy and UTF-16/32 CSVs read back to their exact words: a BOM decides, else UTF-8, else charset-normalizer.

Every file is built here from real words (Russian, French, German, Japanese), so a wrong guess shows
as mojibake in a header or cell ('город' read as cp1252 is 'ãîðîä').
"""

from __future__ import annotations

import codecs

import pytest

from bridge.errors import BridgeError
from bridge.io import limits, text_encoding
from bridge.io.csv_reader import parse_csv

RUSSIAN = (["город", "население", "регион"],
           [["Москва", "13010112", "Центральный"], ["Санкт-Петербург", "5601911", "Северо-Западный"], ["Новосибирск", "1633595", "Сибирский"]])
FRENCH = (["ville", "prénom", "boisson"],
          [["Paris", "Amélie", "café crème"], ["Lyon", "François", "thé glacé"], ["Nîmes", "Gaëlle", "œuf à la coque"]])
FRENCH_LATIN1 = (["ville", "prénom", "boisson"],  # no 'œ': Latin-1 has none
                 [["Paris", "Amélie", "café crème"], ["Lyon", "François", "thé glacé"], ["Nîmes", "Gaëlle", "crêpe à la bière"]])
GERMAN = (["Stadt", "Straße", "Größe"],
          [["Köln", "Hauptstraße", "groß"], ["München", "Bahnhofstraße", "mäßig"], ["Zürich", "Überlandstraße", "übergroß"]])
JAPANESE = (["都市", "人口", "地方"], [["東京", "13960000", "関東"], ["大阪", "2750000", "近畿"], ["名古屋", "2330000", "中部"]])
GREEK = (["πόλη", "περιοχή"], [["Αθήνα", "Αττική"], ["Θεσσαλονίκη", "Μακεδονία"], ["Πάτρα", "Δυτική Ελλάδα"]])
# Western tables charset-normalizer's own best guess misreads (as cp1250: 'São' -> 'Săo'; as cp1258: 'Forlì' -> 'Forl' + accent)
PORTUGUESE = (["nome", "cidade", "bebida"],
              [["João", "São Paulo", "café com leite"], ["Conceição", "Brasília", "limonada"], ["André", "Maceió", "água de coco"]])
ITALIAN = (["città", "piatto"], [["Forlì", "piadina"], ["Milano", "risotto alla milanese"], ["Napoli", "caffè"]])
SWEDISH = (["stad", "rätt"], [["Göteborg", "räksmörgås"], ["Malmö", "köttbullar"], ["Västerås", "ölkorv"]])


def csv_text(table) -> str:
    header, rows = table
    return "\n".join(",".join(row) for row in [header, *rows]) + "\n"


def assert_reads_back(raw: bytes, table) -> list[str]:
    header, rows = table
    frame, _, notes = parse_csv(raw)
    assert list(frame.columns) == header
    assert [[str(value) for value in row] for row in frame.itertuples(index=False)] == rows
    return notes


@pytest.mark.parametrize(
    ("table", "encoding", "read_as"),
    [
        (RUSSIAN, "cp1251", "cp1251"),
        (FRENCH, "cp1252", "cp1252"),
        (GERMAN, "cp1252", "cp1252"),
        (FRENCH_LATIN1, "latin-1", "cp1252"),  # cp1252 reads every Latin-1 letter alike: 0x80-0x9F are C1 controls no CSV holds
        (GERMAN, "latin-1", "cp1252"),
        (JAPANESE, "shift_jis", "cp932"),  # cp932 is Windows' Shift-JIS, a superset
        (GREEK, "cp1253", "cp1253"),
        (PORTUGUESE, "cp1252", "cp1252"),
        (ITALIAN, "cp1252", "cp1252"),
        (SWEDISH, "latin-1", "cp1252"),
        (RUSSIAN, "utf-16-le", "utf-16-le"),
        (JAPANESE, "utf-16-be", "utf-16-be"),
        (GERMAN, "utf-16", "utf-16"),  # with a BOM
        (RUSSIAN, "utf-32", "utf-32"),  # with a BOM
    ],
    ids=["ru-cp1251", "fr-cp1252", "de-cp1252", "fr-latin1", "de-latin1", "ja-shift-jis", "el-cp1253", "pt-cp1252", "it-cp1252",
         "sv-latin1", "ru-utf16le-no-bom", "ja-utf16be-no-bom", "de-utf16-bom", "ru-utf32-bom"],
)
def test_legacy_and_utf16_files_read_back_exactly(table, encoding, read_as):
    raw = csv_text(table).encode(encoding)
    notes = assert_reads_back(raw, table)
    assert f"read the file as {read_as} text" in notes
    assert raw.decode(read_as) == csv_text(table)


def test_cp1251_is_not_read_as_the_issues_mojibake():
    frame, _, _ = parse_csv(csv_text(RUSSIAN).encode("cp1251"))
    assert "город" in frame.columns and "ãîðîä" not in frame.columns


def test_a_few_accented_letters_that_pair_up_as_big5_are_still_cp1252():
    """'gr\xfcn' is one valid Big5 character; charset-normalizer prefers it unless cp1252 is asked about directly."""
    frame, _, notes = parse_csv(b"amount,count,colour\n0.0,0,rot\n0.0,0,gr\xfcn\n")
    assert frame["colour"].tolist() == ["rot", "grün"] and "read the file as cp1252 text" in notes


def test_latin_script_is_cp1252_unless_a_byte_cp1252_lacks_says_otherwise():
    """Czech in cp1250: 'ť' is byte 0x9D, which cp1252 has no character for, so the guess stays cp1250."""
    czech = (["jméno", "město"], [["Jan Šťastný", "Praha"], ["Eva Dvořáková", "Brno"], ["Tomáš Černý", "Ostrava"]])
    notes = assert_reads_back(csv_text(czech).encode("cp1250"), czech)
    assert "read the file as cp1250 text" in notes
    assert text_encoding.guess_encoding(csv_text(PORTUGUESE).encode("cp1252")) == "cp1252"


def test_a_bom_decides_and_valid_utf8_is_utf8_without_asking_charset_normalizer(monkeypatch):
    def no_guessing(sample):
        raise AssertionError("charset-normalizer was asked about a file a BOM or UTF-8 decides")

    monkeypatch.setattr(text_encoding, "guess_encoding", no_guessing)
    decided = [text_encoding.detect_encoding(raw, complete=True) for raw in (
        csv_text(RUSSIAN).encode("utf-8"), codecs.BOM_UTF8 + csv_text(JAPANESE).encode("utf-8"),
        csv_text(GERMAN).encode("utf-16"), csv_text(GERMAN).encode("utf-32"), codecs.BOM_UTF8 + csv_text(FRENCH).encode("cp1252"))]
    assert decided == ["utf-8", "utf-8-sig", "utf-16", "utf-32", "utf-8-sig"]  # the last: a BOM decides even when the rest disagrees
    assert_reads_back(csv_text(RUSSIAN).encode("utf-8"), RUSSIAN)


def test_charset_normalizer_sees_a_bounded_sample_of_a_big_file(monkeypatch):
    seen = []
    real = text_encoding.guess_encoding
    monkeypatch.setattr(text_encoding, "guess_encoding", lambda sample: seen.append(len(sample)) or real(sample))
    header, rows = RUSSIAN
    raw = csv_text((header, rows * 3_000)).encode("cp1251")  # about 300 KB
    assert len(raw) > 4 * limits.SNIFF_BYTES
    assert_reads_back(raw, (header, rows * 3_000))
    assert seen and max(seen) <= limits.SNIFF_BYTES


def test_a_shift_jis_character_cut_by_the_sample_end_still_reads_as_shift_jis():
    """The first 64 KB end inside a two-byte character; the sample given to charset-normalizer ends on a comma or line."""
    rows = [["東京", "関東"], ["大阪", "近畿"], ["名古屋", "中部"]] * 4_000  # no digits: almost every byte is half a character
    # Each byte of padding in the header moves the cut by one byte; take the first padding whose cut splits a character.
    tables = [(["都市" + "x" * pad, "地方"], rows) for pad in range(4)]
    table = next(table for table in tables if not _ends_on_character(csv_text(table).encode("shift_jis")[: limits.SNIFF_BYTES]))
    raw = csv_text(table).encode("shift_jis")
    notes = assert_reads_back(raw, table)
    assert "read the file as cp932 text" in notes


def _ends_on_character(data: bytes) -> bool:
    try:
        data.decode("cp932")
    except UnicodeDecodeError:
        return False
    return True


def test_text_sample_keeps_whole_utf16_units():
    raw = csv_text((RUSSIAN[0], RUSSIAN[1] * 2_000)).encode("utf-16-le")
    sample = text_encoding.text_sample(raw[: limits.SNIFF_BYTES + 1], complete=False)
    assert len(sample) <= limits.SNIFF_BYTES and sample.decode("utf-16-le").endswith("\n")


def test_a_file_that_turns_cp1251_after_its_ascii_start_is_read_as_cp1251(tmp_path):
    header, rows = RUSSIAN
    ascii_rows = [["Moscow", str(i), "Central"] for i in range(10_000)]  # about 200 KB of ASCII before the first Cyrillic byte
    table = (["city", "population", "region"], ascii_rows + rows * 20)
    raw = csv_text(table).encode("cp1251")
    assert raw[: 2 * limits.SNIFF_BYTES].isascii()
    path = tmp_path / "late.csv"
    path.write_bytes(raw)
    frame, _, notes = parse_csv(path)
    assert frame["city"].tolist()[-3:] == [row[0] for row in rows]
    assert frame["region"].iloc[-1] == "Сибирский"
    assert "read the file as cp1251 text" in notes


def test_binary_with_nul_bytes_that_passes_for_utf16_is_still_refused():
    with pytest.raises(BridgeError, match="not a text CSV") as info:
        parse_csv(b"\x00\x01\x02binary\x00\xff\xfe")  # charset-normalizer calls these 12 bytes UTF-16-LE
    assert "\n" not in str(info.value)


def test_a_nul_in_utf32_is_found_by_its_32_bit_unit():
    with pytest.raises(BridgeError, match=r"holds a NUL character \(binary data\) at byte 28, line 2") as info:
        parse_csv(codecs.BOM_UTF32_LE + "a,b\n1,\x00x\n".encode("utf-32-le"))  # the BOM's 4 bytes, then 6 characters of 4
    assert "\n" not in str(info.value)
