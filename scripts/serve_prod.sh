#!/usr/bin/env bash
# Zhuangma's production processes on one machine (docs/deployment.md): migrate, collect the
# static files, then gunicorn and the task worker side by side. Ctrl-C (or either process
# ending) stops both.
#
# Needs PostgreSQL and Redis already running and these in the environment (or in the file
# named by ZHUANGMA_ENV_FILE, one NAME=value a line): DATABASE_URL, REDIS_URL,
# DJANGO_SECRET_KEY, ZHUANGMA_PERSONAL_DATA_KEY, DJANGO_ALLOWED_HOSTS.
#
# Tuning: BIND (127.0.0.1:8000), WEB_CONCURRENCY (gunicorn processes, default cores + 1),
# GUNICORN_THREADS (threads per process, default 4), ZHUANGMA_TASK_QUEUES (default: all).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${ZHUANGMA_ENV_FILE:-}" ]; then
  set -a
  # shellcheck disable=SC1090
  . "$ZHUANGMA_ENV_FILE"
  set +a
fi
export DJANGO_SETTINGS_MODULE=cms.settings.production
for name in DATABASE_URL REDIS_URL DJANGO_SECRET_KEY ZHUANGMA_PERSONAL_DATA_KEY DJANGO_ALLOWED_HOSTS; do
  if [ -z "${!name:-}" ]; then
    echo "serve_prod: $name is not set (see docs/deployment.md)" >&2
    exit 2
  fi
done

PY=.venv/bin/python
# Python runs one thread at a time per process, so processes give the parallelism: one per core
# plus one to keep the cores busy while another waits on PostgreSQL or Redis. Threads inside
# each process overlap those waits and slow phones on weak networks without another copy of the
# application in memory. Every thread may hold a database connection: processes × threads
# (3 × 4 = 12 on two cores) stays far below PostgreSQL's 100.
CORES="$(nproc)"
WORKERS="${WEB_CONCURRENCY:-$((CORES + 1))}"
THREADS="${GUNICORN_THREADS:-4}"
BIND="${BIND:-127.0.0.1:8000}"

$PY manage.py migrate --noinput -v0
$PY manage.py collectstatic --noinput -v0

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap stop INT TERM EXIT

.venv/bin/gunicorn cms.wsgi:application \
  --bind "$BIND" \
  --workers "$WORKERS" \
  --threads "$THREADS" \
  --worker-class gthread \
  --max-requests 2000 --max-requests-jitter 200 \
  --timeout 60 --graceful-timeout 30 \
  --no-control-socket \
  --access-logfile - \
  --error-logfile - &
pids+=("$!")
$PY manage.py db_worker --queue-name "${ZHUANGMA_TASK_QUEUES:-*}" --no-reload &
pids+=("$!")
echo "serve_prod: gunicorn on http://$BIND ($WORKERS processes × $THREADS threads) and the task worker; Ctrl-C stops both."

# Whichever ends first (a crash, or Ctrl-C), the other is stopped too.
status=0
wait -n || status=$?
exit "$status"
