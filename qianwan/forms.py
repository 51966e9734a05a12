"""Pieces the apps' forms share: a service's ValidationError put on the form, a date range in order, a
station field limited to the user's scope."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qianwan.org.choices import STATION_ROLES
from qianwan.org.selectors import stations_in_scope
from qianwan.references import REFERENCE_CODE, not_found_message


def add_errors(form, exc: ValidationError) -> None:
    """Put a (service's) ValidationError on the form: each message next to the field it names, the
    others above the fields."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class DateRangeMixin:
    """``date_to`` may not be earlier than ``date_from`` (when both are given): an error on ``date_to``
    that names both fields by their labels."""

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error(
                "date_to",
                _("“%(to)s”不能早于“%(from)s”。")
                % {"to": self.fields["date_to"].label, "from": self.fields["date_from"].label},
            )
        return data


class ScopedStationMixin:
    """The form's ``station`` offers only the stations the user may see (another one is an invalid
    choice); officers and station leaders get their own, without an "all" choice."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = self.stations_for(user)
        # the choice reads as the station's name (the value stays the record's key)
        self.fields["station"].label_from_instance = lambda station: station.name
        # a filter's empty choice means every station: "全部", not "---------"
        self.fields["station"].empty_label = None if user.role in STATION_ROLES else _("全部")

    def stations_for(self, user):
        return stations_in_scope(user=user)


# ---------------------------------------------------------------- references (qianwan/references.py)


class ScopedModelChoiceField(forms.ModelChoiceField):
    """A reference on a page: the choices are ``scope(user=...)`` (set by :class:`ScopedFormMixin`),
    so the form offers only in-scope records, and a posted id outside them is refused with the same
    message as one that does not exist."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        kwargs.setdefault("queryset", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code == "invalid_choice":
                raise ValidationError(not_found_message(value), code=REFERENCE_CODE) from None
            raise


class ScopedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several references on a page, limited like :class:`ScopedModelChoiceField`."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        kwargs.setdefault("queryset", None)
        super().__init__(**kwargs)

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except ValidationError as exc:
            if exc.code in ("invalid_choice", "invalid_pk_value"):
                raise ValidationError(
                    not_found_message((exc.params or {}).get("value", (exc.params or {}).get("pk", ""))),
                    code=REFERENCE_CODE,
                ) from None
            raise


class ScopedFormMixin:
    """Sets every scoped reference field's choices from the form's ``user`` (a keyword argument).

    A form that also needs ``user`` itself finds it as ``self.user``."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, ScopedModelChoiceField | ScopedModelMultipleChoiceField):
                field.queryset = field.scope(user=user)
