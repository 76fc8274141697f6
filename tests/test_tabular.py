"""The table reader behind imports: CSV or .xlsx told apart by content, headers by alias, rows numbered."""
import io
import random
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook

from eventsys import create_app
from eventsys.core.tabular import Column, TableError, read_table

COLUMNS = (
    Column("name", ("nama",), required=True),
    Column("kind", ("jenis",), required=True),
    Column("province", ("provinsi",)),
    Column("timezone", ("zona waktu", "time zone")),
)


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    """Messages are translated: read them in English, inside a request."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path_factory.mktemp("u"))})
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        yield app


def read(data: bytes, max_rows: int = 100, **kwargs):
    return read_table(data, COLUMNS, max_rows=max_rows, **kwargs)


def refused(data: bytes, **kwargs) -> str:
    with pytest.raises(TableError) as caught:
        read(data, **kwargs)
    return caught.value.message


def xlsx(rows, title=None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_comma_csv_in_utf8(english):
    table = read(b"name,kind,province,timezone\nKab. Cirebon,Kabupaten,Jawa Barat,WIB\n\"Kota Bandung, ibu kota\",Kota,Jawa Barat,\n")
    assert table.format == "csv"
    assert table.columns == {"name", "kind", "province", "timezone"}
    assert [(r.number, r.values) for r in table.rows] == [
        (2, {"name": "Kab. Cirebon", "kind": "Kabupaten", "province": "Jawa Barat", "timezone": "WIB"}),
        (3, {"name": "Kota Bandung, ibu kota", "kind": "Kota", "province": "Jawa Barat", "timezone": ""}),
    ]


def test_semicolon_csv_with_bom_and_indonesian_headers(english):
    # What Excel set to Indonesian saves: BOM, semicolons, CRLF, headers in Indonesian with decorations.
    data = (
        "\ufeffNama *;Jenis;Provinsi;Zona Waktu (WIB/WITA/WIT)\r\n"
        "Kota Cirebon;Kota;Jawa Barat;WIB\r\nKota Makassar, Sulsel;Kota;Sulawesi Selatan;WITA\r\n"
    ).encode()
    table = read(data)
    assert [r.values["name"] for r in table.rows] == ["Kota Cirebon", "Kota Makassar, Sulsel"]
    assert table.rows[1].values["timezone"] == "WITA"
    assert [r.number for r in table.rows] == [2, 3]


def test_windows_1252_text_is_decoded(english):
    data = "nama;jenis\nCafé Digital Nusantara;Startup\n".encode("cp1252")
    assert read(data).rows[0].values["name"] == "Café Digital Nusantara"


def test_excel_unicode_text_utf16_tabs(english):
    data = "nama\tjenis\nKab. Cirebon\tKabupaten\n".encode("utf-16")
    assert read(data).rows[0].values == {"name": "Kab. Cirebon", "kind": "Kabupaten"}


def test_sep_directive_line(english):
    table = read(b"sep=;\nname;kind\nKota Cirebon;Kota\n")
    assert [(r.number, r.values["name"]) for r in table.rows] == [(2, "Kota Cirebon")]


def test_title_lines_blank_rows_and_unknown_columns(english):
    data = b"Daftar peserta 2017\n\nNo,Nama,Jenis,Catatan\n1,Kab. Cirebon,Kabupaten,hadir\n\n2,Kota Cirebon,Kota,\n"
    table = read(data)
    assert table.header_row == 3
    assert [(r.number, r.values["name"]) for r in table.rows] == [(4, "Kab. Cirebon"), (6, "Kota Cirebon")]
    assert table.ignored_columns == ["No", "Catatan"]
    assert "province" not in table.columns


def test_xlsx_with_numbers_gaps_and_title(english):
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "Daftar organisasi"
    sheet.append(["Nama", "Jenis", "Provinsi", "Zona Waktu"])
    sheet.append(["Kab. Cirebon", "Kabupaten", "Jawa Barat", "WIB"])
    sheet["A5"] = 12345  # row 4 left empty
    sheet["B5"] = "Startup"
    sheet["C5"] = datetime(2017, 11, 15)
    out = io.BytesIO()
    workbook.save(out)
    table = read(out.getvalue())
    assert table.format == "xlsx"
    assert [(r.number, r.values["name"]) for r in table.rows] == [(3, "Kab. Cirebon"), (5, "12345")]
    assert table.rows[1].values["province"] == "2017-11-15"
    assert table.rows[1].values["timezone"] == ""


def test_too_many_rows(english):
    csv_data = b"name,kind\n" + b"".join(b"Kota %d,Kota\n" % i for i in range(4))
    assert "more than 3 rows" in refused(csv_data, max_rows=3)
    assert len(read(csv_data, max_rows=4).rows) == 4
    assert "more than 3 rows" in refused(xlsx([("name", "kind")] + [(f"Kota {i}", "Kota") for i in range(4)]), max_rows=3)


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"", "The file is empty"),
        (b"\xef\xbb\xbf \r\n\r\n", "The file is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nstream\n\x00\x01\x02\x03", "This is a PDF document"),
        (random.Random(7).randbytes(4000), "not a CSV or Excel"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is an image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "old Excel file (.xls)"),
        (b"PK\x03\x04garbage that is no zip", "damaged"),
        (b"nama;jenis\n", "no rows below them"),
        (b"nama;provinsi\nKota Cirebon;Jawa Barat\n", "no column “kind”"),
        (b"organisation,type\nKota Cirebon,Kota\n", "no column “name”, “kind”"),
        (b"nama,name,jenis\nA,B,Kota\n", "appears twice"),
    ],
    ids=["empty", "bom-only", "pdf", "random-bytes", "png", "xls", "broken-zip", "header-only", "missing-kind", "no-known-header", "twice"],
)
def test_unreadable_files_get_a_clear_message(english, data, expected):
    assert expected in refused(data)


def test_zip_that_is_not_a_workbook(english):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert "Word document" in refused(out.getvalue())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("foto.jpg", b"\xff\xd8\xff")
    assert "zip archive" in refused(out.getvalue())


def test_broken_workbook(english):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not-xml")
        archive.writestr("xl/workbook.xml", "\x00\x01 garbage")
    assert "could not be read" in refused(out.getvalue())


def test_zip_bomb_workbook_is_refused_before_unpacking(english):
    data = xlsx([("name", "kind"), ("Kota Cirebon", "Kota")])
    assert len(read(data).rows) == 1
    assert "too large once unpacked" in refused(data, max_unzipped_bytes=1000)


def test_blank_cells_in_required_columns_are_left_to_the_caller(english):
    # The reader checks the shape of the table; whether a cell may be empty is the import's rule.
    table = read(b"name,kind\nKota Cirebon,\n,Kota\n")
    assert [(r.number, r.values) for r in table.rows] == [(2, {"name": "Kota Cirebon", "kind": ""}), (3, {"name": "", "kind": "Kota"})]
