"""Read an API error body in tests without depending on its exact shape.

The contract's body is ``{"code", "message", "fields"}`` (api-contract.md, "Errors"); these helpers
are what tests use to read it, so a test says which field or code it expects and nothing more.
"""


def error_body(resp) -> dict:
    body = resp.json()
    assert isinstance(body, dict), body
    return body


def error_fields(resp) -> dict:
    """The per-field messages of a 400 (``{}`` when the error names no field)."""
    body = error_body(resp)
    if "code" in body and "message" in body:
        return body.get("fields") or {}
    return {k: v for k, v in body.items() if k != "detail"}


def error_code(resp) -> str | None:
    return error_body(resp).get("code")


def error_message(resp) -> str:
    body = error_body(resp)
    msg = body.get("message", body.get("detail", ""))
    return " ".join(map(str, msg)) if isinstance(msg, list) else str(msg)
