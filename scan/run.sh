#!/usr/bin/env bash
# `make scan`: wapiti (in its own virtualenv, var/scan-venv) against a loopback server, bounded in time.
# A dedicated database with the demo data, gunicorn with the deployment's settings on a spare loopback
# port, then two scans: the pages (logged in as the demo officer through the login form) and the API
# from its OpenAPI schema (/api/schema/, token of the demo officer). Modules that need an outside
# endpoint (ssrf, xxe) or TLS (ssl) are left out: the network is loopback only. Reports (JSON) are
# kept under var/scan/; a summary of the findings is printed. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
WAPITI=${WAPITI:-$ROOT/var/scan-venv/bin/wapiti}
PORT=${SCAN_PORT:-56800}
SCAN_TIME=${SCAN_TIME:-240}      # seconds per scan (crawl + attacks)
ATTACK_TIME=${SCAN_ATTACK_TIME:-40}  # seconds per attack module
PG_BASE=${SCAN_PG_BASE:-postgres://postgres@127.0.0.1:5432}
DB_NAME=${SCAN_DB_NAME:-qw_scan}
OUT=${SCAN_OUT:-$ROOT/var/scan}
WORK=$(mktemp -d /tmp/qianwan-scan.XXXXXX)
GUNICORN_PID=""
BASE="http://127.0.0.1:$PORT"

export DJANGO_SETTINGS_MODULE=qianwan.settings.local DJANGO_DEBUG=0
export DATABASE_URL="$PG_BASE/$DB_NAME" QIANWAN_VAR_DIR="$WORK/var"
export REDIS_URL=${SCAN_REDIS_URL:-redis://127.0.0.1:6379/11}
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
export LOG_LEVEL=WARNING

admin_db() {
  "$PY" - "$1" <<PYEOF
import sys, psycopg2
conn = psycopg2.connect("$PG_BASE/postgres")
conn.autocommit = True
conn.cursor().execute(sys.argv[1])
PYEOF
}

cleanup() {
  set +e
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null; wait "$GUNICORN_PID" 2>/dev/null; fi
  admin_db "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null 2>&1
  "$PY" -c "import redis, os; redis.Redis.from_url(os.environ['REDIS_URL']).flushdb()" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== database $DB_NAME: migrate and load demo data"
admin_db "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
admin_db "CREATE DATABASE $DB_NAME"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py loaddemo >/dev/null
"$PY" manage.py collectstatic --noinput -v0  # DEBUG=0 serves the hashed files (whitenoise manifest)
TOKEN=$("$PY" manage.py apitoken scan-officer --role officer --station ADS | tail -n 1)

echo "== gunicorn on $BASE"
WEB_CONCURRENCY=2 GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_LOG_LEVEL=warning \
  "$PY" -m gunicorn qianwan.wsgi:application -c qianwan/gunicorn_conf.py \
  --error-logfile "$WORK/gunicorn.log" >/dev/null 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS -H "Authorization: Token $TOKEN" "$BASE/api/schema/?format=json" -o "$WORK/schema.json"
# the schema names no server: point it at this one, so that wapiti knows where the operations live
"$PY" - "$WORK/schema.json" "$BASE" <<'PYEOF'
import json, sys
schema = json.load(open(sys.argv[1]))
schema["servers"] = [{"url": sys.argv[2]}]
json.dump(schema, open(sys.argv[1], "w"))
PYEOF
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

echo "== session check: / answers $(curl -s -o /dev/null -w '%{http_code}' -b "$SESSION" "$BASE/") with the officer's cookie"
mkdir -p "$OUT"
COMMON=(--max-scan-time "$SCAN_TIME" --max-attack-time "$ATTACK_TIME" "--module=common,-ssrf,-xxe,-ssl"
        --flush-session --store-session "$WORK/session" -f json --no-bugreport -v 1
        -x "$BASE/accounts/logout/" -x "$BASE/admin/logout/"
        --endpoint "$BASE/" --external-endpoint "$BASE/" --internal-endpoint "$BASE/" --dns-endpoint localhost)

echo "== wapiti: pages (logged in as the demo officer), at most ${SCAN_TIME}s"
"$WAPITI" -u "$BASE/" --scope folder "${COMMON[@]}" \
  -C "$SESSION" \
  -o "$OUT/pages.json" >"$OUT/pages.log" 2>&1 || { tail -n 30 "$OUT/pages.log"; exit 1; }

echo "== wapiti: API from /api/schema/, at most ${SCAN_TIME}s"
"$WAPITI" -u "$BASE/api/" --scope folder --swagger "$WORK/schema.json" "${COMMON[@]}" --skip-crawl \
  -H "Authorization: Token $TOKEN" \
  -o "$OUT/api.json" >"$OUT/api.log" 2>&1 || { tail -n 30 "$OUT/api.log"; exit 1; }

"$PY" - "$OUT/pages.json" "$OUT/api.json" <<'PYEOF'
import json, sys
total = 0
for path in sys.argv[1:]:
    report = json.load(open(path))
    print(f"-- {path}")
    for section in ("vulnerabilities", "anomalies", "additionals"):
        for name, items in sorted(report.get(section, {}).items()):
            for item in items:
                total += section != "additionals"
                print(f"  [{section[:-1]}] {name}: {item.get('method')} {item.get('path')} {item.get('info')}"[:300])
print(f"== {total} finding(s) (vulnerabilities + anomalies); full reports in {sys.argv[1].rsplit('/', 1)[0]}")
PYEOF
if grep -qiE "Traceback|Internal Server Error" "$WORK/gunicorn.log"; then
  echo "-- server errors during the scan:"; grep -m 20 -iE "Traceback|Error" "$WORK/gunicorn.log"; exit 1
fi
