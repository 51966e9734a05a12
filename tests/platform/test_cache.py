"""The Redis cache backend keeps one Redis client per pool (Django's builds one per call)."""

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    settings.CACHES["default"]["BACKEND"] != "qianwan.cache.RedisCache", reason="cache is not Redis here"
)


def test_one_client_serves_every_call():
    clients = {id(cache._cache.get_client()), id(cache._cache.get_client(write=True))}
    cache.set("qianwan-cache-test", {"v": 1}, 30)
    assert cache.get("qianwan-cache-test") == {"v": 1}
    cache.delete("qianwan-cache-test")
    assert cache.get("qianwan-cache-test") is None
    clients.add(id(cache._cache.get_client()))
    assert len(clients) == 1  # one server: reads and writes share the pool, so the kept client
