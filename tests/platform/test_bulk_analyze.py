"""Every bulk load ends with ANALYZE of each table it wrote (issue 21): the lists are planned on real
statistics right after the load, not after autovacuum comes round."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

pytestmark = pytest.mark.django_db

# the tables behind the counts generate_district returns
TABLES = {
    "disputes": "disputes_dispute",
    "hazards": "risks_hazard",
    "accidents": "traffic_accident",
    "exchange_outbound": "exchange_outboundevent",
    "exchange_inbound": "exchange_inboundevent",
}


def _last_analyze() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, last_analyze FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(TABLES.values())],
        )
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE is PostgreSQL's")
def test_the_district_load_analyzes_every_table_it_wrote(station, other_station):
    from qianwan.bulkload import generate_district

    before = _last_analyze()
    now = timezone.now()
    counts = generate_district(incidents=2_000, start=now - timedelta(days=60), end=now - timedelta(days=1))
    written = [table for key, table in TABLES.items() if counts.get(key)]
    assert {"disputes_dispute", "risks_hazard", "exchange_outboundevent"} <= set(written), counts
    after = _last_analyze()
    for table in written:
        assert after.get(table) is not None, table
        assert before.get(table) is None or after[table] > before[table], table
