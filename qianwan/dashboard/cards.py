"""How a figure is shown: one dict per card, the same for the page, the JSON endpoint and the workbook.

Every figure goes through ``qianwan.presenter`` (the small-number rule, the change's test and
p-value); a figure whose source is not available says so instead of showing a number.
"""

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from qianwan import presenter

DASH = presenter.DASH
pct = presenter.percent
seconds_text = presenter.seconds_text


def link(url_name: str, **params) -> str | None:
    """A list page filtered by ``params`` (blank values dropped); None when the page does not exist.
    The list counts exactly (``count=exact``: lists stop counting at 10,000), so it confirms the figure."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if query:
        query["count"] = "exact"
    return f"{url}?{urlencode(query)}" if query else url


def change_text(change: dict | None) -> tuple[str, str | None]:
    """(display, flag) of a ``qianwan.kpi.compare_counts`` dict through the shared presenter
    (counts only and no flag below a base of 5). flag: significant / normal / None."""
    shown = presenter.change(change)
    return shown["display"], shown["flag"]


def _change_fields(change: dict | None, label: str) -> dict:
    if change is None:
        return {}
    shown = presenter.change(change)
    return {
        "change": {
            "label": label,
            "display": shown["display"],
            "flag": shown["flag"],
            "flag_text": shown["flag_text"],
            "p_text": shown["p"],
            "now": change.get("now"),
            "before": change.get("before"),
            "p": change.get("p"),
            "value": change.get("change"),
        }
    }


def rate_card(
    key: str, label: str, definition: str, num: int, den: int, url: str | None = None, note: str = ""
) -> dict:
    """A rate through the presenter: "—" on a zero base, counts only below MIN_EVENTS, otherwise the
    percentage and counts."""
    shown = presenter.rate(num, den)
    return {
        "key": key,
        "kind": "rate",
        "label": label,
        "definition": definition,
        "available": True,
        "value": num / den if shown["shown"] else None,
        "display": shown["value"],
        "num": num,
        "den": den,
        "counts": shown["counts"],
        "note": note or shown["note"],
        "url": url,
    }


def proportion_card(key: str, label: str, definition: str, prop: dict, url: str | None = None) -> dict:
    """A proportion from ``qianwan.kpi.proportion`` with its 95% Wilson interval (from 5 on)."""
    card = rate_card(key, label, definition, prop["successes"], prop["n"], url)
    text = presenter.interval(prop.get("ci_low"), prop.get("ci_high"), prop["n"])
    if text:
        card["interval"] = [prop["ci_low"], prop["ci_high"]]
        card["note"] = text
    return card


def unit_of(key: str) -> str:
    """The unit shown beside a count card's figure (issue 19 item 4: every figure carries its unit)."""
    units = {
        "incidents": _("起"),
        "diverted": _("起"),
        "trend_mom": _("起"),
        "trend_yoy": _("起"),
        "dispute_incidents": _("起"),
        "accidents": _("起"),
        "major": _("起"),
        "outbound": _("件"),
        "inbound": _("件"),
        "inbound_rejected": _("件"),
        "pushed": _("件"),
        "found": _("处"),
        "closed": _("处"),
        "overdue": _("处"),
        "visits": _("次"),
        "responses": _("次"),
        "patrols": _("次"),
        "joint": _("次"),
        "lectures": _("场"),
        "sessions": _("场"),
        "audience": _("人次"),
        "deaths": _("人"),
        "victims": _("人"),
        "victims_above": _("人"),
    }
    return units.get(key, "")


def count_card(
    key: str,
    label: str,
    definition: str,
    n: int | None,
    url: str | None = None,
    *,
    change: dict | None = None,
    change_label: str = "",
    note: str = "",
) -> dict:
    return {
        "key": key,
        "kind": "count",
        "label": label,
        "definition": definition,
        "available": n is not None,
        "value": n,
        "display": DASH if n is None else f"{n:,}",
        "unit": unit_of(key),
        "counts": "",
        "note": note,
        "url": url,
        **_change_fields(change, change_label or _("同比")),
    }


def duration_card(
    key: str,
    label: str,
    definition: str,
    seconds: int | None,
    n: int,
    url: str | None = None,
    missing: int | None = None,
) -> dict:
    """A fractile over the ``n`` incidents that recorded the step, with the number missing beside it."""
    shown = presenter.fractile(seconds, n, missing)
    return {
        "key": key,
        "kind": "duration",
        "label": label,
        "definition": definition,
        "available": True,
        "value": seconds if shown["shown"] else None,
        "display": shown["value"],
        "counts": shown["counts"],
        "note": shown["note"],
        "missing": missing,
        "url": url,
    }


def unavailable(key: str, label: str, definition: str, reason: str = "") -> dict:
    return {
        "key": key,
        "kind": "unavailable",
        "label": label,
        "definition": definition,
        "available": False,
        "value": None,
        "display": DASH,
        "counts": "",
        "note": reason or _("数据暂不可用"),
        "url": None,
    }
