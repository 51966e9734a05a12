"""The one search box: incident numbers, phones (exact, normalised), standard addresses, person and
party names, enterprises, hazards and disputes — grouped, each group within the caller's scope
(an incident number of another station finds nothing), phones and names masked as the role's rule
says, and searches by personal data (a phone, a name) audited."""

import re
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.lookups import Contains
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qianwan.masking import mask_name, mask_phone
from qianwan.org.choices import STAFF_ROLES
from qianwan.validators import LANDLINE_RE, MOBILE_RE, normalize_phone

from . import selectors
from .selectors import clean_query

PER_GROUP = 10
KINDS = ["incident", "address", "dispute", "hazard", "enterprise", "party"]


def looks_like_phone(text: str) -> str:
    """The normalised number when ``text`` is a whole mobile or landline number, else ""."""
    phone = normalize_phone(text)
    return phone if MOBILE_RE.match(phone) or LANDLINE_RE.match(phone) else ""


FREE_TEXT_DAYS = 7  # typed (未标准化) incident addresses are searched over the last week only
SHORT_TEXT_DAYS = 90  # dispute addresses and summaries, for a word of one or two characters


def _incidents(user, text, phone, address_ids):
    """By the normalised phone (exact); by the number (exact, the unique index); else by address: the
    incidents at the matching standard addresses, and the last week's typed addresses."""
    from incidents import selectors as incident_selectors
    from incidents.models import Incident
    from qianwan.org.scopes import scope_queryset

    qs = scope_queryset(Incident.objects.select_related("station"), user)
    newest = ("-received_at", "-id")
    if phone:
        found = list(qs.filter(caller_phone=phone).order_by(*newest)[:PER_GROUP])
    elif re.fullmatch(r"[A-Za-z]{0,4}\d[\dA-Za-z-]{3,}", text):
        found = list(qs.filter(number=text.upper()).order_by(*newest)[:PER_GROUP])
    else:
        # the two ways in, each the newest first on its own index, merged: as one OR the database
        # read every call of the week before sorting (80 ms at 10M for a word most addresses hold)
        since = timezone.now() - timedelta(days=FREE_TEXT_DAYS)
        found = list(qs.filter(standard_address_id__in=address_ids).order_by(*newest)[:PER_GROUP])
        found += qs.filter(received_at__gte=since, address__icontains=text).order_by(*newest)[:PER_GROUP]
        found = sorted(
            {row.pk: row for row in found}.values(), key=lambda r: (r.received_at, r.pk), reverse=True
        )
    see = incident_selectors.can_see_phone(user)
    out = []
    for row in found[:PER_GROUP]:
        title = f"{row.number} {row.get_category_display()} {row.address}".strip()
        if phone:
            title += " · " + (row.caller_phone if see else mask_phone(row.caller_phone))
        if row.repeat_count:
            title += " · " + _("重复报警")
        out.append({"kind": "incident", "id": row.pk, "title": title, "url": f"/incidents/{row.pk}/"})
    return out


def _addresses(user, text) -> list:
    return list(
        selectors.address_matches(selectors.address_list(user=user).filter(is_active=True), text)[:PER_GROUP]
    )


def _address_rows(addresses) -> list[dict]:
    return [
        {
            "kind": "address",
            "id": a.pk,
            "title": f"{a.text}（{a.code}）",
            "url": reverse("places:address_edit", args=[a.pk]),
        }
        for a in addresses
    ]


def _disputes(user, text, phone):
    from disputes import selectors as dispute_selectors

    qs = dispute_selectors.dispute_list(user=user)
    if phone:
        qs = qs.filter(parties__phone=phone)
    else:
        words = qs.filter(Q(address__icontains=text) | Q(summary__icontains=text))
        if len(text) < 3:
            # one or two characters hold no trigram, so their index would hand back every row: such
            # a word is looked for in the recent disputes only, through the time index (LOWER, not
            # the indexed UPPER), while a number is still found at any age
            lowered = text.lower()
            words = qs.filter(
                Q(Contains(Lower("address"), lowered)) | Q(Contains(Lower("summary"), lowered)),
                occurred_at__gte=timezone.now() - timedelta(days=SHORT_TEXT_DAYS),
            )
        qs = qs.filter(number=text.upper()) | words
    return [
        {
            "kind": "dispute",
            "id": d.pk,
            "title": f"{d.number} {d.get_category_display()} {d.address}".strip(),
            "url": f"/disputes/{d.pk}/",
        }
        for d in qs.distinct().order_by("-id")[:PER_GROUP]
    ]


def _parties(user, text):
    from disputes import selectors as dispute_selectors
    from disputes.models import Party

    disputes = dispute_selectors.dispute_list(user=user)
    see = dispute_selectors.sees_parties(user)
    rows = Party.objects.filter(dispute__in=disputes, name__icontains=text).select_related("dispute")[
        :PER_GROUP
    ]
    return [
        {
            "kind": "party",
            "id": p.pk,
            "title": f"{p.name if see else mask_name(p.name)} · {p.dispute.number}",
            "url": f"/disputes/{p.dispute_id}/",
        }
        for p in rows
    ]


def _hazards(user, text):
    from risks import selectors as risk_selectors

    qs = risk_selectors.hazard_list(user=user)
    qs = (
        qs.filter(title__icontains=text)
        | qs.filter(number__icontains=text)
        | qs.filter(address__icontains=text)
    )
    return [
        {
            "kind": "hazard",
            "id": h.pk,
            "title": f"{h.number or '—'} {h.title}",
            "url": f"/risks/hazards/{h.pk}/",
        }
        for h in qs.order_by("-id")[:PER_GROUP]
    ]


def _enterprises(user, text):
    from enterprises import selectors as enterprise_selectors

    qs = enterprise_selectors.enterprise_list(user=user)
    qs = (
        qs.filter(name__icontains=text)
        | qs.filter(credit_code=text.upper())
        | qs.filter(address__icontains=text)
    )
    return [
        {"kind": "enterprise", "id": e.pk, "title": e.name, "url": f"/enterprises/registry/{e.pk}/"}
        for e in qs.order_by("name", "id")[:PER_GROUP]
    ]


def search(*, user, q) -> list[dict]:
    """The results, grouped by kind in ``KINDS`` order. Raises ``QueryTooShort`` for < 2 characters."""
    text = clean_query(q)
    if getattr(user, "role", None) not in STAFF_ROLES:
        return []
    phone = looks_like_phone(text)
    addresses = [] if phone else _addresses(user, text)
    results = _incidents(user, text, phone, [a.pk for a in addresses])
    results += _disputes(user, text, phone)
    if not phone:
        results += _address_rows(addresses)
        results += _hazards(user, text)
        results += _enterprises(user, text)
        parties = _parties(user, text)
        results += parties
    else:
        parties = []
    # by personal data: a phone number, or a text that found people by name
    personal = "phone" if phone else ("name" if parties else "")
    if personal:
        _audit(user, text=phone or text, kind=personal, count=len(results))
    return results


def _audit(user, *, text, kind, count) -> None:
    from qianwan.audit.services import audit_record

    after = {"phone": text} if kind == "phone" else {"party_name": text}
    after.update(search_by=kind, results=count)
    with transaction.atomic():
        audit_record(actor=user, action="search.personal", obj=user, after=after)
