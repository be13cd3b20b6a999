#!/usr/bin/env bash
# Run every check the project has: lint, types, and the whole test suite with
# the services its tests need (a throw-away PostgreSQL server on 127.0.0.1).
#
# Set VCWORK_TEST_POSTGRES_URL to use a server of your own instead, or
# VCWORK_SKIP_POSTGRES=1 to run the PostgreSQL tests nowhere (they then skip,
# except under CI=true, where a missing server is an error).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

"$BIN/ruff" check src tests bench issuer_agent verifier_agent wallet

# The browser tests drive Debian's Chromium through Playwright; a browser
# download by Playwright itself is not possible (or wanted) here.
if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Chromium with apt-get for the browser tests" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
"$BIN/mypy"

if [ -z "${VCWORK_TEST_POSTGRES_URL:-}" ] && [ -z "${VCWORK_SKIP_POSTGRES:-}" ]; then
    log=$(mktemp)
    VCWORK_TEST_POSTGRES_URL=$(scripts/start-postgres.sh 2>"$log") || {
        cat "$log" >&2
        echo "error: could not start PostgreSQL for the tests (see above);" \
            "set VCWORK_SKIP_POSTGRES=1 to run without it" >&2
        exit 1
    }
    export VCWORK_TEST_POSTGRES_URL
    data_dir=$(sed -n 's/^PostgreSQL data directory: \([^ ]*\) .*/\1/p' "$log")
    pg_ctl=$(sed -n 's/.*(stop: \([^ ]*\) -D .*/\1/p' "$log")
    stop_postgres() {
        runuser -u postgres -- "$pg_ctl" -D "$data_dir" -m fast stop >/dev/null 2>&1 \
            || "$pg_ctl" -D "$data_dir" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$(dirname "$data_dir")"
    }
    trap stop_postgres EXIT
fi

"$BIN/pytest" "$@"
