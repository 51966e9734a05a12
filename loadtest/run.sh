#!/usr/bin/env bash
# `make load`: a dedicated database, migrations, demo data, API tokens per role, gunicorn with the
# deployment's settings (qianwan/gunicorn_conf.py, 2 workers) on a spare loopback port, locust headless
# (50 users, 60 s), a table of p50/p95 per endpoint, teardown.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
LOCUST=${LOCUST:-$ROOT/var/loadtest-venv/bin/locust}
USERS=${LOAD_USERS:-50}
DURATION=${LOAD_DURATION:-60s}
PORT=${LOAD_PORT:-56700}
PG_BASE=${LOAD_PG_BASE:-postgres://postgres@127.0.0.1:5432}
DB_NAME=${LOAD_DB_NAME:-qw_load}
WORK=$(mktemp -d /tmp/qianwan-load.XXXXXX)
GUNICORN_PID=""

export DJANGO_SETTINGS_MODULE=qianwan.settings.local DJANGO_DEBUG=0
export DATABASE_URL="$PG_BASE/$DB_NAME" QIANWAN_VAR_DIR="$WORK/var"
export REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/10}
export LOG_LEVEL=WARNING

admin_db() {  # run one statement against the maintenance database
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
token() { "$PY" manage.py apitoken "$@" | tail -n 1; }
export LOAD_TOKEN_OFFICER=$(token load-officer --role officer --station ADS)
export LOAD_TOKEN_LEADER=$(token load-leader --role station_leader --station ADS)
export LOAD_TOKEN_GRID=$(token load-grid --role grid_client --partner grid)
export LOAD_RUN_ID=$(date +%s)

echo "== gunicorn (qianwan/gunicorn_conf.py, 2 workers) on 127.0.0.1:$PORT"
WEB_CONCURRENCY=2 GUNICORN_BIND="127.0.0.1:$PORT" GUNICORN_LOG_LEVEL=warning \
  "$PY" -m gunicorn qianwan.wsgi:application -c qianwan/gunicorn_conf.py \
  --error-logfile "$WORK/gunicorn.log" >/dev/null 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

echo "== locust: $USERS users for $DURATION"
"$LOCUST" -f loadtest/locustfile.py --headless -u "$USERS" -r 10 -t "$DURATION" \
  --host "http://127.0.0.1:$PORT" --csv "$WORK/load" --only-summary --stop-timeout 10 \
  --exit-code-on-error 0 >"$WORK/locust.log" 2>&1 || { tail -n 40 "$WORK/locust.log"; exit 1; }
echo
status=0
"$PY" loadtest/report.py "$WORK/load_stats.csv" || status=$?
if [ "$status" -ne 0 ]; then
  echo "-- failures:"; head -n 20 "$WORK/load_failures.csv" 2>/dev/null || true
  grep -m 20 -i "error" "$WORK/gunicorn.log" || true
fi
exit "$status"
