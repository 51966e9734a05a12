from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from qianwan.filtering import empty_page
from qianwan.forms import DateRangeMixin
from qianwan.listing import Window, apply_window, list_page
from qianwan.org.access import role_required
from qianwan.org.choices import LEADER_ROLES

from .presentation import present
from .selectors import audit_entries


class AuditFilterForm(DateRangeMixin, forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    action = forms.CharField(label=_("动作"), required=False, max_length=80)
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


# the trail opens on the last 7 days unless the URL names a period
AUDIT_WINDOW = Window(days=7, field="at", period_params=("date_from", "date_to"))


@role_required(*LEADER_ROLES)
def audit_list(request):
    """A searchable view of the audit trail for leaders.

    Bad filter input (a date that is not one, the dates reversed, a keyword too long) is a 400 page with
    the errors next to the fields and no rows, never the unfiltered trail."""
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        page = empty_page(audit_entries(user=request.user), 50)
        return render(request, "audit/list.html", {"form": form, "page": page}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    entries = audit_entries(user=request.user, **{k: v for k, v in filters.items() if v})
    entries, window = apply_window(request, entries.select_related("actor"), AUDIT_WINDOW)
    page = list_page(request, entries)
    context = {"form": form, "page": page, "rows": present(page), "window": window}
    return render(request, "audit/list.html", context)
