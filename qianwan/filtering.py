"""GET filters on HTML pages: bad input is a 400 with the errors on the form, never a 200 that silently
drops the bad field (a broader result) or shows rows of a half-applied filter.

``filtered(filterset, user=...)`` gives the filtered queryset, or ``None`` when the input is bad; the
page then answers 400 with the same template, the errors next to the fields and no rows (an
``?export=xlsx`` with bad input gets that 400 page, not a file). Beyond the form's own validation it
refuses what django-filter would otherwise let through: a yes/no field with another value (the widget
reads it as "any"), a station code outside the user's scope (unknown and out-of-scope read the same, so
the message says nothing about other stations) and a ValidationError a filter method raises.
"""

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.forms import CharField, NullBooleanField, NullBooleanSelect, Select
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qianwan.forms import add_errors
from qianwan.org.selectors import stations_in_scope


class YesNoSelect(NullBooleanSelect):
    """A yes/no filter: 全部 / 是 / 否 (Django's NullBooleanSelect offers 未知, which is no answer a
    filter can take). "全部" is the empty value; "unknown" from an old link still means "any"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [
            ("", gettext_lazy("全部")),
            ("true", gettext_lazy("是")),
            ("false", gettext_lazy("否")),
        ]

    def format_value(self, value):
        return {True: "true", False: "false", "true": "true", "false": "false"}.get(value, "")


def station_in_scope(user, code: str) -> bool:
    return stations_in_scope(user=user).filter(code=code).exists()


def station_error(code: str) -> str:
    return _("派出所代码“%(value)s”不存在或不在您的管辖范围内。") % {"value": code}


def station_choices(user) -> list[tuple[str, str]]:
    """The stations the user may see as (code, name) choices after "全部": a filter offers names, and
    its query value stays the code (links and the API read the same ``?station=ADS``)."""
    rows = stations_in_scope(user=user).order_by("code").values_list("code", "name")
    return [("", gettext_lazy("全部")), *rows]


def name_station_fields(form, user, names) -> None:
    """Turn each free-text station-code field of a filter form into a select of station names."""
    choices = None
    for name in names:
        field = form.fields.get(name)
        if field is None or not isinstance(field, CharField):
            continue
        if choices is None:
            choices = station_choices(user)
        field.widget = Select(choices=choices)


def name_code_fields(filterset, skip=()) -> None:
    """Turn each free-text ``<reference>__code`` filter (a catalogue: service items, lecturer teams…)
    into a select of the catalogue's names; the query value stays the code, as links and the API use."""
    model = filterset.queryset.model
    for name, flt in filterset.filters.items():
        field = filterset.form.fields.get(name)
        path = (flt.field_name or "").split("__")
        if name in skip or field is None or not isinstance(field, CharField) or path[-1:] != ["code"]:
            continue
        related = model
        for part in path[:-1]:
            try:
                related = related._meta.get_field(part).related_model
            except FieldDoesNotExist:
                related = None  # a path this helper does not understand keeps its text box
            if related is None:
                break
        if related is None or not {"code", "name"} <= {f.name for f in related._meta.get_fields()}:
            continue
        rows = related.objects.order_by("name", "code").values_list("code", "name")
        field.widget = Select(choices=[("", gettext_lazy("全部")), *rows])


def _check_yes_no(form) -> None:
    for name, field in form.fields.items():
        if not isinstance(field, NullBooleanField) or name not in form.cleaned_data:
            continue
        key = form.add_prefix(name)
        raw = form.data.get(key)
        if raw in (None, "", "unknown"):
            continue
        if field.widget.value_from_datadict(form.data, form.files, key) is None:
            form.add_error(name, _("请选择“是”或“否”，或留空表示不限。"))


def _check_stations(form, user, names) -> None:
    for name in names:
        code = form.cleaned_data.get(name) if name in form.fields else None
        if code and not station_in_scope(user, code):
            form.add_error(name, station_error(code))


def filtered(filterset, *, user, station_fields=("station",)):
    """The filterset's queryset, or None when the input is bad (the errors are then on ``filterset.form``).

    An unbound filterset (no query string) is the unfiltered queryset. ``station_fields`` name the
    filters that take a station code; each must be a station the user may see, and each is shown as a
    select of the user's stations by name."""
    form = filterset.form
    name_station_fields(form, user, station_fields)
    name_code_fields(filterset, skip=station_fields)
    if not filterset.is_bound:
        return filterset.qs
    form.is_valid()  # the checks below read what is valid, so that every error shows at once
    _check_yes_no(form)
    _check_stations(form, user, station_fields)
    if form.errors:
        return None
    try:
        return filterset.qs
    except ValidationError as exc:
        add_errors(form, exc)
        return None


def empty_page(queryset, per_page: int = 50):
    """Page 1 of nothing: what a list shows under a filter that has errors."""
    return Paginator(queryset.none(), per_page).get_page(1)
