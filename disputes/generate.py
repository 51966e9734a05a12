"""Synthetic disputes history for benchmarks (``manage.py gendata_district``; plumbing: ``qianwan.bulkload``)."""

import numpy as np
from django.utils import timezone

from qianwan.bulkload import DAY, load_rows, local_dates, numbers, pick, seconds_in, timestamps, users


def disputes(rng, n: int, start, end, stations, tag: str, progress=None) -> int:
    from disputes.choices import CHANNEL_FOR_LEVEL, Category, FollowupOutcome, RiskLevel, Status
    from disputes.models import Dispute, Followup

    user_a, _ = users()
    now = timezone.now().timestamp()
    at = seconds_in(rng, n, start, end)
    levels = pick(rng, [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH], n, p=[0.6, 0.3, 0.1])
    handled = at + rng.gamma(2, 3, n) * DAY
    done = handled < now
    pushed = at + DAY
    pushed_ok = (rng.random(n) < 0.04) & (pushed < now)
    channel = {str(k): str(v) for k, v in CHANNEL_FOR_LEVEL.items()}
    columns = {
        "number": numbers(tag, "D", n),
        "station_id": np.array(stations)[rng.integers(len(stations), size=n)],
        "category": pick(rng, Category.values, n),
        "risk_level": levels,
        "channel": np.array([channel[v] for v in levels], dtype=object),
        "status": np.where(done, str(Status.HANDLED), str(Status.IN_PROGRESS)).astype(object),
        "summary": "纠纷（基准数据）",
        "occurred_at": timestamps(at),
        "handled_at": timestamps(handled, done),
        "pushed_at": timestamps(pushed, pushed_ok),
        "followup_until": local_dates(handled + 90 * DAY, done),
        "created_by_id": user_a.pk,
    }
    load_rows(Dispute, columns, n, progress, "disputes")
    # follow-ups of the handled ones: each of the 3 months after handling, 2 visits (85%) or 0–1
    created = list(
        Dispute.objects.filter(number__startswith=f"{tag}D", handled_at__isnull=False)
        .order_by("number")
        .values_list("id", flat=True)
    )
    ids, base = np.array(created, dtype=np.int64), handled[done]
    m = len(ids)
    parts_id, parts_at = [], []
    for month in range(3):
        visits = np.where(rng.random(m) < 0.85, 2, rng.integers(0, 2, size=m))
        for v in range(2):
            when = base + (30 * month + 5 + 12 * v + rng.random(m) * 5) * DAY
            keep = (v < visits) & (when < now)
            parts_id.append(ids[keep])
            parts_at.append(when[keep])
    f_ids, f_at = np.concatenate(parts_id), np.concatenate(parts_at)
    order = np.lexsort((f_at, f_ids))
    f_ids, f_at = f_ids[order], f_at[order]
    load_rows(
        Followup,
        {
            "dispute_id": f_ids,
            "at": timestamps(f_at),
            "outcome": FollowupOutcome.values[0],
            "by_id": user_a.pk,
        },
        len(f_ids),
        progress,
        "followups",
    )
    return n


def block_visits(rng, n: int, start, end, tag: str, progress=None) -> int:
    """Patrols and visits on the active blocks (the blocks page and the overdue sweep at scale), by the
    block's officer where it has one; a third of the blocks get twice the share (the hot ones walked)."""
    from disputes.models import Block, BlockVisit, VisitKind

    blocks = list(Block.objects.filter(is_active=True).order_by("pk").values_list("pk", "officer_id"))
    if not blocks or n <= 0:
        return 0
    user_a, _ = users()
    weights = np.array([2.0 if i % 3 == 0 else 1.0 for i in range(len(blocks))])
    chosen = rng.choice(len(blocks), size=n, p=weights / weights.sum())
    at = seconds_in(rng, n, start, end, decline=0.0)
    columns = {
        "block_id": np.array([blocks[i][0] for i in chosen], dtype=np.int64),
        "at": timestamps(at),
        "kind": pick(rng, VisitKind.values, n),
        "note": f"巡访（基准数据 {tag}）",
        "findings": "",
        "created_by_id": np.array([blocks[i][1] or user_a.pk for i in chosen], dtype=np.int64),
        "created_at": timestamps(at + 60),
    }
    load_rows(BlockVisit, columns, n, progress, "block visits")
    return n
