"""Running one piece of code from several threads released at once, each on its own connection."""

import threading

from django.db import connection


def race(target, n: int = 2, *, expected: tuple = ()) -> tuple[list, list]:
    """Call ``target`` from ``n`` threads that start together; returns (results, the ``expected``
    exceptions raised). Any other exception fails the test."""
    barrier = threading.Barrier(n)
    results, raised, errors = [], [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except expected as exc:
            raised.append(exc)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results, raised
