"""The API scan's start URLs from the OpenAPI schema (`make scan`, scan/run.sh).

wapiti 3.2.3 reads 0 URLs from our schema through ``--swagger`` (and ``--skip-crawl`` never requests
what it is given), so the seed is built here: every GET operation of /api/schema/, its path
parameters filled with real ids of the demo data (the first record the scan user's own list
returns: ``/api/v1/disputes/{id}/followups/`` takes an id from ``/api/v1/disputes/``), its
documented query parameters given a value of their type (so that wapiti has parameters to inject
into). One URL a line, for ``wapiti -s FILE``; a summary on stderr.

    python scan/seed.py SCHEMA.json BASE_URL TOKEN > urls.txt
"""

import json
import re
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

PARAM = re.compile(r"\{([^}]+)\}")
# a value for a query parameter of this schema type/format (dates inside the demo data's year)
BY_FORMAT = {"date": "2026-01-01", "date-time": "2026-01-01T00:00:00+08:00", "uuid": ""}
BY_TYPE = {"integer": "1", "number": "1", "boolean": "true", "string": "a", "array": "a"}
# parameters whose value must make sense for the answer to be 200 (the scan user is an ADS officer)
BY_NAME = {
    "station": "ADS",
    "from": "2026-11-01",
    "to": "2026-11-30",
    "since": "2026-11-01T00:00:00+08:00",
    "at": "2026-11-15T10:00:00+08:00",
    "month": "2026-11",
    "months": "3",
    "year": "2026",
    "quarter": "4",
    "lat": "30.25",
    "lon": "121.25",
    "radius_m": "300",
    "window_days": "30",
    "page_size": "20",
}


def get_json(url: str, token: str):
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http on loopback: the scan's server)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except (urllib.error.URLError, ValueError, TimeoutError):
        return None


def first_record(body) -> dict | None:
    rows = body.get("results") if isinstance(body, dict) else body
    if isinstance(rows, list):
        return next((r for r in rows if isinstance(r, dict)), None)
    return None


def fill_path(path: str, base: str, token: str, cache: dict) -> str | None:
    """``path`` with each ``{param}`` replaced by a real value, from left to right; None when a list
    the scan user can read gives none."""
    while match := PARAM.search(path):
        name = match.group(1)
        collection = path[: match.start()]
        if collection not in cache:
            record = first_record(get_json(base + collection, token))
            cache[collection] = record
        record = cache[collection]
        if not record:
            return None
        # {id} / {code} by name; a nested {evidence_id} is the record's id in the nested list
        value = record.get(name, record.get("id"))
        if value in (None, ""):
            return None
        path = path[: match.start()] + str(value) + path[match.end() :]
    return path


def query_value(parameter: dict) -> str:
    name = parameter["name"]
    if name in BY_NAME:
        return BY_NAME[name]
    if name.endswith("_after"):
        return "2026-01-01"
    if name.endswith("_before"):
        return "2026-12-31"
    schema = parameter.get("schema", {})
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    if "example" in parameter:
        return str(parameter["example"])
    if schema.get("enum"):
        return str(next(v for v in schema["enum"] if v not in (None, "")))
    if "default" in schema and schema["default"] not in (None, ""):
        return (
            str(schema["default"]).lower() if isinstance(schema["default"], bool) else str(schema["default"])
        )
    return BY_FORMAT.get(schema.get("format", ""), BY_TYPE.get(schema.get("type", "string"), "a")) or "a"


def main(schema_path: str, base: str, token: str) -> int:
    schema = json.load(open(schema_path))
    base = base.rstrip("/")
    cache: dict = {}
    urls, unfilled = [], []
    for path, operations in sorted(schema["paths"].items()):
        operation = operations.get("get")
        if operation is None:
            continue
        filled = fill_path(path, base, token, cache)
        if filled is None:
            unfilled.append(path)
            continue
        parameters = [
            p for p in operation.get("parameters", []) if p.get("in") == "query" and p["name"] != "format"
        ]
        query = {p["name"]: query_value(p) for p in parameters}
        required = {
            p["name"]: query_value(p) for p in parameters if p.get("required") or p["name"] in ("from", "to")
        }
        urls.append(base + filled + ("?" + urlencode(required) if required else ""))
        if (
            query and query != required
        ):  # the bare URL (answers 200) and one carrying every documented parameter to inject into
            urls.append(base + filled + "?" + urlencode(query))
    print("\n".join(urls))
    gets = sum("get" in ops for ops in schema["paths"].values())
    print(
        f"seed: {gets} GET operations, {len(urls)} start URLs, {len(unfilled)} without a record to fill"
        + (f" ({', '.join(unfilled)})" if unfilled else ""),
        file=sys.stderr,
    )
    return 0 if urls else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
