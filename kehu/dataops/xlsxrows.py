"""The cells of a worksheet, read straight from its XML in one streaming pass.

openpyxl's read-only mode builds an element tree and a dictionary per cell and looks each cell
up through several layers: about 8,000 rows a second, a third of an import's time. Here expat
(the parser Python ships) calls back on each tag and the values are built as openpyxl would
build them — shared strings by index, inline strings (rich text runs joined, phonetic guides
left out), booleans, cached formula results, errors as their text, ISO dates, and numbers,
turned into dates or durations when the cell's style is a date or time format, counted from
1900 or 1904 as the workbook says. openpyxl still reads the workbook's parts that are small
(the sheet list, the styles, the shared strings); only the sheet's cells come through here.

The XML comes from an uploaded file: expat never fetches external entities, Python's expat
(2.4 and later) refuses entity-expansion bombs, and the caller has checked the zip's sizes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

from openpyxl.utils.datetime import from_excel, from_ISO8601

CHUNK = 256 * 1024
_DIGITS = "0123456789"


class SheetXMLError(Exception):
    """The worksheet XML cannot be read; ``row`` is the last row read whole."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row


def _column(letters: str) -> int:
    number = 0
    for char in letters.upper():
        if not "A" <= char <= "Z":
            raise ValueError(letters)
        number = number * 26 + ord(char) - 64
    return number


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def iter_rows(
    stream: IO[bytes],
    *,
    shared_strings: Any,
    epoch: dt.datetime,
    date_styles: set[int] | frozenset[int],
    duration_styles: set[int] | frozenset[int],
) -> Iterator[tuple[int, list[Any]]]:
    """``(row number, values)`` for each row with at least one cell, in the file's order.

    ``values`` runs from column A to the row's last cell, ``None`` where there is no cell.
    Raises :class:`SheetXMLError` for XML that is not well formed or a cell that cannot be
    read (a shared string index out of range, a row number that is not a number).
    """
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    done: list[tuple[int, list[Any]]] = []
    cells: list[Any] = []
    text: list[str] = []
    row = col = style = 0
    kind = "n"
    raw: str | None = None
    inline = False
    # Where character data goes: 0 nowhere, 1 a <v>, 2 the <t> of an inline string.
    capture = 0
    in_inline = in_phonetic = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col, style, kind, raw, inline, capture, in_inline, in_phonetic
        tag = names.get(name)
        if tag is None:
            tag = names[name] = name.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            if ref:
                letters = ref.rstrip(_DIGITS)
                found = columns.get(letters)
                if found is None:
                    found = columns[letters] = _column(letters)
                col = found
            else:
                col += 1
            kind = attrs.get("t", "n")
            given = attrs.get("s")
            style = int(given) if given else 0
            raw = None
            inline = False
        elif tag == "v":
            capture = 1
            text.clear()
        elif tag == "t":
            if in_inline and not in_phonetic:
                capture = 2
        elif tag == "is":
            in_inline += 1
            inline = True
            text.clear()
        elif tag == "rPh":
            in_phonetic += 1
        elif tag == "row":
            number = attrs.get("r")
            if number:
                value = float(number)
                if not value.is_integer():
                    raise ValueError(number)
                row = int(value)
            else:
                row += 1
            col = 0
            cells.clear()

    def end(name: str) -> None:
        nonlocal raw, capture, in_inline, in_phonetic
        tag = names.get(name) or name.rpartition(":")[2]
        if tag == "c":
            value = _value(kind, raw, style, inline, text)
            if value is not None:
                if len(cells) < col:
                    cells.extend([None] * (col - len(cells)))
                cells[col - 1] = value
        elif tag == "v":
            capture = 0
            raw = "".join(text)
        elif tag == "t":
            if capture == 2:
                capture = 0
        elif tag == "is":
            in_inline -= 1
        elif tag == "rPh":
            in_phonetic -= 1
        elif tag == "row" and cells:
            done.append((row, cells[:]))

    def chars(data: str) -> None:
        if capture:
            text.append(data)

    def _value(kind: str, raw: str | None, style: int, inline: bool, buffer: list[str]) -> Any:
        if kind == "inlineStr":
            return "".join(buffer) if inline else None
        if not raw:
            return None
        if kind == "n":
            number = _number(raw)
            if style in date_styles:
                try:
                    return from_excel(number, epoch, timedelta=style in duration_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return shared_strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    last = 0
    try:
        while True:
            chunk = stream.read(CHUNK)
            parser.Parse(chunk, not chunk)
            if done:
                last = done[-1][0]
                yield from done
                done.clear()
            if not chunk:
                break
    except (expat.ExpatError, ValueError, IndexError, TypeError) as exc:
        raise SheetXMLError(last) from exc
