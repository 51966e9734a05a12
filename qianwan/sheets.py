"""Reading an uploaded spreadsheet for an import (the enterprise roster, the standard addresses):
the first sheet's rows, each cell as trimmed text, and the header row mapped onto the import's
fields by their Chinese headings or aliases. Each import keeps its own columns, checks and job."""

import io

from django.utils.translation import gettext as _


class UnreadableSheet(Exception):
    """The file cannot be read as a sheet; the message says what to do."""


def xlsx_rows(raw: bytes) -> list[tuple]:
    """Every row of the workbook's first sheet, values only."""
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        rows = [tuple(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UnreadableSheet(_("无法读取工作簿：%(e)s。请用模板另存为 .xlsx 后重试。") % {"e": exc}) from exc
    return rows


def cell_text(value) -> str:
    """A cell as trimmed text (a whole-number float without its ".0"; empty for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def column_label(columns, field: str) -> str:
    """The heading of ``field`` in ``columns`` ((field, heading, required) triples)."""
    return next((str(h) for f, h, _r in columns if f == field), field)


def header_map(header_row, columns, aliases: dict[str, list[str]]) -> dict[int, str]:
    """Column index → field, matching each heading (without "*", spaces, "（必填）" or a byte-order
    mark) against the fields' headings and their ``aliases``."""
    lookup = {}
    for field, header, _required in columns:
        for name in [str(header), *aliases.get(field, [])]:
            lookup[name] = field
    mapping = {}
    for index, cell in enumerate(header_row):
        name = cell_text(cell).replace("*", "").replace(" ", "").replace("（必填）", "").lstrip("\ufeff")
        if name in lookup:
            mapping[index] = lookup[name]
    return mapping


def import_progress(job) -> dict:
    """What an import's progress bar polls: the job's state and counts (both imports' jobs have
    these fields)."""
    return {
        "status": job.status,
        "status_display": job.get_status_display(),
        "percent": job.percent,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "created_count": job.created_count,
        "is_finished": job.is_finished,
        "error_count": len(job.errors),
    }
