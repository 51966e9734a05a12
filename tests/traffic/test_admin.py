"""The back-office: zones and assets are drawn through the services (polygon, bounding box, zone of a
point); the admin reads and toggles them but does not add them (it could not fill those fields)."""

import pytest

from qianwan.org.models import User

from .factories import make_asset, make_zone

pytestmark = pytest.mark.django_db


def test_admin_reads_zones_and_assets_but_does_not_add_them(client, station):
    zone = make_zone()
    asset = make_asset()
    client.force_login(
        User.objects.create_superuser(username="root-admin", password="x-Admin-2026!", role="admin")
    )
    assert client.get(f"/admin/traffic/patrolzone/{zone.pk}/change/").status_code == 200
    assert client.get(f"/admin/traffic/asset/{asset.pk}/change/").status_code == 200
    assert client.get("/admin/traffic/patrolzone/add/").status_code == 403
    assert client.get("/admin/traffic/asset/add/").status_code == 403
    assert client.get("/admin/traffic/team/add/").status_code == 200
