"""Synthetic traffic history for benchmarks (``manage.py gendata_district``; plumbing: ``qianwan.bulkload``)."""

import numpy as np

from qianwan.bulkload import DAY, load_rows, numbers, pick, seconds_in, timestamps


def accidents(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from qianwan.org.models import Station
    from traffic.models import Accident

    where = {
        pk: (lat or 30.3, lon or 121.2) for pk, lat, lon in Station.objects.values_list("id", "lat", "lon")
    }
    causes = ["speeding", "drunk_driving", "wrong_way", "failure_to_yield", "distraction", "lane_change"]
    at = seconds_in(rng, n, start, end, decline=0.1)
    kind = pick(rng, ["property", "injury", "death"], n, p=[0.85, 0.135, 0.015])
    station = np.array(stations)[rng.integers(len(stations), size=n)]
    lat = np.array([where.get(s, (30.3, 121.2))[0] for s in station]) + rng.normal(0, 0.01, n)
    lon = np.array([where.get(s, (30.3, 121.2))[1] for s in station]) + rng.normal(0, 0.01, n)
    hurt = kind != "property"
    columns = {
        "number": numbers(tag, "A", n),
        "occurred_at": timestamps(at),
        "address": "滨海二路（基准数据）",
        "road": "滨海二路",
        "station_id": station,
        "lat": lat,
        "lon": lon,
        "type": kind,
        "vehicles": rng.integers(1, 4, size=n),
        "injured": np.where(hurt, rng.integers(1, 3, size=n), 0),
        "deaths": (kind == "death").astype(np.int64),
        "cause": pick(rng, causes, n),
        "handled_by": np.where(hurt, "brigade", "station").astype(object),
        "status": "closed",
        "closed_at": timestamps(at + 3 * DAY),
    }
    return load_rows(Accident, columns, n, progress, "accidents")


def patrols(rng, n: int, start, end, tag: str, progress=None) -> int:
    from traffic.models import Patrol, Team

    teams = np.array(list(Team.objects.filter(home_zone__isnull=False).values_list("id", "home_zone_id")))
    if not len(teams):
        return 0
    at = seconds_in(rng, n, start, end, decline=0.0)
    chosen = teams[rng.integers(len(teams), size=n)]
    columns = {
        "team_id": chosen[:, 0],
        "zone_id": chosen[:, 1],
        "kind": pick(rng, ["routine", "racing", "wrong_way"], n, p=[0.9, 0.05, 0.05]),
        "started_at": timestamps(at),
        "ended_at": timestamps(at + 7200),
        "officers": rng.integers(2, 5, size=n),
    }
    return load_rows(Patrol, columns, n, progress, "patrols")
