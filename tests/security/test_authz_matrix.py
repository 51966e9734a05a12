"""The authorization matrix: every API operation and every page × anonymous and each role, with the
expected status in a reviewed table (tests/security/authz_table.json). An operation or page without a
row fails the test, so a new endpoint cannot ship without deciding who may call it.

Probes: collection operations are called without a body/parameters (an allowed role then gets its
2xx, or 400 for a missing field: never 401/403); detail operations use an id that does not exist,
so every authenticated role gets the same 404 whether or not the record is theirs (nothing is
revealed), or 403 where the role may not use the operation at all. Own scope versus another scope is
checked on real records at the end. Regenerate the table after a deliberate change with
AUTHZ_TABLE_WRITE=1 and review the diff.
"""

import json
import os
import re
from pathlib import Path

import pytest

from qianwan.org.choices import Role
from tests.conftest import url_routes
from tests.factories import enterprise_for

pytestmark = pytest.mark.django_db

TABLE = Path(__file__).with_name("authz_table.json")
WHO = ["anonymous", *Role.values]
MISSING = "999999"
WRITE = os.environ.get("AUTHZ_TABLE_WRITE") == "1"


def _api_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, methods in schema["paths"].items():
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((method.upper(), path))
    return sorted(ops)


def _pages() -> list[tuple[str, str]]:
    """(name, route) of every page of the project and the app namespaces (not the API, not admin)."""
    return sorted(
        {
            (name, route)
            for name, route in url_routes()
            if name is not None and not route.startswith(("api/", "admin/", "i18n/"))
        }
    )


def _fill(path: str) -> str:
    path = re.sub(r"\{[^}]+\}", MISSING, path)
    path = re.sub(r"<int:[^>]+>", MISSING, path)
    return re.sub(r"<(?:str:)?[^>]+>", "zz", path)


@pytest.fixture
def clients(make_user, station, anon_api, api_as):
    return {
        "anonymous": anon_api,
        **{role: api_as(make_user(role, username=f"authz-{role}")) for role in Role.values},
    }


def _call(client, method, url):
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, {}, format="json")


def _compare(kind: str, observed: dict, *, section: str):
    """``observed`` against the table's ``section`` (rewritten first with AUTHZ_TABLE_WRITE=1)."""
    whole = json.loads(TABLE.read_text()) if TABLE.exists() else {}
    if WRITE:
        whole[section] = observed
        TABLE.write_text(json.dumps(whole, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    table = whole.get(section, {})
    missing = sorted(set(observed) - set(table))
    stale = sorted(set(table) - set(observed))
    wrong = {
        key: {"expected": table[key], "observed": observed[key]}
        for key in sorted(set(observed) & set(table))
        if table[key] != observed[key]
    }
    assert not missing, f"{kind} without a row in {TABLE.name} (decide who may call them): {missing}"
    assert not wrong, (
        f"{kind} whose answers differ from {TABLE.name}: {json.dumps(wrong, ensure_ascii=False)}"
    )
    assert not stale, f"rows for {kind} that no longer exist: {stale}"


def _row(statuses: list[int]) -> str:
    return " ".join(str(s) for s in statuses)


def test_api_matrix(clients, django_capture_on_commit_callbacks):
    observed = {}
    for method, path in _api_operations():
        url = _fill(path)
        statuses = []
        for who in WHO:
            with django_capture_on_commit_callbacks(execute=False):
                response = _call(clients[who], method, url)
            statuses.append(response.status_code)
        observed[f"{method} {path}"] = _row(statuses)
    for key, row in observed.items():
        codes = [int(c) for c in row.split()]
        assert codes[0] == 401, f"{key}: anonymous must be 401, got {codes[0]}"
        assert all(c < 500 for c in codes), f"{key}: server error {row}"
    _compare("API operations", observed, section="api")


# notify:ack_link is a person's signed one-time acknowledge link, opened on a phone without a login: the
# signature is the credential (a bad one answers 400 and changes nothing)
PUBLIC_PAGES = {"login", "healthz", "set_language", "schema", "notify:ack_link"}


def test_page_matrix(make_user, station, client):
    from django.test import Client

    observed = {}
    users = {role: make_user(role, username=f"page-{role}") for role in Role.values}
    browsers = {}
    for role, user in users.items():
        browser = Client()
        browser.force_login(user)
        browsers[role] = browser
    for name, route in _pages():
        url = "/" + _fill(route)
        statuses = []
        anonymous = Client().get(url)
        if name not in PUBLIC_PAGES and name != "logout":
            assert anonymous.status_code in (302, 405), f"{name}: anonymous got {anonymous.status_code}"
            if anonymous.status_code == 302:
                assert anonymous["Location"].startswith("/accounts/login/"), (
                    f"{name}: {anonymous['Location']}"
                )
        statuses.append(anonymous.status_code)
        for role in Role.values:
            statuses.append(browsers[role].get(url).status_code)
        observed[f"GET {name} /{route}"] = _row(statuses)
        assert all(s < 500 for s in statuses), f"{name}: server error {statuses}"
    _compare("pages", observed, section="pages")


def test_table_columns_are_the_roles():
    """The rows are space-separated statuses in this order; a new role means a new column."""
    assert WHO == [
        "anonymous",
        "officer",
        "station_leader",
        "bureau_leader",
        "liaison",
        "grid_client",
        "admin",
    ]


# --- own scope versus other scope on real records ------------------------------------------------


def _incident(station, actor):
    from django.utils import timezone

    from incidents import services

    return services.incident_create(
        actor=actor,
        station=station,
        received_at=timezone.now(),
        category="dispute",
        address="庵东镇",
        lat=30.28,
        lon=121.18,
        description="测试",
        caller_phone="13800000000",
    )


@pytest.mark.parametrize(
    "who,own,other",
    [
        ("officer", 200, 404),
        ("station_leader", 200, 404),
        ("bureau_leader", 200, 200),
        ("admin", 200, 200),
        ("liaison", 403, 404),
        ("grid_client", 403, 404),
    ],
)
def test_incident_detail_own_versus_other_station(make_user, station, other_station, api_as, who, own, other):
    mine = _incident(station, make_user(Role.OFFICER, username="in-own"))
    theirs = _incident(other_station, make_user(Role.OFFICER, station_=other_station, username="in-other"))
    client = api_as(make_user(who, username=f"scope-{who}"))
    got_own = client.get(f"/api/v1/incidents/{mine.pk}/").status_code
    got_other = client.get(f"/api/v1/incidents/{theirs.pk}/").status_code
    # liaison/grid client have no station: the record is out of their scope (404) or the role is refused
    assert got_own in ({own} if own != 403 else {403, 404}), (who, got_own)
    assert got_other == other, (who, got_other)


@pytest.mark.parametrize("who", ["officer", "station_leader"])
def test_list_endpoints_never_show_other_stations(make_user, station, other_station, api_as, who):
    mine = _incident(station, make_user(Role.OFFICER, username="l-own"))
    theirs = _incident(other_station, make_user(Role.OFFICER, station_=other_station, username="l-other"))
    ids = {
        r["id"]
        for r in api_as(make_user(who, username=f"list-{who}")).get("/api/v1/incidents/").json()["results"]
    }
    assert mine.pk in ids and theirs.pk not in ids


def test_liaison_sees_only_their_enterprise(make_user, station, api_as):
    from enterprises.models import Enterprise

    own = enterprise_for(station)
    liaison = make_user(Role.LIAISON, enterprise=own, username="liaison-scope")
    other = Enterprise.objects.exclude(pk=own.pk).first() or enterprise_for(station)
    client = api_as(liaison)
    listed = client.get("/api/v1/enterprises/")
    if listed.status_code == 200:
        ids = {r["id"] for r in listed.json()["results"]}
        assert ids <= {own.pk}
    if other.pk != own.pk:
        assert client.get(f"/api/v1/enterprises/{other.pk}/").status_code in (403, 404)
