"""A downloadable XLSX template per import type: the headers, an example row, drop-down lists
for the columns with fixed values, and a sheet explaining each column."""

from __future__ import annotations

import tempfile
from typing import Any

from django.utils.translation import gettext as _

from kehu.dataops import importing


def build_template(kind: str) -> Any:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = importing.import_type(kind)
    book = Workbook()
    sheet = book.active
    sheet.title = str(spec.label)[:31]
    required = PatternFill("solid", fgColor="FDE68A")
    for col, f in enumerate(spec.fields, start=1):
        cell = sheet.cell(row=1, column=col, value=str(f.label))
        cell.font = Font(bold=True)
        if f.required:
            cell.fill = required
        example = sheet.cell(row=2, column=col, value=f.example or None)
        example.number_format = "@"  # phones and codes stay text
        sheet.column_dimensions[get_column_letter(col)].width = max(12, len(str(f.label)) * 2 + 4)
        options = spec.template_options(f)
        if options and len(",".join(options)) < 250:  # Excel's limit for a list
            letter = get_column_letter(col)
            rule = DataValidation(
                type="list",
                formula1='"' + ",".join(options) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=str(_("Not in the list")),
                error=str(_("Choose one of the values in the list.")),
            )
            rule.add(f"{letter}2:{letter}10000")
            sheet.add_data_validation(rule)
        if f.parse in (importing.parse_phone, importing.parse_uscc):
            for row in range(2, 1001):
                sheet.cell(row=row, column=col).number_format = "@"
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet(str(_("How to fill it in")))
    help_sheet.append([str(_("Column")), str(_("Required")), str(_("Also recognised as"))])
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for f in spec.fields:
        help_sheet.append(
            [str(f.label), str(_("Yes")) if f.required else "", "、".join(f.headers[:8])]
        )
    help_sheet.column_dimensions["A"].width = 24
    help_sheet.column_dimensions["C"].width = 80
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    book.save(out)
    out.seek(0)
    return out
