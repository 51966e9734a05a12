#!/usr/bin/env bash
# `make load`: a dedicated database with the demo data, API tokens per role, gunicorn with the
# deployment's settings on a spare loopback port (both from bin/loopback-stack.sh, shared with
# `make scan`), locust headless (50 users, 60 s), a table of p50/p95 per endpoint, teardown.
set -euo pipefail
STACK_PORT=${LOAD_PORT:-56700}
STACK_DB_NAME=${LOAD_DB_NAME:-qw_load}
STACK_REDIS_URL=${LOAD_REDIS_URL:-redis://127.0.0.1:6379/10}
STACK_PG_BASE=${LOAD_PG_BASE:-postgres://postgres@127.0.0.1:5432}
STACK_TMP_PREFIX=qianwan-load
source "$(dirname "$0")/../bin/loopback-stack.sh"
LOCUST=${LOCUST:-$ROOT/var/loadtest-venv/bin/locust}
USERS=${LOAD_USERS:-50}
DURATION=${LOAD_DURATION:-60s}

stack_database
export LOAD_TOKEN_OFFICER=$(stack_token load-officer --role officer --station ADS)
export LOAD_TOKEN_LEADER=$(stack_token load-leader --role station_leader --station ADS)
export LOAD_TOKEN_GRID=$(stack_token load-grid --role grid_client --partner grid)
export LOAD_RUN_ID=$(date +%s)
stack_start

echo "== locust: $USERS users for $DURATION"
"$LOCUST" -f loadtest/locustfile.py --headless -u "$USERS" -r 10 -t "$DURATION" \
  --host "$BASE" --csv "$WORK/load" --only-summary --stop-timeout 10 \
  --exit-code-on-error 0 >"$WORK/locust.log" 2>&1 || { tail -n 40 "$WORK/locust.log"; exit 1; }
echo
status=0
"$PY" loadtest/report.py "$WORK/load_stats.csv" || status=$?
if [ "$status" -ne 0 ]; then
  echo "-- failures:"; head -n 20 "$WORK/load_failures.csv" 2>/dev/null || true
  grep -m 20 -i "error" "$WORK/gunicorn.log" || true
fi
exit "$status"
