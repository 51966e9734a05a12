import pytest

from qianwan.org.choices import Role
from tests.factories import enterprise_for


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # a real worker process (integration tests) must read the uploads from the same place
    monkeypatch.setenv("QIANWAN_MEDIA_ROOT", str(tmp_path / "media"))


@pytest.fixture
def ent(station):
    """The enterprise the default liaison of ``station`` belongs to."""
    e = enterprise_for(station)
    e.is_above_size = True
    e.employee_count = 500
    e.save()
    return e


@pytest.fixture
def liaison(make_user, ent):
    return make_user(Role.LIAISON, username="liaison", enterprise=ent)
