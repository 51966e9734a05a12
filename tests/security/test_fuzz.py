"""Schemathesis over the project's own OpenAPI schema: every operation, called with a token of each
role, never answers 5xx (positive and negative examples).

Bounded for CI (FUZZ_MAX_EXAMPLES, default 3 examples per operation and mode; FUZZ_ROLES, default
admin and officer); `make fuzz` runs every role with many more examples. Schemathesis' own pytest
plugin does not support pytest 9 yet, so operations are parametrised here and each one runs a
Hypothesis search over schemathesis' strategy for it.
"""

import json
import os
from functools import cache

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from qianwan.org import services as org_services
from qianwan.org.choices import Role

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
ROLES = (
    list(Role.values)
    if os.environ.get("FUZZ_ROLES", "") == "all"
    else os.environ.get("FUZZ_ROLES", "admin,officer").split(",")
)


@cache
def api_schema():
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))


def _operations() -> dict[str, object]:
    return {result.ok().label: result.ok() for result in api_schema().get_all_operations()}


@cache
def _wsgi():
    return get_wsgi_application()


@pytest.fixture
def keep_test_connection():
    """Like Django's test client: the in-process WSGI app must not close the test's DB connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def role_headers(keep_test_connection, make_user, station, other_station):
    headers = {}
    for role in ROLES:
        user = make_user(role, username=f"fuzz-{role}")
        _, key = org_services.token_create(actor=None, user=user)
        headers[role] = {"Authorization": f"Token {key}"}
    return headers


@pytest.mark.django_db
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("label", sorted(_operations()))
def test_api_never_answers_5xx(label, mode, role_headers):
    operation = _operations()[label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def check(case):
        for headers in role_headers.values():
            # a savepoint per call, as autocommit gives each production request: a refused statement
            # must not poison the test's wrapping transaction for the next call
            with transaction.atomic():
                response = case.call(app=_wsgi(), headers=headers)
            case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        check()
    except Unsatisfiable:  # schemathesis cannot build a negative example for this operation
        pass
