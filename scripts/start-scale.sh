#!/usr/bin/env bash
# Start vcwork in scale mode on this machine and stop it all on exit or Ctrl-C.
#
# Starts, all on 127.0.0.1:
#   - a throw-away PostgreSQL server (scripts/start-postgres.sh) with one
#     database for the issuer agent and one for the verifier agent;
#   - a local EVM node (anvil, the npm package pinned in tests/anchoring/evm);
#   - the issuer agent with 2 uvicorn workers on PostgreSQL, anchoring batches
#     in transactions on anvil from a new account funded by the node;
#   - the verifier agent with 2 workers on PostgreSQL, checking anchors on anvil;
#   - the participant wallet (one process, SQLite).
#
# Ports: ISSUER_PORT (8001), WALLET_PORT (8002), VERIFIER_PORT (8003) and
# ANVIL_PORT (8545) in the environment. Everything else lives in a new
# temporary directory that is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=.venv/bin/python
ISSUER_PORT=${ISSUER_PORT:-8001}
WALLET_PORT=${WALLET_PORT:-8002}
VERIFIER_PORT=${VERIFIER_PORT:-8003}
ANVIL_PORT=${ANVIL_PORT:-8545}
CHAIN_ID=31337
WORKERS=2
ANVIL=tests/anchoring/evm/node_modules/.bin/anvil

ISSUER_URL="http://localhost:$ISSUER_PORT"
WALLET_URL="http://127.0.0.1:$WALLET_PORT"
VERIFIER_URL="http://127.0.0.1:$VERIFIER_PORT"
ANVIL_URL="http://127.0.0.1:$ANVIL_PORT"

for port in "$ISSUER_PORT" "$WALLET_PORT" "$VERIFIER_PORT" "$ANVIL_PORT"; do
    if ! "$PYTHON" -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
        echo "error: port $port on 127.0.0.1 is in use; stop what uses it or set" \
            "ISSUER_PORT, WALLET_PORT, VERIFIER_PORT or ANVIL_PORT" >&2
        exit 2
    fi
done

WORK=$(mktemp -d -t vcwork-scale-XXXXXX)
LOGS="$WORK/logs"
mkdir -p "$LOGS"
GROUPS_STARTED=()
PG_DATA=""
PG_CTL=""

stop_all() {
    trap - EXIT INT TERM
    echo "stopping" >&2
    local group
    for group in "${GROUPS_STARTED[@]}"; do
        kill -TERM -- "-$group" 2>/dev/null || true
    done
    for group in "${GROUPS_STARTED[@]}"; do
        for _ in $(seq 100); do
            kill -0 -- "-$group" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$group" 2>/dev/null || true
    done
    if [ -n "$PG_DATA" ]; then
        runuser -u postgres -- "$PG_CTL" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 \
            || "$PG_CTL" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
        rm -rf "$(dirname "$PG_DATA")"
    fi
    rm -rf "$WORK"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start a command in a session of its own, so that stop_all reaches its
# children too (anvil's Node wrapper, uvicorn's workers).
start_group() {
    local log=$1
    shift
    setsid "$@" >"$log" 2>&1 &
    GROUPS_STARTED+=("$!")
}

wait_for_url() {
    local url=$1 log=$2
    if ! "$PYTHON" - "$url" <<'EOF'; then
import sys, time
import httpx

url = sys.argv[1]
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if httpx.get(url, timeout=5).status_code == 200:
            sys.exit(0)
    except httpx.HTTPError:
        pass
    time.sleep(0.2)
sys.exit(1)
EOF
        echo "error: $url did not respond within 60 seconds; its log:" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
}

# -- PostgreSQL ---------------------------------------------------------------
ADMIN_URL=$(scripts/start-postgres.sh 2>"$LOGS/postgres-start.log") || {
    cat "$LOGS/postgres-start.log" >&2
    exit 1
}
PG_DATA=$(sed -n 's/^PostgreSQL data directory: \([^ ]*\) .*/\1/p' "$LOGS/postgres-start.log")
PG_CTL=$(sed -n 's/.*(stop: \([^ ]*\) -D .*/\1/p' "$LOGS/postgres-start.log")
read -r ISSUER_DB VERIFIER_DB < <("$PYTHON" - "$ADMIN_URL" <<'EOF'
import sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

admin_url = sys.argv[1]
engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
urls = []
with engine.connect() as connection:
    for name in ("vcwork_issuer", "vcwork_verifier"):
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        urls.append(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
print(*urls)
EOF
)
if [ -z "${VERIFIER_DB:-}" ]; then
    echo "error: could not create the databases on the PostgreSQL server" >&2
    exit 1
fi

# -- anvil and the issuer's account -------------------------------------------
if [ ! -x "$ANVIL" ]; then
    echo "installing anvil with npm ci in tests/anchoring/evm" >&2
    npm ci --prefix tests/anchoring/evm --no-audit --no-fund >&2
fi
start_group "$LOGS/anvil.log" "$ANVIL" --host 127.0.0.1 --port "$ANVIL_PORT" \
    --chain-id "$CHAIN_ID"
ACCOUNT_KEY_FILE="$WORK/evm-account.key"
(umask 077 && "$PYTHON" - "$ANVIL_URL" "$ACCOUNT_KEY_FILE" <<'EOF'
import sys, time
from pathlib import Path
from eth_account import Account
from web3 import Web3

url, key_file = sys.argv[1], Path(sys.argv[2])
web3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 5}))
deadline = time.monotonic() + 60
while not web3.is_connected():
    if time.monotonic() > deadline:
        sys.exit(f"anvil did not respond at {url} within 60 seconds")
    time.sleep(0.2)
account = Account.create()
key_file.write_text(account.key.hex() + "\n")
# A development node's own method: give the new account 100 ether for gas.
response = web3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])
if "error" in response:
    sys.exit(f"anvil_setBalance failed: {response['error']}")
print(account.address)
EOF
) >"$WORK/evm-account.address"
ACCOUNT=$(cat "$WORK/evm-account.address")

# -- issuer agent -----------------------------------------------------------------
# The first start runs in one process, because two workers starting on an
# empty database would each create a signing key.
ISSUER_DIR="$WORK/issuer"
mkdir -p "$ISSUER_DIR"
"$PYTHON" - "$ISSUER_DIR" "$ISSUER_DB" "$ISSUER_URL" "$ISSUER_PORT" <<'EOF'
import sys
from pathlib import Path
from issuer_agent import Settings
from issuer_agent.service import IssuerService

data_dir, database_url, base_url, port = sys.argv[1:5]
settings = Settings(
    data_dir=Path(data_dir), database_url=database_url, public_base_url=base_url, port=int(port)
)
IssuerService(settings).close()
EOF
API_KEY_FILE="$WORK/staff-api-key.txt"
(umask 077 && "$PYTHON" -m vcwork issuer create-api-key --name staff \
    --data-dir "$ISSUER_DIR" --database-url "$ISSUER_DB" >"$API_KEY_FILE")
start_group "$LOGS/issuer.log" "$PYTHON" -m vcwork issuer serve \
    --data-dir "$ISSUER_DIR" --port "$ISSUER_PORT" --database-url "$ISSUER_DB" \
    --public-base-url "$ISSUER_URL" --workers "$WORKERS" --status-list-max-age 0 \
    --evm-rpc-url "$ANVIL_URL" --evm-allow-http-loopback \
    --evm-account-key-file "$ACCOUNT_KEY_FILE"
wait_for_url "$ISSUER_URL/.well-known/did.json" "$LOGS/issuer.log"
ISSUER_DID="did:web:localhost%3A$ISSUER_PORT"

# -- verifier agent and wallet -------------------------------------------------------
printf '{"issuers": [{"id": "%s", "name": "Construction Pre-Apprenticeship Program", "url": "%s"}]}\n' \
    "$ISSUER_DID" "$ISSUER_URL" >"$WORK/trust-list.json"
start_group "$LOGS/verifier.log" "$PYTHON" -m vcwork verifier serve \
    --data-dir "$WORK/verifier" --port "$VERIFIER_PORT" --database-url "$VERIFIER_DB" \
    --workers "$WORKERS" --trust-list "$WORK/trust-list.json" --allow-http-loopback \
    --evm-node "$CHAIN_ID=$ANVIL_URL"
start_group "$LOGS/wallet.log" "$PYTHON" -m vcwork wallet serve \
    --data-dir "$WORK/wallet" --port "$WALLET_PORT" \
    --verifier-url "$VERIFIER_URL/share" --allow-http-loopback
wait_for_url "$VERIFIER_URL/healthz" "$LOGS/verifier.log"
wait_for_url "$WALLET_URL/healthz" "$LOGS/wallet.log"

cat <<EOF
vcwork scale mode is running (Ctrl-C stops everything and deletes its data):
  issuer agent    $ISSUER_URL   ($WORKERS workers, PostgreSQL, anchors on chain $CHAIN_ID)
  verifier agent  $VERIFIER_URL  ($WORKERS workers, PostgreSQL)
  wallet          $WALLET_URL
  EVM node        $ANVIL_URL  (anvil, chain id $CHAIN_ID)
  issuer account  eip155:$CHAIN_ID:$ACCOUNT
  staff API key   $API_KEY_FILE
  logs            $LOGS
EOF
wait
