import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qianwan.settings.local")
application = get_wsgi_application()
# Load every view, serializer and selector now (the URLconf is otherwise imported on the first
# request), then take these long-lived objects out of the garbage collector's sight: a full collection
# during a request then scans only what the request made. Without it, the collections that a
# dashboard request's numpy/ORM allocations trigger add ~70 ms to its slowest 5%.
_ = get_resolver().url_patterns
gc.freeze()
