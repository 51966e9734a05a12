"""Writing the standard-address register: one address (the officers' page), an import (all or nothing),
and the place rules every form shares (derive station and block from a point, the district check,
resolve an ``address_code``)."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.audit.services import audit_record, snapshot
from qianwan.org import selectors as org_selectors
from qianwan.org.choices import STAFF_ROLES, STATION_ROLES, RoutedBy
from qianwan.security.uploads import store_upload
from qianwan.tasking import publish_on_commit

from .choices import ImportStatus
from .models import PARTS, AddressImportJob, StandardAddress

MAX_IMPORT_BYTES = 20 * 1024 * 1024
AUDIT_FIELDS = ["code", "text", "lat", "lon", "station", "block", "grid", "is_active"]


# --- the place rules ---------------------------------------------------------------------------------


def in_district(lat: float, lon: float) -> bool:
    """Whether a point lies in the district: the union of the active stations' boundaries. Without any
    boundary drawn there is no district to be outside of."""
    station, routed_by = org_selectors.route_point(lat=lat, lon=lon)
    if routed_by == RoutedBy.BOUNDARY:
        return True
    return not any(geometry is not None for _s, geometry, _b in org_selectors._routing_table())


def district_error(lat, lon) -> str | None:
    """The reason a page refuses a point, or None (pages refuse points outside the district; the API
    accepts any WGS84 point and flags it)."""
    if lat is None or lon is None:
        return None
    if in_district(lat, lon):
        return None
    return _(
        "坐标（%(lat).5f, %(lon).5f）不在本分局辖区内（各派出所辖区范围之外），请在地图上重新选点或核对地址。"
    ) % {"lat": lat, "lon": lon}


def derive_place(address: StandardAddress) -> None:
    """Station (the boundary containing the point) and dispute block (that station's block), from the point."""
    from disputes.selectors import block_for_point

    station, routed_by = org_selectors.route_point(lat=address.lat, lon=address.lon)
    address.station = station if routed_by == RoutedBy.BOUNDARY else None
    address.block = (
        block_for_point(station=address.station, lat=address.lat, lon=address.lon)
        if address.station
        else None
    )


def address_by_code(code) -> StandardAddress | None:
    if not isinstance(code, str) or not code.strip() or len(code) > 40:
        return None
    return StandardAddress.objects.filter(code=code.strip(), is_active=True).first()


def resolve_place(*, address: str = "", lat=None, lon=None, address_code=None, field: str = "address_code"):
    """What a record stores for its place: ``(standard_address, address_text, lat, lon)``.

    ``address_code`` (a standard address's code) gives the text and the point (a point given with it
    wins: the pin was moved); without it the typed text and point are kept as they are, unlinked
    (未标准化, for a later match). An unknown code → ``ValidationError({field: …})``."""
    if address_code not in (None, ""):
        found = address_by_code(address_code)
        if found is None:
            raise ValidationError(
                {field: [_("未找到标准地址编码：%(code)s") % {"code": str(address_code)[:40]}]}
            )
        if lat is None or lon is None:
            lat, lon = found.lat, found.lon
        return found, found.text, lat, lon
    return None, address, lat, lon


# --- one address (the officers' page) ----------------------------------------------------------------


def _can_keep(actor, address: StandardAddress | None) -> None:
    if getattr(actor, "role", None) not in STAFF_ROLES:
        raise PermissionDenied(_("您的角色不能维护标准地址。"))
    if address is not None and address.pk and actor.role in STATION_ROLES:
        if address.station_id not in (None, actor.station_id):
            raise PermissionDenied(_("只能维护本所辖区的标准地址。"))


@transaction.atomic
def address_save(*, actor, address: StandardAddress | None = None, **data) -> StandardAddress:
    """Create or change one standard address; station and block follow from its point. A station
    officer keeps their own station's addresses (a point outside it is refused)."""
    _can_keep(actor, address)
    before = snapshot(address, AUDIT_FIELDS) if address and address.pk else None
    address = address or StandardAddress()
    for field in [*PARTS, "code", "grid", "lat", "lon", "is_active"]:
        if field in data:
            setattr(address, field, data[field])
    address.text = address.compose()
    address.full_clean(exclude=["station", "block"])
    problem = district_error(address.lat, address.lon)
    if problem:
        raise ValidationError({"lat": [problem]})
    derive_place(address)
    if actor.role in STATION_ROLES and address.station_id != actor.station_id:
        raise ValidationError({"lat": [_("该坐标不在本所辖区内，只能维护本所辖区的标准地址。")]})
    address.save()
    audit_record(
        actor=actor,
        action="places.address.save",
        obj=address,
        before=before,
        after=snapshot(address, AUDIT_FIELDS),
    )
    return address


# --- import ------------------------------------------------------------------------------------------


def import_job_create(*, actor, file) -> AddressImportJob:
    """Accept an .xlsx/.csv upload and queue its validation and import (progress is stored on the job)."""
    if getattr(actor, "role", None) not in STAFF_ROLES:
        raise PermissionDenied(_("您的角色不能导入标准地址。"))
    name = getattr(file, "name", "") or ""
    stored = store_upload(file, folder="places/imports", kinds=("xlsx", "csv"), max_bytes=MAX_IMPORT_BYTES)
    with transaction.atomic():
        job = AddressImportJob.objects.create(created_by=actor, original_name=name[:200], file=stored.name)
        audit_record(
            actor=actor, action="places.import_queued", obj=job, after=snapshot(job, ["original_name"])
        )
        from .tasks import import_run

        publish_on_commit(import_run, job.pk)
    return job


def import_job_run(job_id: int) -> AddressImportJob | None:
    """Validate every row, then write all of them in one transaction, or none if any row is bad.
    Safe to call twice: only the caller that moves the job out of ``pending`` does the work."""
    from . import importer

    if not AddressImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    ):
        return None
    job = AddressImportJob.objects.select_related("created_by").get(pk=job_id)
    candidates, errors = [], []
    try:
        with job.file.open("rb") as handle:
            rows = importer.read_rows(handle, job.original_name)
        candidates, errors = importer.validate_rows(rows, job)
    except importer.UnreadableFile as exc:
        errors = [{"row": None, "column": "", "message": str(exc)}]
    created = updated = 0
    if not errors:
        for address in candidates:
            derive_place(address)
        actor = job.created_by
        if actor.role in STATION_ROLES:
            for address in candidates:
                if address.station_id != actor.station_id:
                    errors.append(
                        {
                            "row": None,
                            "column": _("纬度"),
                            "message": _("%(code)s：坐标不在本所辖区内，只能导入本所辖区的标准地址。")
                            % {"code": address.code},
                        }
                    )
    if not errors:
        try:
            with transaction.atomic():
                for address in candidates:
                    is_new = address.pk is None
                    address.save()
                    created, updated = created + is_new, updated + (not is_new)
                audit_record(
                    actor=job.created_by,
                    action="places.import",
                    obj=job,
                    after={"created": created, "updated": updated},
                )
        except IntegrityError as exc:
            created = updated = 0
            errors = [
                {"row": None, "column": "", "message": _("写入失败，未导入任何地址：%(e)s") % {"e": exc}}
            ]
    outcome = {"status": ImportStatus.FAILED if errors else ImportStatus.SUCCEEDED, "errors": errors}
    if not errors:
        outcome.update(created_count=created, updated_count=updated, processed_rows=len(candidates))
    AddressImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **outcome)
    return AddressImportJob.objects.get(pk=job_id)


def import_jobs_sweep() -> int:
    """Beat: run import jobs whose task was never published; fail jobs a killed worker left running."""
    stale = timezone.now() - timedelta(minutes=1)
    ids = list(
        AddressImportJob.objects.filter(status=ImportStatus.PENDING, created_at__lt=stale).values_list(
            "pk", flat=True
        )[:20]
    )
    for job_id in ids:
        import_job_run(job_id)
    AddressImportJob.objects.filter(
        status=ImportStatus.RUNNING, started_at__lt=timezone.now() - timedelta(minutes=15)
    ).update(
        status=ImportStatus.FAILED,
        finished_at=timezone.now(),
        errors=[{"row": None, "column": "", "message": _("导入中断，未导入任何地址，请重新上传。")}],
    )
    return len(ids)
