"""Reading the standard-address register (Excel .xlsx or CSV) row by row, for the import task.

Each row becomes an unsaved (or changed) :class:`StandardAddress` checked by the model's own rules, or
a list of errors naming the row and the column. A row whose ``code`` is already registered updates
that address (the register is kept current by re-importing); the write is all-or-nothing.
"""

import csv
import io
import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from qianwan.sheets import UnreadableSheet, cell_text, column_label, header_map, xlsx_rows

from .models import PARTS, AddressImportJob, StandardAddress

# (field, header, required) in template order; headers are matched after stripping spaces and "*"
COLUMNS = [
    ("code", _lazy("标准地址编码"), True),
    ("district", _lazy("区县"), False),
    ("street", _lazy("街道/镇"), False),
    ("community", _lazy("社区/村"), False),
    ("road", _lazy("路/街巷"), True),
    ("number", _lazy("门牌号"), False),
    ("building", _lazy("楼栋"), False),
    ("unit", _lazy("单元"), False),
    ("room", _lazy("室"), False),
    ("lat", _lazy("纬度"), True),
    ("lon", _lazy("经度"), True),
    ("grid", _lazy("网格编码"), False),
]
HEADER_ALIASES = {
    "code": ["地址编码", "编码"],
    "street": ["街道", "镇"],
    "community": ["社区", "村"],
    "road": ["道路"],
}
MAX_ROWS = 50000
PROGRESS_EVERY = 200


UnreadableFile = UnreadableSheet


def _label(field: str) -> str:
    return column_label(COLUMNS, field)


def _header_map(header_row) -> dict[int, str]:
    return header_map(header_row, COLUMNS, HEADER_ALIASES)


def read_rows(handle, name: str) -> list[tuple]:
    """Every row of the first sheet (xlsx) or of the CSV file (UTF-8 or GB18030)."""
    raw = handle.read()
    if raw[:4] == b"PK\x03\x04":
        return xlsx_rows(raw)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(_("无法识别文件编码，请另存为 UTF-8 编码的 CSV 或 .xlsx。"))
    try:
        return [tuple(r) for r in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        raise UnreadableFile(_("无法读取 CSV：%(e)s") % {"e": exc}) from exc


def _number(text: str, low: float, high: float) -> tuple[float | None, str | None]:
    try:
        value = float(text)
    except ValueError:
        return None, _("应为数字。")
    if not math.isfinite(value) or not low <= value <= high:
        return None, _("应在 %(low)s 到 %(high)s 之间（WGS84 小数度）。") % {"low": low, "high": high}
    return value, None


def validate_rows(rows: list[tuple], job: AddressImportJob | None = None):
    """Check every row; return (addresses to save, errors as {row, column, message}).

    With a ``job``, commits ``total_rows``/``processed_rows`` as it goes (the progress bar)."""
    if not rows:
        raise UnreadableFile(_("文件是空的。"))
    mapping = _header_map(rows[0])
    missing = [str(h) for f, h, required in COLUMNS if required and f not in mapping.values()]
    if missing:
        raise UnreadableFile(
            _("第 1 行须为表头，缺少列：%(cols)s。请下载模板填写。") % {"cols": "、".join(missing)}
        )
    body = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(cell_text(c) for c in r)]
    if len(body) > MAX_ROWS:
        raise UnreadableFile(_("一次最多导入 %(n)s 行，请分批导入。") % {"n": MAX_ROWS})
    if job is not None:
        AddressImportJob.objects.filter(pk=job.pk).update(total_rows=len(body))
    codes = [cell_text(r[i]) for _n, r in body for i, f in mapping.items() if f == "code" and i < len(r)]
    existing = {a.code: a for a in StandardAddress.objects.filter(code__in=[c for c in codes if c])}
    seen: dict[str, int] = {}
    candidates, errors = [], []
    for done, (row_number, row) in enumerate(body, start=1):
        raw = {field: cell_text(row[i]) if i < len(row) else "" for i, field in mapping.items()}
        row_errors: dict[str, str] = {}
        code = raw.get("code", "")
        if not code:
            row_errors["code"] = _("标准地址编码必填。")
        elif code in seen:
            row_errors["code"] = _("与第 %(row)s 行重复。") % {"row": seen[code]}
        else:
            seen[code] = row_number
        if not raw.get("road"):
            row_errors["road"] = _("路/街巷必填。")
        point = {}
        for field, low, high in (("lat", -90, 90), ("lon", -180, 180)):
            text = raw.get(field, "")
            if not text:
                row_errors[field] = _("必填。")
                continue
            point[field], problem = _number(text, low, high)
            if problem:
                row_errors[field] = problem
        if not row_errors:
            address = existing.get(code) or StandardAddress(code=code)
            for part in PARTS:
                setattr(address, part, raw.get(part, ""))
            address.grid = raw.get("grid", "")
            address.lat, address.lon = point["lat"], point["lon"]
            address.is_active = True
            address.text = address.compose()
            try:
                address.full_clean(validate_unique=False)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    row_errors[field] = "；".join(messages)
            if not row_errors:
                candidates.append(address)
        for field, message in row_errors.items():
            errors.append({"row": row_number, "column": _label(field), "message": str(message)})
        if job is not None and (done % PROGRESS_EVERY == 0 or done == len(body)):
            AddressImportJob.objects.filter(pk=job.pk).update(processed_rows=done)
    if not body:
        errors.append({"row": None, "column": "", "message": _("文件中没有数据行。")})
    return candidates, errors


def template_workbook():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _("标准地址")
    sheet.append([f"{h}*" if required else str(h) for _f, h, required in COLUMNS])
    sheet.append(
        [
            "330282-ADS-000001",
            "前湾新区",
            "庵东镇",
            "海塘村",
            "兴业路",
            "12",
            "3",
            "2",
            "301",
            30.2830,
            121.1870,
            "ADS-WG-01",
        ]
    )
    notes = workbook.create_sheet(_("填写说明"))
    for line in (
        _(
            "第一个工作表第 1 行为表头，从第 2 行起每行一个标准地址；带 * 的列必填。也可上传同样表头的 CSV（UTF-8）。"
        ),
        _("标准地址编码相同的行会更新已登记的地址；派出所和片区按坐标自动确定。"),
        _("纬度、经度为 WGS84 小数度。"),
        _("任何一行有错误时整批不导入，请按错误清单修改后重新上传。"),
    ):
        notes.append([line])
    return workbook
