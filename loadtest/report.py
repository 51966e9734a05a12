"""Print locust's CSV stats as a table (p50/p95 per endpoint, errors); exit 1 on any error."""

import csv
import sys


def main(path: str) -> int:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    width = max(len(f"{r['Type']} {r['Name']}") for r in rows)
    print(
        f"{'endpoint':<{width}} {'requests':>9} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    errors = 0
    for r in rows:
        label = "TOTAL" if r["Name"] == "Aggregated" else f"{r['Type']} {r['Name']}"
        if r["Name"] == "Aggregated":
            print("-" * (width + 50))
        else:
            errors += int(r["Failure Count"])
        print(
            f"{label:<{width}} {r['Request Count']:>9} {r['Failure Count']:>7} {r['50%']:>7} {r['95%']:>7}"
            f" {r['99%']:>7} {float(r['Max Response Time']):>7.0f}"
        )
    total = next((r for r in rows if r["Name"] == "Aggregated"), None)
    if total:
        print(f"throughput: {float(total['Requests/s']):.1f} requests/s; errors: {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
