"""Downloads of a table (headers and display rows) as CSV or Excel: the staff site's exports
(indicators, the workgroups' demand analysis) all go through here."""

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


def _cell(value):
    """Numbers stay numbers in Excel; display strings that hold a number become one."""
    if isinstance(value, int | float) or value is None:
        return value
    text = str(value)
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return text


def table_download(table: dict, *, name: str, fmt: str) -> HttpResponse:
    """`table` ({"title", "headers", "rows"}) as an attachment named after `name`."""
    headers = [str(h) for h in table["headers"]]
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = name[:31]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table["rows"]:
            sheet.append([_cell(v) for v in row])
        sheet.freeze_panes = "A2"
        for column, header in zip(sheet.columns, headers, strict=True):
            sheet.column_dimensions[column[0].column_letter].width = max(10, len(header) + 2)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # a BOM, so spreadsheet programs read the Chinese correctly
        writer = csv.writer(response)
        writer.writerow(headers)
        writer.writerows(table["rows"])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def requested_download(request, tables: dict[str, dict], *, prefix: str) -> HttpResponse | None:
    """The download asked for by `?csv=<table>` or `?xlsx=<table>`, if any."""
    for fmt in FORMATS:
        name = request.GET.get(fmt)
        if name in tables:
            return table_download(tables[name], name=f"{prefix}-{name}", fmt=fmt)
    return None
