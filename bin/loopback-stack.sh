# Sourced (not run) by loadtest/run.sh (`make load`) and scan/run.sh (`make scan`): the part they share.
# A dedicated database with migrations and the demo data, gunicorn with the deployment's settings
# (qianwan/gunicorn_conf.py, 2 workers) on a spare loopback port, and a teardown on exit that stops
# gunicorn, drops the database, empties the Redis db and removes the work directory.
#
# The caller sets, before sourcing:   STACK_PORT, STACK_DB_NAME, STACK_REDIS_URL, STACK_TMP_PREFIX
# (and may set PY, STACK_PG_BASE). It then calls `stack_database` and `stack_start`, and gets
# ROOT, PY, WORK (a temporary directory), BASE (http://127.0.0.1:PORT), admin_db and stack_token.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PY=${PY:-$ROOT/.venv/bin/python}
STACK_PG_BASE=${STACK_PG_BASE:-postgres://postgres@127.0.0.1:5432}
WORK=$(mktemp -d "/tmp/${STACK_TMP_PREFIX:-qianwan-stack}.XXXXXX")
BASE="http://127.0.0.1:$STACK_PORT"
GUNICORN_PID=""

export DJANGO_SETTINGS_MODULE=qianwan.settings.local DJANGO_DEBUG=0
export DATABASE_URL="$STACK_PG_BASE/$STACK_DB_NAME" QIANWAN_VAR_DIR="$WORK/var"
export REDIS_URL="$STACK_REDIS_URL"
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
export LOG_LEVEL=WARNING

admin_db() {  # run one statement against the maintenance database
  "$PY" - "$1" <<PYEOF
import sys, psycopg2
conn = psycopg2.connect("$STACK_PG_BASE/postgres")
conn.autocommit = True
conn.cursor().execute(sys.argv[1])
PYEOF
}

stack_cleanup() {
  set +e
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null; wait "$GUNICORN_PID" 2>/dev/null; fi
  admin_db "DROP DATABASE IF EXISTS $STACK_DB_NAME WITH (FORCE)" >/dev/null 2>&1
  "$PY" -c "import redis, os; redis.Redis.from_url(os.environ['REDIS_URL']).flushdb()" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap stack_cleanup EXIT

stack_database() {  # a fresh database: migrations, demo data, static files (DEBUG=0 serves the manifest)
  echo "== database $STACK_DB_NAME: migrate and load demo data"
  admin_db "DROP DATABASE IF EXISTS $STACK_DB_NAME WITH (FORCE)"
  admin_db "CREATE DATABASE $STACK_DB_NAME"
  "$PY" manage.py migrate --noinput -v0
  "$PY" manage.py loaddemo >/dev/null
  "$PY" manage.py collectstatic --noinput -v0
}

stack_token() { "$PY" manage.py apitoken "$@" | tail -n 1; }  # an API token: name --role … [--station …]

stack_start() {  # gunicorn on $BASE, waits for /healthz (its log: $WORK/gunicorn.log)
  echo "== gunicorn (qianwan/gunicorn_conf.py, 2 workers) on $BASE"
  WEB_CONCURRENCY=2 GUNICORN_BIND="127.0.0.1:$STACK_PORT" GUNICORN_LOG_LEVEL=warning \
    "$PY" -m gunicorn qianwan.wsgi:application -c qianwan/gunicorn_conf.py \
    --error-logfile "$WORK/gunicorn.log" >/dev/null 2>&1 &
  GUNICORN_PID=$!
  for _ in $(seq 100); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "gunicorn did not answer on $BASE/healthz"; tail -n 30 "$WORK/gunicorn.log"; return 1
}
