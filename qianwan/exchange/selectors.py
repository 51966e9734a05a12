"""Reads of the exchange: scoped lists and the exchange KPI."""

from datetime import date

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from qianwan.kpi import local_day_range, rate
from qianwan.org.choices import Role
from qianwan.org.scopes import scope_queryset

from .choices import InboundStatus, OutboundKind, OutboundStatus
from .models import InboundEvent, OutboundEvent, Partner, PartnerAccount

_NO_PARTNER = object()


def partner_of(user) -> Partner | None:
    """The partner a ``grid_client`` acts for (None for other roles and for a grid_client without
    one), whether or not the partner is enabled; kept on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.GRID_CLIENT:
        return None
    cached = getattr(user, "_exchange_partner", _NO_PARTNER)
    if cached is _NO_PARTNER:
        account = PartnerAccount.objects.select_related("partner").filter(user=user).first()
        cached = account.partner if account is not None else None
        user._exchange_partner = cached
    return cached


def _partner_scope(qs: QuerySet, user, field: str) -> QuerySet:
    """Staff by station (officers) or all (leaders, admin); a grid_client only its own partner's."""
    qs = scope_queryset(qs, user, grid_client=True)
    if getattr(user, "is_authenticated", False) and user.role == Role.GRID_CLIENT:
        partner = partner_of(user)
        return qs.filter(**{field: partner.code}) if partner is not None else qs.none()
    return qs


def inbound_list(*, user) -> QuerySet[InboundEvent]:
    """Grid clients see the events their partner sent; officers their station's triage queue; leaders all."""
    return _partner_scope(InboundEvent.objects.select_related("station"), user, "source")


def outbound_list(*, user) -> QuerySet[OutboundEvent]:
    """Grid clients see the events addressed to their partner; officers their station's; leaders all."""
    return _partner_scope(OutboundEvent.objects.select_related("station"), user, "target")


def outbound_for(obj) -> QuerySet[OutboundEvent]:
    """Outbound events about a record (e.g. a diverted incident's event for 12345, with its ack)."""
    return OutboundEvent.objects.filter(source_type=obj._meta.label_lower, source_id=str(obj.pk))


# What "pushed" counts: referrals the police made. Automatic status feedback on an event the partner
# sent (``inbound_status``) is not a referral and is never counted.
REFERRAL_KINDS = (OutboundKind.DIVERSION, OutboundKind.HAZARD, OutboundKind.DISPUTE)
INCIDENT_RESULT = "incidents.incident"
DISPUTE_RESULT = "disputes.dispute"


def counted_outbound(qs: QuerySet[OutboundEvent]) -> QuerySet[OutboundEvent]:
    """The outbound events ``outbound`` counts (and its drill-down lists): the police's referrals."""
    return qs.filter(kind__in=REFERRAL_KINDS)


def _result_closed_q() -> Q:
    """The inbound event became an incident that is closed, or a dispute that is handled or closed."""
    from disputes.choices import Status as DisputeStatus
    from disputes.models import Dispute
    from incidents.choices import Status as IncidentStatus
    from incidents.models import Incident

    # result_id is text (blank when nothing was made of the event): compare as text, never cast it
    incident_closed = Exists(
        Incident.objects.annotate(key=Cast("pk", CharField())).filter(
            key=OuterRef("result_id"), status=IncidentStatus.CLOSED
        )
    )
    dispute_closed = Exists(
        Dispute.objects.annotate(key=Cast("pk", CharField())).filter(
            key=OuterRef("result_id"), status__in=(DisputeStatus.HANDLED, DisputeStatus.CLOSED)
        )
    )
    return (Q(result_type=INCIDENT_RESULT) & Q(incident_closed)) | (
        Q(result_type=DISPUTE_RESULT) & Q(dispute_closed)
    )


def inbound_handled_q() -> Q:
    """Handled: not rejected, and either the incident or dispute it became is closed, or it was worked
    through ``handle`` with a note."""
    worked = Q(status=InboundStatus.HANDLED) & ~Q(outcome_note="")
    return ~Q(status=InboundStatus.REJECTED) & (_result_closed_q() | worked)


def exchange_kpis(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Events created in the period (api-contract.md, ``kpis/exchange``):

    - ``outbound``: referrals the police made (diversions to 12345, hazards handed to the local
      government, disputes pushed for attention), never automatic status feedback;
      ``outbound_handled``: those the partner acked ``handled``; rate = handled ÷ outbound.
    - ``inbound``: events the partners sent; ``inbound_rejected`` counted apart; ``inbound_handled``:
      not rejected, and the incident or dispute it became is closed, or it was worked through
      ``handle`` with a note; rate = handled ÷ (inbound − rejected).
    """
    start, end = local_day_range(date_from, date_to)
    outbound = counted_outbound(outbound_list(user=user)).filter(created_at__gte=start, created_at__lt=end)
    inbound = inbound_list(user=user).filter(created_at__gte=start, created_at__lt=end)
    if station is not None:
        outbound, inbound = outbound.filter(station=station), inbound.filter(station=station)
    out = outbound.aggregate(n=Count("id"), handled=Count("id", filter=Q(status=OutboundStatus.HANDLED)))
    inn = inbound.aggregate(
        n=Count("id"),
        rejected=Count("id", filter=Q(status=InboundStatus.REJECTED)),
        handled=Count("id", filter=inbound_handled_q()),
    )
    return {
        "outbound": out["n"],
        "inbound": inn["n"],
        "inbound_rejected": inn["rejected"],
        "outbound_handled": out["handled"],
        "inbound_handled": inn["handled"],
        "outbound_handled_rate": rate(out["handled"], out["n"]),
        "inbound_handled_rate": rate(inn["handled"], inn["n"] - inn["rejected"]),
    }
