"""Writes of the dashboard: monthly reports (request, build, sweep)."""

import logging
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record
from qianwan.kpi import add_months
from qianwan.org.choices import Role
from qianwan.org.models import Station, User
from qianwan.tasking import publish_on_commit

from . import selectors, workbook
from .choices import ReportStatus
from .models import BUREAU, MonthlyReport
from .periods import Period, check_dashboard_role

logger = logging.getLogger(__name__)

# A build that has not finished after this long is assumed lost (worker killed) and queued again.
STALE_AFTER = timedelta(minutes=30)
# A queued report whose message never reached a worker (broker down) is published again after this.
REQUEUE_AFTER = timedelta(minutes=2)


def _scope_key(station: Station | None) -> str:
    return station.code if station is not None else BUREAU


def report_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    end = date(*add_months(year, month, 1), 1) - timedelta(days=1)
    return Period(
        kind="month", date_from=start, date_to=end, label=_("%(y)d年%(m)d月") % {"y": year, "m": month}
    )


def _validate_month(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError({"month": [_("月份格式应为 YYYY-MM。")]})
    today = timezone.localdate()
    if (year, month) > (today.year, today.month):
        raise ValidationError({"month": [_("不能生成未来月份的报告。")]})


def _queue(report: MonthlyReport) -> None:
    from . import tasks

    publish_on_commit(tasks.report_build, report.pk, report.generation)


@transaction.atomic
def report_request(
    *, actor, year: int, month: int, station: Station | None, force: bool = False
) -> MonthlyReport:
    """Ask for the report of a month and scope. An existing report is returned as it is (a build in
    progress is never doubled); ``force`` rebuilds a finished or failed one."""
    if actor is not None:
        check_dashboard_role(actor)
        if actor.role == Role.STATION_LEADER and (station is None or station.pk != actor.station_id):
            raise PermissionDenied(_("只能生成本所的报告。"))
    _validate_month(year, month)
    key = _scope_key(station)
    try:
        with transaction.atomic():
            report, created = MonthlyReport.objects.select_for_update().get_or_create(
                year=year, month=month, scope_key=key, defaults={"station": station, "requested_by": actor}
            )
    except IntegrityError:  # a concurrent request created it first
        report, created = (
            MonthlyReport.objects.select_for_update().get(year=year, month=month, scope_key=key),
            False,
        )
    if created:
        audit_record(
            actor=actor, action="dashboard.report_request", obj=report, before=None, after={"scope": key}
        )
        _queue(report)
        return report
    in_progress = report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)
    if in_progress or (report.status == ReportStatus.DONE and not force):
        return report
    report.status = ReportStatus.QUEUED
    report.progress = 0
    report.step = ""
    report.error = ""
    report.generation = F("generation") + 1
    report.requested_by = actor
    report.requested_at = timezone.now()
    report.save()
    report.refresh_from_db()
    audit_record(
        actor=actor, action="dashboard.report_rebuild", obj=report, before=None, after={"scope": key}
    )
    _queue(report)
    return report


def _viewer(station: Station | None) -> User:
    """An unsaved bureau-leader user: the report shows the whole scope it names, not the requester's
    view (a station report is filtered by ``station`` in every selector)."""
    return User(username="report", role=Role.BUREAU_LEADER, is_active=True)


def _progress(report_id: int, generation: int, progress: int, step: str) -> bool:
    return bool(
        MonthlyReport.objects.filter(pk=report_id, generation=generation, status=ReportStatus.RUNNING).update(
            progress=progress, step=step[:100]
        )
    )


def report_build(*, report_id: int, generation: int) -> str:
    """Build the workbook of one report generation. Claims the row first (queued → running), so a
    duplicate message or an outdated generation does nothing; progress is written as it goes."""
    claimed = MonthlyReport.objects.filter(
        pk=report_id, generation=generation, status=ReportStatus.QUEUED
    ).update(status=ReportStatus.RUNNING, started_at=timezone.now(), progress=1, step=_("开始"))
    if not claimed:
        return "skipped"
    report = MonthlyReport.objects.select_related("station").get(pk=report_id)
    try:
        period = report_period(report.year, report.month)
        viewer = _viewer(report.station)
        now = timezone.now()
        sections = []
        builders = selectors.SECTION_BUILDERS
        for i, (_key, build) in enumerate(builders, start=1):
            sections.append(build(user=viewer, period=period, station=report.station, now=now))
            _progress(report_id, generation, int(80 * i / len(builders)), str(sections[-1]["title"]))
        data = {
            "period": {
                "from": period.date_from.isoformat(),
                "to": period.date_to.isoformat(),
                "label": period.label,
            },
            "station": report.station.code if report.station else None,
            "station_name": report.station.name if report.station else _("全分局"),
            "sections": sections,
            "trend": selectors.trend_rows(station=report.station, period=period),
        }
        _progress(report_id, generation, 90, _("写入工作簿"))
        content = workbook.build(data, title=_report_title(report))
    except Exception as exc:  # record the failure on the row; the page shows it and offers a rebuild
        logger.exception("report %s failed", report_id)
        MonthlyReport.objects.filter(pk=report_id, generation=generation).update(
            status=ReportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        return "failed"
    with transaction.atomic():
        report = MonthlyReport.objects.select_for_update().get(pk=report_id)
        if report.generation != generation or report.status != ReportStatus.RUNNING:
            return "superseded"
        if report.file:
            report.file.delete(save=False)
        report.file.save(f"report-{report.scope_key}-{report.label}.xlsx", ContentFile(content), save=False)
        report.figures = data
        report.status = ReportStatus.DONE
        report.progress = 100
        report.step = _("已完成")
        report.finished_at = timezone.now()
        report.save()
    return "done"


def _report_title(report: MonthlyReport) -> str:
    scope = report.station.name if report.station else _("前湾分局")
    return _("%(scope)s %(y)d年%(m)d月 警务运行月报") % {"scope": scope, "y": report.year, "m": report.month}


def reports_sweep(*, now=None) -> dict:
    """Beat: make sure last month's sub-bureau report exists (built on the 1st, or on the first run
    after), and send again what a lost message or a killed worker left behind. Safe with two beats:
    the row is unique per (month, scope) and stale rows are taken with ``skip_locked``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    y, m = add_months(today.year, today.month, -1)
    created = not MonthlyReport.objects.filter(year=y, month=m, scope_key=BUREAU).exists()
    if created:
        report_request(actor=None, year=y, month=m, station=None)
    requeued = 0
    with transaction.atomic():
        stale = MonthlyReport.objects.select_for_update(skip_locked=True).filter(
            Q(status=ReportStatus.QUEUED, requested_at__lt=now - REQUEUE_AFTER)
            | Q(status=ReportStatus.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        for report in stale:
            report.status = ReportStatus.QUEUED
            report.generation += 1
            report.requested_at = now
            report.save(update_fields=["status", "generation", "requested_at"])
            _queue(report)
            requeued += 1
    return {"created": int(created), "requeued": requeued}
