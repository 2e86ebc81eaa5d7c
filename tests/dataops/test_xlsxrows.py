"""The streaming worksheet reader, on XML that openpyxl's writer never produces."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

from kehu.dataops.xlsxrows import SheetXMLError, iter_rows

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def rows(xml: str, *, epoch: dt.datetime = CALENDAR_WINDOWS_1900) -> list[tuple[int, list]]:
    return list(
        iter_rows(
            io.BytesIO(xml.encode()),
            shared_strings=["共享", "second"],
            epoch=epoch,
            date_styles={1, 2},
            duration_styles={2},
        )
    )


def test_prefixed_namespace_rich_text_and_phonetic_guides() -> None:
    xml = (
        f'<x:worksheet xmlns:x="{NS}"><x:sheetData>'
        '<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:r><x:t>杭州</x:t></x:r>'
        '<x:r><x:t xml:space="preserve"> 云帆</x:t></x:r><x:rPh sb="0" eb="1"><x:t>ハン</x:t>'
        '</x:rPh></x:is></x:c><x:c r="D2" t="s"><x:v>1</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    assert rows(xml) == [(2, [None, "杭州 云帆", None, "second"])]


def test_cells_and_rows_without_references_follow_on() -> None:
    xml = (
        f'<worksheet xmlns="{NS}"><sheetData>'
        '<row r="3"><c><v>1</v></c><c t="b"><v>1</v></c></row>'
        '<row><c t="e"><v>#N/A</v></c><c t="str"><f>A1&amp;"x"</f><v>1x</v></c>'
        "<c><f>SUM(A1)</f></c></row>"
        "<row/></sheetData></worksheet>"
    )
    assert rows(xml) == [(3, [1, True]), (4, ["#N/A", "1x"])]


def test_numbers_dates_and_durations_by_style() -> None:
    xml = (
        f'<worksheet xmlns="{NS}"><sheetData><row r="1">'
        '<c r="A1"><v>1.38001380E+10</v></c><c r="B1" s="1"><v>45000</v></c>'
        '<c r="C1" s="2"><v>1.5</v></c><c r="D1" t="d"><v>2024-03-15T00:00:00</v></c>'
        "</row></sheetData></worksheet>"
    )
    [(_n, values)] = rows(xml)
    assert values == [
        13800138000.0,
        dt.datetime(2023, 3, 15),
        dt.timedelta(days=1, hours=12),
        dt.datetime(2024, 3, 15),
    ]
    [(_n, mac)] = rows(xml, epoch=CALENDAR_MAC_1904)
    assert mac[1] == dt.datetime(2027, 3, 16)


@pytest.mark.parametrize(
    "body",
    [
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"',
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>9</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="x"></row>',
    ],
)
def test_damaged_sheet_names_the_last_good_row(body: str) -> None:
    xml = f'<worksheet xmlns="{NS}"><sheetData>{body}</sheetData></worksheet>'
    with pytest.raises(SheetXMLError) as caught:
        rows(xml)
    assert caught.value.row in (0, 1)
