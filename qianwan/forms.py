"""Pieces the apps' forms share: a service's ValidationError put on the form, a date range in order, a
station field limited to the user's scope."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qianwan.org.choices import STATION_ROLES
from qianwan.org.selectors import stations_in_scope


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
        # a filter's empty choice means every station: "全部", not "---------"
        self.fields["station"].empty_label = None if user.role in STATION_ROLES else _("全部")

    def stations_for(self, user):
        return stations_in_scope(user=user)
