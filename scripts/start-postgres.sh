#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for tests and print its SQLAlchemy URL.
#
# The server listens on 127.0.0.1 only, on a random free port, with its data
# in a new temporary directory owned by the "postgres" user. It installs
# PostgreSQL with apt-get when initdb is missing (needs root).
#
#   export VCWORK_TEST_POSTGRES_URL=$(scripts/start-postgres.sh)
#   PYTHONPATH=. .venv/bin/pytest tests/issuer_agent
#
# Stop it with: pg_ctl -D <data directory> stop (the directory is printed on
# stderr), or remove the directory after the CI job.
set -euo pipefail

find_bin() {
    local name=$1
    if command -v "$name" >/dev/null 2>&1; then
        command -v "$name"
        return
    fi
    local candidate
    candidate=$(ls -d /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$candidate" ]; then
        echo "$candidate"
    fi
}

if [ -z "$(find_bin initdb)" ]; then
    echo "installing PostgreSQL with apt-get" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

if [ "$(id -u)" -eq 0 ]; then
    run_as_postgres() { runuser -u postgres -- "$@"; }
else
    run_as_postgres() { "$@"; }
fi

# A free port chosen by the kernel (a tiny race with other processes remains).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE=$(mktemp -d -t vcwork-postgres-XXXXXX)
chmod 755 "$BASE"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$BASE"
fi
DATA="$BASE/data"
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
PWFILE="$BASE/pwfile"
echo "$PASSWORD" > "$PWFILE"
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PWFILE"
fi

run_as_postgres "$INITDB" -D "$DATA" -U vcwork --pwfile="$PWFILE" -A scram-sha-256 >/dev/null
rm -f "$PWFILE"
run_as_postgres "$PG_CTL" -D "$DATA" -l "$BASE/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$BASE" start >/dev/null

echo "PostgreSQL data directory: $DATA (stop: $PG_CTL -D $DATA stop)" >&2
echo "postgresql+psycopg://vcwork:$PASSWORD@127.0.0.1:$PORT/postgres"
