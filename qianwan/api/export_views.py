"""The pages of a background list export: its progress (polled as JSON) and its file. Only the person
who asked sees a job; anyone else gets 404, like a missing one."""

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qianwan.exports import export_dir
from qianwan.org.access import role_required
from qianwan.org.choices import STAFF_ROLES

from .models import ExportJob, ExportStatus


def _job(request, pk: int) -> ExportJob:
    return get_object_or_404(ExportJob.objects.filter(user=request.user), pk=pk)


@role_required(*STAFF_ROLES)
@require_GET
def detail(request, pk: int):
    return render(request, "exports/detail.html", {"job": _job(request, pk)})


@role_required(*STAFF_ROLES)
@require_GET
def status(request, pk: int):
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_display": job.get_status_display(),
            "percent": job.percent,
            "total_rows": job.total_rows,
            "done_rows": job.done_rows,
            "is_finished": job.is_finished,
            "download": job.status == ExportStatus.DONE,
        }
    )


@role_required(*STAFF_ROLES)
@require_GET
def download(request, pk: int):
    job = _job(request, pk)
    if job.status != ExportStatus.DONE or not job.file_name:
        raise Http404
    path = export_dir() / job.file_name
    if not path.is_file():
        raise Http404
    content_type = (
        "text/csv; charset=utf-8"
        if job.file_format == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=job.file_name, content_type=content_type
    )
