"""A reusable contract for endpoint authorization: anonymous → 401, wrong role → 403, other scope → 404.

Subclass ``EndpointAccess`` in a test module (the class name must start with ``Test``)::

    class TestHazardClose(EndpointAccess):
        method = "post"
        allowed_roles = {"officer", "station_leader", "bureau_leader", "admin"}
        def make_record(self, station): return HazardFactory(station=station, status="rectified")
        def url(self, record): return f"/api/v1/hazards/{record.pk}/close/"
        def payload(self, record): return {"note": ""}

For list or create endpoints set ``detail = False``; ``make_record`` may then return None.
Roles outside ``allowed_roles`` must get 403, or 404 on a detail URL when the role has no scope
over the record (the contract's order: 404 before 403).
"""

import pytest

from qianwan.org.choices import Role
from tests.conftest import token_client

ALL_ROLES = list(Role.values)
NO_SCOPE_ROLES = {Role.GRID_CLIENT, Role.LIAISON}


class EndpointAccess:
    method = "get"
    detail = True
    allowed_roles: set[str] = set()
    # roles whose scope covers another station's records (404 test is skipped for them)
    all_station_roles = {Role.BUREAU_LEADER, Role.ADMIN}

    def make_record(self, station):
        return None

    def url(self, record) -> str:
        raise NotImplementedError

    def payload(self, record) -> dict | None:
        return None

    def user_for(self, role, make_user, station):
        return make_user(role, username=f"{role}-{station.code}", station_=station)

    def _call(self, client, record):
        fn = getattr(client, self.method)
        body = self.payload(record)
        return fn(self.url(record), body, format="json") if body is not None else fn(self.url(record))

    def test_anonymous_gets_401(self, db, station, anon_api):
        response = self._call(anon_api, self.make_record(station))
        assert response.status_code == 401, response.content

    def test_invalid_token_gets_401(self, db, station, anon_api):
        anon_api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        response = self._call(anon_api, self.make_record(station))
        assert response.status_code == 401, response.content

    @pytest.mark.parametrize("role", ALL_ROLES)
    def test_role(self, db, role, station, make_user):
        record = self.make_record(station)
        client = token_client(self.user_for(role, make_user, station))
        response = self._call(client, record)
        if role in self.allowed_roles:
            assert response.status_code not in (401, 403, 404), (role, response.status_code, response.content)
        else:
            expected = {403, 404} if self.detail else {403}
            assert response.status_code in expected, (role, response.status_code, response.content)

    @pytest.mark.parametrize(
        "role", sorted(set(ALL_ROLES) - NO_SCOPE_ROLES - {Role.BUREAU_LEADER, Role.ADMIN})
    )
    def test_other_station_gets_404(self, db, role, station, other_station, make_user):
        if not self.detail:
            pytest.skip("list/create endpoint: scope is tested by the app's own tests")
        record = self.make_record(other_station)
        client = token_client(self.user_for(role, make_user, station))
        response = self._call(client, record)
        assert response.status_code == 404, (role, response.status_code, response.content)
