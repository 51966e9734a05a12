"""The left navigation, by mechanism. An entry shows when its URL exists and the user's role is listed."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from qianwan.org.choices import Role

STAFF = {Role.OFFICER, Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}
LEADERS = {Role.STATION_LEADER, Role.BUREAU_LEADER, Role.ADMIN}

# (label, url name, roles, icon)
NAV = [
    (_("工作台"), "workbench", STAFF | {Role.LIAISON}, "⌂"),
    (_("警情调度"), "incidents:index", STAFF, "☎"),
    (_("值班表"), "duty:rota", STAFF, "☷"),
    (_("网格事件"), "exchange:inbound_list", STAFF, "⇄"),
    (_("风险隐患"), "risks:index", STAFF, "⚠"),
    (_("警企社服务"), "enterprises:index", STAFF | {Role.LIAISON}, "⌘"),
    (_("交通治理"), "traffic:index", STAFF, "◎"),
    (_("反诈宣防"), "antifraud:index", STAFF | {Role.LIAISON}, "◇"),
    (_("矛盾纠纷"), "disputes:index", STAFF, "⚖"),
    (_("领导驾驶舱"), "dashboard:index", LEADERS, "◈"),
    (_("推送渠道"), "notify:channels", LEADERS, "✉"),
    (_("审计日志"), "audit:list", LEADERS, "☰"),
]


def nav_for(user, current_path: str) -> list[dict]:
    if not user.is_authenticated:
        return []
    items = []
    for label, url_name, roles, icon in NAV:
        if user.role not in roles:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": label, "url": url, "icon": icon, "active": active})
    return items
