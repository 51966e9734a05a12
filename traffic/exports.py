"""Excel exports of the list pages (openpyxl), streamed as an attachment."""

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from qianwan import xlsx


def xlsx_response(filename: str, title: str, headers: list[str], rows) -> HttpResponse:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    xlsx.append(ws, [str(h) for h in headers])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx.append(ws, row)
    ws.freeze_panes = "A2"
    return xlsx.response(wb, filename)
