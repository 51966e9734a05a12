"""How a figure is shown: one dict per card, the same for the page, the JSON endpoint and the workbook.

Rules (architecture.md, "Measuring like the trade does"): every rate with its counts; "—" where the
base is zero; counts only, no percentage, below ``MIN_EVENTS`` events; a change carries the Poisson
flag (|Z| ≥ 2 = likely real, otherwise normal variation); a figure whose source is not available says
so instead of showing a number.
"""

from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from qianwan.kpi import MIN_EVENTS

DASH = "—"


def link(url_name: str, **params) -> str | None:
    """A list page filtered by ``params`` (blank values dropped); None when the page does not exist."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def pct(value: float | None, digits: int = 1) -> str:
    """0.8294 → "82.9%"; "—" without a base. Pages use it as the ``pct`` filter (``{% load figures %}``)."""
    return DASH if value is None else f"{value * 100:.{digits}f}%"


def signed_pct(value: float | None) -> str:
    """A change with its arrow and without its sign: -0.083 → "↓ 8.3%"; "—" without a base."""
    if value is None:
        return DASH
    arrow = "↑" if value > 0 else ("↓" if value < 0 else "→")
    return f"{arrow} {abs(value) * 100:.1f}%"


def change_text(change: dict | None) -> tuple[str, str | None]:
    """(display, flag) of a ``qianwan.kpi.count_change`` dict. flag: significant / normal / None."""
    if not change or change.get("before") is None:
        return DASH, None
    flag = (
        None if change.get("significant") is None else ("significant" if change["significant"] else "normal")
    )
    return signed_pct(change.get("change")), flag


def _change_fields(change: dict | None, label: str) -> dict:
    if change is None:
        return {}
    text, flag = change_text(change)
    return {
        "change": {
            "label": label,
            "display": text,
            "flag": flag,
            "now": change.get("now"),
            "before": change.get("before"),
            "z": change.get("z"),
            "value": change.get("change"),
        }
    }


def rate_card(
    key: str, label: str, definition: str, num: int, den: int, url: str | None = None, note: str = ""
) -> dict:
    """A rate: "—" on a zero base, counts only below MIN_EVENTS, otherwise the percentage and counts."""
    if not den:
        display, value = DASH, None
    elif den < MIN_EVENTS:
        display, value = f"{num} / {den}", None
        note = note or _("不足%(n)d件，只列件数") % {"n": MIN_EVENTS}
    else:
        value = num / den
        display = pct(value)
    return {
        "key": key,
        "kind": "rate",
        "label": label,
        "definition": definition,
        "available": True,
        "value": value,
        "display": display,
        "num": num,
        "den": den,
        "counts": f"{num} / {den}",
        "note": note,
        "url": url,
    }


def proportion_card(key: str, label: str, definition: str, prop: dict, url: str | None = None) -> dict:
    """A proportion from ``qianwan.kpi.proportion`` with its 95% Wilson interval."""
    card = rate_card(key, label, definition, prop["successes"], prop["n"], url)
    if card["value"] is not None and prop.get("ci_low") is not None:
        card["interval"] = [prop["ci_low"], prop["ci_high"]]
        card["note"] = _("95%%区间 %(lo)s–%(hi)s") % {"lo": pct(prop["ci_low"]), "hi": pct(prop["ci_high"])}
    return card


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
        "counts": "",
        "note": note,
        "url": url,
        **_change_fields(change, change_label or _("同比")),
    }


def seconds_text(seconds: int | None) -> str:
    if seconds is None:
        return DASH
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes}分{sec}秒" if minutes else f"{sec}秒"


def duration_card(
    key: str, label: str, definition: str, seconds: int | None, n: int, url: str | None = None
) -> dict:
    shown = seconds is not None and n >= MIN_EVENTS
    return {
        "key": key,
        "kind": "duration",
        "label": label,
        "definition": definition,
        "available": True,
        "value": seconds if shown else None,
        "display": seconds_text(seconds) if shown else DASH,
        "counts": _("%(n)d 起") % {"n": n},
        "note": "" if shown or not n else _("不足%(n)d件，不计分位数") % {"n": MIN_EVENTS},
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
