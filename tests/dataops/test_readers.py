"""The file-reading layer of the spreadsheet import: every file is made in tmp_path at test time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kehu.dataops.cells import cell_text, excel_serial_to_date

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
