"""Synthetic exchange history for benchmarks (``manage.py gendata_district``; plumbing: ``qianwan.bulkload``).

In proportion to the incidents of the period (``PER_INCIDENT`` below, calibrated like
``qianwan.bulkload.PER_INCIDENT`` on the seed's district year of ~200,000 incidents — 1,000,000 over
5 years in ``gendata_district``): the referrals the police pushed to the grid (dispute pushes and
hazard hand-overs, 5,126 a year, most acked ``handled`` with their ack history), the events the grid
and the 12345 hotline sent (869 a year, ~10% from 12345; ≥95% handled by ``inbound_handled_q``:
worked through ``handle`` with a note; a few rejected or still open), and the automatic status
feedback to the sender of each worked inbound event (``inbound_status``, never counted as pushed).

Rows carry ``change_seq`` in creation order, taken as one block from the stream's ``ChangeCounter``
inside the loading transaction (the counter row stays locked until the rows commit), so a partner
polling ``?since=`` sees every generated event exactly once, after whatever it saw before.
"""

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from qianwan.bulkload import DAY, load_rows, numbers, pick, seconds_in, timestamps, users

# per incident; × 200,000 incidents a year: 4,526 + 600 = 5,126 pushed, 869 received
PER_INCIDENT = {
    "dispute_pushes": 0.02263,
    "hazard_handovers": 0.0030,
    "inbound": 0.004345,
}
HOTLINE_SHARE = 0.10  # of the inbound events
INBOUND_FATE = {"handled": 0.965, "rejected": 0.015, "accepted": 0.015, "pending": 0.005}
OUTBOUND_FATE = {"handled": 0.90, "accepted": 0.05, "rejected": 0.02, "pending": 0.03}


def change_block(stream: str, model_label: str, n: int) -> np.ndarray:
    """``n`` consecutive change numbers of ``stream``, in one statement under the counter's row lock
    (held until the caller's transaction ends); the counter row is created if missing."""
    from .models import ChangeCounter, _next_change

    first = _next_change(stream, model_label)  # creates the row if needed, and locks it
    if n > 1:
        table = ChangeCounter._meta.db_table
        sql = f"UPDATE {table} SET value = value + %s WHERE stream = %s RETURNING value"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [n - 1, stream])
            last = cursor.fetchone()[0]
        assert last == first + n - 1  # noqa: S101 - the row lock makes the block contiguous
    return np.arange(first, first + n, dtype=np.int64)


def _fates(rng, n: int, fates: dict, done: np.ndarray) -> np.ndarray:
    """A status per row: the drawn fate where the outcome time has passed, else the open status."""
    drawn = pick(rng, list(fates), n, p=list(fates.values()))
    open_ = np.where(drawn == "pending", "pending", "accepted").astype(object)
    return np.where(done, drawn, open_).astype(object)


def exchange(rng, incidents: int, start, end, stations, tag: str, progress=None) -> dict[str, int]:
    """Outbound referrals to the grid, inbound events from the grid and 12345, status feedback."""
    with transaction.atomic():  # the change-number blocks stay locked until the rows commit
        inbound, feedback = _inbound(rng, incidents, start, end, stations, tag, progress)
        outbound = _outbound(rng, incidents, start, end, stations, tag, progress)
    return {"outbound": outbound, "inbound": inbound, "feedback": feedback}


def _outbound(rng, incidents: int, start, end, stations, tag: str, progress) -> int:
    from .choices import OutboundKind, OutboundStatus
    from .models import OutboundAck, OutboundEvent

    user_a, _ = users()
    now = timezone.now().timestamp()
    n_disp = max(1, round(PER_INCIDENT["dispute_pushes"] * incidents))
    n_haz = max(1, round(PER_INCIDENT["hazard_handovers"] * incidents))
    n = n_disp + n_haz
    at = seconds_in(rng, n, start, end)
    kinds = np.array([str(OutboundKind.DISPUTE)] * n_disp + [str(OutboundKind.HAZARD)] * n_haz, dtype=object)
    kinds = kinds[rng.permutation(n)]
    acked = at + rng.gamma(2, 2, n) * DAY
    done = acked < now
    status = _fates(rng, n, OUTBOUND_FATE, done)
    is_acked = status != str(OutboundStatus.PENDING)
    titles = np.where(
        kinds == str(OutboundKind.DISPUTE), "矛盾纠纷推送（基准数据）", "风险隐患移交（基准数据）"
    )
    notes = np.where(status == str(OutboundStatus.HANDLED), "已办结（基准数据）", "")
    seq = change_block("outbound", "exchange.OutboundEvent", n)
    columns = {
        "target": "grid",
        "kind": kinds,
        "title": titles.astype(object),
        "payload": {"generated": tag},
        "station_id": np.array(stations)[rng.integers(len(stations), size=n)],
        "status": status,
        "ack_note": notes.astype(object),
        "acked_at": timestamps(acked, is_acked),
        "created_by_id": user_a.pk,
        "created_at": timestamps(at),
        "change_seq": seq,
    }
    load_rows(OutboundEvent, columns, n, progress, "outbound events")
    # the ack history behind each acked status (one ack each)
    rows = list(
        OutboundEvent.objects.filter(change_seq__gte=seq[0], change_seq__lte=seq[-1])
        .order_by("change_seq")
        .values_list("id", flat=True)
    )
    ids = np.array(rows, dtype=np.int64)
    load_rows(
        OutboundAck,
        {
            "event_id": ids[is_acked],
            "status": status[is_acked],
            "note": notes[is_acked].astype(object),
            "at": timestamps(acked[is_acked]),
            "received_at": timestamps(acked[is_acked] + 5),
        },
        int(is_acked.sum()),
        progress,
        "outbound acks",
    )
    return n


def _inbound(rng, incidents: int, start, end, stations, tag: str, progress) -> tuple[int, int]:
    from qianwan.org.choices import RoutedBy

    from .choices import InboundStatus, OutboundKind, OutboundStatus, Source
    from .models import InboundEvent, OutboundEvent
    from .services import sign_for_minutes

    user_a, _ = users()
    now = timezone.now().timestamp()
    n = max(1, round(PER_INCIDENT["inbound"] * incidents))
    at = seconds_in(rng, n, start, end)
    hotline = rng.random(n) < HOTLINE_SHARE
    source = np.where(hotline, str(Source.HOTLINE), str(Source.GRID)).astype(object)
    # ids per source: each partner numbers its own events
    external = numbers(tag, "E", n)
    external = np.where(hotline, "H" + external, "W" + external).astype(object)
    outcome = at + rng.gamma(2, 1.5, n) * DAY
    done = outcome < now
    status = _fates(rng, n, INBOUND_FATE, done)
    worked = np.isin(status, [str(InboundStatus.HANDLED), str(InboundStatus.REJECTED)])
    notes = np.select(
        [status == str(InboundStatus.HANDLED), status == str(InboundStatus.REJECTED)],
        ["已核实处置，办结（基准数据）", "非警务事项，退回（基准数据）"],
        "",
    ).astype(object)
    category = pick(rng, ["矛盾纠纷", "治安隐患", "消防隐患", "噪音扰民", "道路设施"], n)
    occurred = at - rng.random(n) * 3600
    station = np.array(stations)[rng.integers(len(stations), size=n)]
    pending = status == str(InboundStatus.PENDING)
    due = at + sign_for_minutes() * 60
    seq = change_block("inbound", "exchange.InboundEvent", n)
    columns = {
        "external_id": external,
        "source": source,
        "category": category,
        "title": np.char.add(category.astype(str), "（基准数据）").astype(object),
        "occurred_at": timestamps(occurred),
        "station_id": station,
        "routed_by": str(RoutedBy.GIVEN),
        "status": status,
        "outcome_note": notes,
        "outcome_at": timestamps(outcome, worked),
        "worked_by_id": np.where(worked, user_a.pk, None),
        "created_at": timestamps(at),
        "sign_for_due_at": timestamps(due),
        # history: a still-pending event was reminded at its deadline (the sweep does not fire again)
        "sign_for_reminded_at": timestamps(due, pending),
        "change_seq": seq,
    }
    load_rows(InboundEvent, columns, n, progress, "inbound events")
    # the automatic status feedback to the sender of each worked event (``inbound_set_status``): not a
    # referral, never counted as pushed
    ids = np.array(
        list(
            InboundEvent.objects.filter(change_seq__gte=seq[0], change_seq__lte=seq[-1])
            .order_by("change_seq")
            .values_list("id", flat=True)
        ),
        dtype=np.int64,
    )
    order = np.flatnonzero(worked)
    order = order[np.argsort(outcome[order], kind="stable")]
    m = len(order)
    if m:
        f_at = outcome[order]
        acked = f_at + rng.random(m) * 3600
        f_done = acked < now
        label = {str(InboundStatus.HANDLED): "已办结", str(InboundStatus.REJECTED): "已退回"}
        load_rows(
            OutboundEvent,
            {
                "target": source[order],
                "kind": str(OutboundKind.INBOUND_STATUS),
                "title": np.array(
                    [
                        f"事件 {e} 办理状态：{label[s]}"
                        for e, s in zip(external[order], status[order], strict=True)
                    ],
                    dtype=object,
                ),
                "payload": {"generated": tag},
                "station_id": station[order],
                "source_type": "exchange.inboundevent",
                "source_id": ids[order].astype(str).astype(object),
                "status": np.where(f_done, str(OutboundStatus.ACCEPTED), str(OutboundStatus.PENDING)).astype(
                    object
                ),
                "acked_at": timestamps(acked, f_done),
                "created_by_id": user_a.pk,
                "created_at": timestamps(f_at),
                "change_seq": change_block("outbound", "exchange.OutboundEvent", m),
            },
            m,
            progress,
            "status feedback",
        )
    return n, m
