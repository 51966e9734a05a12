"""Registry of what acknowledging a notification does (e.g. records an incident's `leader_notified`).

Apps register handlers in their AppConfig.ready(); notify stays ignorant of the domain.
"""

from collections.abc import Callable

_handlers: dict[str, Callable] = {}


def register(name: str, handler: Callable) -> None:
    """``handler(*, notification, user, at)`` runs inside the acknowledgement's transaction."""
    _handlers[name] = handler


def get(name: str) -> Callable | None:
    return _handlers.get(name)
