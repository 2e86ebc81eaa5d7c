"""Cell values as text, the same for CSV and XLSX, and Excel's date serial numbers.

The import compares, validates and stores text, so every raw value (a string from a CSV file, a
number, date or boolean from openpyxl) is turned into one canonical text here.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

# Excel keeps 15 significant digits; a longer number in E-notation has already lost digits.
EXCEL_DIGITS = 15
EXCEL_MAX_SERIAL = 2_958_465  # 9999-12-31
# Every character str.strip() removes, plus the zero-width ones spreadsheets carry along.
STRIP_CHARS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\u200b\ufeff"
_SCIENTIFIC = re.compile(r"([+-]?)(\d+)(?:\.(\d*))?[eE]([+-]?\d{1,3})")
_SERIAL_TEXT = re.compile(r"\d+(?:\.\d+)?")
_EPOCH = dt.date(1899, 12, 30)  # serial 61 and later; Excel pretends 1900-02-29 exists
_EPOCH_BEFORE_LEAP_BUG = dt.date(1899, 12, 31)  # serials 1 to 59


def cell_text(value: object) -> str | None:
    """The text of one raw cell value from either format; ``None`` for an empty cell.

    Whole floats lose their ``.0`` (a phone stored as a number reads as its digits), other floats
    are written out without an exponent, dates and times in ISO form, and E-notation text that
    Excel wrote for a long number (``1.38001380E+10``) becomes the integer again when that
    integer has at most 15 digits; longer ones are kept as written, because Excel already
    dropped their trailing digits and a made-up number would look valid.
    """
    if value is None:
        return None
    if type(value) is str:
        text = value.strip(STRIP_CHARS)
        if not text:
            return None
        if text[0] in "0123456789+-" and ("E" in text or "e" in text):
            return _from_scientific(text)
        return text
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return _float_text(value)
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock_text(value.hour * 3600 + value.minute * 60 + value.second, value.microsecond)
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, int):  # an int subclass
        return str(int(value))
    if isinstance(value, float):
        return _float_text(float(value))
    return cell_text(str(value))


def _float_text(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _from_scientific(text: str) -> str:
    match = _SCIENTIFIC.fullmatch(text)
    if match is None:
        return text
    sign, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return "0"
    shift = int(exponent) - len(fraction)
    if shift < 0:
        if digits[shift:].strip("0"):  # a fraction is left: not an integer
            return text
        digits = digits[:shift]
    elif len(digits) + shift > EXCEL_DIGITS:
        return text
    else:
        digits += "0" * shift
    if len(digits) > EXCEL_DIGITS:
        return text
    return ("-" if sign == "-" else "") + digits


def _datetime_text(value: dt.datetime) -> str:
    value = value.replace(tzinfo=None)
    if value.microsecond >= 500_000 and value < dt.datetime.max - dt.timedelta(seconds=1):
        value += dt.timedelta(seconds=1)
    value = value.replace(microsecond=0)
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")


def _clock_text(seconds: int, microsecond: int = 0) -> str:
    seconds = min(seconds + (microsecond >= 500_000), 86_399)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _duration_text(value: dt.timedelta) -> str:
    """Excel's ``[h]:mm:ss``: hours are not folded into days."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def excel_serial_to_date(value: float | int | str | Decimal) -> dt.date | dt.datetime | None:
    """The date (or date and time, when there is a fraction) of an Excel serial number in the
    1900 date system; ``None`` for anything that is not one.

    Excel counts 1900-02-29, a day that never was, as serial 60 (a bug kept from Lotus 1-2-3),
    so serials 1 to 59 count from 1899-12-31 and serials from 61 on from 1899-12-30. Serial 60
    itself gives ``None``: it names no real day, and moving it to 1900-02-28 would store a date
    the user never typed. Times are rounded to the second. Text made of digits (with an optional
    fraction) is accepted; values below 1 or above 2958465 (9999-12-31) give ``None``.
    """
    number: float
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip(STRIP_CHARS)
        if not _SERIAL_TEXT.fullmatch(text):
            return None
        number = float(text)
    elif isinstance(value, int | float | Decimal):
        number = float(value)
    else:
        return None
    if not 1 <= number <= EXCEL_MAX_SERIAL:  # also refuses NaN
        return None
    days = int(number)
    if days == 60:
        return None
    day = (_EPOCH_BEFORE_LEAP_BUG if days < 60 else _EPOCH) + dt.timedelta(days=days)
    if number == days:
        return day
    seconds = round((number - days) * 86_400)
    return dt.datetime.combine(day, dt.time(0)) + dt.timedelta(seconds=seconds)
