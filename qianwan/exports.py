"""List exports at any size (issue 21): the shared export helper of the list pages.

A list describes its export once as a :class:`ListExport` (headers, how one record becomes a row, and
how to rebuild the page's rows — filters and window — from a query string and a user). Then:

- up to ``EXPORT_ASYNC_ROWS`` (setting, default 100,000) rows: the Excel file at once, written through
  ``qianwan.xlsx`` (values as data, never formulas) with a write-only workbook;
- more: a background job (``ExportJob``, Celery task ``qianwan.api.tasks.export_run``) that streams
  the rows in chunks (``QuerySet.iterator``) into a file under ``MEDIA_ROOT/exports/`` — Excel up to
  1,048,575 rows, CSV (UTF-8 with BOM) beyond Excel's row limit — records its progress, and is
  downloaded from ``/exports/<id>/`` by the person who asked. A worker's memory does not grow with
  the number of rows.
"""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.http import QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qianwan import xlsx
from qianwan.api.pagination import bounded_count

EXCEL_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows less the header
PROGRESS_EVERY = 5_000
CHUNK = 2_000


def async_rows() -> int:
    return int(getattr(settings, "EXPORT_ASYNC_ROWS", 100_000))


@dataclass(frozen=True)
class ListExport:
    """``key`` is the dotted path of this object (the worker imports it by that path)."""

    key: str
    filename: str
    title: str
    headers: Callable  # (user) -> list
    rows: Callable  # (user, iterable of records) -> iterator of lists
    queryset: Callable  # (request-like with GET, user, path) -> queryset or None (bad input)


def export_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def write_xlsx(stream, export: ListExport, user, records: Iterable, progress=None) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(export.title)[:31])
    xlsx.append(sheet, [str(h) for h in export.headers(user)])
    n = 0
    for row in export.rows(user, records):
        xlsx.append(sheet, row)
        n += 1
        if progress and n % PROGRESS_EVERY == 0:
            progress(n)
    workbook.save(stream)
    return n


def csv_value(value):
    """A cell of the CSV: text as it is, except that a leading ``= + - @`` (which a spreadsheet would
    run as a formula when it opens the file) gets a leading apostrophe — a CSV has no text cells."""
    value = xlsx.plain(value)
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(stream, export: ListExport, user, records: Iterable, progress=None) -> int:
    stream.write("\ufeff")  # Excel reads UTF-8 only with its BOM
    writer = csv.writer(stream)
    writer.writerow([str(h) for h in export.headers(user)])
    n = 0
    for row in export.rows(user, records):
        writer.writerow([csv_value(v) for v in row])
        n += 1
        if progress and n % PROGRESS_EVERY == 0:
            progress(n)
    return n


def respond(request, export: ListExport, queryset):
    """The answer to a list's ``?export=xlsx``: the file, or (above the bound) a job and its page."""
    if bounded_count(queryset, limit=async_rows()) is not None:
        from io import BytesIO

        from django.http import HttpResponse

        buffer = BytesIO()
        write_xlsx(buffer, export, request.user, queryset.iterator(chunk_size=CHUNK))
        response = HttpResponse(buffer.getvalue(), content_type=xlsx.XLSX)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}-{_stamp()}.xlsx"'
        return response
    from qianwan.api.models import ExportJob
    from qianwan.api.tasks import export_run
    from qianwan.tasking import publish_on_commit

    query = request.GET.copy()
    query.pop("export", None)
    job = ExportJob.objects.create(
        user=request.user, name=export.key, path=request.path[:200], query=query.urlencode()
    )
    publish_on_commit(export_run, job.pk)
    return redirect("exports:detail", pk=job.pk)


def run(job_id: int):
    """Write the file of an export job (the Celery task's body). Idempotent: only the caller that
    moves the job out of ``pending`` does the work."""
    from qianwan.api.models import ExportJob, ExportStatus

    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    ):
        return None
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    try:
        export: ListExport = import_string(job.name)
        request = SimpleNamespace(GET=QueryDict(job.query), user=job.user, path=job.path)
        queryset = export.queryset(request)
        if queryset is None:
            raise ValueError(_("筛选条件有误，无法导出。"))
        total = queryset.count()
        file_format = "csv" if total > EXCEL_MAX_DATA_ROWS else "xlsx"
        ExportJob.objects.filter(pk=job_id).update(total_rows=total, file_format=file_format)
        name = f"{export.filename}-{job.pk}-{_stamp()}.{file_format}"

        def progress(n):
            ExportJob.objects.filter(pk=job_id).update(done_rows=n)

        records = _records(queryset)
        path = export_dir() / name
        if file_format == "csv":
            with path.open("w", encoding="utf-8", newline="") as stream:
                n = write_csv(stream, export, job.user, records, progress)
        else:
            with path.open("wb") as stream:
                n = write_xlsx(stream, export, job.user, records, progress)
    except Exception as exc:  # the job records why; the person sees it on the job's page
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportStatus.DONE, done_rows=n, file_name=name, finished_at=timezone.now()
    )
    return ExportJob.objects.get(pk=job_id)


def _records(queryset) -> Iterator:
    """The rows in chunks: a server-side cursor on PostgreSQL, prefetches done per chunk."""
    return queryset.iterator(chunk_size=CHUNK)


def sweep() -> int:
    """Beat: queue again the export jobs whose task was never published (broker outage) — a job runs
    once whatever the number of messages (the pending → running claim) — and fail jobs a killed worker
    left running for a day. Returns how many jobs it queued."""
    from datetime import timedelta

    from qianwan.api.models import ExportJob, ExportStatus
    from qianwan.api.tasks import export_run
    from qianwan.tasking import publish

    now = timezone.now()
    ids = list(
        ExportJob.objects.filter(status=ExportStatus.PENDING, created_at__lt=now - timedelta(minutes=1))
        .order_by("created_at")
        .values_list("pk", flat=True)[:20]
    )
    for job_id in ids:
        publish(export_run, job_id)
    ExportJob.objects.filter(status=ExportStatus.RUNNING, created_at__lt=now - timedelta(days=1)).update(
        status=ExportStatus.FAILED, error=_("导出中断，请重新导出。"), finished_at=now
    )
    return len(ids)
