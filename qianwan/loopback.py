"""Our own processes on loopback, for the tests and the benchmarks: a spare port, waiting for a
condition, stopping a child, and the Celery worker's command line (one definition, so the test
fixtures and the bench start the worker the same way)."""

import signal
import socket
import subprocess
import sys
import time


def free_port(start: int | None = None) -> int:
    """A port nothing listens on at 127.0.0.1: the first free one from ``start`` (a range of our own,
    stable across a stop and a start), else one the kernel picks."""
    if start is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    for port in range(start, start + 500):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def wait_until(predicate, timeout: float, interval: float = 0.2, message: str = "condition"):
    """``predicate()``'s first truthy value within ``timeout`` seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def stop_process(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 10) -> None:
    """Stop a child we started: ``sig``, then SIGKILL if it is still there after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def celery_worker_command(
    nodename: str,
    *,
    pool: str | None = "solo",
    concurrency: int | None = None,
    loglevel: str = "INFO",
    beat_schedule: str | None = None,
) -> list[str]:
    """``python -m celery -A qianwan worker …`` with this interpreter; no mingle or gossip (a worker
    that starts alone has nobody to sync with, and both only slow the start). ``nodename`` may end in
    ``@%h``; ``beat_schedule`` embeds beat (``-B``) with its schedule file there."""
    args = [sys.executable, "-m", "celery", "-A", "qianwan", "worker"]
    if pool:
        args.append(f"--pool={pool}")
    if concurrency:
        args.append(f"--concurrency={concurrency}")
    args += [f"--loglevel={loglevel}", "--without-mingle", "--without-gossip", "-n", nodename]
    if beat_schedule:
        args += ["-B", "-s", beat_schedule]
    return args
