"""The file-reading layer of the spreadsheet import: every file is made in tmp_path at test time."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import subprocess
import sys
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kehu.dataops.readers import ImportFileError, cell_text, excel_serial_to_date, open_table

from . import filemakers as fm

HEADER = ["客户名称", "手机", "邮箱"]
HUAWEI = ["华为技术有限公司", "13800138000", "sales@huawei.example"]
TENCENT = ["腾讯科技（深圳）有限公司", "13900139000", "bd@tencent.example"]


def read_all(path, **options):
    with open_table(path, **options) as table:
        return table, list(table.rows())


def refused(path, **options) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        open_table(path, **options)
    return info.value


# ---- CSV encodings ----------------------------------------------------------------------------


def test_utf8_csv_is_read_with_its_header_and_real_row_numbers(tmp_path):
    path = fm.write_csv(tmp_path / "customers.csv", [HEADER, HUAWEI, TENCENT])
    table, rows = read_all(path)
    assert (table.kind, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
    assert (table.header_row, table.headers) == (1, HEADER)
    assert rows == [(2, HUAWEI), (3, TENCENT)]


def test_utf8_with_bom_is_detected_and_the_bom_stays_out_of_the_first_header(tmp_path):
    path = fm.write_csv(tmp_path / "bom.csv", [HEADER, HUAWEI], bom=True)
    table, rows = read_all(path)
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "客户名称"
    assert rows == [(2, HUAWEI)]


def test_gbk_csv_from_chinese_excel_is_read_as_gb18030(tmp_path):
    path = fm.write_csv(tmp_path / "gbk.csv", [HEADER, HUAWEI, TENCENT], encoding="gbk")
    table, rows = read_all(path)
    assert table.encoding == "gb18030"
    assert rows == [(2, HUAWEI), (3, TENCENT)]


def test_characters_only_gb18030_has_are_read(tmp_path):
    rare = ["䶮科技", "𠀀贸易", "13800138000"]  # CJK extension A and B: four bytes in GB18030
    for text in rare[:2]:
        with pytest.raises(UnicodeEncodeError):
            text.encode("gbk")
    rows = [["名称", "曾用名", "手机"], rare]
    path = fm.write_csv(tmp_path / "gb18030.csv", rows, encoding="gb18030")
    table, rows = read_all(path)
    assert table.encoding == "gb18030"
    assert rows == [(2, rare)]


def test_gbk_text_that_starts_after_a_megabyte_of_ascii_is_still_detected(tmp_path):
    ascii_rows = [[f"Company {n}", "13800138000", f"a{n}@example.com"] for n in range(40_000)]
    path = fm.write_csv(tmp_path / "late.csv", [HEADER, *ascii_rows, HUAWEI], encoding="gbk")
    assert path.stat().st_size > 1024 * 1024
    table, rows = read_all(path)
    assert table.encoding == "gb18030"
    assert rows[-1] == (40_002, HUAWEI)


def test_utf16_text_as_excel_saves_unicode_text_is_read(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(fm.csv_text([HEADER, HUAWEI], delimiter="\t").encode("utf-16"))
    table, rows = read_all(path)
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert rows == [(2, HUAWEI)]


@pytest.mark.parametrize(("given", "used"), [("gbk", "gb18030"), ("GB2312", "gb18030")])
def test_user_given_encoding_overrides_detection(tmp_path, given, used):
    path = fm.write_csv(tmp_path / "gbk.csv", [HEADER, HUAWEI], encoding="gbk")
    table, rows = read_all(path, encoding=given)
    assert table.encoding == used
    assert rows == [(2, HUAWEI)]


def test_user_given_utf8_on_a_file_with_bom_drops_the_bom(tmp_path):
    path = fm.write_csv(tmp_path / "bom.csv", [HEADER, HUAWEI], bom=True)
    table, _rows = read_all(path, encoding="utf8")
    assert table.encoding == "utf-8-sig"
    assert table.headers == HEADER


def test_user_given_encoding_that_does_not_fit_the_file_is_refused(tmp_path):
    path = fm.write_csv(tmp_path / "gbk.csv", [HEADER, HUAWEI], encoding="gbk")
    assert refused(path, encoding="utf-8").code == "encoding"


@pytest.mark.parametrize("name", ["klingon", "latin-1", "rot13"])
def test_unknown_or_unsupported_encoding_is_refused(tmp_path, name):
    path = fm.write_csv(tmp_path / "a.csv", [HEADER, HUAWEI])
    error = refused(path, encoding=name)
    assert error.code == "unknown_encoding"
    assert name in str(error)


def test_text_in_no_supported_encoding_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("名前,電話\n".encode("shift_jis") + b"\x80\xff\x80\xff,1\n")
    assert refused(path).code == "encoding"


def test_bytes_that_do_not_decode_far_into_the_file_name_their_row(tmp_path):
    rows = [[f"客户{n}", "13800138000"] for n in range(60_000)]
    path = fm.write_csv(tmp_path / "broken.csv", [["客户名称", "手机"], *rows])
    assert path.stat().st_size > 1024 * 1024  # past the part that decides the encoding
    with open(path, "ab") as out:
        out.write(b"\xff\xfe\xfa,1\r\n")
    with open_table(path) as table, pytest.raises(ImportFileError) as info:
        list(table.rows())
    assert (info.value.code, info.value.params["row"]) == ("encoding", 60_002)


# ---- CSV shape --------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", ["\t", ";", "|", ","])
def test_delimiter_is_detected(tmp_path, delimiter):
    rows = [HEADER, ["华为, 深圳", "13800138000", "a@b.cn"], TENCENT]
    path = fm.write_csv(tmp_path / "d.csv", rows, delimiter=delimiter)
    table, read = read_all(path)
    assert table.delimiter == delimiter
    assert [cells for _, cells in read] == rows[1:]


def test_user_given_delimiter_is_used(tmp_path):
    path = fm.write_csv(tmp_path / "d.csv", [HEADER, HUAWEI], delimiter=";")
    table, _rows = read_all(path, delimiter=",")
    assert table.headers == [";".join(HEADER)]
    assert refused(path, delimiter=";;").code == "bad_delimiter"


def test_quoted_fields_keep_newlines_and_commas_and_rows_count_as_excel_shows_them(tmp_path):
    address = "广东省深圳市龙岗区\n坂田华为基地, B 区"
    path = fm.write_csv(
        tmp_path / "q.csv",
        [["客户名称", "地址", "手机"], ["华为", address, "13800138000"], ["腾讯", "深圳", "1"]],
    )
    _table, rows = read_all(path)
    assert rows == [(2, ["华为", address, "13800138000"]), (3, ["腾讯", "深圳", "1"])]


def test_title_row_and_blank_rows_above_the_header_are_skipped_and_counted(tmp_path):
    path = fm.write_csv(
        tmp_path / "title.csv",
        [["2024年客户名单", "", ""], ["", "", ""], HEADER, HUAWEI, ["", "", ""], [], TENCENT],
    )
    table, rows = read_all(path)
    assert (table.header_row, table.headers) == (3, HEADER)
    assert rows == [(4, HUAWEI), (7, TENCENT)]


def test_a_row_of_values_is_not_taken_for_the_header(tmp_path):
    path = fm.write_csv(
        tmp_path / "t.csv",
        [["导出时间", "2024-01-01"], ["1", "2024-01-02", "13800138000"], HEADER, HUAWEI],
    )
    table, _rows = read_all(path)
    assert table.header_row == 3


def test_single_column_file_takes_its_first_row_as_header(tmp_path):
    path = fm.write_csv(tmp_path / "phones.csv", [["手机"], ["13800138000"], ["13900139000"]])
    table, rows = read_all(path)
    assert (table.header_row, table.headers) == (1, ["手机"])
    assert rows == [(2, ["13800138000"]), (3, ["13900139000"])]


def test_header_text_is_cleaned_and_columns_with_values_but_no_name_are_kept(tmp_path):
    path = fm.write_csv(
        tmp_path / "h.csv",
        [
            ["客户\n名称 ", "\u3000手机\xa0", "", "邮箱", ""],
            ["华为"],
            ["腾讯", "1", "", "", "备注"],
        ],
    )
    table, rows = read_all(path)
    assert table.headers == ["客户 名称", "手机", "", "邮箱", ""]
    assert rows == [(2, ["华为", None, None, None, None]), (3, ["腾讯", "1", None, None, "备注"])]


def test_values_beyond_the_last_column_further_down_are_not_dropped(tmp_path):
    rows = [HEADER] + [HUAWEI] * 30 + [[*TENCENT, "", "多出来", "", ""]]
    _table, read = read_all(fm.write_csv(tmp_path / "extra.csv", rows))
    assert read[-1] == (32, [*TENCENT, None, "多出来"])


def test_scientific_notation_phones_in_csv_become_digits_again(tmp_path):
    path = fm.write_csv(
        tmp_path / "sci.csv",
        [
            ["姓名", "手机", "身份证"],
            ["张三", "1.38001380E+10", "1.10101E+17"],
            ["李四", "1.3800138E10", "x"],
        ],
    )
    _table, rows = read_all(path)
    assert rows == [(2, ["张三", "13800138000", "1.10101E+17"]), (3, ["李四", "13800138000", "x"])]


def test_rows_can_be_read_twice(tmp_path):
    path = fm.write_csv(tmp_path / "twice.csv", [["标题"], HEADER, HUAWEI, TENCENT])
    with open_table(path) as table:
        assert list(table.rows()) == list(table.rows()) == [(3, HUAWEI), (4, TENCENT)]


def test_close_releases_a_half_read_file(tmp_path):
    path = fm.write_csv(tmp_path / "half.csv", [HEADER, HUAWEI, TENCENT])
    table = open_table(path)
    rows = table.rows()
    next(rows)
    table.close()
    assert not table._handles


# ---- files that are not what they say ---------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b" \r\n\t\r\n", b",,,\r\n,,\r\n"])
def test_empty_files_are_refused(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert refused(path).code == "empty"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (fm.PNG, "not_spreadsheet"),
        (fm.PDF, "not_spreadsheet"),
        (b"abc,def\n\x00\x01\x02\x03 binary", "not_spreadsheet"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not_spreadsheet"),
        (fm.OLE2, "save_as_xlsx"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "save_as_xlsx"),
    ],
)
def test_content_decides_the_type_not_the_name(tmp_path, content, code):
    for name in ("customers.csv", "customers.xlsx"):
        path = tmp_path / name
        path.write_bytes(content)
        assert refused(path).code == code


def test_old_excel_file_tells_the_user_to_save_as_xlsx(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(fm.OLE2)
    with translation.override("en"):
        assert ".xlsx" in str(refused(path))


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = fm.write_zip(tmp_path / "photos.xlsx", {"photo.jpg": b"\xff\xd8\xff", "a.txt": b"x"})
    assert refused(path).code == "not_spreadsheet"
    ods = fm.write_zip(
        tmp_path / "sheet.xlsx",
        {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
    )
    assert refused(ods).code == "save_as_xlsx"


def test_damaged_zip_is_refused(tmp_path):
    good = fm.write_xlsx(tmp_path / "good.xlsx", [HEADER, HUAWEI]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert refused(path).code == "corrupt"


def test_file_over_the_size_limit_is_refused_naming_the_limit(tmp_path):
    path = fm.write_csv(tmp_path / "big.csv", [HEADER] + [HUAWEI] * 30_000)
    error = refused(path, max_bytes=1024 * 1024)
    assert error.code == "too_large"
    with translation.override("en"):
        assert "1 MB" in str(error)


# ---- zip bombs --------------------------------------------------------------------------------


def test_entry_that_unpacks_far_beyond_its_packed_size_is_refused(tmp_path):
    path = fm.write_xlsx(tmp_path / "bomb.xlsx", [HEADER, HUAWEI])
    fm.add_zip_member(path, "xl/media/image1.bin", 30 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    assert refused(path).code == "too_much_data"


def test_entry_declaring_gigabytes_is_refused_before_anything_is_unpacked(tmp_path):
    path = fm.write_xlsx(tmp_path / "bomb.xlsx", [HEADER, HUAWEI])
    fm.add_member_declaring(path, "xl/worksheets/sheet2.xml", 3 * 1024**3)
    assert refused(path).code == "too_much_data"


def test_workbook_unpacking_beyond_the_given_limit_is_refused(tmp_path):
    path = fm.write_xlsx(tmp_path / "wide.xlsx", [HEADER, HUAWEI])
    assert refused(path, max_unpacked_bytes=10_000).code == "too_much_data"
    assert open_table(path).headers == HEADER


def test_workbook_with_too_many_parts_is_refused(tmp_path):
    path = fm.add_members(fm.write_xlsx(tmp_path / "parts.xlsx", [HEADER, HUAWEI]), 50)
    error = refused(path, max_zip_entries=40)
    assert error.code == "too_much_data"
    assert error.params["limit"] == 40


# ---- long cells -------------------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True])
def test_ten_megabyte_cell_is_refused_naming_its_row_without_loading_it(tmp_path, quoted):
    path = tmp_path / "huge.csv"
    cell = "x" * (10 * 1024 * 1024)
    path.write_text(
        fm.csv_text([HEADER, HUAWEI]) + ('"%s"' if quoted else "%s") % cell + ",1,2\r\n"
    )
    del cell
    tracemalloc.start()
    try:
        error = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (error.code, error.params["row"]) == ("cell_too_long", 3)
    assert peak < 8 * 1024 * 1024


def test_long_cell_further_down_is_refused_while_reading_rows(tmp_path):
    rows = [HEADER] + [HUAWEI] * 30 + [["华为", "第一行\n" + "长" * 40_000, "x"]]
    path = fm.write_csv(tmp_path / "long.csv", rows)
    with open_table(path) as table, pytest.raises(ImportFileError) as info:
        list(table.rows())
    assert (info.value.code, info.value.params["row"]) == ("cell_too_long", 32)
    assert "32" in str(info.value)


def test_line_with_a_million_short_fields_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(fm.csv_text([HEADER, HUAWEI]) + "a," * 600_000 + "\r\n")
    assert refused(path).code == "row_too_long"


# ---- XLSX -------------------------------------------------------------------------------------


def test_xlsx_is_read_whatever_its_name(tmp_path):
    path = fm.write_xlsx(tmp_path / "customers.csv", [HEADER, HUAWEI, TENCENT])
    table, rows = read_all(path)
    assert (table.kind, table.sheets, table.sheet) == ("xlsx", ["Sheet1"], "Sheet1")
    assert (table.encoding, table.delimiter) == (None, None)
    assert rows == [(2, HUAWEI), (3, TENCENT)]


def test_xlsx_title_row_merged_across_the_table_is_skipped(tmp_path):
    path = fm.write_xlsx(
        tmp_path / "title.xlsx",
        [["2024年客户名单"], [], HEADER, HUAWEI, [None, None, None], TENCENT],
        merges=["A1:C1"],
    )
    table, rows = read_all(path)
    assert (table.header_row, table.headers) == (3, HEADER)
    assert rows == [(4, HUAWEI), (6, TENCENT)]


def two_row_header_rows():
    return [
        ["2024年客户名单", None, None, None],
        ["客户名称", "联系人", None, "邮箱"],
        [None, "姓名", "手机", None],
        ["华为", "张三", 13800138000, "zs@huawei.example"],
        ["腾讯", "李四", 13900139000.0, "ls@tencent.example"],
    ]


def test_two_row_merged_header_joins_group_and_sub_headers(tmp_path):
    path = fm.write_xlsx(
        tmp_path / "merged.xlsx",
        two_row_header_rows(),
        merges=["A1:D1", "A2:A3", "B2:C2", "D2:D3"],
    )
    table, rows = read_all(path)
    assert table.header_row == 2
    assert table.headers == ["客户名称", "联系人 姓名", "联系人 手机", "邮箱"]
    assert rows == [
        (4, ["华为", "张三", "13800138000", "zs@huawei.example"]),
        (5, ["腾讯", "李四", "13900139000", "ls@tencent.example"]),
    ]


def test_merged_header_is_found_at_the_end_of_a_sheet_of_several_megabytes(tmp_path):
    rows = two_row_header_rows()
    rows += [
        [f"客户{n}", f"联系人{n}", 13800000000 + n, f"c{n}@example.com"] for n in range(15_000)
    ]
    path = fm.write_xlsx(tmp_path / "long.xlsx", rows, merges=["A1:D1", "A2:A3", "B2:C2", "D2:D3"])
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 2 * 1024 * 1024
    with open_table(path) as table:
        assert table.headers == ["客户名称", "联系人 姓名", "联系人 手机", "邮箱"]
        assert next(table.rows())[0] == 4


def test_group_headers_spanning_most_of_the_row_still_make_the_header(tmp_path):
    path = fm.write_xlsx(
        tmp_path / "groups.xlsx",
        [
            ["基本信息", None, None, "联系方式", None, None],
            ["客户名称", "行业", "城市", "联系人", "手机", "邮箱"],
            ["华为", "通信", "深圳", "张三", 13800138000, "zs@huawei.example"],
        ],
        merges=["A1:C1", "D1:F1"],
    )
    table, rows = read_all(path)
    assert table.headers == [
        "基本信息 客户名称",
        "基本信息 行业",
        "基本信息 城市",
        "联系方式 联系人",
        "联系方式 手机",
        "联系方式 邮箱",
    ]
    assert rows[0][0] == 3


def test_header_merged_across_data_columns_is_one_row(tmp_path):
    path = fm.write_xlsx(
        tmp_path / "address.xlsx",
        [["客户名称", "地址", None], ["华为", "广东省", "深圳市"], ["腾讯", "广东省", "深圳市"]],
        merges=["B1:C1"],
    )
    table, rows = read_all(path)
    assert (table.header_row, table.headers) == (1, ["客户名称", "地址", "地址"])
    assert rows[0] == (2, ["华为", "广东省", "深圳市"])


def test_numbers_dates_and_serials_from_xlsx(tmp_path):
    path = fm.write_xlsx(
        tmp_path / "types.xlsx",
        [
            ["手机", "座机", "签约日期", "到访时间", "序号日期", "金额", "是否重点"],
            [13800138000, 13900139000.0, dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 8, 30),
             45292, 1234.5, True],
        ],
    )  # fmt: skip
    _table, rows = read_all(path)
    cells = rows[0][1]
    assert cells == [
        "13800138000",
        "13900139000",
        "2024-01-01",
        "2024-01-01 08:30:00",
        "45292",
        "1234.5",
        "TRUE",
    ]
    assert excel_serial_to_date(cells[4]) == dt.date(2024, 1, 1)


def test_formula_without_cached_value_is_empty_and_with_one_is_the_value(tmp_path):
    path = fm.write_xlsx(
        tmp_path / "formula.xlsx",
        [["名称", "数量", "合计"], ["华为", "=1+1", "=2+3"]],
    )
    fm.rewrite_zip_member(
        path,
        "xl/worksheets/sheet1.xml",
        (b'<c r="B2"><f>1+1</f><v /></c>', b'<c r="B2"><f>1+1</f><v>2</v></c>'),
    )
    _table, rows = read_all(path)
    assert rows == [(2, ["华为", "2", None])]


def test_sheet_is_chosen_by_name_and_hidden_sheets_are_not_offered(tmp_path):
    book = fm.workbook([["说明"], ["请在第二个表填写"]], title="说明")
    data = book.create_sheet("客户")
    for row in (HEADER, HUAWEI):
        data.append(row)
    book.create_sheet("选项").sheet_state = "hidden"
    path = fm.write_xlsx(tmp_path / "sheets.xlsx", [], book=book)
    table, _rows = read_all(path)
    assert (table.sheets, table.sheet) == (["说明", "客户"], "说明")
    table, rows = read_all(path, sheet="客户")
    assert (table.sheet, rows) == ("客户", [(2, HUAWEI)])
    assert refused(path, sheet="没有").code == "no_sheet"


def test_empty_sheet_is_refused(tmp_path):
    path = fm.write_xlsx(tmp_path / "empty.xlsx", [])
    error = refused(path)
    assert error.code == "empty"
    assert "Sheet1" in str(error)


def test_xlsx_rows_can_be_read_twice_and_after_close(tmp_path):
    path = fm.write_xlsx(tmp_path / "twice.xlsx", [["标题"], HEADER, HUAWEI, TENCENT])
    table = open_table(path)
    first = list(table.rows())
    assert list(table.rows()) == first == [(3, HUAWEI), (4, TENCENT)]
    table.close()
    assert list(table.rows()) == first
    table.close()


# ---- streaming --------------------------------------------------------------------------------


def test_200000_row_csv_streams_in_little_memory(tmp_path):
    def lines():
        yield "客户名称,联系人,手机,邮箱,城市,备注\r\n"
        for n in range(200_000):
            phone = f"1380013{n % 10_000:04d}"
            yield f'客户{n}有限公司,张{n % 97},{phone},u{n}@example.com,杭州,"第{n}行, 备注"\r\n'

    path = fm.write_csv_lines(tmp_path / "big.csv", lines())
    tracemalloc.start()
    try:
        with open_table(path) as table:
            count = last = 0
            for number, _cells in table.rows():
                count, last = count + 1, number
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (count, last) == (200_000, 200_001)
    assert peak < 20 * 1024 * 1024


# ---- errors -----------------------------------------------------------------------------------


def test_errors_are_translated_when_shown_and_survive_pickling(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    error = refused(path)
    with translation.override("en"):
        assert str(error) == "The file is empty."
    with translation.override("zh-hans"):
        assert str(error) == "文件是空的。"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert (copy.code, str(copy)) == ("empty", str(error))


def test_reader_works_without_django_settings(tmp_path):
    """Limits are arguments, not settings; messages fall back to their code untranslated."""
    path = fm.write_csv(tmp_path / "a.csv", [HEADER, HUAWEI])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    script = (
        "import sys\n"
        "from kehu.dataops.readers import ImportFileError, open_table\n"
        "table = open_table(sys.argv[1], max_bytes=10_000)\n"
        "print(table.headers, list(table.rows()))\n"
        "try:\n"
        "    open_table(sys.argv[2])\n"
        "except ImportFileError as error:\n"
        "    print(error)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", script, str(path), str(empty)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.splitlines() == [f"{HEADER} {[(2, HUAWEI)]}", "empty"]


# ---- cell_text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("", None),
        (" \u3000\xa0\u200b", None),
        ("\u3000华为\xa0", "华为"),
        (True, "TRUE"),
        (False, "FALSE"),
        (0, "0"),
        (13800138000, "13800138000"),
        (13800138000.0, "13800138000"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1.5e-7, "0.00000015"),
        (1e21, "1000000000000000000000"),
        (Decimal("12.50"), "12.5"),
        (dt.datetime(2024, 1, 1), "2024-01-01"),
        (dt.datetime(2024, 1, 1, 8, 30, 5, 600_000), "2024-01-01 08:30:06"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.time(8, 30), "08:30:00"),
        (dt.timedelta(hours=26, minutes=5), "26:05:00"),
        ("1.38001380E+10", "13800138000"),
        ("1.3800138E10", "13800138000"),
        ("-1.5E+3", "-1500"),
        ("1.23E+1", "1.23E+1"),
        ("1.10101E+17", "1.10101E+17"),
        ("1E+400", "1E+400"),
        ("3E", "3E"),
        ("E10", "E10"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


@given(st.integers(min_value=10**10, max_value=10**11 - 1))
def test_eleven_digit_numbers_written_in_e_notation_read_back_exactly(n):
    assert cell_text(f"{n:.10E}") == str(n)
    assert cell_text(f"{n:.10e}".replace("e+", "E")) == str(n)


@given(st.integers(min_value=1, max_value=10**15 - 1))
def test_e_notation_with_every_digit_reads_back_up_to_fifteen_digits(n):
    assert cell_text(f"{n:.{len(str(n)) - 1}E}") == str(n)


@given(st.integers(min_value=10**15, max_value=10**18))
def test_e_notation_of_numbers_excel_cannot_hold_is_kept_as_written(n):
    text = f"{n:.5E}"
    assert cell_text(text) == text


# ---- excel_serial_to_date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, dt.date(1900, 1, 1)),
        (59, dt.date(1900, 2, 28)),
        (60, None),
        (61, dt.date(1900, 3, 1)),
        (45292, dt.date(2024, 1, 1)),
        ("45292", dt.date(2024, 1, 1)),
        (" 45292 ", dt.date(2024, 1, 1)),
        (45292.0, dt.date(2024, 1, 1)),
        (45292.5, dt.datetime(2024, 1, 1, 12)),
        ("45292.75", dt.datetime(2024, 1, 1, 18)),
        (2_958_465, dt.date(9999, 12, 31)),
        (0, None),
        (0.5, None),
        (-1, None),
        (2_958_466, None),
        ("2024-01-01", None),
        ("", None),
        (True, None),
        (float("nan"), None),
    ],
)
def test_excel_serial_to_date(value, expected):
    assert excel_serial_to_date(value) == expected


@given(st.integers(min_value=61, max_value=2_958_465))
def test_serial_days_match_the_1899_12_30_epoch(serial):
    reference = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
    assert excel_serial_to_date(serial) == reference.date()
    assert excel_serial_to_date(str(serial)) == reference.date()


@given(st.integers(min_value=61, max_value=2_958_464), st.integers(min_value=1, max_value=86_399))
def test_serial_fractions_are_times_of_day(serial, seconds):
    reference = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial, seconds=seconds)
    assert excel_serial_to_date(serial + seconds / 86_400) == reference


@given(st.integers(min_value=1, max_value=59))
def test_serials_before_the_phantom_leap_day_count_from_1899_12_31(serial):
    reference = dt.datetime(1899, 12, 31) + dt.timedelta(days=serial)
    assert excel_serial_to_date(serial) == reference.date()
