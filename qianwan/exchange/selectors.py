"""Reads of the exchange: scoped lists and the exchange KPI."""

from datetime import date

from django.db.models import Count, Q, QuerySet

from qianwan.kpi import local_day_range, rate
from qianwan.org.scopes import scope_queryset

from .choices import INBOUND_OUTCOMES, OutboundStatus
from .models import InboundEvent, OutboundEvent


def inbound_list(*, user) -> QuerySet[InboundEvent]:
    """Grid clients see what they sent; officers their station's triage queue; leaders all."""
    return scope_queryset(InboundEvent.objects.select_related("station"), user, grid_client=True)


def outbound_list(*, user) -> QuerySet[OutboundEvent]:
    """Grid clients see every outbound event, whatever its target; officers their station's."""
    return scope_queryset(OutboundEvent.objects.select_related("station"), user, grid_client=True)


def outbound_for(obj) -> QuerySet[OutboundEvent]:
    """Outbound events about a record (e.g. a diverted incident's event for 12345, with its ack)."""
    return OutboundEvent.objects.filter(source_type=obj._meta.label_lower, source_id=str(obj.pk))


def exchange_kpis(*, user, date_from: date, date_to: date, station=None) -> dict:
    """Events created in the period and the share of them handled (acked `handled` / worked to an outcome)."""
    start, end = local_day_range(date_from, date_to)
    outbound = outbound_list(user=user).filter(created_at__gte=start, created_at__lt=end)
    inbound = inbound_list(user=user).filter(created_at__gte=start, created_at__lt=end)
    if station is not None:
        outbound, inbound = outbound.filter(station=station), inbound.filter(station=station)
    out = outbound.aggregate(n=Count("id"), handled=Count("id", filter=Q(status=OutboundStatus.HANDLED)))
    inn = inbound.aggregate(n=Count("id"), handled=Count("id", filter=Q(status__in=INBOUND_OUTCOMES)))
    return {
        "outbound": out["n"],
        "inbound": inn["n"],
        "outbound_handled": out["handled"],
        "inbound_handled": inn["handled"],
        "outbound_handled_rate": rate(out["handled"], out["n"]),
        "inbound_handled_rate": rate(inn["handled"], inn["n"]),
    }
