"""Load mix for `make load`: officers, station leaders and the grid platform's client, on loopback.

Tokens come from the environment (LOAD_TOKEN_OFFICER, LOAD_TOKEN_LEADER, LOAD_TOKEN_GRID), created by
loadtest/run.sh with `manage.py apitoken`. Every answer other than the expected status is an error.
"""

import itertools
import os
import random
from datetime import datetime, timedelta, timezone

from locust import HttpUser, between, task

CST = timezone(timedelta(hours=8))
_serial = itertools.count(1)
_run = os.environ.get("LOAD_RUN_ID", datetime.now().strftime("%H%M%S"))


def _now() -> str:
    return datetime.now(CST).isoformat(timespec="seconds")


class _Api(HttpUser):
    abstract = True
    wait_time = between(0.5, 2.0)
    key_variable = ""

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {os.environ[self.key_variable]}"
        self.client.headers["Accept"] = "application/json"

    def get(self, url, name=None):
        with self.client.get(url, name=name or url.split("?")[0], catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            return response

    def post(self, url, body, name, expect=(200, 201)):
        with self.client.post(url, json=body, name=name, catch_response=True) as response:
            if response.status_code not in expect:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            return response


class Officer(_Api):
    """A station officer: takes calls, records steps, reads lists and the inbox."""

    weight = 5
    key_variable = "LOAD_TOKEN_OFFICER"

    def on_start(self):
        super().on_start()
        self.mine: list[int] = []

    @task(4)
    def incident_list(self):
        self.get("/api/v1/incidents/?page_size=20")

    @task(2)
    def incident_create(self):
        body = {
            "received_at": _now(),
            "station": "ADS",
            "category": random.choice(["dispute", "public_order", "help", "traffic"]),
            "address": "庵东镇兴业路18号",
            "lat": 30.2826 + random.uniform(-0.01, 0.01),
            "lon": 121.1862 + random.uniform(-0.01, 0.01),
            "description": "压力测试警情",
            "caller_phone": "13800000000",
        }
        response = self.post("/api/v1/incidents/", body, "/api/v1/incidents/ [POST]", expect=(201,))
        if response.status_code == 201:
            self.mine.append(response.json()["id"])

    @task(2)
    def incident_detail(self):
        if self.mine:
            self.get(f"/api/v1/incidents/{random.choice(self.mine)}/", name="/api/v1/incidents/{id}/")

    @task(2)
    def incident_step(self):
        if not self.mine:
            return
        pk = self.mine.pop(0)
        kind = random.choice(["dispatched", "dispatched", "diverted"])
        body = {"kind": kind, "at": _now(), "note": ""}
        if kind == "diverted":
            body["target"] = "12345"
        self.post(
            f"/api/v1/incidents/{pk}/events/", body, "/api/v1/incidents/{id}/events/ [POST]", expect=(201,)
        )

    @task(3)
    def notifications(self):
        self.get("/api/v1/notifications/?page_size=20")

    @task(1)
    def stations(self):
        self.get("/api/v1/stations/")

    @task(1)
    def disputes(self):
        self.get("/api/v1/disputes/?page_size=20")

    @task(1)
    def hazards(self):
        self.get("/api/v1/hazards/?page_size=20")


class Leader(_Api):
    """A station leader: KPIs, breached incidents, the inbox."""

    weight = 2
    key_variable = "LOAD_TOKEN_LEADER"

    def _period(self) -> str:
        today = datetime.now(CST).date()
        return f"from={today - timedelta(days=30)}&to={today}"

    @task(3)
    def kpi_dispatch(self):
        self.get(f"/api/v1/kpis/dispatch/?{self._period()}")

    @task(1)
    def kpi_exchange(self):
        self.get(f"/api/v1/kpis/exchange/?{self._period()}")

    @task(1)
    def kpi_hazards(self):
        self.get(f"/api/v1/kpis/hazards/?{self._period()}")

    @task(1)
    def kpi_trend(self):
        self.get("/api/v1/kpis/incident-trend/?months=12")

    @task(2)
    def breached(self):
        self.get("/api/v1/incidents/?sla_breached=true&page_size=20")

    @task(2)
    def notifications(self):
        self.get("/api/v1/notifications/?page_size=20")


class GridClient(_Api):
    """The grid platform: pushes events (and replays some), reads the outbox, acknowledges."""

    weight = 3
    key_variable = "LOAD_TOKEN_GRID"

    def on_start(self):
        super().on_start()
        self.sent: list[dict] = []

    @task(3)
    def inbound(self):
        body = {
            "external_id": f"LOAD-{_run}-{os.getpid()}-{next(_serial)}",
            "source": "grid",
            "category": "dispute",
            "title": "网格上报：邻里纠纷",
            "description": "压力测试",
            "address": "庵东镇",
            "lat": 30.2826,
            "lon": 121.1862,
            "occurred_at": _now(),
        }
        if self.post("/api/v1/exchange/inbound/", body, "/api/v1/exchange/inbound/ [POST]", expect=(201,)).ok:
            self.sent.append(body)

    @task(1)
    def inbound_replay(self):
        if self.sent:
            self.post(
                "/api/v1/exchange/inbound/",
                random.choice(self.sent),
                "/api/v1/exchange/inbound/ [POST replay]",
                expect=(200,),
            )

    @task(2)
    def outbound(self):
        response = self.get("/api/v1/exchange/outbound/?status=pending&page_size=20")
        if response.status_code == 200:
            self.pending = [e["id"] for e in response.json()["results"]]

    @task(1)
    def ack(self):
        pending = getattr(self, "pending", [])
        if pending:
            body = {"status": "handled", "note": "已处理", "at": _now()}
            self.post(
                f"/api/v1/exchange/outbound/{random.choice(pending)}/ack/",
                body,
                "/api/v1/exchange/outbound/{id}/ack/ [POST]",
                expect=(200,),
            )
