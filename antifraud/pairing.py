"""The monthly pairing rule for cross-evaluation (交叉互评), kept free of the database so it is easy to test.

Classes of one enterprise evaluate each other in a cycle: with the classes in a fixed order, class i
scores class (i + k) mod n for a shift 1 ≤ k < n, so no class ever scores itself and every class is
scored exactly once. Of the possible shifts we take the one that repeats the fewest of last month's
(evaluator, evaluated) pairs — zero whenever there are three or more classes — and on a tie the
smallest shift, so the result is deterministic.

Enterprises with a single class cannot pair inside; their classes are pooled per station and paired
across enterprises the same way. A pool of one class (the only single-class enterprise of its
station) joins the cycle of the largest enterprise of the same station, so it is still scored by,
and scores, a class of another enterprise; with no other enterprise in the station it stays unpaired.
"""

from collections.abc import Hashable, Iterable, Sequence


def best_cycle(items: Sequence[Hashable], last_pairs: set[tuple]) -> list[tuple]:
    """(evaluator, evaluated) pairs for ``items`` avoiding ``last_pairs`` where possible."""
    n = len(items)
    if n < 2:
        return []
    best: list[tuple] | None = None
    best_repeats = None
    for shift in range(1, n):
        pairs = [(items[i], items[(i + shift) % n]) for i in range(n)]
        repeats = sum(1 for p in pairs if p in last_pairs)
        if best_repeats is None or repeats < best_repeats:
            best, best_repeats = pairs, repeats
        if repeats == 0:
            break
    return best or []


def plan_pairings(
    classes: Iterable[tuple[Hashable, Hashable, Hashable]], last_pairs: set[tuple]
) -> tuple[list[tuple], list[Hashable]]:
    """Plan a month's pairings.

    ``classes``: (class id, enterprise id, station id) of every active class. Returns the
    (evaluator id, evaluated id) pairs and the ids of the classes left unpaired.
    """
    by_enterprise: dict = {}
    station_of: dict = {}
    for class_id, enterprise_id, station_id in sorted(
        classes, key=lambda c: (str(c[2]), str(c[1]), str(c[0]))
    ):
        by_enterprise.setdefault(enterprise_id, []).append(class_id)
        station_of[enterprise_id] = station_id
    groups: dict = {}  # enterprise id → class ids of its cycle
    pools: dict = {}  # station id → classes of single-class enterprises
    for enterprise_id, class_ids in by_enterprise.items():
        if len(class_ids) >= 2:
            groups[("e", enterprise_id)] = list(class_ids)
        else:
            pools.setdefault(station_of[enterprise_id], []).extend(class_ids)
    unpaired: list = []
    for station_id, class_ids in pools.items():
        if len(class_ids) >= 2:
            groups[("s", station_id)] = class_ids
            continue
        hosts = [key for key, members in groups.items() if key[0] == "e" and station_of[key[1]] == station_id]
        if hosts:
            host = max(hosts, key=lambda key: (len(groups[key]), str(key[1])))
            groups[host] = groups[host] + class_ids
        else:
            unpaired.extend(class_ids)
    pairs: list = []
    for members in groups.values():
        pairs.extend(best_cycle(members, last_pairs))
    return pairs, unpaired
