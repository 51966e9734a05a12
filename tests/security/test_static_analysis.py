"""bandit on our code: no high-severity finding (the same check as `make bandit`)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["qianwan", "incidents", "risks", "enterprises", "traffic", "antifraud", "disputes"]


def test_bandit_finds_nothing_high():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *PATHS, "-x", "*/migrations/*,*/tests/*", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    high = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] == "HIGH"
    ]
    assert not high, "\n".join(high)
    assert not report["errors"], report["errors"]
