"""The merged cells of a worksheet, which openpyxl's read-only mode does not read.

The import needs them only to understand a header such as 联系人 merged over 姓名 and 手机.

The XML comes from an uploaded file: ElementTree never fetches external entities, the expat that
Python ships (2.4 and later) refuses entity-expansion bombs, and the caller has already checked
the zip's declared sizes, so the standard parser is safe here.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, cast
from xml.etree import ElementTree as ET

from openpyxl.utils.cell import range_boundaries

_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


class CellRange(NamedTuple):
    """A merged cell range, 1-based and inclusive."""

    min_col: int
    min_row: int
    max_col: int
    max_row: int


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_xml_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the worksheet's part in the zip, from the workbook and its relationships."""
    targets: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as rels:
        for _event, element in ET.iterparse(rels):  # noqa: S314 - see the module docstring
            if _local(element.tag) == "Relationship":
                targets[element.get("Id", "")] = element.get("Target", "")
    paths: dict[str, str] = {}
    with archive.open("xl/workbook.xml") as workbook:
        for _event, element in ET.iterparse(workbook):  # noqa: S314 - see the module docstring
            if _local(element.tag) != "sheet":
                continue
            rel_id = next((v for k, v in element.attrib.items() if k.endswith("}id")), "")
            target = targets.get(rel_id)
            name = element.get("name")
            if target and name:
                if target.startswith("/"):
                    paths[name] = target.lstrip("/")
                else:
                    paths[name] = posixpath.normpath(posixpath.join("xl", target))
    return paths


_MERGE_CELLS_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?$")
_ROOT_START_TAG = re.compile(rb"<(?![?!])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")


def read_merges(path: Path, sheet: str, *, up_to_row: int) -> list[CellRange]:
    """The merged ranges of a worksheet that start at or above ``up_to_row``.

    openpyxl's read-only mode does not read them. They sit after all the cells in the sheet's
    XML, so the decompressed stream is searched as bytes for ``<mergeCells`` (fast), and only
    from there on is it parsed, behind the root element's start tag so that namespace prefixes
    resolve. A workbook whose layout is unexpected simply has no merged header cells.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_xml_paths(archive).get(sheet)
            if member is None:
                return []
            with archive.open(member) as stream:
                return [m for m in _merge_ranges(stream) if m.min_row <= up_to_row]
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError, ValueError, TypeError):
        return []


def _merge_ranges(stream: IO[bytes]) -> Iterator[CellRange]:
    head = stream.read(_HEAD_BYTES)
    root = _ROOT_START_TAG.search(head)
    if root is None or root.group(0).endswith(b"/>"):
        return
    buffer, start = head, root.end()
    while True:
        at = buffer.find(b"mergeCells", start)
        if at >= 0 and _MERGE_CELLS_TAG.search(buffer, max(0, at - 64), at):
            opening = buffer.rfind(b"<", 0, at)
            break
        if at >= 0:
            start = at + 1
            continue
        chunk = stream.read(_CHUNK)
        if not chunk:
            return
        buffer, start = buffer[-64:] + chunk, 0
    parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start", "end"))
    parser.feed(root.group(0))
    parser.feed(buffer[opening:])
    while True:
        for event, element in cast(Iterator[tuple[str, ET.Element]], parser.read_events()):
            name = _local(element.tag)
            if event == "start" and name == "mergeCell":
                ref = element.get("ref")
                if ref:
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                    yield CellRange(min_col, min_row, max_col, max_row)
            elif event == "end" and name == "mergeCells":
                return
        chunk = stream.read(_CHUNK)
        if not chunk:
            return
        parser.feed(chunk)
