"""Chinese everywhere by default: the zh-hans catalogue is complete, every filter form reads Chinese
(also after /api/schema/ was generated), and the browser's Accept-Language does not switch the UI."""

import gettext
import importlib
import re

import django_filters
import pytest
from django.apps import apps
from django.test import RequestFactory
from django.utils import translation

from qianwan.i18n import catalogue

CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def test_zh_hans_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = catalogue.parse(catalogue.ZH_PO.read_text(encoding="utf-8"))
    assert len(entries) > 1000
    assert catalogue.problems(entries) == []


def test_catalogue_checker_catches_an_empty_and_a_fuzzy_entry():
    po = 'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\nmsgid "Status"\nmsgstr ""\n\n#, fuzzy\nmsgid "状态"\nmsgstr "状况"\n'
    found = catalogue.problems(catalogue.parse(po))
    assert len(found) == 2 and "untranslated: 'Status'" in found[0] and "fuzzy" in found[1]
    filled = catalogue.parse(catalogue.fill(po))
    # a Chinese msgid is its own text; an English one is left for a person to translate
    assert [(e.msgid, e.msgstr[0], e.fuzzy) for e in filled[1:]] == [
        ("Status", "", False),
        ("状态", "状态", False),
    ]


def test_compiled_catalogue_matches_the_po():
    compiled = gettext.GNUTranslations(open(catalogue.ZH_PO.with_suffix(".mo"), "rb"))
    for entry in catalogue.parse(catalogue.ZH_PO.read_text(encoding="utf-8")):
        if entry.msgid and entry.msgid_plural is None and not entry.obsolete:
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            assert compiled._catalog.get(key) == entry.msgstr[0], f"run `make messages`: {entry.msgid!r}"


def _filtersets():
    for app in apps.get_app_configs():
        if app.name.startswith(
            ("incidents", "risks", "enterprises", "traffic", "antifraud", "disputes", "qianwan")
        ):
            try:
                importlib.import_module(f"{app.name}.filtersets")
            except ModuleNotFoundError:
                pass
    seen, todo = [], list(django_filters.FilterSet.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in (
            "incidents",
            "risks",
            "enterprises",
            "traffic",
            "antifraud",
            "disputes",
            "qianwan",
        ):
            seen.append(cls)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__name__}")


def _labels(form):
    for name, field in form.fields.items():
        yield name, field.label
        for value, label in getattr(field, "choices", []) or []:
            if isinstance(label, (list, tuple)):
                continue
            yield f"{name}={value}", label


def _english_or_missing(filterset_class, user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    model = filterset_class._meta.model
    form = filterset_class(None, queryset=model.objects.none(), request=request).form
    html = form.as_div()
    bad = [f"{filterset_class.__name__}.{name}: {label!r}" for name, label in _labels(form)
           if label is None or (not CJK.search(str(label)) and ENGLISH_WORD.search(str(label)))]  # fmt: skip
    bad += [
        f"{filterset_class.__name__}: {text}" for text in ("---------", "未知", "descending") if text in html
    ]
    return bad


@pytest.mark.django_db
def test_every_filter_form_is_chinese_also_after_a_schema_request(client, admin_user):
    classes = _filtersets()
    assert len(classes) >= 15, classes
    with translation.override("zh-hans"):
        assert [bad for cls in classes for bad in _english_or_missing(cls, admin_user)] == []
    client.force_login(admin_user)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/schema/?lang=en").status_code == 200
    with translation.override("zh-hans"):
        assert [bad for cls in classes for bad in _english_or_missing(cls, admin_user)] == []
        # the pages themselves, in a request after the schema
        page = client.get("/exchange/inbound/").content.decode()
        assert "状态" in page and "来源" in page


@pytest.mark.django_db
def test_disputes_sort_menu_is_chinese(client, officer):
    client.force_login(officer)
    page = client.get("/disputes/").content.decode()
    assert "发生时间（从晚到早）" in page and "descending" not in page and "Occurred" not in page


@pytest.mark.django_db
def test_chinese_regardless_of_accept_language_until_the_user_picks_english(client, officer):
    client.force_login(officer)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans" and "工作台" in page.content.decode()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="en-US")
    assert switched.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert page["Content-Language"] == "en" and "Workbench" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en-US")["Content-Language"] == "zh-hans"
