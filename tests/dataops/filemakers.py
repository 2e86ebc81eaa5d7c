"""Build the files the reader tests open: CSV as exact bytes, XLSX with openpyxl, and the hostile
files (zip bombs, pictures with a spreadsheet name) by hand. Everything is written at test time."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the header of .xls and encrypted .xlsx


def csv_text(rows: Iterable[Sequence[Any]], *, delimiter: str = ",") -> str:
    """Rows as Excel writes them: CRLF line ends, quotes only where needed."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def write_csv(
    path: Path,
    rows: Iterable[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> Path:
    data = csv_text(rows, delimiter=delimiter).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def write_csv_lines(path: Path, lines: Iterator[str], *, encoding: str = "utf-8") -> Path:
    """Stream generated lines to disk, for files too big to build in memory."""
    with open(path, "w", encoding=encoding, newline="") as out:
        out.writelines(lines)
    return path


def workbook(rows: Iterable[Sequence[Any]], *, merges: Iterable[str] = (), title: str = "Sheet1"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    return book


def write_xlsx(
    path: Path,
    rows: Iterable[Sequence[Any]],
    *,
    merges: Iterable[str] = (),
    title: str = "Sheet1",
    book: Workbook | None = None,
) -> Path:
    (book or workbook(rows, merges=merges, title=title)).save(path)
    return path


def write_big_xlsx(path: Path, rows: Iterator[Sequence[Any]]) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rewrite_zip_member(path: Path, member: str, replace: tuple[bytes, bytes]) -> Path:
    """Edit one part of a workbook, e.g. to give a formula the value Excel would have cached."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    old, new = replace
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == member:
                assert old in data, (old, data[:500])
                data = data.replace(old, new)
            target.writestr(info, data)
    return path


def add_zip_member(path: Path, name: str, size: int, *, chunk: int = 1 << 20) -> Path:
    """Append an entry of ``size`` zero bytes, deflated as it is written (memory stays small)."""
    zeros = bytes(chunk)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w", force_zip64=True) as entry,
    ):
        for start in range(0, size, chunk):
            entry.write(zeros[: min(chunk, size - start)])
    return path


def add_member_declaring(path: Path, name: str, declared_size: int) -> Path:
    """Append a small entry whose central directory record claims ``declared_size`` bytes, as
    a crafted zip bomb would; nothing that size is ever written."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"<x/>")
        archive.filelist[-1].file_size = declared_size
        archive.filelist[-1].compress_size = 200
    return path


def add_members(path: Path, count: int) -> Path:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        for n in range(count):
            archive.writestr(f"customXml/item{n}.xml", b"<x/>")
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
