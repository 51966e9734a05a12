"""Pages of the standard-address register (list, keep one address, import) and the header's search,
plus the two JSON helpers the place forms call: address type-ahead and live repeat calls."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qianwan import xlsx
from qianwan.forms import add_errors
from qianwan.org.access import role_required
from qianwan.org.choices import STAFF_ROLES, STATION_ROLES
from qianwan.org.scopes import scope_queryset
from qianwan.sheets import import_progress

from . import importer, selectors, services
from .forms import AddressForm, ImportForm
from .search import KINDS
from .search import search as run_search

PAGE_SIZE = 50
SUGGEST_SIZE = 10
KIND_LABELS = {
    "incident": gettext_lazy("警情"),
    "address": gettext_lazy("标准地址"),
    "dispute": gettext_lazy("矛盾纠纷"),
    "hazard": gettext_lazy("风险隐患"),
    "enterprise": gettext_lazy("企业/商铺"),
    "party": gettext_lazy("当事人"),
}


@role_required(*STAFF_ROLES)
def address_list(request):
    qs = selectors.address_list(user=request.user)
    q = (request.GET.get("q") or "").strip()
    error = None
    if q:
        try:
            qs = selectors.address_matches(qs, selectors.clean_query(q))
        except selectors.QueryTooShort as exc:
            error, qs = str(exc), qs.none()
    elif request.user.role in STATION_ROLES:
        qs = qs.filter(station_id=request.user.station_id)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "places/address_list.html",
        {"page": page, "q": q, "error": error, "unmatched": _unmatched_count(request.user)},
        status=400 if error else 200,
    )


def _unmatched_count(user) -> int:
    """Incidents of the user's scope in the last 30 days with a typed address that matched no
    standard address (未标准化), for a later match."""
    from incidents.models import Incident

    since = timezone.now() - timedelta(days=30)
    qs = scope_queryset(Incident.objects.all(), user)
    return qs.filter(received_at__gte=since, standard_address__isnull=True).exclude(address="").count()


@role_required(*STAFF_ROLES)
def address_edit(request, pk: int | None = None):
    address = get_object_or_404(selectors.address_list(user=request.user), pk=pk) if pk else None
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.address_save(actor=request.user, address=address, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("只能维护本所辖区的标准地址。"))
        else:
            return redirect("places:address_edit", pk=saved.pk)
    return render(
        request,
        "places/address_form.html",
        {"form": form, "address": address},
        status=400 if form.errors else 200,
    )


@never_cache
@require_GET
@role_required(*STAFF_ROLES)
def address_suggest(request):
    """Type-ahead for the place forms (the page twin of ``GET /api/v1/addresses/``)."""
    try:
        text = selectors.clean_query(request.GET.get("q"))
    except selectors.QueryTooShort as exc:
        return JsonResponse({"results": [], "hint": str(exc)})
    rows = selectors.address_matches(selectors.address_list(user=request.user).filter(is_active=True), text)[
        :SUGGEST_SIZE
    ]
    return JsonResponse(
        {
            "results": [
                {
                    "id": a.pk,
                    "code": a.code,
                    "text": a.text,
                    "lat": a.lat,
                    "lon": a.lon,
                    "station": a.station.code if a.station_id else None,
                    "block": a.block.name if a.block_id else None,
                    "grid": a.grid,
                }
                for a in rows
            ]
        }
    )


def _float(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180 <= number <= 180 else None


@never_cache
@require_GET
@role_required(*STAFF_ROLES)
def repeats_live(request):
    """Earlier calls (72 h) from the phone / standard address / point being typed on the call form."""
    from incidents import selectors as incident_selectors
    from incidents.models import Incident

    code = (request.GET.get("address_code") or "").strip()
    found = services.address_by_code(code) if code else None
    lat, lon = _float(request.GET.get("lat")), _float(request.GET.get("lon"))
    if lat is not None and not -90 <= lat <= 90:
        lat = None
    if lat is None or lon is None:
        lat = lon = None
    phone = (request.GET.get("phone") or "").strip()[:30]
    qs = scope_queryset(Incident.objects.select_related("station"), request.user)
    rows = selectors.repeat_calls(
        qs,
        before=timezone.now(),
        phone=phone,
        standard_address_id=found.pk if found else None,
        lat=lat if lat is not None else (found.lat if found else None),
        lon=lon if lon is not None else (found.lon if found else None),
        limit=10,
    )
    see = incident_selectors.can_see_phone(request.user)
    from qianwan.masking import mask_phone

    return JsonResponse(
        {
            "results": [
                {
                    "id": r.pk,
                    "number": r.number,
                    "received_at": timezone.localtime(r.received_at).strftime("%m-%d %H:%M"),
                    "category": r.get_category_display(),
                    "status": r.get_status_display(),
                    "address": r.address,
                    "caller_phone": r.caller_phone if see else mask_phone(r.caller_phone),
                    "reasons": r.repeat_reasons,
                    "url": f"/incidents/{r.pk}/",
                }
                for r in rows
            ]
        }
    )


@role_required(*STAFF_ROLES)
def import_new(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(actor=request.user, file=form.cleaned_data["file"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("places:import_detail", pk=job.pk)
    jobs = selectors.import_job_list(user=request.user)[:10]
    return render(
        request, "places/import_new.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200
    )


@role_required(*STAFF_ROLES)
def import_detail(request, pk: int):
    job = get_object_or_404(selectors.import_job_list(user=request.user), pk=pk)
    return render(request, "places/import_detail.html", {"job": job})


@never_cache
@role_required(*STAFF_ROLES)
def import_status(request, pk: int):
    job = get_object_or_404(selectors.import_job_list(user=request.user), pk=pk)
    return JsonResponse(import_progress(job))


@role_required(*STAFF_ROLES)
def import_template(request):
    return xlsx.response(importer.template_workbook(), "standard-address-template.xlsx")


@role_required(*STAFF_ROLES)
def search(request):
    """The header's search box: grouped results with links, within the user's scope."""
    q = request.GET.get("q") or ""
    error, groups = None, []
    if q.strip():
        try:
            results = run_search(user=request.user, q=q)
        except selectors.QueryTooShort as exc:
            error = str(exc)
        else:
            for kind in KINDS:
                rows = [r for r in results if r["kind"] == kind]
                if rows:
                    groups.append({"kind": kind, "label": KIND_LABELS[kind], "rows": rows})
    return render(
        request,
        "places/search.html",
        {"q": q[:100], "error": error, "groups": groups},
        status=400 if error else 200,
    )
