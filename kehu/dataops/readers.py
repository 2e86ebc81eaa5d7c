"""Reading the spreadsheets users upload for import: CSV and XLSX, recognised by their content.

``open_table`` looks at the bytes (never at the file name), refuses what it cannot read safely
with an :class:`ImportFileError` carrying a translated sentence for the user, finds the header row
(files exported from other systems often have a title row, blank rows or a two-row merged header
above the data) and returns a :class:`TableSource` whose ``rows()`` streams the data rows as text.

Nothing here holds a whole file in memory: CSV goes through ``csv.reader`` one physical line at a
time with a cap on line length, XLSX through a streaming parse of the sheet's XML
(:mod:`kehu.dataops.xlsxrows`; openpyxl reads only the workbook's small parts) once the zip
directory has been checked against zip bombs. Limits are keyword arguments with module-level
defaults, so the module works without Django settings; the error messages are lazy translations
and are only turned into text when shown.

Error codes (``ImportFileError.code``): ``empty``, ``too_large``, ``save_as_xlsx`` (a spreadsheet
format we do not read: .xls, password-protected workbooks, .ods, .xlsb, HTML or XML "Excel"
exports), ``not_spreadsheet``, ``encoding``, ``unknown_encoding``, ``bad_delimiter``,
``too_much_data`` (zip bomb limits), ``corrupt``, ``no_sheet``, ``cell_too_long``,
``row_too_long``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import re
import struct
import zipfile
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from kehu.dataops.cells import STRIP_CHARS, cell_text, excel_serial_to_date
from kehu.dataops.xlsxmerges import CellRange, read_merges
from kehu.dataops.xlsxrows import SheetXMLError, iter_rows

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CELL_CHARS",
    "DEFAULT_MAX_UNPACKED_BYTES",
    "DEFAULT_MAX_ZIP_ENTRIES",
    "ImportFileError",
    "SheetInfo",
    "TableSource",
    "cell_text",
    "excel_serial_to_date",
    "open_table",
]

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 200 * MB
DEFAULT_MAX_UNPACKED_BYTES = 1024 * MB
DEFAULT_MAX_ZIP_ENTRIES = 10_000
DEFAULT_MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
# A zip entry this large that unpacks to more than SUSPICIOUS_RATIO times its packed size is a
# zip bomb, not a worksheet (real sheet XML packs 5 to 30 times).
SUSPICIOUS_ENTRY_BYTES = 10 * MB
SUSPICIOUS_RATIO = 100
# A physical CSV line longer than this is refused: csv.reader would otherwise hold the whole line
# and split it into as many fields as it has separators.
MAX_LINE_CHARS = 1 << 20
HEADER_SCAN_ROWS = 20
DELIMITERS = (",", "\t", ";", "|")  # what Excel and WPS write

_SNIFF_BYTES = 64 * 1024
_SAMPLE_BYTES = MB
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x7fELF",
    b"{\\rtf",
)
_MARKUP_STARTS = ("<!doctype html", "<html", "<head", "<meta", "<body", "<table", "<?xml")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF16 = frozenset({"utf-16", "utf-16-le", "utf-16-be"})
# What a user may choose; GBK and GB2312 are read as GB18030, their superset, so a file labelled
# GB2312 that uses a GBK-only character still reads.
_USER_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "gb18030": "gb18030",
    "gbk": "gb18030",
    "gb2312": "gb18030",
}
# Digits with number, money, date and time punctuation: a value, not a column name.
_VALUE_LIKE = re.compile(r"[\d\s.,:/+\-()%¥$€年月日时分秒Ee]*\d[\d\s.,:/+\-()%¥$€年月日时分秒Ee]*")


def _interpolate(message: Any, params: dict[str, Any]) -> str:
    return str(message) % params


_lazy_interpolate = lazy(_interpolate, str)


class ImportFileError(Exception):
    """A file the import cannot read: ``message`` is a sentence for the user (a lazy
    translation, rendered in the language active when shown), ``code`` a short slug (listed in
    the module docstring) and ``params`` the values named in the message, such as ``row``."""

    def __init__(self, message: Any, code: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message, code, params)
        self.code = code
        self.params = dict(params or {})
        self.message = _lazy_interpolate(message, self.params) if self.params else message

    def __str__(self) -> str:
        try:
            return str(self.message)
        except (AppRegistryNotReady, ImproperlyConfigured):  # no translations outside Django
            return f"{self.code} {self.params}" if self.params else self.code


@dataclass
class SheetInfo:
    """A worksheet the user can choose to import."""

    name: str


# ---- the table --------------------------------------------------------------------------------


@dataclass(eq=False)
class TableSource:
    """An opened CSV file or worksheet, its header found; ``rows()`` streams the data rows."""

    kind: str  # "csv" or "xlsx"
    encoding: str | None  # CSV: the codec the text is read with
    delimiter: str | None  # CSV
    sheets: list[str]  # XLSX: the visible worksheets, in workbook order
    sheet: str | None  # XLSX: the worksheet read
    header_row: int  # 1-based row of the (first) header row, as Excel numbers rows
    headers: list[str]  # one per column, "" for a column without a name
    _path: Path = field(default_factory=Path, repr=False)
    _data_start: int = field(default=1, repr=False)
    _max_cell_chars: int = field(default=DEFAULT_MAX_CELL_CHARS, repr=False)
    _line_chars: int = field(default=MAX_LINE_CHARS, repr=False)
    _workbook: Any = field(default=None, repr=False)
    _handles: set[IO[Any]] = field(default_factory=set, repr=False)

    def rows(self) -> Iterator[tuple[int, list[str | None]]]:
        """``(row number in the file, cell texts)`` for each data row that is not empty.

        Rows are numbered as Excel shows them (in a CSV file, a quoted cell over several lines
        is still one row). They are padded with ``None`` to the width of ``headers``; a row with
        values beyond the last column is returned longer rather than cut, so nothing is dropped
        silently. Each call reads the file again from the start.
        """
        width = len(self.headers)
        for number, values in self._records(self._data_start):
            if number < self._data_start:
                continue
            cells = [cell_text(v) for v in values]
            size = len(cells)
            while size and cells[size - 1] is None:
                size -= 1
            if not size:
                continue
            del cells[size:]
            if size < width:
                cells.extend([None] * (width - size))
            yield number, cells

    def close(self) -> None:
        """Close the files ``rows()`` iterations still hold open, and the workbook."""
        workbook, self._workbook = self._workbook, None
        if workbook is not None:
            workbook.close()
        for handle in list(self._handles):
            handle.close()
        self._handles.clear()

    def __enter__(self) -> TableSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- raw records, before cell_text ----------------------------------------------------------

    def _records(self, start: int) -> Generator[tuple[int, Sequence[Any]], None, None]:
        if self.kind == "csv":
            return self._csv_records()
        return self._xlsx_records(start)

    def _csv_records(self) -> Generator[tuple[int, Sequence[Any]], None, None]:
        assert self.encoding is not None and self.delimiter is not None
        limit = self._max_cell_chars
        if csv.field_size_limit() <= limit:  # only ever raised, never lowered: it is global
            csv.field_size_limit(limit + 1)
        number = 0
        # Undecodable bytes become lone surrogates that _physical_lines catches with the row they
        # are on; a strict decoder fails a whole read-ahead block earlier than that.
        with open(self._path, newline="", encoding=self.encoding, errors="surrogateescape") as text:
            self._handles.add(text)
            try:
                lines = _physical_lines(text, self._line_chars, self.delimiter, limit)
                for number, record in enumerate(csv.reader(lines, delimiter=self.delimiter), 1):
                    if record and max(map(len, record)) > limit:
                        raise _csv_cell_too_long(number, limit)
                    yield number, record
            except _BadLine as exc:
                if exc.reason == "undecodable":
                    raise ImportFileError(
                        _(
                            "Row %(row)s cannot be read as %(encoding)s text. Choose the file's "
                            "encoding, or save it as CSV UTF-8 and upload it again."
                        ),
                        "encoding",
                        {"row": number + 1, "encoding": _encoding_label(self.encoding)},
                    ) from None
                if exc.reason == "long_cell":
                    raise _csv_cell_too_long(number + 1, limit) from None
                raise ImportFileError(
                    _("Row %(row)s is longer than %(limit)s characters."),
                    "row_too_long",
                    {"row": number + 1, "limit": self._line_chars},
                ) from None
            except csv.Error as exc:
                if "field limit" in str(exc):
                    raise _csv_cell_too_long(number + 1, limit) from None
                raise ImportFileError(
                    _("Row %(row)s cannot be read as CSV."), "corrupt", {"row": number + 1}
                ) from exc
            finally:
                self._handles.discard(text)

    def _xlsx_records(self, start: int) -> Generator[tuple[int, Sequence[Any]], None, None]:
        workbook = self._load()
        worksheet = workbook[self.sheet]
        limit = self._max_cell_chars
        number = start - 1
        try:
            with workbook._archive.open(worksheet._worksheet_path) as stream:
                rows = iter_rows(
                    stream,
                    shared_strings=worksheet._shared_strings,
                    epoch=workbook.epoch,
                    date_styles=workbook._date_formats,
                    duration_styles=workbook._timedelta_formats,
                )
                for number, values in rows:
                    if number < start:
                        continue
                    for value in values:
                        if type(value) is str and len(value) > limit:
                            raise _cell_too_long(number, limit)
                    yield number, values
        except ImportFileError:
            raise
        except SheetXMLError as exc:
            raise _damaged_after(exc.row) from exc
        except Exception as exc:  # a damaged zip member fails in many ways
            raise _damaged_after(number) from exc

    def _load(self) -> Any:
        if self._workbook is None:
            # A file object, not the path: openpyxl judges a path by its extension.
            handle = open(self._path, "rb")  # noqa: SIM115 - closed by close()
            try:
                self._workbook = _load_workbook(handle)
            except BaseException:
                handle.close()
                raise
            self._handles.add(handle)  # the workbook's zip reads it until close()
        return self._workbook

    def _scan(self) -> list[tuple[int, list[Any]]]:
        """The first non-empty rows, raw: candidates for the header and its width."""
        scanned: list[tuple[int, list[Any]]] = []
        with contextlib.closing(self._records(1)) as records:
            for number, values in records:
                if any(cell_text(v) is not None for v in values):
                    scanned.append((number, list(values)))
                    if len(scanned) > HEADER_SCAN_ROWS:  # one more: a second header row
                        break
        return scanned


def open_table(
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
    max_zip_entries: int = DEFAULT_MAX_ZIP_ENTRIES,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
) -> TableSource:
    """Open an uploaded CSV or XLSX file, recognised by its content, and find its header.

    ``encoding`` and ``delimiter`` override detection for CSV, ``sheet`` chooses the worksheet
    of a workbook (default: the active sheet when it is visible, else the first visible one).
    Raises :class:`ImportFileError` for anything the import cannot read.
    """
    file = Path(path)
    size = file.stat().st_size
    if size == 0:
        raise _empty()
    if size > max_bytes:
        raise ImportFileError(
            _("The file is larger than %(limit)s MB. Split it into smaller files."),
            "too_large",
            {"limit": _megabytes(max_bytes)},
        )
    with open(file, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(_OLE2):
        raise ImportFileError(
            _(
                "This is an old Excel file (.xls) or a password-protected workbook. Open it in "
                "Excel or WPS, remove any password, save it as .xlsx or CSV UTF-8 and upload it "
                "again."
            ),
            "save_as_xlsx",
        )
    if head.startswith(_ZIP_MAGIC):
        _check_workbook_zip(
            file,
            size,
            max_unpacked_bytes=max_unpacked_bytes,
            max_zip_entries=max_zip_entries,
        )
        return _open_xlsx(file, sheet=sheet, max_cell_chars=max_cell_chars)
    if head.startswith(_BINARY_MAGIC):
        raise _not_spreadsheet()
    return _open_csv(
        file, head, encoding=encoding, delimiter=delimiter, max_cell_chars=max_cell_chars
    )


# ---- CSV --------------------------------------------------------------------------------------


def _open_csv(
    path: Path, head: bytes, *, encoding: str | None, delimiter: str | None, max_cell_chars: int
) -> TableSource:
    if delimiter is not None and (len(delimiter) != 1 or delimiter in '"\r\n'):
        raise ImportFileError(
            _("The column separator must be a single character."), "bad_delimiter"
        )
    chosen = _user_encoding(encoding, head) if encoding else None
    utf16 = head.startswith(_UTF16_BOMS) or chosen in _UTF16
    if b"\x00" in head and not utf16:
        raise _not_spreadsheet()
    if chosen is None:
        chosen = "utf-16" if head.startswith(_UTF16_BOMS) else _detect_encoding(path)
    else:
        _check_encoding(path, chosen)
    lead = head.decode(chosen, errors="ignore").lstrip(STRIP_CHARS)[:40].lower()
    if lead.startswith(_MARKUP_STARTS):
        raise ImportFileError(
            _(
                "This file is a web page or XML file with a spreadsheet name. Open it in Excel "
                "or WPS, save it as .xlsx or CSV UTF-8 and upload it again."
            ),
            "save_as_xlsx",
        )
    line_chars = max(MAX_LINE_CHARS, 4 * max_cell_chars)
    source = TableSource(
        kind="csv",
        encoding=chosen,
        delimiter=delimiter or _detect_delimiter(path, chosen, line_chars),
        sheets=[],
        sheet=None,
        header_row=0,
        headers=[],
        _path=path,
        _max_cell_chars=max_cell_chars,
        _line_chars=line_chars,
    )
    scanned = source._scan()
    if not scanned:
        raise _empty()
    source.header_row, source._data_start, source.headers = _find_header(scanned, [])
    return source


def _user_encoding(name: str, head: bytes) -> str:
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = ""
    if codec not in _USER_ENCODINGS:
        raise ImportFileError(
            _("Unknown encoding “%(encoding)s”. Choose UTF-8, GBK or GB18030."),
            "unknown_encoding",
            {"encoding": name},
        )
    codec = _USER_ENCODINGS[codec]
    if codec == "utf-8" and head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"  # else the BOM would end up in the first column name
    return codec


def _detect_encoding(path: Path) -> str:
    """UTF-8 with a BOM, else UTF-8, else GB18030 (which reads GBK and GB2312 too).

    Decides on the first megabyte that is not plain ASCII, so a file whose Chinese text starts
    far down is still recognised; incremental decoders keep a character split across two reads
    whole.
    """
    with open(path, "rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        decoders = {name: codecs.getincrementaldecoder(name)() for name in ("utf-8", "gb18030")}
        non_ascii = 0
        while decoders and non_ascii < _SAMPLE_BYTES:
            chunk = handle.read(_SAMPLE_BYTES)
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError:
                    del decoders[name]
            if not chunk:
                break
            if not chunk.isascii():
                non_ascii += len(chunk)
    for name in ("utf-8", "gb18030"):
        if name in decoders:
            return name
    raise ImportFileError(
        _(
            "The file's text is in none of the encodings Kehu reads (UTF-8, GBK, GB18030). "
            "Save it as CSV UTF-8 and upload it again."
        ),
        "encoding",
    )


def _check_encoding(path: Path, encoding: str) -> None:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as handle:
        chunk = handle.read(_SAMPLE_BYTES)
        try:
            decoder.decode(chunk, final=len(chunk) < _SAMPLE_BYTES)
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file is not %(encoding)s text. Choose another encoding."),
                "encoding",
                {"encoding": _encoding_label(encoding)},
            ) from None


def _encoding_label(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "gb18030": "GB18030 / GBK"}.get(encoding, encoding.upper())


class _BadLine(Exception):
    def __init__(self, reason: str) -> None:  # "long_cell", "long_row" or "undecodable"
        super().__init__(reason)
        self.reason = reason


_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"


def _physical_lines(text: IO[str], limit: int, delimiter: str, max_cell: int) -> Iterator[str]:
    """The file's lines for csv.reader, refusing one longer than ``limit`` characters or one
    holding bytes the encoding could not decode.

    Reading a line with a size cap means a 100 MB line without a newline costs ``limit``
    characters of memory, not 100 MB, before it is refused.
    """
    readline = text.readline
    undecoded = _UNDECODED.search
    while line := readline(limit):
        if len(line) == limit and line[-1] not in "\r\n":
            longest = max(len(part) - part.count('"') for part in line.split(delimiter))
            raise _BadLine("long_cell" if longest > max_cell else "long_row")
        if undecoded(line):
            raise _BadLine("undecodable")
        yield line


def _detect_delimiter(path: Path, encoding: str, line_chars: int) -> str:
    """The separator that splits most of the first non-empty lines into the same number (> 1)
    of fields; more fields wins a tie, then the order of ``DELIMITERS``; comma by default."""
    best, best_score = ",", (0, 0)
    for candidate in DELIMITERS:
        widths: list[int] = []
        with open(path, newline="", encoding=encoding, errors="replace") as text:
            lines = _physical_lines(text, line_chars, candidate, line_chars)
            try:
                for record in csv.reader(lines, delimiter=candidate):
                    if any(field.strip() for field in record):
                        widths.append(len(record))
                        if len(widths) >= HEADER_SCAN_ROWS:
                            break
            except (csv.Error, _BadLine):
                pass  # judged on the lines read so far; reading the rows will report it
        counts = Counter(w for w in widths if w > 1)
        if counts:
            width, agreeing = counts.most_common(1)[0]
            if (agreeing, width) > best_score:
                best, best_score = candidate, (agreeing, width)
    return best


# ---- XLSX -------------------------------------------------------------------------------------


def _check_workbook_zip(
    path: Path, size: int, *, max_unpacked_bytes: int, max_zip_entries: int
) -> None:
    """Refuse a zip that is not an Excel workbook, or one that would unpack to too much."""
    too_many = ImportFileError(
        _("The workbook has more than %(limit)s parts inside; it cannot be imported safely."),
        "too_much_data",
        {"limit": max_zip_entries},
    )
    with open(path, "rb") as handle:
        declared = _zip_declared_entries(handle, size)
        if declared is not None and declared > max_zip_entries:
            raise too_many  # before zipfile builds an object per entry
        try:
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
                names = {info.filename for info in infos}
                mimetype = b""
                if "mimetype" in names:  # OpenDocument; read a little, it could be a bomb
                    with archive.open("mimetype") as member:
                        mimetype = member.read(100)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise _corrupt_workbook() from exc
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise ImportFileError(
                _(
                    "Binary Excel workbooks (.xlsb) cannot be imported. Save the file as .xlsx "
                    "or CSV UTF-8 and upload it again."
                ),
                "save_as_xlsx",
            )
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            raise ImportFileError(
                _(
                    "OpenDocument spreadsheets (.ods) cannot be imported. Save the file as .xlsx "
                    "or CSV UTF-8 and upload it again."
                ),
                "save_as_xlsx",
            )
        raise _not_spreadsheet()
    if len(infos) > max_zip_entries:
        raise too_many
    if any(info.flag_bits & 0x1 for info in infos):  # zip-level encryption
        raise _corrupt_workbook()
    too_much = ImportFileError(
        _(
            "The workbook unpacks to more than %(limit)s MB of data; it cannot be imported "
            "safely. Save it again in Excel or split it into smaller files."
        ),
        "too_much_data",
        {"limit": _megabytes(max_unpacked_bytes)},
    )
    if sum(info.file_size for info in infos) > max_unpacked_bytes:
        raise too_much
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > SUSPICIOUS_ENTRY_BYTES and ratio > SUSPICIOUS_RATIO:
            raise ImportFileError(
                _(
                    "The workbook holds a part that unpacks to far more data than it takes in "
                    "the file; it cannot be imported safely."
                ),
                "too_much_data",
            )


def _zip_declared_entries(handle: IO[bytes], size: int) -> int | None:
    """The entry count from the zip's end record (zip64 too), without reading the directory."""
    tail_size = min(size, 22 + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries != 0xFFFF:
        return int(entries)
    locator = at - 20
    if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
        return None
    (offset,) = struct.unpack_from("<Q", tail, locator + 8)
    if offset + 56 > size:
        return None
    handle.seek(offset)
    record = handle.read(56)
    if record[:4] != b"PK\x06\x06":
        return None
    (entries,) = struct.unpack_from("<Q", record, 32)
    return int(entries)


class _SheetList(ReadOnlyWorksheet):
    """A worksheet of the workbook's list: its name, state and part. openpyxl would also look
    for its size, parsing the whole sheet when it declares none (files other programs write);
    the rows are read by :mod:`kehu.dataops.xlsxrows`, which needs no size."""

    def _get_size(self) -> None:
        pass


class _WorkbookReader(ExcelReader):
    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(sheet, rel)
                continue
            worksheet = _SheetList(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _load_workbook(handle: IO[bytes]) -> Any:
    try:
        reader = _WorkbookReader(handle, read_only=True, data_only=True, keep_links=False)
        reader.read()
        return reader.wb
    except Exception as exc:
        raise _corrupt_workbook() from exc


def _open_xlsx(path: Path, *, sheet: str | None, max_cell_chars: int) -> TableSource:
    source = TableSource(
        kind="xlsx",
        encoding=None,
        delimiter=None,
        sheets=[],
        sheet=None,
        header_row=0,
        headers=[],
        _path=path,
        _max_cell_chars=max_cell_chars,
    )
    try:
        workbook = source._load()
        worksheets = workbook.worksheets
        visible = [ws for ws in worksheets if ws.sheet_state == "visible"]
        source.sheets = [ws.title for ws in visible]
        if sheet is not None:
            if sheet not in {ws.title for ws in worksheets}:
                raise ImportFileError(
                    _("The workbook has no sheet named “%(sheet)s”."), "no_sheet", {"sheet": sheet}
                )
            source.sheet = sheet
        else:
            active = workbook.active
            if active in visible:
                source.sheet = active.title
            elif visible:
                source.sheet = visible[0].title
            else:
                raise _empty()
        scanned = source._scan()
        if not scanned:
            raise ImportFileError(
                _("The sheet “%(sheet)s” has no data."), "empty", {"sheet": source.sheet}
            )
        merges = read_merges(path, source.sheet, up_to_row=scanned[-1][0] + 1)
        source.header_row, source._data_start, source.headers = _find_header(scanned, merges)
    except BaseException:
        source.close()
        raise
    return source


# ---- the header -------------------------------------------------------------------------------


class _Profile(NamedTuple):
    filled: int  # non-empty cells
    distinct: int  # different texts among them
    textual: int  # cells that read as words, not numbers or dates


def _profile(values: Sequence[Any]) -> _Profile:
    texts = []
    textual = 0
    for value in values:
        text = cell_text(value)
        if text is None:
            continue
        texts.append(text)
        if isinstance(value, str) and not _VALUE_LIKE.fullmatch(text):
            textual += 1
    return _Profile(len(texts), len(set(texts)), textual)


def _with_merges(
    number: int, values: Sequence[Any], merges: list[CellRange], raw: dict[int, list[Any]]
) -> list[Any]:
    """A row with each merged range's value copied into every cell the range covers."""
    row = list(values)
    for merge in merges:
        if merge.min_row <= number <= merge.max_row:
            anchor = raw.get(merge.min_row, [])
            value = anchor[merge.min_col - 1] if len(anchor) >= merge.min_col else None
            if len(row) < merge.max_col:
                row.extend([None] * (merge.max_col - len(row)))
            row[merge.min_col - 1 : merge.max_col] = [value] * (merge.max_col - merge.min_col + 1)
    return row


def _used_width(values: Sequence[Any]) -> int:
    size = len(values)
    while size and cell_text(values[size - 1]) is None:
        size -= 1
    return size


def _header_text(value: Any) -> str:
    text = cell_text(value)
    return " ".join(text.split()) if text else ""


def _find_header(
    scanned: list[tuple[int, list[Any]]], merges: list[CellRange]
) -> tuple[int, int, list[str]]:
    """``(header row, first data row, column names)``.

    The header is the first of the first 20 non-empty rows with at least two different values,
    mostly words, filling at least 60 % of the widest of those rows (a title row above it has
    one value, even when merged across the table). Failing that, the first such wide row, then
    the first row. A header row with a cell merged across columns over a row of sub-headers, or
    with cells merged down into the next row, is a two-row header: grouped columns are named
    "group sub-header" and the data starts after both rows.
    """
    raw = dict(scanned)
    filled = {number: _with_merges(number, values, merges, raw) for number, values in scanned}
    candidates = [(number, _profile(filled[number])) for number, _ in scanned[:HEADER_SCAN_ROWS]]
    widest = max(profile.filled for _, profile in candidates)

    def wide(profile: _Profile) -> bool:
        return profile.distinct >= 2 and profile.filled >= 0.6 * widest

    header = next(
        (n for n, p in candidates if wide(p) and 2 * p.textual > p.filled),
        next((n for n, p in candidates if wide(p)), candidates[0][0]),
    )
    below = header + 1
    down = [m for m in merges if m.min_row == header and m.max_row >= below]
    groups = [m for m in merges if m.min_row == m.max_row == header and m.max_col > m.min_col]
    two_rows = bool(down)
    if not two_rows and groups and below in raw:
        grouped = {col for g in groups for col in range(g.min_col, g.max_col + 1)}
        named = {i + 1 for i, value in enumerate(raw[below]) if cell_text(value) is not None}
        two_rows = bool(named) and named <= grouped
    width = max(_used_width(row) for number, row in filled.items() if number >= header)
    top = filled[header] + [None] * width
    sub = (filled.get(below, []) if two_rows else []) + [None] * width
    headers = []
    for col in range(1, width + 1):
        spanning = next((m for m in down if m.min_col <= col <= m.max_col), None)
        if spanning is not None:
            headers.append(_header_text(top[spanning.min_col - 1]))
            continue
        parts = [_header_text(top[col - 1]), _header_text(sub[col - 1])]
        if parts[0] == parts[1]:
            parts.pop()
        headers.append(" ".join(p for p in parts if p))
    return header, below + 1 if two_rows else below, headers


# ---- errors -----------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return format(round(size / MB, 2), "g")


def _empty() -> ImportFileError:
    return ImportFileError(_("The file is empty."), "empty")


def _not_spreadsheet() -> ImportFileError:
    return ImportFileError(
        _("This file is not a spreadsheet. Upload an Excel workbook (.xlsx) or a CSV file."),
        "not_spreadsheet",
    )


def _corrupt_workbook() -> ImportFileError:
    return ImportFileError(
        _(
            "The workbook is damaged and cannot be read. Open it in Excel or WPS, save it again "
            "and upload it again."
        ),
        "corrupt",
    )


def _damaged_after(row: int) -> ImportFileError:
    return ImportFileError(
        _(
            "The workbook is damaged after row %(row)s. Open it in Excel or WPS, "
            "save it again and upload it again."
        ),
        "corrupt",
        {"row": row},
    )


def _cell_too_long(row: int, limit: int) -> ImportFileError:
    return ImportFileError(
        _("Row %(row)s has a cell longer than %(limit)s characters."),
        "cell_too_long",
        {"row": row, "limit": limit},
    )


def _csv_cell_too_long(row: int, limit: int) -> ImportFileError:
    return ImportFileError(
        _(
            "Row %(row)s has a cell longer than %(limit)s characters. If the row is not that "
            'long, look for a quotation mark (") that is never closed.'
        ),
        "cell_too_long",
        {"row": row, "limit": limit},
    )
