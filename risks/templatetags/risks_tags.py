from django import template
from django.utils.translation import gettext_lazy as _

from risks.choices import HazardStatus
from risks.selectors import incident_category_label

register = template.Library()

ACTION_LABELS = {
    "risks.hazard.create": _("登记隐患"),
    "risks.hazard.rectify": _("登记整改"),
    "risks.hazard.close": _("对账销号"),
    "risks.hazard.reopen": _("重新打开"),
    "risks.hazard.evidence_add": _("上传佐证材料"),
    "risks.hazard.hand_over": _("移交网格平台"),
    "risks.riskpoint.candidate": _("生成风险点候选"),
    "risks.riskpoint.accept": _("确定为风险点"),
    "risks.riskpoint.dismiss": _("排除候选"),
    "risks.workplan.create": _("制定专项工作方案"),
    "risks.workplan.review": _("方案评估"),
}


@register.filter
def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@register.filter
def incident_category(value: str) -> str:
    return incident_category_label(value)


@register.filter
def hazard_status(value: str) -> str:
    return str(dict(HazardStatus.choices).get(value, value))


@register.filter
def hot_level(z) -> str:
    """热点等级 in words from a Gi* z score (较高 / 高 / 极高)."""
    from risks.selectors import hot_level as level

    return level(z)
