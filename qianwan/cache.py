"""Django's Redis cache backend, keeping its Redis client objects.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the connection pool on
every cache call, and redis-py's constructor copies its table of response callbacks each time: about
a tenth of a millisecond per call, paid on every request by the reference-data version check
(``qianwan.refcache``). A ``redis.Redis`` is safe to share between threads (each command takes a
connection from the pool) and its pool reconnects in a forked worker, so one per pool is kept.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
