#!/usr/bin/env bash
# Run a command (the test suite) with a PostgreSQL database for the Postgres tests, when one
# can be had; say loudly when it cannot, so a skip is never silent.
#
#   bash .ci/with-postgres.sh .venv/bin/pytest -q
#
# - TUNING_AGENT_TEST_POSTGRES_URI already set: used as is.
# - TUNING_AGENT_TEST_POSTGRES=0: no attempt (the Postgres tests are skipped, and this says so).
# - otherwise .ci/postgres.sh (the script CI uses) is tried: it needs root, and installs and
#   starts Debian's postgresql when missing. If it fails, the tests still run, without Postgres.
set -uo pipefail
cd "$(dirname "$0")/.."

note() { echo "with-postgres: $*" >&2; }

if [ -n "${TUNING_AGENT_TEST_POSTGRES_URI:-}" ]; then
  note "using TUNING_AGENT_TEST_POSTGRES_URI from the environment"
elif [ "${TUNING_AGENT_TEST_POSTGRES:-1}" = "0" ]; then
  note "SKIPPING the Postgres tests: TUNING_AGENT_TEST_POSTGRES=0"
elif uri="$(bash .ci/postgres.sh)"; then
  export TUNING_AGENT_TEST_POSTGRES_URI="$uri"
  note "PostgreSQL is up; the Postgres tests will run"
else
  note "SKIPPING the Postgres tests: PostgreSQL could not be started (.ci/postgres.sh needs root and" \
       "Debian's postgresql package; see its message above)"
fi
exec "$@"
