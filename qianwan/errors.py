"""Domain errors that services raise; the API and the pages turn them into 409 / messages.

Bad input is ``django.core.exceptions.ValidationError`` (400) and a rule about *who* is
``django.core.exceptions.PermissionDenied`` (403); a state that forbids the change is ``StateConflict``.
"""


class StateConflict(Exception):
    """The record's state forbids this change (closing an already closed item, a second `arrived`, …)."""

    def __init__(self, message: str, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        # the API error body's stable `code` (api-contract.md "Errors"), e.g. "followups_required"
        self.code = code
