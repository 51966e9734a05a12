"""The audit trail in words a leader reads: who did what (动作 in Chinese) to which record (its kind
and name), and what changed as a before/after table with Chinese field names and readable values —
not ``service_request.feedback`` and Python dicts. The stored rows stay as they are (codes, JSON)."""

import json
import re
from datetime import datetime

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qianwan.masking import PERSON_NAME_FIELDS, mask_name

DASH = "—"
# the last part of an action code ("disputes.dispute.close" → "close")
VERBS = {
    "create": gettext_lazy("新建"),
    "add": gettext_lazy("添加"),
    "save": gettext_lazy("保存"),
    "update": gettext_lazy("修改"),
    "delete": gettext_lazy("删除"),
    "close": gettext_lazy("结案/销号"),
    "close_approve": gettext_lazy("领导批准结案"),
    "reopen": gettext_lazy("重新打开"),
    "open": gettext_lazy("开启"),
    "resolve": gettext_lazy("标记为已处置"),
    "start": gettext_lazy("开始办理"),
    "note": gettext_lazy("记录进展"),
    "escalate": gettext_lazy("升级"),
    "retriage": gettext_lazy("重新分级"),
    "handling": gettext_lazy("更新承办单位"),
    "push": gettext_lazy("推送平台关注"),
    "reveal": gettext_lazy("查看完整个人信息"),
    "feedback": gettext_lazy("提交评价"),
    "review": gettext_lazy("审核/复查"),
    "cancel": gettext_lazy("取消"),
    "assign": gettext_lazy("分派"),
    "accept": gettext_lazy("受理"),
    "ack": gettext_lazy("回执"),
    "record": gettext_lazy("登记"),
    "rectify": gettext_lazy("确认整改"),
    "hand_over": gettext_lazy("交接"),
    "evidence_add": gettext_lazy("上传佐证"),
    "import": gettext_lazy("导入"),
    "import_queued": gettext_lazy("提交导入"),
    "upload": gettext_lazy("上传"),
    "submit": gettext_lazy("提交"),
    "send": gettext_lazy("发送"),
    "revoke": gettext_lazy("撤销"),
    "status": gettext_lazy("更新状态"),
    "report": gettext_lazy("上报"),
    "receive": gettext_lazy("签收"),
    "done": gettext_lazy("完成"),
    "dismiss": gettext_lazy("忽略"),
    "correct_event": gettext_lazy("更正环节"),
    "provision": gettext_lazy("开通"),
    "compute": gettext_lazy("计算"),
    "size_override": gettext_lazy("成员数例外"),
    "inspection": gettext_lazy("检查"),
    "candidate": gettext_lazy("候选"),
    "operation": gettext_lazy("行动"),
    "violations": gettext_lazy("违法统计"),
    "problem_rectify": gettext_lazy("问题整改"),
    "problem_promote": gettext_lazy("问题转隐患"),
}
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def action_label(action: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    label = VERBS.get(verb)
    return str(label) if label else action


def object_label(entry) -> str:
    model = _model(entry.object_type)
    kind = str(model._meta.verbose_name) if model else entry.object_type
    return f"{kind} {entry.object_repr or '#' + str(entry.object_id)}"


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _value(field, value, cache=None) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and getattr(field, "choices", None):
        shown = dict(field.flatchoices).get(value)
        if shown is not None:
            return str(shown)
    # a reference stored in the snapshot (a foreign key's id) is shown as the record's name; a reverse
    # relation's key ("parties": 2, a count) is not a reference and is shown as it is
    if field is not None and field.is_relation and field.concrete and isinstance(value, int | str):
        target = field.related_model
        label = target._meta.label_lower if target is not None else ""
        key = (label, str(value))
        cache = {} if cache is None else cache
        if key not in cache:  # one lookup per record shown on the page, not per row
            obj = target._default_manager.filter(pk=value).first() if target is not None else None
            shown = str(obj) if obj is not None else f"#{value}"
            # a private person's record is named masked, like everywhere else (qianwan.masking)
            cache[key] = (
                mask_name(shown) if obj is not None and "name" in PERSON_NAME_FIELDS.get(label, ()) else shown
            )
        return cache[key]
    if isinstance(value, str) and ISO_DATETIME.match(value):
        moment = parse_datetime(value)
        if isinstance(moment, datetime):
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def changes(entry, cache=None) -> list[dict]:
    """Rows of ``{"field", "before", "after", "changed"}``: every key of before/after, unchanged ones
    kept (marked) so the record's state reads whole."""
    model = _model(entry.object_type)
    before = (
        entry.before
        if isinstance(entry.before, dict)
        else ({} if entry.before is None else {"": entry.before})
    )
    after = (
        entry.after if isinstance(entry.after, dict) else ({} if entry.after is None else {"": entry.after})
    )
    rows = []
    for key in list(dict.fromkeys([*before, *after])):
        field = _field(model, key)
        label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else key
        old = _value(field, before.get(key), cache) if key in before else DASH
        new = _value(field, after.get(key), cache) if key in after else DASH
        rows.append({"field": label, "before": old, "after": new, "changed": key in before and old != new})
    return rows


def present(entries) -> list[dict]:
    cache: dict = {}
    return [
        {
            "entry": e,
            "actor": e.actor_label if e.actor_label != "system" else _("系统"),
            "action": action_label(e.action),
            "object": object_label(e),
            "changes": changes(e, cache),
            "has_before": e.before is not None,
        }
        for e in entries
    ]
