"""Issue 19 item 4: figures carry thousands separators on pages (the presenter and the ``thousands``
filter) and in every Excel export (the one writer gives whole numbers the ``#,##0`` format)."""

from io import BytesIO

from django.template import Context, Template
from openpyxl import Workbook, load_workbook

from qianwan import presenter, xlsx


def test_presenter_counts_and_fractile_counts_have_separators():
    assert presenter.counts(12345, 67890) == "12,345 / 67,890"
    assert presenter.rate(950, 1200)["counts"] == "950 / 1,200"
    assert presenter.fractile(480, 1500, missing=2300)["counts"] == "1,500 起有记录 · 缺 2,300 起"
    assert presenter.change({"now": 1500, "before": 3, "change": None})["display"] == "1,500 / 3"


def test_thousands_filter_on_a_page():
    html = Template("{% load figures %}{{ a|thousands }}|{{ b|thousands }}|{{ c|thousands }}").render(
        Context({"a": 950000, "b": 7, "c": None})
    )
    assert html == "950,000|7|—"


def _reopen(data: bytes):
    return load_workbook(BytesIO(data)).active


def test_excel_whole_numbers_get_the_thousands_format_in_both_kinds_of_sheet():
    for write_only in (False, True):
        wb = Workbook(write_only=write_only)
        ws = wb.create_sheet() if write_only else wb.active
        xlsx.append(ws, ["庵东派出所", 950000, 2026, 0.875, True, "1234567"])
        sheet = _reopen(xlsx.to_bytes(wb))
        name, count, year, share, flag, text = sheet[1]
        assert count.value == 950000 and count.number_format == "#,##0"
        assert year.number_format == "General"  # a year stays 2026, not 2,026
        assert share.number_format == "General" and flag.number_format == "General"
        assert text.value == "1234567" and text.data_type == "s"


def test_an_existing_number_format_is_kept():
    wb = Workbook()
    ws = wb.active
    cell = xlsx.set_cell(ws, row=1, column=1, value=12345)
    cell.number_format = "0"
    assert _reopen(xlsx.to_bytes(wb))["A1"].number_format == "0"
