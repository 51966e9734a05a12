"""Pages: the station's triage queue of inbound grid/12345 events."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from qianwan.errors import StateConflict
from qianwan.forms import ScopedStationMixin, add_errors
from qianwan.listing import render_list
from qianwan.org.access import role_required
from qianwan.org.choices import STAFF_ROLES

from . import selectors, services
from .choices import InboundStatus
from .filtersets import InboundEventFilter, ReferralFilter


class WorkForm(forms.Form):
    note = forms.CharField(
        label=_lazy("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(ScopedStationMixin, forms.Form):
    station = forms.ModelChoiceField(label=_lazy("分派给派出所"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["station"].queryset = self.fields["station"].queryset.filter(is_active=True)
        self.fields["station"].empty_label = _("请选择")


def _detail_context(request, event, **extra) -> dict:
    context = {"event": event, "outbound": selectors.outbound_for(event), "form": WorkForm()}
    if request.user.role in services.TRIAGE_ROLES and event.status == InboundStatus.PENDING:
        context["assign_form"] = AssignForm(user=request.user, initial={"station": event.station_id})
    context.update(extra)
    return context


@role_required(*STAFF_ROLES)
def inbound_list(request):
    """The triage queue (pending unless another status is asked). Bad filter input (or a station outside
    the user's scope) is a 400 page with the errors next to the fields and no rows."""
    qs = selectors.inbound_list(user=request.user)
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = InboundStatus.PENDING
    filterset = InboundEventFilter(data, queryset=qs)
    return render_list(request, "exchange/inbound_list.html", filterset=filterset)


@role_required(*STAFF_ROLES)
def outbound_list(request):
    """The police's referrals to the grid platform and 12345 — exactly the set the exchange KPI's
    ``outbound`` counts (never the automatic status feedback). Bad filter input is a 400 page."""
    qs = selectors.counted_outbound(selectors.outbound_list(user=request.user)).order_by("-created_at")
    filterset = ReferralFilter(request.GET or None, queryset=qs)
    return render_list(request, "exchange/outbound_list.html", filterset=filterset)


@role_required(*STAFF_ROLES)
def inbound_detail(request, pk: int):
    event = get_object_or_404(selectors.inbound_list(user=request.user), pk=pk)
    return render(request, "exchange/inbound_detail.html", _detail_context(request, event))


@require_POST
@role_required(*services.TRIAGE_ROLES)
def inbound_assign(request, pk: int):
    """The bureau's triage: assign the event to a station (audited; the station is told)."""
    event = get_object_or_404(selectors.inbound_list(user=request.user), pk=pk)
    form = AssignForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.inbound_assign_station(
                actor=request.user, event=event, station=form.cleaned_data["station"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("exchange:inbound_detail", pk=pk)
        else:
            messages.success(
                request, _("已分派给 %(station)s。") % {"station": form.cleaned_data["station"].name}
            )
            return redirect("exchange:inbound_detail", pk=pk)
    return render(
        request, "exchange/inbound_detail.html", _detail_context(request, event, assign_form=form), status=400
    )


@require_POST
@role_required(*STAFF_ROLES)
def inbound_work(request, pk: int, outcome: str):
    event = get_object_or_404(selectors.inbound_list(user=request.user), pk=pk)
    form = WorkForm(request.POST)
    status = {"reject": InboundStatus.REJECTED, "handle": InboundStatus.HANDLED}.get(outcome)
    if status is None:
        raise Http404
    if form.is_valid():
        try:
            services.inbound_work(
                actor=request.user, event=event, status=status, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("note", message)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("exchange:inbound_detail", pk=pk)
        else:
            messages.success(request, _("已处理，结果已回传来源平台。"))
            return redirect("exchange:inbound_detail", pk=pk)
    return render(
        request, "exchange/inbound_detail.html", _detail_context(request, event, form=form), status=400
    )
