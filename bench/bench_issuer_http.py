"""Benchmark issuing over HTTP (issuer agent, VC-API) next to direct library calls.

Usage (from the repository root)::

    PYTHONPATH=. .venv/bin/python bench/bench_issuer_http.py [--count 200] [--workers 1 4]

For each worker count the script starts ``python -m issuer_agent.cli serve``
on 127.0.0.1 with a fresh SQLite data directory, creates an API key, and
sends ``--count`` ``POST /credentials/issue`` requests from ``--clients``
concurrent threads. Each request allocates a status entry, signs with
eddsa-rdfc-2022 and stores the credential. The direct row times
``vcwork.credentials.issue_credential`` on the same credential in one
process, without storage or status. Results are a markdown table on stdout.
Numbers depend on the machine; the table header names it.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential"],
    "credentialSubject": {"id": "did:example:holder"},
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_direct(count: int) -> float:
    """Return credentials signed per second by direct library calls."""
    from vcwork.credentials import issue_credential
    from vcwork.did import create_did_key

    key_pair, did = create_did_key()
    document = {**CREDENTIAL, "issuer": did, "validFrom": "2024-01-01T00:00:00Z"}
    issue_credential({**document, "id": "urn:uuid:warm-up"}, key_pair)
    start = time.perf_counter()
    for index in range(count):
        issue_credential({**document, "id": f"urn:uuid:direct-{index}"}, key_pair)
    return count / (time.perf_counter() - start)


def bench_http(count: int, workers: int, clients: int) -> float:
    """Return credentials issued per second over HTTP by an agent with ``workers``."""
    data_dir = Path(tempfile.mkdtemp(prefix="vcwork-bench-issuer-"))
    port = _free_port()
    base = [sys.executable, "-m", "issuer_agent.cli"]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    key = subprocess.run(
        [*base, "create-api-key", "--name", "bench", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.strip()
    server = subprocess.Popen(
        [
            *base,
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/catalog").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the agent did not start")
                time.sleep(0.2)
            for _ in range(workers * 2):  # warm every worker
                client.post(
                    "/credentials/issue", json={"credential": CREDENTIAL}
                ).raise_for_status()

            def issue(_index: int) -> None:
                client.post(
                    "/credentials/issue", json={"credential": CREDENTIAL}
                ).raise_for_status()

            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(issue, range(count)))
            return count / (time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="Credentials per run.")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 4], help="Worker counts."
    )
    parser.add_argument(
        "--clients", type=int, default=8, help="Concurrent HTTP clients."
    )
    args = parser.parse_args()
    rows = [
        ("direct `issue_credential` (1 process, no storage)", bench_direct(args.count))
    ]
    for workers in args.workers:
        rate = bench_http(args.count, workers, args.clients)
        rows.append(
            (f"HTTP `POST /credentials/issue`, {workers} worker(s), SQLite", rate)
        )
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"{args.count} credentials per run, {args.clients} concurrent clients\n")
    print("| path | credentials/s |")
    print("|---|---:|")
    for name, rate in rows:
        print(f"| {name} | {rate:.1f} |")


if __name__ == "__main__":
    main()
