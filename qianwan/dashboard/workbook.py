"""The monthly report as an Excel workbook (openpyxl): a summary, one sheet per mechanism with every
figure beside its counts, change and significance, and the incident trend."""

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qianwan import presenter, xlsx

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)


def _flag_text(flag: str | None) -> str:
    if flag == "significant":
        return _("变化可能真实")
    if flag == "normal":
        return _("正常波动范围内")
    return ""


def _sheet_name(title: str, used: set[str]) -> str:
    name = "".join(c for c in str(title) if c not in "[]:*?/\\")[:28] or "Sheet"
    base, i = name, 2
    while name in used:
        name = f"{base[:25]}({i})"
        i += 1
    used.add(name)
    return name


def _header(ws, row: int, values: list[str]) -> None:
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value)
        cell.font = BOLD
        cell.fill = HEADER_FILL


def _widths(ws, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def card_row(card: dict) -> list:
    """指标, 显示值, 数值, 分子, 分母, 变化, 变化基数, p, 检验, 说明, 定义 — the card's own texts (the
    presenter's, so the small-number rule holds here too: no value, p or flag below 5)."""
    change = card.get("change") or {}
    value = card.get("value")
    label = str(card["label"])
    if card.get("unit"):
        label = f"{label}（{card['unit']}）"
    return [
        label,
        str(card["display"]),
        value if isinstance(value, int | float) else None,
        card.get("num"),
        card.get("den"),
        str(change.get("display") or ""),
        change.get("before"),
        change.get("p") if change.get("flag") else None,
        _flag_text(change.get("flag")),
        str(card.get("note") or card.get("counts") or ""),
        str(card.get("definition") or ""),
    ]


COLUMNS = [
    "指标",
    "显示值",
    "数值",
    "分子/件数",
    "分母",
    "变化",
    "比较基数",
    "p",
    "检验（p<0.05）",
    "说明",
    "口径定义",
]


def build(data: dict, *, title: str) -> bytes:
    wb = Workbook()
    used: set[str] = set()
    summary = wb.active
    summary.title = _sheet_name(_("概览"), used)
    summary["A1"] = title
    summary["A1"].font = Font(bold=True, size=14)
    summary["A2"] = _("统计周期")
    summary["B2"] = f"{data['period']['from']} ~ {data['period']['to']}"
    summary["A3"] = _("范围")
    summary["B3"] = str(data.get("station_name") or "")
    summary["A4"] = _("口径")
    summary["B4"] = _(
        "比率附分子/分母；不足5件只列件数（不计百分比、分位数、区间与检验）；基数为0记“—”；"
        "变化附精确条件二项检验（以两期实际时长为暴露量，p<0.05 为可能真实的变化）；"
        "未结束的月份与相同时段比较；满意率附95%威尔逊区间。"
    )
    summary["B4"].alignment = Alignment(wrap_text=True)
    _header(summary, 6, [_("机制"), _("指标"), _("显示值"), _("变化"), _("显著性")])
    row = 7
    for section in data["sections"]:
        for card in section["cards"]:
            change = card.get("change") or {}
            summary.append(
                [
                    str(section["title"]),
                    card_row(card)[0],
                    str(card["display"]),
                    str(change.get("display") or ""),
                    _flag_text(change.get("flag")),
                ]
            )
            row += 1
    _widths(summary, [22, 26, 16, 12, 12])

    for section in data["sections"]:
        ws = wb.create_sheet(_sheet_name(section["title"], used))
        ws["A1"] = str(section["title"])
        ws["A1"].font = Font(bold=True, size=13)
        _header(ws, 3, COLUMNS)
        for card in section["cards"]:
            ws.append(card_row(card))
        for r in range(4, ws.max_row + 1):
            ws.cell(row=r, column=11).alignment = Alignment(wrap_text=True, vertical="top")
        if section.get("campaigns"):
            ws.append([])
            ws.append(
                [
                    _("专项行动"),
                    _("行动次数（次）"),
                    _("出动警力（人次）"),
                    _("检查场所（家）"),
                    _("发现问题（处）"),
                    _("整改问题（处）"),
                    _("整改率"),
                    _("交通违法（起）"),
                    _("其中手工录入违法（起）"),
                    _("其中手工录入警力（人次）"),
                ]
            )
            for c in section["campaigns"]:
                ws.append(
                    [
                        c["name"],
                        c["operations"],
                        c["officer_deployments"],
                        c["venues_inspected"],
                        c["problems_found"],
                        c["problems_rectified"],
                        c["rectified_display"],
                        c["violations"],
                        (c.get("manual") or {}).get("violations", 0),
                        (c.get("manual") or {}).get("officer_deployments", 0),
                    ]
                )
        if section.get("ranking"):
            ws.append([])
            ws.append(
                [_("名次"), _("企业"), _("派出所"), _("互评均分（分）"), _("较上月"), _("参评班组（个）")]
            )
            for r in section["ranking"]:
                ws.append([r["rank"], r["name"], r["station"], r["score"], r["change"], r["classes"]])
        _widths(ws, [26, 14, 10, 10, 10, 10, 10, 8, 10, 28, 60])

    trend = data.get("trend") or []
    if trend:
        ws = wb.create_sheet(_sheet_name(_("警情趋势"), used))
        _header(
            ws,
            1,
            [
                _("月份"),
                _("警情（起）"),
                _("环比"),
                _("环比基数（起）"),
                _("环比p"),
                _("环比检验"),
                _("同比"),
                _("同比基数（起）"),
                _("同比p"),
                _("同比检验"),
                _("说明"),
            ],
        )
        for r in trend:
            row = [r["month"], r["incidents"]]
            for c in (r.get("mom") or {}, r.get("yoy") or {}):
                shown = presenter.change(c)
                row += [
                    c.get("change") if shown["flag"] else None,  # a percentage only on a base of 5+
                    c.get("before"),
                    c.get("p") if shown["flag"] else None,
                    _flag_text(shown["flag"]),
                ]
            row.append(_("未结束，与相同时段比较") if r.get("partial") else "")
            ws.append(row)
        for r in range(2, ws.max_row + 1):
            for col in (3, 7):
                ws.cell(row=r, column=col).number_format = "0.0%"
        _widths(ws, [10, 10, 10, 10, 10, 14, 10, 10, 10, 14, 24])
    return xlsx.to_bytes(wb)
