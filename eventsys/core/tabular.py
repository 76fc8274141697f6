"""Tables people upload: CSV or Excel (.xlsx), told apart by content, read into numbered rows.

Made for imports (organizations now, delegates later): the caller names the columns it knows,
with the headers people actually write ("nama", "Zona Waktu", "Jenis *"), and gets each row's
cells by column name with the row number a spreadsheet shows, so an error report can say
"row 4". Anything that is not a readable table raises TableError with a message for the person.

CSV files come from Excel set to Indonesian (semicolons, cp1252 or UTF-8 with a BOM), from
LibreOffice and Google Sheets (commas, UTF-8); both are sniffed, not assumed.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _

DELIMITERS = (",", ";", "\t")
MAX_COLUMNS = 100
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in spreadsheets
# An .xlsx is a zip: its parts, unpacked, may not exceed this (a zip bomb is a few KB packed).
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024
# Excel keeps formatted but empty rows; this many blank rows in a row end the table.
MAX_BLANK_RUN = 1000

_BOMS_UTF16 = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


class TableError(Exception):
    """The upload is not a table we can read; `message` says what to do (already translated)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    """A column the caller understands: `name` is its key in Row.values, `aliases` the headers accepted."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def spellings(self) -> set[str]:
        return {normalize_header(a) for a in (self.name, *self.aliases)}


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it: the header row counts, the first row is 1
    values: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


@dataclass
class Table:
    format: str  # "csv" or "xlsx"
    columns: frozenset[str]  # names of the caller's columns found in the header
    rows: list[Row]
    header_row: int = 1
    ignored_columns: list[str] = field(default_factory=list)


def normalize_header(text: str) -> str:
    """'Zona Waktu (WIB/WITA/WIT) *' and 'zona_waktu' are one header."""
    text = text.replace("\ufeff", "").casefold()
    text = re.sub(r"\(.*?\)", " ", text)
    return " ".join(re.sub(r"[_\-.:*]+", " ", text).split())


def read_table(data: bytes, columns: Sequence[Column], *, max_rows: int, max_unzipped_bytes: int = MAX_UNZIPPED_BYTES) -> Table:
    """Read an uploaded CSV or .xlsx file; raise TableError when it is not a table of `columns`."""
    fmt = detect_format(data)
    if fmt == "xlsx":
        cells = _xlsx_rows(data, max_unzipped_bytes)
    else:
        cells = _csv_rows(_decode_text(data), columns)
    return _build_table(fmt, cells, columns, max_rows)


def detect_format(data: bytes) -> str:
    """'xlsx' or 'csv', judged by the bytes; other files get a message naming what they are."""
    if not data or not data.strip(b" \t\r\n\x00" + _UTF8_BOM + b"\xff\xfe"):
        raise TableError(_("The file is empty. Fill in the template and upload it again."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise TableError(_("The file is damaged and could not be opened. Save it again in Excel as .xlsx or as CSV.")) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names and "mimetype" in names:
            raise TableError(_("This is an OpenDocument spreadsheet (.ods). Save it as Excel (.xlsx) or CSV and upload that."))
        if "word/document.xml" in names:
            raise TableError(_("This is a Word document. Upload a CSV or Excel (.xlsx) file made from the template."))
        raise TableError(_("This is a zip archive, not an Excel workbook. Upload a CSV or Excel (.xlsx) file."))
    if data.startswith(b"%PDF"):
        raise TableError(_("This is a PDF document. Upload a CSV or Excel (.xlsx) file made from the template."))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(
            _("This is an old Excel file (.xls) or a password-protected workbook. Save it as Excel Workbook (.xlsx) without a password, or as CSV.")
        )
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")):
        raise TableError(_("This is an image, not a table. Upload a CSV or Excel (.xlsx) file made from the template."))
    return "csv"


def _not_a_table() -> TableError:
    return TableError(_("This file is not a CSV or Excel (.xlsx) file. Upload the template filled in and saved as CSV or .xlsx."))


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's “Unicode text”), else Windows-1252."""
    if data.startswith(_BOMS_UTF16):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _not_a_table() from None
    else:
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise _not_a_table() from None
    # Text has no NUL and hardly any control characters; binary junk decoded as cp1252 has plenty.
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    if "\x00" in text or controls > max(2, len(text) // 1000):
        raise _not_a_table()
    return text


def _choose_delimiter(text: str, columns: Sequence[Column]) -> str:
    """The delimiter under which the first lines hold the most known headers (then the most cells)."""
    known = set().union(*(c.spellings() for c in columns)) if columns else set()
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS + 1])
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        matches = max((sum(1 for cell in row if normalize_header(cell) in known) for row in rows), default=0)
        width = max((len(row) for row in rows), default=0)
        if (matches, width) > best_score:
            best, best_score = delimiter, (matches, width)
    return best


def _csv_rows(text: str, columns: Sequence[Column]) -> Iterator[tuple[int, list[str]]]:
    first_line, _sep, rest = text.partition("\n")
    directive = re.fullmatch(r'\s*"?sep=(.)"?\s*', first_line)
    if directive:  # Excel's "sep=;" line names the delimiter; Excel does not show it as a row
        delimiter, text = directive.group(1), rest
    else:
        delimiter = _choose_delimiter(text, columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise TableError(
                _("Row %(row)d of the file could not be read. Check its quotation marks, or save the file again as CSV.", row=number + 1)
            ) from None
        number += 1
        yield number, [c.strip() for c in cells[:MAX_COLUMNS]]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes, max_unzipped_bytes: int) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    unreadable = _("The Excel file could not be read. Open it in Excel, save it again as Excel Workbook (.xlsx) or CSV, and upload that.")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # Sizes come from the archive's directory; zipfile never unpacks more than they declare.
        if sum(info.file_size for info in archive.infolist()) > max_unzipped_bytes:
            raise TableError(_("The Excel file is too large once unpacked. Split it into smaller files."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises a dozen kinds for a malformed workbook
        raise TableError(unreadable) from None
    try:
        if not workbook.worksheets:
            raise TableError(unreadable)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong size; read what is there
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception:
                raise TableError(unreadable) from None
            number += 1
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _build_table(fmt: str, cells: Iterable[tuple[int, list[str]]], columns: Sequence[Column], max_rows: int) -> Table:
    lookup: dict[str, Column] = {}
    for column in columns:
        for spelling in column.spellings():
            lookup[spelling] = column
    required = [c for c in columns if c.required]

    iterator = iter(cells)
    header: list[str] | None = None
    header_row = 0
    first_header: list[str] | None = None
    seen_rows = 0
    for number, row in iterator:
        if not any(row):
            continue
        seen_rows += 1
        found = {lookup[normalize_header(c)].name for c in row if normalize_header(c) in lookup}
        if first_header is None:
            first_header = row
        if all(c.name in found for c in required) and found:
            header, header_row = row, number
            break
        if seen_rows >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        if first_header is None:
            raise TableError(_("The file is empty. Fill in the template and upload it again."))
        found = {lookup[normalize_header(c)].name for c in first_header if normalize_header(c) in lookup}
        missing = [c for c in required if c.name not in found] or list(columns)
        raise TableError(
            _(
                "The file has no column %(missing)s. The first row must hold the column names, e.g. %(example)s.",
                missing=", ".join(f"“{c.name}”" for c in missing),
                example=", ".join(c.name for c in columns),
            )
        )

    positions: dict[int, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        column = lookup.get(normalize_header(title))
        if column is None:
            if title:
                ignored.append(title)
            continue
        if column.name in positions.values():
            raise TableError(_("The column “%(column)s” appears twice in the header. Keep one and upload again.", column=title))
        positions[index] = column.name

    rows: list[Row] = []
    blank_run = 0
    for number, row in iterator:
        values = {name: (row[index] if index < len(row) else "") for index, name in positions.items()}
        if not any(values.values()):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(rows) >= max_rows:
            raise TableError(_("The file has more than %(max)d rows. Split it into smaller files and import them one by one.", max=max_rows))
        rows.append(Row(number, values))
    if not rows:
        raise TableError(_("The file has column names but no rows below them. Add one row for each entry."))
    return Table(fmt, frozenset(positions.values()), rows, header_row, ignored)


# What imports report and offer, the same for every import.


@dataclass
class RowProblem:
    """Why one row of an uploaded table cannot be imported ("row 4: …")."""

    row: int
    message: str

    @property
    def text(self) -> str:
        return _("Row %(row)d: %(message)s", row=self.row, message=self.message)


def template_csv(rows: Sequence[Sequence[str]]) -> bytes:
    """A template to fill in, as CSV with a UTF-8 BOM (so Excel reads the accents right)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return _UTF8_BOM + out.getvalue().encode("utf-8")


def template_xlsx(rows: Sequence[Sequence[str]], *, title: str, widths: Sequence[int]) -> bytes:
    """The same template as an Excel sheet named `title`, with its columns `widths` characters wide."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """Text an exported spreadsheet will not run as a formula; '+62812…' phone numbers stay as they are."""
    if value.startswith(_FORMULA_START) and not (value[0] in "+-" and value[1:].replace(" ", "").isdigit()):
        return "'" + value
    return value
