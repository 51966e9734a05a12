"""HTTP throughput for the benchmarks: gunicorn started with the deployment's own settings
(`qianwan/gunicorn_conf.py`) on loopback, and a load generator: `wrk` when it is installed
(`apt-get install wrk`: a C event loop, so the load takes little of the 2 cores the server needs),
else Python threads."""

import contextlib
import http.client
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import pct
from qianwan.loopback import free_port, stop_process, wait_until

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def gunicorn(*, workers: int = 2, env: dict | None = None, extra_args: tuple = ()):
    """Yield the port of gunicorn serving qianwan.wsgi with `qianwan/gunicorn_conf.py`, on loopback."""
    port = free_port()
    env = {
        **os.environ,
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
        **(env or {}),
    }
    proc = subprocess.Popen(  # noqa: S603  (our own venv binaries)
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "qianwan.wsgi:application",
            "-c",
            "qianwan/gunicorn_conf.py",
            *extra_args,
        ],
        cwd=ROOT,
        env=env,
    )

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                return r.status == 200
        except OSError:
            return False

    try:
        wait_until(up, 60, interval=0.1, message="gunicorn")
        yield port
    finally:
        stop_process(proc, timeout=20)


@dataclass
class Result:
    rps: float
    requests: int
    errors: dict = field(default_factory=dict)  # status (or "socket") → count
    p50_ms: float | None = None
    p99_ms: float | None = None
    tool: str = ""

    def describe(self) -> str:
        latency = f", p50 {self.p50_ms:.1f} ms p99 {self.p99_ms:.1f} ms" if self.p50_ms is not None else ""
        errors = f", ERRORS {self.errors}" if self.errors else ""
        return f"{self.rps:,.0f} req/s ({self.requests:,} requests{latency}{errors})"


def load(port, path, key, seconds, *, body=None, connections=8, tool=None) -> Result:
    """Requests per second against ``path`` for ``seconds`` over ``connections`` client connections;
    POST of the JSON ``body`` (dict, or ``body(n)`` giving the n-th request's dict, e.g. a different
    caller each time; wrk posts ``body(0)`` throughout) when given, else GET. ``tool``: "wrk", "python"
    or None (wrk when installed)."""
    tool = tool or ("wrk" if shutil.which("wrk") else "python")
    run = _wrk if tool == "wrk" else _python
    return run(port, path, key, seconds, body, connections)


_WRK_SCRIPT = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Token {key}"
wrk.headers["Accept"] = "application/json"
wrk.headers["Content-Type"] = "application/json"
{body}
"""


def _wrk(port, path, key, seconds, body, connections) -> Result:
    body = body(0) if callable(body) else body
    lua = _WRK_SCRIPT.format(
        method="POST" if body is not None else "GET",
        key=key,
        body=f"wrk.body = {json.dumps(json.dumps(body))}" if body is not None else "",
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    try:
        out = subprocess.run(  # noqa: S603
            [
                shutil.which("wrk"),
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--latency",
                "-s",
                f.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
    finally:
        os.unlink(f.name)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = {}
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors["non-2xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        if sum(map(int, m.groups())):
            errors["socket"] = m.group(0)

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else None

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return Result(rps, requests, errors, ms("50"), ms("99"), "wrk")


PREPARED_BODIES = 20_000  # distinct bodies of a varying POST (then they come round again)


def _python(port, path, key, seconds, body, connections) -> Result:
    counts, errors, latencies = [], {}, []  # latencies in milliseconds
    # the bodies are encoded before the clock starts: the client shares the cores with the server
    if body is None:
        payloads = [None]
    elif callable(body):
        payloads = [json.dumps(body(n)) for n in range(PREPARED_BODIES)]
    else:
        payloads = [json.dumps(body)]
    sent = itertools.count()
    stop = time.monotonic() + seconds
    headers = {
        "Authorization": f"Token {key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.monotonic() < stop:
            t = time.perf_counter()
            payload = payloads[next(sent) % len(payloads)]
            conn.request("POST" if payload else "GET", path, body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - t) * 1000)
            if response.status >= 400:
                errors[response.status] = errors.get(response.status, 0) + 1
            n += 1
        counts.append(n)
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    return Result(
        sum(counts) / elapsed,
        sum(counts),
        errors,
        pct(latencies, 0.5),
        pct(latencies, 0.99),
        "python threads",
    )
