"""Named people on a field record: the accounts a call, a patrol, a block visit or an operation names.

One rule everywhere (api-contract.md, "Field records"): a name must be an active user of the record's
station; anything else is a 400 naming the field and the usernames at fault."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import User


def station_people(
    *, station, usernames, field: str = "officers", head_count: int | None = None, stations=None
) -> list[User]:
    """The users ``usernames`` names, in the order given (duplicates dropped), all active users of
    ``station`` (or of one of ``stations``); else ``ValidationError({field: [message]})``.
    ``head_count``: no more names than it."""
    if usernames is None:
        return []
    if isinstance(usernames, str) or not isinstance(usernames, (list, tuple)):
        raise ValidationError({field: [_("请以用户名列表给出人员。")]})
    names = []
    for name in usernames:
        name = str(name or "").strip()
        if name and name not in names:
            names.append(name)
    if head_count is not None and len(names) > head_count:
        raise ValidationError(
            {
                field: [
                    _("列出的人员（%(named)d人）多于出动人数（%(count)d人）。")
                    % {"named": len(names), "count": head_count}
                ]
            }
        )
    if not names:
        return []
    people = User.objects.filter(username__in=names, is_active=True)
    people = (
        people.filter(station__in=list(stations)) if stations is not None else people.filter(station=station)
    )
    found = {u.username: u for u in people.only("id", "username", "full_name", "station_id", "role")}
    bad = [n for n in names if n not in found]
    if bad:
        raise ValidationError(
            {
                field: [
                    _("%(names)s 不是%(station)s的在职人员，只能选择本所的在职人员。")
                    % {
                        "names": "、".join(bad),
                        "station": station.name if station else "、".join(s.name for s in stations or []),
                    }
                ]
            }
        )
    return [found[n] for n in names]
