from django.db.models import Q, QuerySet

from qianwan.kpi import local_day_range
from qianwan.org.choices import Role

from .models import AuditEntry


def audit_entries(
    *, user, q: str = "", action: str = "", date_from=None, date_to=None
) -> QuerySet[AuditEntry]:
    """Bureau leaders and admins see every row; a station leader the rows of their station's people."""
    qs = AuditEntry.objects.all()
    if user.role == Role.STATION_LEADER:
        qs = qs.filter(actor__station_id=user.station_id)
    elif user.role not in (Role.BUREAU_LEADER, Role.ADMIN):
        return qs.none()
    if q:
        qs = qs.filter(
            Q(actor_label__icontains=q) | Q(object_repr__icontains=q) | Q(object_id=q) | Q(request_id=q)
        )
    if action:
        qs = qs.filter(action__startswith=action)
    # local days as instants, so the time index answers (``at__date`` cast every row: 1.8 s at 10M)
    if date_from:
        qs = qs.filter(at__gte=local_day_range(date_from, date_from)[0])
    if date_to:
        qs = qs.filter(at__lt=local_day_range(date_to, date_to)[1])
    return qs
