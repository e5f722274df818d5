#!/usr/bin/env bash
# Run the app locally: Redis (data in var/redis), migrations, one RQ worker, the web server.
# Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
REDIS_PORT=${A2D_REDIS_PORT:-6380}
export DJANGO_DEBUG=${DJANGO_DEBUG:-1}  # local development: settings are secure by default
export A2D_REDIS_URL=${A2D_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
mkdir -p var/redis

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "Stopping…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  exit 0
}
trap stop_all INT TERM EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/var/redis" --appendonly yes --save "" \
  --logfile "$PWD/var/redis/redis.log" &
pids+=($!)
$PY manage.py migrate --noinput
# Jobs run inside the worker, so a song that exhausts memory takes the worker down: start
# another, as Docker's restart policy does (the lost job is failed once its heartbeat lapses).
(
  trap 'kill "$worker" 2>/dev/null; wait "$worker"; exit 0' TERM
  while true; do
    $PY manage.py rqworker default & worker=$!
    wait "$worker" || true
    echo "The worker stopped; starting another in 2 s."; sleep 2
  done
) &
pids+=($!)
echo "Audio2DTX on http://127.0.0.1:8000 (Ctrl-C to stop)"
$PY manage.py runserver 127.0.0.1:8000 --noreload &
pids+=($!)
wait -n "${pids[@]}"
