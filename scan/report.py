"""Summary of `make scan`'s wapiti reports, and its verdict.

Prints how many URLs each scan crawled (and how many of them are API operations), then every finding.
Exits 1 when a vulnerability or anomaly of level SCAN_FAIL_LEVEL or above (wapiti's levels: 0 info,
1 low, 2 medium, 3 high, 4 critical; default 1) is not explained in scan/explained.json — a list of
``{"category": …, "path": regex, "why": …}`` for findings that were looked at and are not a hole.
"Additionals" (wapiti's informational notes) are printed, never fail.

    python scan/report.py var/scan/pages.json var/scan/api.json
"""

import json
import os
import re
import sys
from pathlib import Path

EXPLAINED = Path(__file__).with_name("explained.json")


def explained(category: str, path: str, rules: list[dict]) -> str | None:
    for rule in rules:
        if rule["category"] == category and re.search(rule["path"], path):
            return rule["why"]
    return None


def main(paths: list[str]) -> int:
    threshold = int(os.environ.get("SCAN_FAIL_LEVEL", "1"))
    rules = json.loads(EXPLAINED.read_text()) if EXPLAINED.exists() else []
    failing = total = 0
    for path in paths:
        report = json.load(open(path))
        infos = report.get("infos", {})
        crawled = infos.get("crawled_pages") or []
        requests = [c.get("request", {}) for c in crawled if isinstance(c, dict)]
        api = [r for r in requests if "/api/" in r.get("url", "")]
        ok = sum(r.get("status_code") == 200 for r in api)
        print(
            f"-- {path}: {infos.get('crawled_pages_nbr', '?')} URL(s) crawled, {len(api)} under /api/ "
            f"({ok} answered 200)"
        )
        for section in ("vulnerabilities", "anomalies", "additionals"):
            for category, items in sorted(report.get(section, {}).items()):
                for item in items:
                    line = f"{item.get('method')} {item.get('path')} {item.get('parameter') or ''} {item.get('info')}"
                    if section == "additionals":
                        print(f"  [info] {category}: {line}"[:300])
                        continue
                    total += 1
                    why = explained(category, item.get("path") or "", rules)
                    level = int(item.get("level") or 0)
                    fails = level >= threshold and why is None
                    failing += fails
                    mark = "FAIL" if fails else ("explained" if why else "below threshold")
                    kind = "vulnerability" if section == "vulnerabilities" else "anomaly"
                    print(f"  [{kind} L{level} {mark}] {category}: {line}"[:300])
                    if why:
                        print(f"      why: {why}")
    print(
        f"== {total} finding(s) (vulnerabilities + anomalies), {failing} unexplained at level ≥ {threshold}; "
        f"full reports in {os.path.dirname(paths[0]) or '.'}"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
