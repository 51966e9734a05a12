"""Reading the registry's Excel template row by row (used by the import task).

Each row becomes an unsaved :class:`Enterprise` validated by the model's own rules (credit code with
its check character, coordinates, uniqueness), or a list of errors naming the row and the column.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from qianwan.org.choices import STATION_ROLES
from qianwan.org.models import Station
from qianwan.sheets import UnreadableSheet, cell_text, column_label, header_map, xlsx_rows
from qianwan.validators import validate_mobile

from .choices import MemberKind
from .models import Enterprise, ImportJob

# (field, header, required) in template order; headers are matched after stripping spaces and "*"
COLUMNS = [
    ("name", _lazy("名称"), True),
    ("kind", _lazy("类型"), False),
    ("credit_code", _lazy("统一社会信用代码"), False),
    ("station", _lazy("派出所代码"), False),
    ("address", _lazy("地址"), False),
    ("lat", _lazy("纬度"), False),
    ("lon", _lazy("经度"), False),
    ("industry", _lazy("行业"), False),
    ("is_above_size", _lazy("规上企业"), False),
    ("employee_count", _lazy("员工数"), False),
    ("contact_name", _lazy("联系人"), False),
    ("contact_phone", _lazy("联系电话"), False),
]
HEADER_ALIASES = {"name": ["企业名称", "商铺名称"], "credit_code": ["信用代码"], "station": ["派出所"]}
KIND_WORDS = {
    "企业": MemberKind.ENTERPRISE,
    "enterprise": MemberKind.ENTERPRISE,
    "沿街商铺": MemberKind.SHOP,
    "商铺": MemberKind.SHOP,
    "shop": MemberKind.SHOP,
}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "规上"}
FALSE_WORDS = {"否", "n", "no", "false", "0", ""}
MAX_ROWS = 5000
PROGRESS_EVERY = 25


UnreadableWorkbook = UnreadableSheet


def _label(field: str) -> str:
    return column_label(COLUMNS, field)


def _header_map(header_row) -> dict[int, str]:
    return header_map(header_row, COLUMNS, HEADER_ALIASES)


def _parse(raw: dict, job: ImportJob, stations: dict[str, Station]) -> tuple[dict, dict[str, str]]:
    data, errors = {}, {}
    data["name"] = raw.get("name", "")
    if not data["name"]:
        errors["name"] = _("名称必填。")
    kind_text = raw.get("kind", "").lower() or "企业"
    data["kind"] = KIND_WORDS.get(kind_text)
    if data["kind"] is None:
        errors["kind"] = _("类型应为“企业”或“沿街商铺”。")
    data["credit_code"] = raw.get("credit_code", "").upper() or None
    code = raw.get("station", "").upper()
    actor = job.created_by
    if code:
        station = stations.get(code)
        if station is None:
            errors["station"] = _("未知的派出所代码 %(code)s。") % {"code": code}
        elif actor.role in STATION_ROLES and station.pk != actor.station_id:
            errors["station"] = _("只能导入本所（%(own)s）辖区的企业。") % {"own": actor.station.code}
        data["station"] = station
    else:
        data["station"] = job.station
        if job.station is None:
            errors["station"] = _("请填写派出所代码。")
    for field in ("address", "industry", "contact_name"):
        data[field] = raw.get(field, "")
    phone = raw.get("contact_phone", "")
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.messages[0]
    data["contact_phone"] = phone
    for field in ("lat", "lon"):
        text = raw.get(field, "")
        try:
            data[field] = float(text) if text else None
        except ValueError:
            errors[field] = _("应为数字。")
    flag = raw.get("is_above_size", "").lower()
    if flag in TRUE_WORDS:
        data["is_above_size"] = True
    elif flag in FALSE_WORDS:
        data["is_above_size"] = False
    else:
        errors["is_above_size"] = _("应填“是”或“否”。")
    count = raw.get("employee_count", "")
    try:
        data["employee_count"] = int(count) if count else 0
        if data["employee_count"] < 0:
            raise ValueError
    except ValueError:
        errors["employee_count"] = _("应为不小于 0 的整数。")
    return data, errors


def validate_workbook(job: ImportJob) -> tuple[list[Enterprise], list[dict]]:
    """Check every row; return the unsaved enterprises and the errors ({row, column, message}).

    Commits ``total_rows`` and ``processed_rows`` on the job as it goes (the progress bar).
    """
    try:
        with job.file.open("rb") as handle:
            raw = handle.read()
    except OSError as exc:  # the stored upload is gone or unreadable
        raise UnreadableWorkbook(
            _("无法读取工作簿：%(e)s。请用模板另存为 .xlsx 后重试。") % {"e": exc}
        ) from exc
    rows = xlsx_rows(raw)
    if not rows:
        raise UnreadableWorkbook(_("工作簿是空的。"))
    mapping = _header_map(rows[0])
    if "name" not in mapping.values():
        raise UnreadableWorkbook(_("第 1 行须为表头，至少包含“名称”列。请下载模板填写。"))
    body = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(cell_text(c) for c in r)]
    if len(body) > MAX_ROWS:
        raise UnreadableWorkbook(_("一次最多导入 %(n)s 行，请分批导入。") % {"n": MAX_ROWS})
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(body))
    job.total_rows = len(body)
    stations = {s.code: s for s in Station.objects.all()}
    seen_codes: dict[str, int] = {}
    candidates, errors = [], []
    for done, (row_number, row) in enumerate(body, start=1):
        raw = {field: cell_text(row[i]) if i < len(row) else "" for i, field in mapping.items()}
        data, row_errors = _parse(raw, job, stations)
        if not row_errors:
            enterprise = Enterprise(**data)
            try:
                if enterprise.kind == MemberKind.ENTERPRISE and not enterprise.credit_code:
                    raise ValidationError({"credit_code": _("企业必须填写统一社会信用代码。")})
                enterprise.full_clean()
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    row_errors[field] = "；".join(messages)
            code = enterprise.credit_code
            if code and code in seen_codes and "credit_code" not in row_errors:
                row_errors["credit_code"] = _("与第 %(row)s 行重复。") % {"row": seen_codes[code]}
            if code:
                seen_codes.setdefault(code, row_number)
            if not row_errors:
                candidates.append(enterprise)
        for field, message in row_errors.items():
            errors.append({"row": row_number, "column": _label(field), "message": str(message)})
        if done % PROGRESS_EVERY == 0 or done == len(body):
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)
    if not body:
        errors.append({"row": None, "column": "", "message": _("工作簿中没有数据行。")})
    return candidates, errors


def template_workbook():
    """The import template: the header row and one example row."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _("企业名录")
    sheet.append([f"{h}*" if required else str(h) for _f, h, required in COLUMNS])
    notes = workbook.create_sheet(_("填写说明"))
    for line in (
        _("第一个工作表第 1 行为表头，从第 2 行起每行一家企业或商铺；带 * 的列必填。"),
        _("类型：企业 / 沿街商铺；企业必须填写 18 位统一社会信用代码（含校验位），商铺可空。"),
        _("派出所代码：如 ADS；民警只能导入本所辖区，留空即为本所。"),
        _("规上企业：是 / 否；纬度、经度为 WGS84 小数；联系电话为 11 位手机号。"),
        _("任何一行有错误时整批不导入，请按错误清单修改后重新上传。"),
    ):
        notes.append([line])
    return workbook
