#!/usr/bin/env bash
# Creates a fresh PostGIS test database on the local server (127.0.0.1:5432, trust auth).
set -euo pipefail
DB=${ODEKAKE_TEST_PGDB:-odekake_test}
PSQL=(psql -h 127.0.0.1 -p 5432 -U postgres -v ON_ERROR_STOP=1 -q)
if ! "${PSQL[@]}" -d postgres -c 'select 1' >/dev/null 2>&1; then
  # the machine image starts PostgreSQL before a session; start it if it has stopped
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  sleep 2
fi
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis"
echo "PostGIS test database $DB ready"
