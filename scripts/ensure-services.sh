#!/usr/bin/env bash
# Start the local PostgreSQL and Redis when they are installed but stopped. The tests find
# PostgreSQL themselves; under CI=true they fail loudly when it is still missing.
set -u
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
if [ -z "${EVENTSYS_TEST_POSTGRES_URL:-}" ] && ! pg_up && command -v pg_ctlcluster >/dev/null; then
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do pg_up && break; sleep 1; done
fi
if pg_up || [ -n "${EVENTSYS_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL: ${EVENTSYS_TEST_POSTGRES_URL:-127.0.0.1:5432}"
else
  echo "PostgreSQL: not running here; its tests are skipped (under CI=true they fail)" >&2
fi
if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
fi
exit 0
