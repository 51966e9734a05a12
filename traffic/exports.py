"""The Excel exports of the traffic lists, through the shared export helper (``qianwan.exports``):
the same rows as the page (filters and default window), written as data through ``qianwan.xlsx``,
streamed in chunks, and a background job with a download link above ``EXPORT_ASYNC_ROWS`` rows."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qianwan.exports import ListExport
from qianwan.filtering import filtered
from qianwan.listing import Window, apply_window

from . import selectors
from .choices import ViolationType
from .filtersets import AccidentFilter, AssetFilter, JointPatrolFilter, PatrolFilter

# patrols, joint patrols and accidents open on the last 30 days unless the URL names a period
PATROL_WINDOW = Window(days=30, field="started_at", period_params=("started_after", "started_before"))
JOINT_WINDOW = Window(days=30, field="date", period_params=("date_after", "date_before"))
ACCIDENT_WINDOW = Window(days=30, field="occurred_at", period_params=("occurred_after", "occurred_before"))


def _rows_of(filter_class, selector, window):
    """``(request) -> queryset or None``: the list's rows for a request (its filters and window), or
    None for bad filter input — what the page shows and what its export (also the background one)
    writes."""

    def rows(request):
        filterset = filter_class(request.GET, queryset=selector(user=request.user))
        qs = filtered(filterset, user=request.user)
        if qs is None:
            return None
        return apply_window(request, qs, window)[0] if window else qs

    return rows


patrol_rows = _rows_of(PatrolFilter, selectors.patrol_list, PATROL_WINDOW)
joint_rows = _rows_of(JointPatrolFilter, selectors.joint_patrol_list, JOINT_WINDOW)
accident_rows = _rows_of(AccidentFilter, selectors.accident_list, ACCIDENT_WINDOW)
asset_rows = _rows_of(AssetFilter, selectors.asset_list, None)


# ---------------------------------------------------------------- patrols


def _patrol_headers(user):
    return [
        _("开始"),
        _("结束"),
        _("巡区"),
        _("队伍"),
        _("类型"),
        _("出动警力（人）"),
        _("专项行动"),
        _("发现情况"),
        *[_("%(type)s（起）") % {"type": ViolationType(t).label} for t in ViolationType.values],
    ]


def _patrol_rows(user, patrols):
    types = ViolationType.values
    for p in patrols:
        counts = {v.type: v.count for v in p.violations.all()}
        yield [
            p.started_at, p.ended_at, p.zone.name, p.team.name, p.get_kind_display(), p.officers,
            p.campaign.name if p.campaign else "", p.findings, *[counts.get(t, 0) for t in types],
        ]  # fmt: skip


PATROL_EXPORT = ListExport(
    key="traffic.exports.PATROL_EXPORT",
    filename="patrols",
    title=gettext_lazy("巡逻记录"),
    headers=_patrol_headers,
    rows=_patrol_rows,
    queryset=patrol_rows,
)


# ---------------------------------------------------------------- joint patrols


def _joint_headers(user):
    return [
        _("日期"),
        _("派出所"),
        _("组织单位"),
        _("路口/地点"),
        _("企业"),
        _("巡区"),
        _("民警/辅警（人）"),
        _("网格员（人）"),
        _("企业保安（人）"),
        _("志愿者（人）"),
        _("情况"),
    ]


def _joint_rows(user, joints):
    for j in joints:
        yield [
            j.date, j.station.name, j.organisers, j.location, j.enterprise.name if j.enterprise else "",
            j.zone.name if j.zone else "", j.police, j.grid_workers, j.enterprise_security, j.volunteers, j.note,
        ]  # fmt: skip


JOINT_EXPORT = ListExport(
    key="traffic.exports.JOINT_EXPORT",
    filename="joint-patrols",
    title=gettext_lazy("联合巡逻"),
    headers=_joint_headers,
    rows=_joint_rows,
    queryset=joint_rows,
)


# ---------------------------------------------------------------- accidents


def _accident_headers(user):
    return [
        _("事故编号"),
        _("发生时间"),
        _("处理派出所"),
        _("巡区"),
        _("地点"),
        _("道路"),
        _("类型"),
        _("车辆（辆）"),
        _("受伤（人）"),
        _("死亡（人）"),
        _("原因"),
        _("原因说明"),
        _("处理单位"),
        _("状态"),
    ]


def _accident_rows(user, accidents):
    for a in accidents:
        yield [
            a.number, a.occurred_at, a.station.name, a.zone.name if a.zone else _("区外"), a.address, a.road,
            a.get_type_display(), a.vehicles, a.injured, a.deaths, a.get_cause_display(), a.cause_note,
            a.get_handled_by_display(), a.get_status_display(),
        ]  # fmt: skip


ACCIDENT_EXPORT = ListExport(
    key="traffic.exports.ACCIDENT_EXPORT",
    filename="accidents",
    title=gettext_lazy("交通事故"),
    headers=_accident_headers,
    rows=_accident_rows,
    queryset=accident_rows,
)


# ---------------------------------------------------------------- assets


def _asset_headers(user):
    return [
        _("编号"),
        _("类型"),
        _("名称"),
        _("道路"),
        _("巡区"),
        _("纬度"),
        _("经度"),
        _("状态"),
        _("安装日期"),
        _("维护状态"),
        _("最近维护"),
        _("备注"),
    ]


def _asset_rows(user, assets):
    for a in assets:
        yield [
            a.code, a.get_kind_display(), a.name, a.road, a.zone.name, a.lat, a.lon, a.get_status_display(),
            a.installed_on, a.get_maintenance_status_display(), a.last_maintained_on, a.note,
        ]  # fmt: skip


ASSET_EXPORT = ListExport(
    key="traffic.exports.ASSET_EXPORT",
    filename="assets",
    title=gettext_lazy("路面设施"),
    headers=_asset_headers,
    rows=_asset_rows,
    queryset=asset_rows,
)
