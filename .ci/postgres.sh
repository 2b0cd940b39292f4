#!/usr/bin/env bash
# Start a local PostgreSQL for the multi-user persistence test and print its URI.
#
# Idempotent: installs Debian's `postgresql` package only when it is missing, starts
# the cluster only when it is down, creates the role and database only when absent.
# Needs root (CI machines). Usage:
#
#   export TUNING_AGENT_TEST_POSTGRES_URI="$(.ci/postgres.sh)"
#
# Everything but the URI goes to stderr, so the line above captures only the URI.
set -euo pipefail

DB_USER="${PG_TEST_USER:-tuning_agent}"
DB_PASS="${PG_TEST_PASSWORD:-tuning_agent}"
DB_NAME="${PG_TEST_DB:-tuning_agent_test}"
DB_PORT="${PG_TEST_PORT:-5432}"

log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "run as root (it installs and starts a system service)"; exit 1
fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing postgresql from the Debian archive"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

# The newest installed major version, and its `main` cluster (created by the package).
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
  log "creating cluster $VERSION/main"
  pg_createcluster "$VERSION" main -p "$DB_PORT" >&2
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting cluster $VERSION/main"
  pg_ctlcluster "$VERSION" main start >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" '$1==v && $2=="main" {print $3}')"

for _ in $(seq 30); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "server on port $PORT did not become ready"; exit 1; }

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA -p $PORT $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'\"")" != "1" ]; then
  log "creating role $DB_USER"
  psql_admin "-c \"CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASS'\"" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname='$DB_NAME'\"")" != "1" ]; then
  log "creating database $DB_NAME"
  psql_admin "-c \"CREATE DATABASE $DB_NAME OWNER $DB_USER\"" >&2
fi

echo "postgresql://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
