"""The hotspot model on synthetic data where the hot cell is known."""

import math
import random
from datetime import timedelta

import h3
import pytest
from django.utils import timezone

from qianwan.notify.models import InboxItem
from qianwan.org.choices import Role
from risks import hotspots, services
from risks.models import HotspotCell, HotspotRun, RiskPoint

from .factories import incidents_bulk, make_risk_point

HOT = (30.3001, 121.2202)  # the known hot spot (inside the district, between ADS and SJC)


def brute_force_gi_star(cells, counts, i):
    """Getis-Ord Gi* straight from the textbook formula, one cell, plain Python."""
    n = len(cells)
    x = [counts.get(c, 0) for c in cells]
    mean = sum(x) / n
    s = math.sqrt(sum(v * v for v in x) / n - mean * mean)
    ring = set(h3.grid_disk(cells[i], 1))
    w = [1.0 if c in ring else 0.0 for c in cells]
    wsum = sum(w)
    num = sum(wj * xj for wj, xj in zip(w, x, strict=True)) - mean * wsum
    den = s * math.sqrt((n * sum(wj * wj for wj in w) - wsum**2) / (n - 1))
    return num / den


def test_gi_star_matches_the_formula_and_finds_the_cluster():
    centre = hotspots.point_cell(*HOT)
    cells = sorted(h3.grid_disk(centre, 8))
    rng = random.Random(7)
    counts = {c: rng.choice([0, 0, 1]) for c in cells}
    counts[centre] = 15
    for neighbour in h3.grid_disk(centre, 1):
        counts[neighbour] = counts[neighbour] + 3
    stats = {s.cell: s for s in hotspots.gi_star(cells, counts)}
    for probe in (centre, cells[0], cells[len(cells) // 2]):
        assert stats[probe].z == pytest.approx(
            brute_force_gi_star(cells, counts, cells.index(probe)), rel=1e-9
        )
    assert stats[centre].is_hot and stats[centre].z > 5
    assert stats[centre].p == pytest.approx(math.erfc(stats[centre].z / math.sqrt(2)))
    far = [c for c in cells if h3.grid_distance(centre, c) >= 4]
    assert not any(stats[c].is_hot for c in far)


def test_a_lone_incident_does_not_make_a_hot_ring():
    """Sparse data: one incident gives its ring z > 1.96 (tiny variance), but that is no hotspot."""
    centre = hotspots.point_cell(*HOT)
    cells = sorted(h3.grid_disk(centre, 10))
    stats = {s.cell: s for s in hotspots.gi_star(cells, {centre: 1})}
    assert stats[centre].z > 1.96 and not stats[centre].is_hot
    assert not any(s.is_hot for s in stats.values())


def test_gi_star_without_variation_is_zero():
    cells = sorted(h3.grid_disk(hotspots.point_cell(*HOT), 2))
    assert all(s.z == 0 and s.p == 1 for s in hotspots.gi_star(cells, {c: 2 for c in cells}))


def scatter(rng, n):
    """Background incidents spread over the district."""
    return [(rng.uniform(30.25, 30.36), rng.uniform(121.12, 121.33)) for _ in range(n)]


def cluster(rng, n, centre=HOT):
    # within ~60 m of the centre: all in the centre's resolution-9 cell or its ring
    return [
        (centre[0] + rng.uniform(-0.0004, 0.0004), centre[1] + rng.uniform(-0.0004, 0.0004)) for _ in range(n)
    ]


@pytest.fixture
def sjc(db):
    from tests.factories import StationFactory

    return StationFactory(code="SJC", name="世纪城派出所", lat=30.3325, lon=121.2613)


@pytest.mark.django_db
def test_known_hot_cell_becomes_an_emerging_candidate(station, sjc, make_user):
    leader = make_user(Role.STATION_LEADER, username="ads-leader")
    rng = random.Random(42)
    today = timezone.localdate()
    now_at = timezone.now() - timedelta(days=5)
    before_at = timezone.now() - timedelta(days=40)
    incidents_bulk(scatter(rng, 150) + cluster(rng, 25), station=station, received_at=now_at)
    incidents_bulk(scatter(rng, 150), station=station, received_at=before_at)
    incidents_bulk(
        cluster(rng, 30), station=station, category="traffic", received_at=now_at
    )  # other category

    run = services.hotspot_run_compute(category="dispute", period_end=today, days=28)
    assert run.status == "done" and run.incidents == 175 and run.previous_incidents == 150
    assert run.cells > 3000  # the district filled with hexagons: empty cells count as zeros
    hot_cell = hotspots.point_cell(*HOT)
    cell = HotspotCell.objects.get(run=run, h3_index=hot_cell)
    assert cell.is_hot and cell.gi_z >= 1.96 and cell.trend == "emerging"
    assert cell.count >= 20 and cell.station == station  # nearest station to the cell centre
    # random background does not make hot cells with enough incidents of their own
    point = RiskPoint.objects.get()
    assert point.h3_index == hot_cell and point.status == "candidate" and point.category == "dispute"
    assert (
        InboxItem.objects.filter(recipient=leader, notification__kind="risks.riskpoint.candidate").count()
        == 1
    )

    # the weekly job (or a second worker) for the same period finds the run and raises nothing new
    again = services.hotspot_run_compute(category="dispute", period_end=today, days=28)
    assert again.pk == run.pk and RiskPoint.objects.count() == 1 and HotspotRun.objects.count() == 1
    # an on-demand recompute replaces the cells and still raises no duplicate
    forced = services.hotspot_run_compute(category="dispute", period_end=today, days=28, force=True)
    assert forced.pk == run.pk and RiskPoint.objects.count() == 1
    assert HotspotCell.objects.filter(run=run, h3_index=hot_cell).count() == 1


@pytest.mark.django_db
def test_cluster_in_both_periods_is_persisting(station, sjc):
    rng = random.Random(3)
    incidents_bulk(
        scatter(rng, 100) + cluster(rng, 20), station=station, received_at=timezone.now() - timedelta(days=3)
    )
    incidents_bulk(
        scatter(rng, 100) + cluster(rng, 20), station=station, received_at=timezone.now() - timedelta(days=35)
    )
    run = services.hotspot_run_compute(category="dispute", period_end=timezone.localdate(), days=28)
    cell = HotspotCell.objects.get(run=run, h3_index=hotspots.point_cell(*HOT))
    assert cell.trend == "persisting" and cell.previous_z >= 1.96


@pytest.mark.django_db
def test_cooled_cell_is_marked_and_raises_no_candidate(station):
    rng = random.Random(5)
    incidents_bulk(scatter(rng, 100), station=station, received_at=timezone.now() - timedelta(days=3))
    incidents_bulk(
        scatter(rng, 100) + cluster(rng, 20), station=station, received_at=timezone.now() - timedelta(days=35)
    )
    run = services.hotspot_run_compute(category="dispute", period_end=timezone.localdate(), days=28)
    assert HotspotCell.objects.get(run=run, h3_index=hotspots.point_cell(*HOT)).trend == "cooling"
    assert not RiskPoint.objects.exists()


@pytest.mark.django_db
def test_weekly_task_runs_every_category_once(station):
    from risks import tasks

    rng = random.Random(9)
    incidents_bulk(scatter(rng, 50), station=station, received_at=timezone.now() - timedelta(days=3))
    first = tasks.hotspots_weekly.delay().get()
    second = tasks.hotspots_weekly.delay().get()
    assert first == second and len(first) == HotspotRun.objects.count() >= 7


@pytest.mark.django_db
def test_on_demand_api_and_bad_input(api_as, leader, officer, station):
    client = api_as(leader)
    r = client.post("/api/v1/hotspot-runs/", {"category": "dispute", "days": 14}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "done"
    assert client.post("/api/v1/hotspot-runs/", {"category": "ufo"}, format="json").status_code == 400
    assert (
        client.post("/api/v1/hotspot-runs/", {"category": "dispute", "days": 2}, format="json").status_code
        == 400
    )
    assert (
        api_as(officer).post("/api/v1/hotspot-runs/", {"category": "dispute"}, format="json").status_code
        == 403
    )


# --------------------------------------------------------------------------- decisions and work plans


@pytest.mark.django_db
def test_leader_accepts_candidate_then_writes_work_plan(api_as, leader, officer, station):
    point = make_risk_point(station)
    url = f"/api/v1/risk-points/{point.pk}/"
    assert api_as(officer).post(url + "accept/", {}, format="json").status_code == 403
    client = api_as(leader)
    plan = {
        "title": "夜宵街纠纷专项整治方案",
        "measures": "1. 每晚 21-24 时屯警街面；2. 联合城管规范占道经营",
        "owner": officer.pk,
        "starts_on": timezone.localdate().isoformat(),
        "review_dates": [(timezone.localdate() + timedelta(days=d)).isoformat() for d in (30, 60)],
    }
    assert client.post(url + "work-plan/", plan, format="json").status_code == 409  # not accepted yet
    r = client.post(url + "accept/", {"note": "数据与走访一致", "name": "庵东夜宵街"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["name"] == "庵东夜宵街"
    assert client.post(url + "accept/", {}, format="json").status_code == 409
    assert client.post(url + "dismiss/", {"note": "x"}, format="json").status_code == 409
    bad = {**plan, "review_dates": ["2000-01-01"]}
    assert client.post(url + "work-plan/", bad, format="json").status_code == 400
    r = client.post(url + "work-plan/", plan, format="json")
    assert r.status_code == 201 and len(r.json()["reviews"]) == 2
    assert client.post(url + "work-plan/", plan, format="json").status_code == 409
    # the accepted point gets its hazards
    r = api_as(officer).post(
        "/api/v1/hazards/",
        {
            "title": "夜宵摊占道",
            "category": "public_order",
            "level": "medium",
            "rectify_by": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "risk_point": point.pk,
            "lat": point.lat,
            "lon": point.lon,
        },
        format="json",
    )
    assert r.status_code == 201 and r.json()["risk_point"] == point.pk
    detail = client.get(url).json()
    assert detail["work_plan"]["title"] == plan["title"]


@pytest.mark.django_db
def test_dismiss_needs_a_reason_and_quiets_the_cell(api_as, leader, station):
    point = make_risk_point(station, h3_index=hotspots.point_cell(*HOT))
    client = api_as(leader)
    assert (
        client.post(f"/api/v1/risk-points/{point.pk}/dismiss/", {"note": ""}, format="json").status_code
        == 400
    )
    r = client.post(f"/api/v1/risk-points/{point.pk}/dismiss/", {"note": "临时集市，已撤离"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    rng = random.Random(1)
    incidents_bulk(
        scatter(rng, 100) + cluster(rng, 25), station=station, received_at=timezone.now() - timedelta(days=2)
    )
    services.hotspot_run_compute(category="dispute", period_end=timezone.localdate(), days=28)
    assert RiskPoint.objects.count() == 1  # dismissed recently: not raised again
