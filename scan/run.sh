#!/usr/bin/env bash
# `make scan`: wapiti (in its own virtualenv, var/scan-venv) against a loopback server, bounded in time.
# The database with the demo data and gunicorn with the deployment's settings come from
# bin/loopback-stack.sh (shared with `make load`); then two scans: the pages (logged in as the demo
# officer) and the API, seeded by scan/seed.py with every GET operation of /api/schema/ (path
# parameters filled with real ids of the demo data, documented query parameters with a value) and the
# scan officer's token. Modules that need an outside endpoint (ssrf, xxe) or TLS (ssl) are left out:
# the network is loopback only. Reports (JSON) are kept under var/scan/; scan/report.py prints the
# findings and fails (non-zero) on any vulnerability or anomaly of level SCAN_FAIL_LEVEL (default 1,
# low) or above that scan/explained.json does not explain, and on any server error in gunicorn's log.
# Not part of `make test`.
set -euo pipefail
STACK_PORT=${SCAN_PORT:-56800}
STACK_DB_NAME=${SCAN_DB_NAME:-qw_scan}
STACK_REDIS_URL=${SCAN_REDIS_URL:-redis://127.0.0.1:6379/11}
STACK_PG_BASE=${SCAN_PG_BASE:-postgres://postgres@127.0.0.1:5432}
STACK_TMP_PREFIX=qianwan-scan
source "$(dirname "$0")/../bin/loopback-stack.sh"
WAPITI=${WAPITI:-$ROOT/var/scan-venv/bin/wapiti}
SCAN_TIME=${SCAN_TIME:-240}          # seconds for the page scan (crawl + attacks)
API_SCAN_TIME=${SCAN_API_TIME:-360}  # seconds for the API scan (120+ start URLs)
ATTACK_TIME=${SCAN_ATTACK_TIME:-40}  # seconds per attack module
OUT=${SCAN_OUT:-$ROOT/var/scan}

stack_database
TOKEN=$(stack_token scan-officer --role officer --station ADS)
# a logged-in session of the demo officer for the page scan (wapiti 3.2.3's --form-url login answers
# "No login form detected" on our login page, so the session is made here and passed as a cookie)
SESSION=$("$PY" manage.py shell -c "
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from qianwan.org.models import User
user = User.objects.get(username='officer')
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.save()
print(settings.SESSION_COOKIE_NAME + '=' + store.session_key)
" | tail -n 1)
stack_start

curl -fsS -H "Authorization: Token $TOKEN" "$BASE/api/schema/?format=json" -o "$WORK/schema.json"
"$PY" scan/seed.py "$WORK/schema.json" "$BASE" "$TOKEN" >"$WORK/api-urls.txt"
mkdir -p "$OUT"
cp "$WORK/api-urls.txt" "$OUT/api-urls.txt"

echo "== session check: / answers $(curl -s -o /dev/null -w '%{http_code}' -b "$SESSION" "$BASE/") with the officer's cookie"
COMMON=(--max-attack-time "$ATTACK_TIME" "--module=common,-ssrf,-xxe,-ssl"
        --flush-session --store-session "$WORK/session" -f json -dr 1 --no-bugreport -v 1
        -x "$BASE/accounts/logout/" -x "$BASE/admin/logout/"
        --endpoint "$BASE/" --external-endpoint "$BASE/" --internal-endpoint "$BASE/" --dns-endpoint localhost)

echo "== wapiti: pages (logged in as the demo officer), at most ${SCAN_TIME}s"
"$WAPITI" -u "$BASE/" --scope folder --max-scan-time "$SCAN_TIME" "${COMMON[@]}" \
  -C "$SESSION" \
  -o "$OUT/pages.json" >"$OUT/pages.log" 2>&1 || { tail -n 30 "$OUT/pages.log"; exit 1; }

# the seed is crawled (not --skip-crawl, which attacks only what a previous session stored): JSON
# answers carry no links, so the crawl stays on the seeded operations
echo "== wapiti: API, $(wc -l <"$WORK/api-urls.txt") start URLs from /api/schema/, at most ${API_SCAN_TIME}s"
"$WAPITI" -u "$BASE/api/v1/" --scope folder --max-scan-time "$API_SCAN_TIME" "${COMMON[@]}" \
  -s "$WORK/api-urls.txt" -H "Authorization: Token $TOKEN" \
  -o "$OUT/api.json" >"$OUT/api.log" 2>&1 || { tail -n 30 "$OUT/api.log"; exit 1; }

status=0
"$PY" scan/report.py "$OUT/pages.json" "$OUT/api.json" || status=$?
if grep -qiE "Traceback|Internal Server Error" "$WORK/gunicorn.log"; then
  echo "-- server errors during the scan:"; grep -m 20 -iE "Traceback|Error" "$WORK/gunicorn.log"; status=1
fi
exit "$status"
